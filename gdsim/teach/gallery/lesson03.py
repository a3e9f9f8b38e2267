"""The figures of lesson 3, Momentum and Nesterov.

One function each, reachable as ``gdsim figure NAME``. Each takes the runs the lesson computed
(``run=``, ``runs=``) and computes the lesson's own when called alone; each title is read off the
data by a ``*_title`` function the tests check. The stability map over lr and momentum and the
tutorial's momentum experiment are the tour's :func:`~.headline.stability_map` and
``experiment_figure("momentum", ...)``, drawn from the lesson's own results.
"""

from __future__ import annotations

import numpy as np

from gdsim import optimizers, plotting, surfaces
from gdsim.plotting.animation import animate
from gdsim.sim.engine import simulate
from gdsim.sim.sweep import sweep
from gdsim.teach.gallery.base import figure
from gdsim.teach.gallery.headline import _sgd, _sweep_panel, _told_apart, end_gap, tune_lr
from gdsim.teach.gallery.lesson01 import zig_zags

START = [[-1.8, 1.0]]
SGD_LR = 0.035
MOMENTUM_LR = 0.01
SPIRAL_MOMENTA = (0.5, 0.9, 0.97)
RISING = 0.1  # a loss that rises at more than this share of its steps is "not monotone"


def ravine():
    """The lesson's ravine: a quadratic 50 times steeper across than along, tilted by 30°."""
    return surfaces.get("quadratic", condition=50, angle=30)


def _directions(surface):
    """(curvatures, eigenvectors as columns) of the Hessian at the minimum, gentlest first."""
    return np.linalg.eigh(surfaces.as_surface(surface).hessian(surface.minima[:1])[0])


def along(run, i=None):
    """Each path's coordinate along the ravine's gentle direction, measured from the minimum:
    ``(T, n)`` over every start of every cell (or of cell ``i`` of :func:`plotting.groups`)."""
    _, vectors = _directions(run.surface)
    positions = run.positions.reshape(run.positions.shape[0], -1, 2)
    if i is not None:
        positions = plotting.groups(run)[i].positions
    return (positions - run.surface.minima[0]) @ vectors[:, 0]


def overshoots(coordinate):
    """How often each path crosses the minimum along the gentle direction, and its largest
    distance past it after the first crossing (0 when it never crosses)."""
    signs = np.sign(coordinate)
    crossings = (np.diff(signs, axis=0) * signs[:-1] < 0).sum(axis=0)
    past = []
    for j in range(coordinate.shape[1]):
        changed = np.flatnonzero(signs[1:, j] * signs[0, j] < 0)
        past.append(np.abs(coordinate[changed[0] + 1 :, j]).max() if changed.size else 0.0)
    return crossings, np.array(past)


# -- a ravine ------------------------------------------------------------------------------------


def sgd_run(steps=100, lr=SGD_LR):
    """Plain gradient descent down the ravine from the lesson's start."""
    return simulate(ravine(), optimizers.SGD(lr=lr), START, steps)


def ravine_title(run):
    """What plain GD does in the ravine, read off its run: whether it zig-zags, where it
    ended, and the two shrink factors per step that explain it."""
    (gentle, steep), _ = _directions(run.surface)
    lr = float(run.optimizer.hyperparameters()["lr"])
    zig = bool(zig_zags(run.positions.reshape(run.positions.shape[0], -1, 2), run.surface).all())
    first = f"Plain GD at lr = {lr:g} (< 2/L = {2 / steep:.3g}) " + (
        "bounces from wall to wall" if zig else "does not bounce"
    )
    return (
        f"{first} while it creeps along the ravine:\n"
        f"per step the steep direction shrinks by |1 − lr·L| = {abs(1 - lr * steep):.3g}, "
        f"the gentle one only by |1 − lr·{gentle:g}| = {abs(1 - lr * gentle):.3g}"
    )


@figure("ravine-sgd", quick={"steps": 20})
def ravine_sgd(run=None, *, steps=100, figsize=None):
    """PNG, lesson 3: plain gradient descent zig-zagging down a ravine (condition 50)."""
    run = sgd_run(steps) if run is None else run
    _, ax = plotting.subplots(figsize=figsize or (11.0, 6.4))
    plotting.trajectories(run, ax=ax, legend=True, labels=[run.optimizer.label()])
    ax.set_title("")
    ax.figure.suptitle(ravine_title(run))
    return plotting.legible(ax.figure)


# -- momentum and Nesterov: a fair race ---------------------------------------------------------


RACE = {  # name: the optimizer at a given lr
    "SGD": _sgd(),
    "momentum (μ=0.9)": _sgd(momentum=0.9),
    "Nesterov (μ=0.9)": _sgd(momentum=0.9, nesterov=True),
}
RACE_LRS = np.geomspace(1e-3, 0.1, 24)  # the lrs tried for each: SGD's limit 2/L = 0.04 inside


def ravine_race(steps=100, lrs=RACE_LRS):
    """``{name: Tuned}``: plain GD, heavy ball and Nesterov (μ = 0.9) down the ravine from the
    lesson's start, each at its own best lr of ``lrs`` (:func:`~.headline.tune_lr`: the lowest
    loss over the run's last tenth among the lrs that neither diverge nor climb above the
    start)."""
    return {name: tune_lr(ravine(), make, START, steps, lrs, name) for name, make in RACE.items()}


def _has_momentum(run):
    return float(run.optimizer.hyperparameters().get("momentum", 0.0)) > 0


def _short(name):
    return name.split(" (")[0]


def race_title(race):
    """Who ends lowest with each optimizer at its best lr, and whether the momentum runs
    overshoot (cross the minimum along the valley), read off the tuned runs."""
    names = list(race)
    runs = [race[name].run for name in names]
    short = [_short(name) for name in names]
    # the worst of the last tenth, as the race was scored: a bouncing run's lucky low step
    # must not rank it
    final = [float(end_gap(r.losses.reshape(len(r.losses), -1))) for r in runs]
    tail = max(5, len(runs[0].losses) // 10)
    order = np.argsort(final)
    first = f"Each at its best lr, worst of its last {tail} steps: " + ", ".join(
        f"{short[i]} at loss {final[i]:.1e}" if k == 0 else f"{short[i]} {final[i]:.1e}"
        for k, i in enumerate(order)
    )
    moving = [i for i, r in enumerate(runs) if _has_momentum(r)]
    if not moving:
        return first
    shots = {i: overshoots(along(runs[i])) for i in moving}
    over = [i for i in moving if shots[i][0].max() > 0]
    if not over:
        return f"{first};\nno momentum run overshoots the minimum"
    who = " and ".join(short[i] for i in over)
    times = " and ".join(str(int(shots[i][0].max())) for i in over)
    second = f"{who} {'overshoot' if len(over) > 1 else 'overshoots'} the minimum ({times} times)"
    return f"{first};\n{second}"


@figure("ravine-momentum-movie", quick={"steps": 12, "frames": 3})
def ravine_momentum_movie(race=None, *, steps=100, frames=60, fps=10, dpi=60, figsize=None):
    """GIF, lesson 3: plain GD, heavy ball and Nesterov down the ravine, each at its best lr
    (the sweep is ``ravine-momentum-sweep``), the gradient and the step taken drawn as arrows.

    Pass the ``race`` (:func:`ravine_race`) the lesson computed to draw it instead."""
    race = ravine_race(steps) if race is None else race
    runs = [t.run for t in race.values()]
    movie = animate(
        runs,
        labels=[t.label for t in race.values()],
        internals=True,
        frames=min(frames, runs[0].positions.shape[0]),
        fps=fps,
        dpi=dpi,
        panels=("loss",),
        title=race_title(race),
        figsize=figsize or (12.0, 6.8),
    )
    (gentle, steep), _ = _directions(runs[0].surface)
    note = ends_note(race)
    movie.figure.axes[0].set_title(
        f"the ravine: curvature {gentle:g} along, L = {steep:g} across"
        + (f"\n{note}" if note else ""),
        pad=12,
    )
    return movie


def ends_note(race):
    """A note naming the runs that end on top of each other (within 2% of the picture's
    diagonal, as :func:`~.headline._told_apart` counts them), or "" when every end shows."""
    noted = _told_apart(race, next(iter(race.values())).run.surface)
    together = [_short(name) for name, label in zip(race, noted) if "; ends under" in label]
    for label in noted:
        if "; ends under" in label:
            together += [_short(n) for n in label.split("; ends under ")[1].split(", ")]
    together = [n for n in dict.fromkeys(together)]
    if not together:
        return ""
    if len(together) == len(race):
        return f"all {len(race)} end on top of each other"
    return f"{' and '.join(together)} end on top of each other"


def limits(surface, momentum=0.9):
    """The largest stable lr on a quadratic of sharpest curvature L: plain GD 2/L, the heavy
    ball 2(1 + μ)/L, Nesterov 2(1 + μ)/((1 + 2μ)L), by the race's names."""
    steep = _directions(surface)[0][-1]
    return {
        "SGD": 2 / steep,
        "momentum (μ=0.9)": 2 * (1 + momentum) / steep,
        "Nesterov (μ=0.9)": 2 * (1 + momentum) / ((1 + 2 * momentum) * steep),
    }


def sweep_title(race):
    """Where each optimizer's chosen lr sits against its stability limit, read off the sweep:
    just under it (within 20%), below it, or (never for a stable pick on a quadratic) above."""
    first = next(iter(race.values()))
    limit = limits(first.run.surface)

    def where(name):
        lr, top = race[name].lr, limit[name]
        return "above" if lr >= top else "just under" if lr >= 0.8 * top else "well below"

    head = f"The race's lrs, each the best of {len(first.lrs)} after {first.run.steps} steps:\n"
    groups = {}
    for name in race:
        groups.setdefault(where(name), []).append(name)
    parts = []
    for relation, names in groups.items():
        lrs = " and ".join(f"{_short(n)}'s, {race[n].lr:.2g}," for n in names)
        its = "its limit" if len(names) == 1 else "their limits"
        if len(names) == 1 and _short(names[0]) == "SGD":
            its = f"its limit 2/L = {limit[names[0]]:.2g}"
        parts.append(f"{lrs} {'sits' if len(names) == 1 else 'sit'} {relation} {its}")
    return head + ";\n".join(parts)


def sweep_panel(ax, race, colours):
    """:func:`~.headline._sweep_panel` with each contender's ▲ (an lr that diverges or climbs)
    on its own row, so that none hides another's, and the loss axis cut to the data. A curve
    that a later one covers (within 25% at most of the lrs both keep) is drawn broad and pale
    beneath it; returns a note naming those, "" when there are none."""
    _sweep_panel(ax, race, colours)
    lines = ax.get_lines()  # three per contender: the curve, its ▲, its chosen ○
    top = 1e4
    for k in range(len(race)):
        triangles = lines[3 * k + 1]
        triangles.set_ydata(np.full(len(triangles.get_xdata()), top / 8.0**k))
    kept = [t.scores[t.eligible] for t in race.values() if t.eligible.any()]
    low = max(min(float(np.maximum(k, 1e-16).min()) for k in kept) / 30, 1e-17)
    ax.set_ylim(low, top * 30)
    names, tuned = list(race), list(race.values())
    covered = []
    for i in range(len(tuned)):
        over = []
        for j in range(i + 1, len(tuned)):
            both = tuned[i].eligible & tuned[j].eligible
            a, b = (np.maximum(t.scores[both], 1e-16) for t in (tuned[i], tuned[j]))
            if both.sum() >= 2 and (np.abs(np.log(a / b)) < np.log(1.25)).mean() > 0.5:
                over.append(_short(names[j]))
        if over:
            lines[3 * i].set(lw=7, alpha=0.45)
            under = " and ".join(f"{name}'s" for name in over)
            covered.append(f"{_short(names[i])}'s curve (broad) runs\nunder {under}")
    return ";\n".join(covered)


@figure("ravine-momentum-sweep", quick={"steps": 12})
def ravine_momentum_sweep(race=None, *, steps=100, figsize=None):
    """PNG, lesson 3: the lr sweep behind ``ravine-momentum-movie``: each optimizer's loss after
    the race against lr, its chosen lr ringed and its stability limit dashed."""
    race = ravine_race(steps) if race is None else race
    colours = [plotting.color(i) for i in range(len(race))]
    fig, ax = plotting.subplots(figsize=figsize or (11.0, 6.4))
    note = sweep_panel(ax, race, colours)
    if note:
        ax.set_title(f"{ax.get_title()}\n{note}")
    limit = limits(next(iter(race.values())).run.surface)
    for (name, tuned), c in zip(race.items(), colours):
        ax.plot([], [], "-o", color=c, ms=4, label=tuned.label)
        ax.axvline(limit[name], color=c, ls="--", lw=1.4)
    ax.plot([], [], "--", color="black", lw=1.4, label="each one's stability limit")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(sweep_title(race))
    return plotting.legible(fig)


# -- too much momentum ---------------------------------------------------------------------------


def spiral_runs(steps=150, momenta=SPIRAL_MOMENTA):
    """The heavy ball at lr 0.01 and each momentum of ``momenta`` down the ravine (one sweep)."""
    return sweep(ravine(), optimizers.SGD, START, steps, lr=[MOMENTUM_LR], momentum=list(momenta))


def rising(run):
    """Per sweep cell, the share of steps at which the loss rose (any start)."""
    return np.array(
        [(np.diff(group.losses, axis=0) > 0).any(axis=1).mean() for group in plotting.groups(run)]
    )


def overshoot_title(run):
    """Which momenta overshoot (cross the minimum along the valley) with a loss that is no
    longer monotone, and which descend without passing it, read off the sweep."""
    groups = plotting.groups(run)
    names = [f"{float(g.optimizer.hyperparameters()['momentum']):g}" for g in groups]
    shares = rising(run)
    crossings = [int(overshoots(along(run, i))[0].max()) for i in range(len(groups))]
    wild = [i for i in range(len(groups)) if crossings[i] > 0 and shares[i] > RISING]
    calm = [i for i in range(len(groups)) if crossings[i] == 0]
    parts = []
    if wild:
        times = " and ".join(str(crossings[i]) for i in wild)
        parts.append(
            f"μ = {' and '.join(names[i] for i in wild)} pass the minimum {times} times "
            "and the loss rises and falls"
            if len(wild) > 1
            else f"μ = {names[wild[0]]} passes the minimum {times} times and its loss rises "
            "and falls"
        )
    if calm:
        parts.append(f"μ = {' and '.join(names[i] for i in calm)} never passes it")
    if not wild:
        return "No momentum here overshoots with a rising loss;\n" + "; ".join(parts)
    return "Too much momentum overshoots:\n" + "; ".join(parts)


@figure("momentum-overshoot", quick={"steps": 30})
def momentum_overshoot(run=None, *, steps=150, figsize=None):
    """PNG, lesson 3: the heavy ball at three momenta down the ravine, paths and losses: too
    much momentum overshoots."""
    run = spiral_runs(steps) if run is None else run
    _, axes = plotting.subplots(1, 2, figsize=figsize or (12.0, 5.6))
    plotting.trajectories(run, ax=axes[0], legend=False)
    plotting.losses(run, ax=axes[1], legend=False)
    axes[0].set_title("paths (○ start, ● end)")
    axes[1].set_title("loss")
    axes[0].figure.legend(
        *axes[1].get_legend_handles_labels(),
        loc="outside lower center",
        ncols=len(plotting.groups(run)),
        frameon=False,
    )
    axes[0].figure.suptitle(overshoot_title(run))
    return plotting.legible(axes[0].figure)
