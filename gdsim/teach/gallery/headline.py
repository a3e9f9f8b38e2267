"""The tour's headline figures: fair optimizer races, which minimum, basins, stability, schedules
and the seed tutorial's experiments.

Races are fair: each optimizer runs at its own best learning rate, picked by :func:`tune_lr`
from a sweep drawn on the figure, and a contender that diverges or climbs above its starting
loss is never picked. Every claim a title makes is checked on the data by the tests.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gdsim import arguments, optimizers, plotting, surfaces
from gdsim.plotting.animation import animate
from gdsim.plotting.maps import plot_basins, plot_stability
from gdsim.registry import summary
from gdsim.sim.maps import basins, stability
from gdsim.sim.sweep import sweep
from gdsim.teach import experiments
from gdsim.teach.gallery.base import PROJECTOR, listed, register  # noqa: F401 (PROJECTOR re-exported)

# -- fair races ---------------------------------------------------------------------------------


@dataclass
class Tuned:
    """One contender of a race at its best lr: ``lr`` chosen from ``lrs``, where ``eligible``
    marks the lrs that neither diverge nor climb above the starting loss from any start and
    ``scores`` is :func:`end_gap` (the gap to the global minimum over the run's last tenth);
    ``run`` is the chosen lr's Run."""

    name: str
    optimizer: object
    lr: float
    lrs: np.ndarray
    scores: np.ndarray
    eligible: np.ndarray
    run: object

    @property
    def label(self):
        return f"{self.name}, lr={self.lr:.2g} (best of {len(self.lrs)})"


def end_gap(losses, fstar=0.0):
    """How far runs still are from the minimum as they end: the highest loss − ``fstar`` over
    the last tenth of the recorded steps (at least the last 5), averaged over the runs, per
    leading index of ``losses (T, ..., n_runs)``. The highest, not the last: a run bouncing
    around the minimum must not win on one lucky low step."""
    losses = np.asarray(losses, dtype=float)
    tail = max(5, len(losses) // 10)
    return (losses[-tail:].max(axis=0) - fstar).mean(axis=-1)


def tune_lr(surface, make_optimizer, starts, steps, lrs, name=None):
    """Run ``make_optimizer(lr=...)`` at every lr of ``lrs`` from ``starts`` (one vectorized
    sweep) and return the :class:`Tuned` contender at the lr that ends closest to the minimum
    (:func:`end_gap`) among those that never diverge nor climb above their starting loss."""
    surface = surfaces.as_surface(surface)
    lrs = np.asarray(lrs, dtype=float)
    grid = sweep(surface, make_optimizer, starts, steps, lr=list(lrs))
    losses = grid.losses.reshape(grid.losses.shape[:2] + (-1,))  # (T, n_lr, n_starts)
    climbed = (losses > losses[:1] * (1 + 1e-12) + 1e-12).any(axis=0)
    eligible = ~grid.diverged.reshape(len(lrs), -1).any(axis=1) & ~climbed.any(axis=1)
    if not eligible.any():
        raise ValueError(f"no lr in {lrs} keeps {name or make_optimizer} stable from every start")
    fstar = float(surface.minima_values[0]) if len(surface.minima) else 0.0
    scores = end_gap(losses, fstar)
    best = int(np.argmin(np.where(eligible, scores, np.inf)))
    optimizer = make_optimizer(lr=float(lrs[best]))
    run = grid.select(lr=grid.coords["lr"][best])
    return Tuned(name or optimizer.label(), optimizer, float(lrs[best]), lrs, scores, eligible, run)


def _sgd(**options):
    return lambda lr: optimizers.SGD(lr=lr, **options)


RACE_SURFACE = "himmelblau"
RACE_STARTS = np.array([[-0.3, -0.9], [0.0, 0.0], [-4.5, 4.5], [4.5, -4.5], [1.0, -4.5]])
RACE = {  # name: (factory of lr, the lrs tried)
    "SGD": (_sgd(), np.geomspace(1e-4, 3e-2, 12)),
    "Momentum (μ=0.9)": (_sgd(momentum=0.9), np.geomspace(1e-4, 3e-2, 12)),
    "Adagrad": (lambda lr: optimizers.Adagrad(lr=lr), np.geomspace(1e-2, 3.0, 12)),
    "RMSprop": (lambda lr: optimizers.RMSprop(lr=lr), np.geomspace(1e-3, 0.3, 12)),
    "Adam": (lambda lr: optimizers.Adam(lr=lr), np.geomspace(1e-3, 3.0, 12)),
}


def race_title(contenders):
    """What the race shows, read off its runs: whether every run reached a minimum, and whether
    the optimizers agree on which one."""
    reached = np.array([t.run.reached.reshape(-1) for t in contenders.values()])
    steps = next(iter(contenders.values())).run.steps
    if (reached >= 0).all():
        agree = (reached == reached[0]).all()
        return "Each optimizer at its own best lr reaches a minimum from every start, " + (
            "and all reach the same ones" if agree else "but not always the same one"
        )
    missing = int((reached < 0).sum())
    return (
        f"Each optimizer at its own best lr: after {steps} steps {missing} of "
        f"{reached.size} runs have not reached a minimum yet"
    )


def race(steps=200):
    """The tour's race: five optimizers from the same five starts on Himmelblau, each tuned by
    :func:`tune_lr`. Returns ``{name: Tuned}``."""
    return {
        name: tune_lr(RACE_SURFACE, make, RACE_STARTS, steps, lrs, name)
        for name, (make, lrs) in RACE.items()
    }


def reached_table(surface, contenders):
    """A text table: for each contender, which minimum each start reached."""
    from gdsim.sim import DIVERGED, NOT_CONVERGED

    surface = surfaces.as_surface(surface)

    def cell(code):
        if code == DIVERGED:
            return "diverged"
        if code == NOT_CONVERGED:
            return "-"
        x, y = surface.minima[code]
        return f"({x:+.2f}, {y:+.2f})"

    header = ["start"] + [f"({x:+.1f}, {y:+.1f})" for x, y in RACE_STARTS]
    rows = [[t.label] + [cell(c) for c in t.run.reached] for t in contenders.values()]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(row, widths)) for row in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _sweep_panel(ax, contenders, colours):
    """Final gap against lr for every contender, the chosen lr ringed: the sweep behind a race.
    Gaps below 1e-16 are round-off, drawn at 1e-16; an lr that diverges or climbs is a
    triangle above the curves."""
    floor, top = 1e-16, 1e4
    for (name, tuned), c in zip(contenders.items(), colours):
        scores = np.maximum(tuned.scores, floor)
        ax.plot(tuned.lrs, np.where(tuned.eligible, scores, np.nan), "-o", color=c, ms=4)
        ax.plot(
            tuned.lrs[~tuned.eligible],
            np.full((~tuned.eligible).sum(), top),
            "^",
            color=c,
            ms=9,
            mec="black",
            mew=0.6,
        )
        ax.plot(
            [tuned.lr],
            [max(tuned.scores[tuned.lrs == tuned.lr][0], floor)],
            "o",
            ms=13,
            mfc="none",
            mec=c,
            mew=2.2,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor / 10, top * 30)
    ax.set_xlabel("learning rate")
    steps = next(iter(contenders.values())).run.steps
    ax.set_ylabel(f"loss − f*, worst of the last tenth ({steps} steps)")
    ax.set_title("the lr sweep\n○ chosen, ▲ diverges or climbs")


def optimizer_race(*, steps=200, figsize=None):
    """PNG: five optimizers from the same five starts on Himmelblau, each at its own best lr
    from a sweep shown in the last panel. Where each ends is printed by ``gdsim tour``."""
    contenders = race(steps)
    colours = [plotting.color(i) for i in range(len(contenders))]
    fig, axes = plotting.subplots(2, 3, figsize=figsize or (13.0, 8.6))
    axes = axes.ravel()
    for ax, tuned, c in zip(axes, contenders.values(), colours):
        plotting.trajectories(tuned.run, ax=ax, colors=[c], legend=False)
        ax.set_title(tuned.label, color=c)
    _sweep_panel(axes[-1], contenders, colours)
    fig.suptitle(race_title(contenders))
    return plotting.legible(fig)


VALLEY_START = np.array([[-1.4, 2.2]])
VALLEY = {
    "SGD": (_sgd(), np.geomspace(1e-5, 1e-2, 13)),
    "Momentum (μ=0.9)": (_sgd(momentum=0.9), np.geomspace(1e-5, 1e-2, 13)),
    "Nesterov (μ=0.9)": (_sgd(momentum=0.9, nesterov=True), np.geomspace(1e-5, 1e-2, 13)),
    "RMSprop": (lambda lr: optimizers.RMSprop(lr=lr), np.geomspace(1e-4, 0.1, 13)),
    "Adam": (lambda lr: optimizers.Adam(lr=lr), np.geomspace(1e-3, 1.0, 13)),
    "Adagrad": (lambda lr: optimizers.Adagrad(lr=lr), np.geomspace(1e-2, 3.0, 13)),
}
NEAR_THE_MINIMUM = 0.5  # distance to Rosenbrock's minimum (1, 1) that counts as "there"


def valley_title(contenders):
    """Who got near Rosenbrock's minimum in time and who is still on the way, read off the runs."""
    there, crawling = [], []
    for name, tuned in contenders.items():
        end = tuned.run.final.reshape(-1, 2)[0]
        (there if np.hypot(*(end - [1.0, 1.0])) < NEAR_THE_MINIMUM else crawling).append(name)
    steps = next(iter(contenders.values())).run.steps
    first = f"Rosenbrock's valley, {steps} steps, each optimizer at its best lr"
    if not there:
        return f"{first}:\nnone is near the minimum (1, 1) yet"
    if not crawling:
        return f"{first}:\nall end near the minimum (1, 1)"
    return (
        f"{first}:\n{_names(there)} end near (1, 1); {_names(crawling)} "
        f"{'is' if len(crawling) == 1 else 'are'} still on the way"
    )


def _names(names):
    return listed(n.split(" (")[0] for n in names)


def valley_race(steps=400):
    """Six optimizers from one start down Rosenbrock's curved valley, each tuned by
    :func:`tune_lr` (so none diverges or climbs above its start). Returns ``{name: Tuned}``."""
    return {
        name: tune_lr("rosenbrock", make, VALLEY_START, steps, lrs, name)
        for name, (make, lrs) in VALLEY.items()
    }


def _told_apart(contenders, surface):
    """Legend labels, with a note where two runs end on top of each other."""
    surface = surfaces.as_surface(surface)
    (x0, x1), (y0, y1) = surface.bounds
    near = 0.02 * np.hypot(x1 - x0, y1 - y0)
    ends = {name: t.run.final.reshape(-1, 2)[0] for name, t in contenders.items()}
    labels = []
    for name, tuned in contenders.items():
        hidden = [
            other
            for other in ends
            if other != name
            and list(ends).index(other) > list(ends).index(name)
            and np.hypot(*(ends[other] - ends[name])) < near
        ]
        labels.append(tuned.label + (f"; ends under {', '.join(hidden)}" if hidden else ""))
    return labels


def optimizer_race_movie(*, steps=400, frames=160, fps=15, figsize=None):
    """GIF: six optimizers down Rosenbrock's valley from one start, each at its best lr, with
    the loss racing alongside."""
    contenders = valley_race(steps)
    runs = [t.run for t in contenders.values()]
    return animate(
        runs,
        frames=frames,
        fps=fps,
        labels=_told_apart(contenders, "rosenbrock"),
        panels=("loss",),
        title=valley_title(contenders),
        figsize=figsize or (13.0, 7.6),
    )


BASIN_LRS = (0.005, 0.017, 0.021, 0.023)
WHICH_LRS = BASIN_LRS


def _run_lrs(run):
    """The lrs a sweep ran, in its order (the tour's WHICH_LRS when it has no lr axis)."""
    return [float(v) for v in run.coords.get("lr", WHICH_LRS)]


def which_title(run):
    """What the which-minimum picture shows, read off its runs: the start picks the minimum, and
    from which lr each minimum no run settles in any more (where lr has passed its 2/λ)."""
    surface = run.surface
    lrs = _run_lrs(run)
    reached = run.reached.reshape(len(lrs), -1)
    lost = []
    for k, (x, y) in enumerate(surface.minima):
        kept = [(reached[i] == k).any() for i in range(len(lrs))]
        if kept[0] and not all(kept):
            first = kept.index(False)
            if not any(kept[first:]):
                lost.append(f"({x:.2f}, {y:.2f}) from lr {lrs[first]:g}")
    first = "The start decides the minimum (SGD on Himmelblau)"
    if lost:
        return f"{first};\nno run settles in " + " nor in ".join(lost)
    return first


def which_minimum_runs(steps=150, lrs=WHICH_LRS):
    """The same 25 starts on Himmelblau at each lr of ``lrs`` (one sweep)."""
    g = np.linspace(-4, 4, 5)
    starts = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    return sweep("himmelblau", optimizers.SGD, starts, steps, lr=list(lrs))


def which_minimum(run=None, *, steps=150, frames=100, fps=12, dpi=100, figsize=None):
    """GIF: 25 starts on Himmelblau at four lrs, each path coloured by the minimum it ends in.

    Pass the ``run`` (a sweep over lr) a lesson computed to draw it instead."""
    run = which_minimum_runs(steps) if run is None else run
    return animate(
        run,
        facet=True,
        color_by="minimum",
        frames=min(frames, run.positions.shape[0]),
        fps=fps,
        dpi=dpi,
        title=which_title(run),
        figsize=figsize,
    )


BASINS_TITLE = (
    "A minimum keeps its basin only while lr < 2/λ there (SGD on Himmelblau)\n"
    "λ: the sharpest curvature (largest Hessian eigenvalue) at that minimum\n"
    "black lines: sample runs"
)
LOST = 0.01  # a minimum holding less than this share of the starts has lost its basin


def basins_holds(basin_map):
    """True when every panel agrees with "a minimum keeps its basin only while lr < its limit":
    a minimum past its limit holds under ``LOST`` of the starts, one below it holds some."""
    for i in range(len(basin_map.cells)):
        limits, lr = basin_map.limits(i), basin_map.lr(i)
        if limits is None or lr is None:
            return False
        labels, _ = basin_map.cell(i)
        for k, limit in enumerate(limits):
            share = (labels == k).mean()
            if (lr > limit and share >= LOST) or (lr < limit and share == 0):
                return False
    return True


def basins_title(basin_map, samples=4):
    """:data:`BASINS_TITLE` when the map backs it (:func:`basins_holds`), a plain warning
    otherwise; "black lines" only when sample runs are drawn."""
    name = f"{type(basin_map.optimizer(0)).__name__} on {basin_map.surface.name.capitalize()}"
    if not basins_holds(basin_map):
        return f"Not every minimum keeps its basin exactly while lr < 2/λ there ({name})"
    title = BASINS_TITLE.replace("SGD on Himmelblau", name)
    return title if samples else title.replace("\nblack lines: sample runs", "")


def basins_by_lr(basin_map=None, *, grid=240, steps=200, samples=4, figsize=None):
    """PNG: basins of SGD on Himmelblau at four lrs, each minimum marked with its limit 2/λ.

    Pass the ``basin_map`` (``gdsim.basins`` over lr) a lesson computed to draw it instead."""
    if basin_map is None:
        basin_map = basins("himmelblau", optimizers.SGD(lr=0.01), grid, steps, lr=list(BASIN_LRS))
    figure = None
    n = len(basin_map.cells)
    if figsize is not None:
        rows, cols = plotting.panel_grid(n, figsize)
        figure, axes = plotting.subplots(rows, cols, figsize=figsize, squeeze=False)
        axes = list(axes.ravel())
        for extra in axes[n:]:
            extra.set_visible(False)
    drawn = plot_basins(basin_map, ax=None if figure is None else axes[:n], samples=samples)
    figure = drawn.axes[0].figure
    figure.suptitle(basins_title(basin_map, samples))
    return plotting.legible(figure)


def stability_rows(result):
    """Per momentum row of a stability map over (lr, momentum): the last lr tried below the
    first diverging one, the first diverging lr (NaN: none) and the theory's limit
    2(1 + μ)/L."""
    from gdsim.sim.maps import DIVERGED_CLASS

    x = np.asarray(result.x, dtype=float)
    diverged = result.classes == DIVERGED_CLASS
    first = diverged.argmax(axis=1)
    some = diverged.any(axis=1)
    found = np.where(some, x[first], np.nan)
    before = np.where(some & (first > 0), x[np.maximum(first - 1, 0)], np.nan)
    limits = result.limits()
    theory = None if limits is None else limits.min(axis=0)
    return before, found, theory


def stability_title(result):
    """ "Momentum lets larger steps stay stable, up to lr = 2(1 + μ)/L" when every row of the
    map diverges first within a grid step of that limit (and so later as μ grows)."""
    before, found, theory = stability_rows(result)
    if theory is not None and not np.isnan(found).any():
        stable_below = (found >= theory * 0.999).all()  # no row diverges below its limit
        near = before <= theory * 1.001  # ... and most diverge at the first lr tried past it
        if stable_below and near.mean() >= 0.9 and found[-1] > found[0]:
            return "Momentum lets larger steps stay stable, up to lr = 2(1 + μ)/L"
    if not np.isnan(found).any() and found[-1] > found[0]:
        return "Momentum lets larger steps stay stable"
    return "Where heavy-ball momentum stays stable, over lr and momentum"


def stability_map(result=None, *, steps=300, resolution=(120, 80), figsize=None):
    """PNG: heavy-ball momentum on the quadratic (L = 10) over lr and momentum, with the theory's
    limit lr < 2(1 + μ)/L on top.

    Pass the ``result`` (``gdsim.stability``) a lesson computed to draw it instead."""
    if result is None:
        nx, ny = resolution
        quadratic = surfaces.get("quadratic", condition=10)
        result = stability(
            quadratic,
            optimizers.SGD,
            steps,
            lr=np.geomspace(1e-3, 1.0, nx),
            momentum=np.linspace(0.0, 0.99, ny),
        )
    ax = None
    if figsize is not None:
        _, ax = plotting.subplots(figsize=figsize)
    drawn = plot_stability(result, ax=ax)
    drawn.ax.set_title("")
    drawn.ax.figure.suptitle(stability_title(result))
    return plotting.legible(drawn.ax.figure)


def schedules(*, steps=300, figsize=None):
    """PNG: every common learning-rate schedule, one panel each on the same axes."""
    drawn = plotting.schedule_gallery(steps=steps, figsize=figsize)
    return drawn.figure


CHANCE = 1 / 3  # the seed tutorial's blobs: three classes


def _jumps(experiment, key="val_accuracy"):
    """Per condition, the mean |change| of the seeds' mean ``key`` per epoch over the last half."""
    mean = experiment.mean(key)
    return np.abs(np.diff(mean[len(mean) // 2 :], axis=0)).mean(axis=0)


def lr_sweep_title(experiment, learned=0.7, near_chance=0.1):
    """What the lr sweep shows, read off its accuracies: which lrs learn (final test accuracy
    at least ``learned``), which one bounces most (by far the largest epoch-to-epoch jumps)
    and which stay near chance (within ``near_chance`` of 1/3)."""
    final, jumps = experiment.final("val_accuracy"), _jumps(experiment)
    labels = [label.removeprefix("lr=") for label in experiment.labels]
    parts = []
    good = [labels[c] for c in range(len(labels)) if final[c] >= learned]
    if good:
        parts.append(f"lr {_names(good)} {'learns' if len(good) == 1 else 'learn'}")
    loud = int(np.argmax(jumps))
    if len(jumps) > 2 and jumps[loud] > 2 * np.median(jumps) and final[loud] < learned:
        parts.append(f"lr {labels[loud]} bounces")
    stuck = [labels[c] for c in range(len(labels)) if final[c] < CHANCE + near_chance]
    if stuck:
        parts.append(f"{_names(stuck)} {'stays' if len(stuck) == 1 else 'stay'} near chance (1/3)")
    if not parts:
        return f"{experiment.title}: no lr reaches {learned:.0%} test accuracy"
    return "Plain SGD on the blobs network: " + ";\n".join(["; ".join(parts[:2])] + parts[2:])


def momentum_title(experiment, target=0.78, spread=0.03):
    """What the momentum sweep shows, read off its accuracies: how many epochs each momentum
    needs to reach ``target`` training accuracy, and whether they all end within ``spread``
    of the same test accuracy."""
    train = experiment.mean("accuracy")
    epochs = [
        int(np.flatnonzero(train[:, c] >= target)[0]) + 1 if (train[:, c] >= target).any() else None
        for c in range(len(experiment.values))
    ]
    final = experiment.final("val_accuracy")
    gap = final.max() - final.min()
    same = gap < spread
    tail = f"all end within {np.ceil(gap * 100) / 100:.2f} of the same test accuracy"
    reached = [c for c, e in enumerate(epochs) if e is not None]
    if not reached:
        return f"No momentum reaches {target:.0%} training accuracy in {len(train)} epochs"
    fastest = min(reached, key=lambda c: epochs[c])
    plain = experiment.values.index(0.0) if 0.0 in experiment.values else None
    if plain is not None and fastest != plain:
        without = (
            f"epoch {epochs[plain]}" if epochs[plain] is not None else f"not in {len(train)} epochs"
        )
        first = (
            f"Momentum buys speed: {target:.0%} training accuracy at {without} without it,\n"
            f"at epoch {epochs[fastest]} with {experiment.labels[fastest]}"
        )
        return first + (f"; {tail}" if same else "")
    return f"Momentum does not reach {target:.0%} training accuracy sooner here" + (
        f"; {tail}" if same else ""
    )


EXPERIMENT_TITLES = {"lr-sweep": lr_sweep_title, "momentum": momentum_title}


def experiment_title(name, experiment):
    """The title read off an experiment's results, or None for one without such a title. The
    adaptive, decay and patience titles live with lessons 4 and 5, which explain them."""
    from gdsim.teach.gallery import lesson04, lesson05

    titles = {
        **EXPERIMENT_TITLES,
        "adaptive": lesson04.adaptive_title,
        "decay": lesson05.decay_title,
        "plateau": lesson05.patience_experiment_title,
    }
    return titles[name](experiment) if name in titles else None


def experiment_figure(name, experiment=None, *, seeds=1, epochs=200, title=None, figsize=None):
    """The seed tutorial's experiment ``name`` as a Figure (see :mod:`gdsim.teach.experiments`);
    pass the ``experiment`` a lesson already ran to draw it without running it again. The title
    is ``title``, else the one :func:`experiment_title` reads off the results, else the
    experiment's own. The figure carries ``gdsim_figure = name`` like every gallery figure."""
    name = arguments.check_choice("figure", name, experiments.FIGURES)
    if experiment is None:
        experiment = experiments.FIGURES[name][0](seeds=seeds, epochs=epochs)
    figure = experiments.figure(
        name, seeds=seeds, epochs=epochs, figsize=figsize, experiment=experiment
    )
    if title is None:
        title = experiment_title(name, experiment)
    # what the titles measure against, drawn: chance for the lr sweep, the 78% the momentum
    # and adaptive titles count the epochs to
    guide = {"lr-sweep": (CHANCE, "chance (1/3)"), "momentum": (0.78, "78%")}.get(name)
    if name == "adaptive":
        guide = (0.78, "78%")
    if guide is not None:
        for ax in figure.axes:
            if ax.get_visible() and ax.has_data():
                ax.axhline(guide[0], color="#555555", ls=":", lw=1.2, zorder=1)
        visible = [ax for ax in figure.axes if ax.get_visible() and ax.has_data()]
        if visible:
            visible[0].annotate(
                guide[1],
                (0.0, guide[0]),
                xycoords=("axes fraction", "data"),
                xytext=(3, 2),
                textcoords="offset points",
                color="#555555",
                fontsize=plotting.FONT_SIZE - 2,
            )
    if title is not None:
        figure.suptitle(title)
    plotting.legible(figure)
    figure.gdsim_figure = name
    return figure


optimizer_race = register("optimizer-race", optimizer_race, quick={"steps": 60})
optimizer_race_movie = register(
    "optimizer-race-movie", optimizer_race_movie, quick={"steps": 60, "frames": 4}
)
which_minimum = register("which-minimum", which_minimum, quick={"steps": 40, "frames": 4})
basins_by_lr = register("basins-by-lr", basins_by_lr, quick={"grid": 40, "steps": 60, "samples": 2})
stability_map = register("stability", stability_map, quick={"steps": 40, "resolution": (16, 10)})
schedules = register("schedules", schedules, quick={"steps": 60})
for _name, (_experiment, _) in experiments.FIGURES.items():
    register(
        _name,
        functools.partial(experiment_figure, _name),
        "PNG, the seed tutorial's experiment: " + summary(_experiment),
        quick={"epochs": 3},
        section=__name__,
    )
del _name, _experiment
