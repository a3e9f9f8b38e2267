"""``gdsim tour``: the headline figures, written to a folder, with a table of who ended where.

Each item is a function ``item(out, quick) -> (path, what it shows)``; ``run`` calls them in order
under a progress bar. ``quick`` makes each item small enough for the test suite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import optimizers, schedules, surfaces
from .engine import DIVERGED, NOT_CONVERGED, simulate

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

    from . import plotting

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


def gallery_schedules(steps=100):
    """One of each schedule family, as a lecturer would show them side by side."""
    cycle = schedules.one_cycle(0.1, total_steps=steps)
    return {
        "constant": schedules.constant(0.1),
        "step": schedules.step(0.1, step_size=25, gamma=0.5),
        "multistep": schedules.multistep(0.1, milestones=[30, 60, 80], gamma=0.3),
        "exponential": schedules.exponential(0.1, gamma=0.97),
        "time_decay": schedules.time_decay(0.1, decay=0.05),
        "inverse_scaling": schedules.inverse_scaling(0.1, power_t=0.5),
        "cosine": schedules.cosine(0.1, T_max=steps),
        "sgdr": schedules.sgdr(0.1, T_0=10, T_mult=2),
        "cyclic (triangular2)": schedules.cyclic(0.01, 0.1, step_size_up=12, mode="triangular2"),
        "one_cycle": cycle,
        "warmup + cosine": schedules.warmup(schedules.cosine(0.1, T_max=steps - 10), 10),
        "polynomial": schedules.polynomial(0.1, total_iters=steps, power=2.0),
    }


def schedule_gallery_png(out, quick=False):
    import matplotlib.pyplot as plt

    from . import plotting

    steps = 100
    gallery = gallery_schedules(steps)
    columns = 4
    rows = -(-len(gallery) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.6 * rows), sharex=True)
    for ax, (name, schedule) in zip(axes.flat, gallery.items()):
        plotting.schedules({name: schedule}, steps, ax=ax)
        ax.set_title(name, fontsize=11)
        ax.get_legend() and ax.get_legend().remove()
    for ax in list(axes.flat)[len(gallery):]:
        ax.set_visible(False)
    fig.suptitle("Learning-rate schedules (lr against step)")
    fig.tight_layout()
    path = Path(out) / "schedules.png"
    fig.savefig(path, dpi=70 if quick else 110)
    plt.close(fig)
    return path, "a gallery of the learning-rate schedules"


ITEMS = [optimizer_race_png, schedule_gallery_png]


def run(out="gdsim-tour", quick=False):
    """Write every tour item into ``out``; return ``[(path, description), ...]``."""
    from tqdm.auto import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in tqdm(ITEMS, desc="gdsim tour", unit="figure", disable=quick):
        written.append(item(out, quick))
    return written
