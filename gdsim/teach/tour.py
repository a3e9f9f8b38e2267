"""``gdsim tour``: the headline figures, written to a folder, with a table of who ended where.

Every item is a figure of :mod:`gdsim.teach.gallery`, saved under its file name; ``quick`` makes
each small enough for the test suite.
"""

from __future__ import annotations

from pathlib import Path

from gdsim.teach import gallery

# (gallery name, file, what it shows, options for the full tour, options for a quick one)
ITEMS = [
    (
        "optimizer-race",
        "optimizer_race.png",
        "five optimizers from the same starts on himmelblau, each at its own best lr",
        {},
        {"steps": 60},
    ),
    (
        "optimizer-race-movie",
        "optimizer_race.gif",
        "the race down Rosenbrock's valley, each at its best lr, the loss alongside",
        {},
        {"steps": 60, "frames": 12},
    ),
    (
        "which-minimum",
        "which_minimum.gif",
        "the starting point and the learning rate decide the minimum (SGD, three lrs)",
        {},
        {"steps": 40, "frames": 8},
    ),
    (
        "basins-by-lr",
        "basins_by_lr.png",
        "basins of SGD on himmelblau at four lrs, each minimum with its limit 2/λ",
        {},
        {"grid": 40, "steps": 60, "samples": 0},
    ),
    (
        "stability",
        "stability_lr_momentum.png",
        "stable, oscillating and diverging (lr, momentum) on a quadratic, with the 2(1+μ)/L limit",
        {},
        {"steps": 60, "resolution": (20, 12)},
    ),
    ("schedules", "schedules.png", "a gallery of the learning-rate schedules", {}, {"steps": 60}),
    (
        "lr-sweep",
        "lr_sweep.png",
        "the seed tutorial's learning-rate sweep: train (blue) and test (orange) accuracy",
        {},
        {"epochs": 20},
    ),
]


def run(out="gdsim-tour", quick=False):
    """Write every tour item into ``out``; return ``[(path, description), ...]``."""
    from tqdm.auto import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, filename, what, full, small in tqdm(
        ITEMS, desc="gdsim tour", unit="figure", disable=quick
    ):
        drawing = gallery.REGISTRY.get(name, **(small if quick else full))
        written.append((gallery.save(drawing, out / filename, dpi=70 if quick else 100), what))
    print("\nWhich minimum each start reached, each optimizer at its best lr ('-': not converged):")
    print(gallery.reached_table(gallery.RACE_SURFACE, gallery.race(60 if quick else 200)))
    return written
