"""``gdsim tour``: the headline figures, written to a folder, with a table of who ended where.

Each item is a function ``item(out, quick) -> (path, what it shows)``; ``run`` calls them in order
under a progress bar. ``quick`` makes each item small enough for the test suite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gdsim import optimizers, surfaces
from gdsim.sim.engine import simulate
from gdsim.sim.run import DIVERGED, NOT_CONVERGED

RACE_SURFACE = "himmelblau"
RACE_STARTS = np.array([[-0.3, -0.9], [0.0, 0.0], [-4.5, 4.5], [4.5, -4.5], [1.0, -4.5]])


def race_optimizers():
    """The five contenders of the race, tuned so each is at its best on himmelblau."""
    return {
        "SGD": optimizers.SGD(lr=0.005),
        "Momentum": optimizers.SGD(lr=0.002, momentum=0.9),
        "Adagrad": optimizers.Adagrad(lr=0.5),
        "RMSprop": optimizers.RMSprop(lr=0.02),
        "Adam": optimizers.Adam(lr=0.1),
    }


def race_runs(steps=200):
    surface = surfaces.get(RACE_SURFACE)
    return surface, {name: simulate(surface, opt, RACE_STARTS, steps) for name, opt in race_optimizers().items()}


def reached_table(surface, runs):
    """A text table: for each optimizer, which minimum each start reached."""
    def cell(code):
        if code == DIVERGED:
            return "diverged"
        if code == NOT_CONVERGED:
            return "-"
        x, y = surface.minima[code]
        return f"({x:+.2f}, {y:+.2f})"

    header = ["start"] + [f"({x:+.1f}, {y:+.1f})" for x, y in RACE_STARTS]
    rows = [[name] + [cell(c) for c in run.reached] for name, run in runs.items()]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(row, widths)) for row in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def optimizer_race_png(out, quick=False):
    import matplotlib.pyplot as plt

    from gdsim import plotting

    surface, runs = race_runs(steps=60 if quick else 200)
    fig, axes = plt.subplots(1, len(runs), figsize=(4 * len(runs), 4.2), sharey=True)
    for ax, (name, run) in zip(axes, runs.items()):
        plotting.trajectories(run, ax=ax)
        ax.set_title(f"{name}\n{run.optimizer.label()}", fontsize=10)
    fig.suptitle(f"Five optimizers from the same starts on {surface.name}: where does each end up?")
    fig.tight_layout()
    path = Path(out) / "optimizer_race.png"
    fig.savefig(path, dpi=70 if quick else 110)
    plt.close(fig)
    print("\nWhich minimum each run reached ('-': not converged):")
    print(reached_table(surface, runs))
    return path, "five optimizers racing from the same starts on himmelblau"


def optimizer_race_gif(out, quick=False):
    from gdsim.teach import gallery

    path = gallery.optimizer_race(Path(out) / "optimizer_race.gif", frames=20 if quick else 160,
                                    dpi=50 if quick else 100)
    return path, "the optimizer race on Rosenbrock's valley, with the loss racing alongside"


def which_minimum_gif(out, quick=False):
    from gdsim.teach import gallery

    path = gallery.which_minimum(Path(out) / "which_minimum.gif", frames=12 if quick else 100,
                                   dpi=40 if quick else 80)
    return path, "the starting point and the learning rate decide the minimum (SGD, three lrs)"


def basins_png(out, quick=False):
    from gdsim.teach import gallery

    path = gallery.basin_gallery(Path(out) / "basins_by_lr.png", grid=40 if quick else 240,
                              steps=60 if quick else 200)
    return path, "basins of attraction of SGD on himmelblau at four learning rates"


def stability_png(out, quick=False):
    from gdsim.teach import gallery

    path = gallery.stability_figure(Path(out) / "stability_lr_momentum.png", steps=60 if quick else 300,
                                 resolution=(20, 12) if quick else (120, 80))
    return path, "stable, oscillating and diverging (lr, momentum) on a quadratic, with the 2(1+mu)/L limit"


def schedules_png(out, quick=False):
    from gdsim import plotting

    path = Path(out) / "schedules.png"
    plotting.schedule_gallery(path, steps=60 if quick else 300)
    return path, "a gallery of the learning-rate schedules"


def lr_sweep_png(out, quick=False):
    from gdsim.teach import experiments

    path = experiments.write_figure("lr-sweep", Path(out) / "lr_sweep.png", epochs=20 if quick else 200)
    return path, "the seed tutorial's learning-rate sweep: train (blue) and test (orange) accuracy"


ITEMS = [optimizer_race_png, optimizer_race_gif, which_minimum_gif, basins_png, stability_png,
         schedules_png, lr_sweep_png]


def run(out="gdsim-tour", quick=False):
    """Write every tour item into ``out``; return ``[(path, description), ...]``."""
    from tqdm.auto import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in tqdm(ITEMS, desc="gdsim tour", unit="figure", disable=quick):
        written.append(item(out, quick))
    return written
