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


# -- momentum and Nesterov -----------------------------------------------------------------------


def ravine_optimizers():
    """{label: optimizer}: plain GD at its lr, heavy ball and Nesterov at μ = 0.9."""
    return {
        f"SGD, lr={SGD_LR:g}": optimizers.SGD(lr=SGD_LR),
        f"momentum 0.9, lr={MOMENTUM_LR:g}": optimizers.SGD(lr=MOMENTUM_LR, momentum=0.9),
        f"Nesterov 0.9, lr={MOMENTUM_LR:g}": optimizers.SGD(
            lr=MOMENTUM_LR, momentum=0.9, nesterov=True
        ),
    }


def ravine_runs(steps=100):
    """The three optimizers of :func:`ravine_optimizers` from the lesson's start."""
    return [simulate(ravine(), opt, START, steps) for opt in ravine_optimizers().values()]


def _has_momentum(run):
    return float(run.optimizer.hyperparameters().get("momentum", 0.0)) > 0


def race_title(runs, labels):
    """Who ends lowest, and whether the momentum runs overshoot (cross the minimum along the
    valley) and which of them swings out least, read off the runs."""
    final = [float(r.final_loss.max()) for r in runs]
    short = [label.split()[0].rstrip(",") for label in labels]
    order = np.argsort(final)
    first = f"After {runs[0].steps} steps: " + ", ".join(
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
    names = " and ".join(short[i] for i in over)
    times = " and ".join(str(int(shots[i][0].max())) for i in over)
    second = f"{names} {'overshoot' if len(over) > 1 else 'overshoots'} the minimum ({times} times)"
    if len(over) > 1:
        least = min(over, key=lambda i: shots[i][1].max())
        rest = [least] + [i for i in over if i != least]
        by = " vs ".join(f"{shots[i][1].max():.2f}" for i in rest)
        second += f"; {short[least]} swings out least ({by})"
    return f"{first};\n{second}"


@figure("ravine-momentum-movie", quick={"steps": 12, "frames": 3})
def ravine_momentum_movie(
    runs=None, labels=None, *, steps=100, frames=60, fps=10, dpi=60, figsize=None
):
    """GIF, lesson 3: plain GD, heavy ball and Nesterov down the ravine, the gradient and the
    step taken drawn as arrows."""
    if runs is None:
        runs = ravine_runs(steps)
    labels = list(ravine_optimizers()) if labels is None else list(labels)
    movie = animate(
        runs,
        labels=labels,
        internals=True,
        frames=min(frames, runs[0].positions.shape[0]),
        fps=fps,
        dpi=dpi,
        panels=("loss",),
        title=race_title(runs, labels),
        figsize=figsize or (12.0, 6.8),
    )
    (gentle, steep), _ = _directions(runs[0].surface)
    movie.figure.axes[0].set_title(f"the ravine: curvature {gentle:g} along, L = {steep:g} across")
    return movie


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
