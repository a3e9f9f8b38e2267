"""The figures of lesson 10, Choosing a learning rate.

One function each, reachable as ``gdsim figure NAME``. Each takes the searches or runs the
lesson computed (``grid=``, ``rand=``, ``results=``, ``runs=``) and computes the lesson's own
when called alone; each title is read off the data by a ``*_title`` function the tests check.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from gdsim import datasets, optimizers, plotting, schedules, surfaces
from gdsim.plotting.animation import animate
from gdsim.sim.engine import simulate
from gdsim.teach import experiments
from gdsim.teach.gallery.base import figure
from gdsim.toolkit.search import grid_search, random_search

LAYERS = [2, 50, 3]
GRID_LRS = (3, 1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003)
TOLERANCE = 0.02  # val accuracy within this of the best counts as "the top of the hill"


# -- grid search ---------------------------------------------------------------------------------


def grid_run(*, epochs=50, seeds=3, lrs=GRID_LRS):
    """The lesson's grid search: the tutorial's network at each lr of ``lrs``, ``seeds`` seeds."""
    X_train, X_val, y_train, y_val = experiments.tutorial_data()
    return grid_search(
        optimizers.SGD,
        X_train,
        y_train,
        (X_val, y_val),
        layers=LAYERS,
        epochs=epochs,
        seeds=seeds,
        lr=list(lrs),
    )


def near_best(result, tolerance=TOLERANCE):
    """The lrs whose mean score is within ``tolerance`` of the best candidate's, sorted."""
    mean = result.mean()
    best = mean[result.best_index]
    if result.metric.endswith("accuracy"):
        close = mean >= best - tolerance
    else:
        close = mean <= best + tolerance
    return sorted(float(c["lr"]) for c, keep in zip(result.candidates, close) if keep)


def diagnoses(result):
    """The most common :func:`gdsim.diagnose` label of each candidate over its seeds (None when
    the search is too short to diagnose)."""
    from gdsim.toolkit.diagnosis import MIN_EPOCHS

    if len(result.history.epoch) < MIN_EPOCHS:
        return None
    labels = result.diagnose().labels
    return [Counter(row).most_common(1)[0][0] for row in labels.reshape(len(labels), -1)]


def hill_title(result, tolerance=TOLERANCE):
    """What the grid search shows: how wide the top of the hill is."""
    close = near_best(result, tolerance)
    best = result.best["lr"]
    if len(close) >= 2:
        return (
            f"A broad hill: every lr from {min(close):g} to {max(close):g} scores within "
            f"{tolerance:g} of the best (lr = {best:g});\nthe search finds a region, not a number"
        )
    return f"A sharp peak: only lr = {best:g} scores within {tolerance:g} of the best"


@figure("grid-search-hill", quick={"epochs": 6, "seeds": 2, "lrs": (1, 0.1, 0.01)})
def grid_search_hill(
    grid=None, *, epochs=50, seeds=3, lrs=GRID_LRS, tolerance=TOLERANCE, figsize=None
):
    """PNG, lesson 10: validation accuracy against lr from a grid search, its flat top shaded."""
    grid = grid_run(epochs=epochs, seeds=seeds, lrs=lrs) if grid is None else grid
    fig, ax = plotting.subplots(figsize=figsize or (10.0, 6.4))
    drawn = grid.plot(ax=ax)
    ax.get_legend().remove()
    ax.set_title(None)
    close = near_best(grid, tolerance)
    top = grid.mean()[grid.best_index]
    ax.axvspan(
        min(close) / 1.3,
        max(close) * 1.3,
        color="#E69F00",
        alpha=0.25,
        zorder=0,
        label=f"within {tolerance:g} of the best: lr {min(close):g} … {max(close):g}",
    )
    ax.axhline(top - tolerance, color="#777777", ls="--", lw=1.5, label=f"best − {tolerance:g}")
    labels = diagnoses(grid)
    if labels is not None:  # what lives at the hill's edges: the runs' diagnosis
        lr = np.array([c["lr"] for c in grid.candidates], dtype=float)
        mean = grid.mean()
        for k in np.flatnonzero([label != "healthy" for label in labels]):
            ax.annotate(
                labels[k],
                (lr[k], mean[k]),
                xytext=(10, -4),
                textcoords="offset points",
                ha="left",
                va="top",
                color=plotting.color(1),
            )
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(hill_title(grid, tolerance))
    drawn["figure"] = fig
    return plotting.legible(fig)


# -- random search -------------------------------------------------------------------------------


def random_run(*, epochs=50, seeds=3, n_candidates=16):
    """The lesson's random search: lr log-uniform in (1e-4, 3), momentum 0 or 0.9."""
    X_train, X_val, y_train, y_val = experiments.tutorial_data()
    return random_search(
        optimizers.SGD,
        X_train,
        y_train,
        (X_val, y_val),
        layers=LAYERS,
        epochs=epochs,
        seeds=seeds,
        n_candidates=n_candidates,
        seed=0,
        lr=(1e-4, 3.0),
        momentum=[0.0, 0.9],
    )


def best_by_momentum(result):
    """``{momentum: best lr}``: the best-scoring lr among each momentum's candidates."""
    mean = result.mean()
    scores = np.where(np.isfinite(mean), mean, -np.inf)
    best = {}
    for k, candidate in enumerate(result.candidates):
        mu = float(candidate["momentum"])
        if mu not in best or scores[k] > scores[best[mu]]:
            best[mu] = k
    return {mu: float(result.candidates[k]["lr"]) for mu, k in sorted(best.items())}


def random_title(result):
    """What the random search shows: how many distinct lrs it tried, and how far momentum
    moves the hill."""
    lrs = {float(c["lr"]) for c in result.candidates}
    first = f"Random search: {len(result.candidates)} candidates try {len(lrs)} distinct lrs"
    best = best_by_momentum(result)
    if 0.0 in best and len(best) == 2:
        mu = max(best)
        ratio = best[0.0] / best[mu]
        if ratio > 1:
            return (
                f"{first};\nwith momentum {mu:g} the best lr is {ratio:.0f}× smaller than "
                f"without: the hill moves left (1/(1 − μ) = {1 / (1 - mu):.0f})"
            )
        return f"{first};\nwith momentum {mu:g} the best lr is not smaller than without"
    return first


@figure("random-search-hills", quick={"epochs": 6, "seeds": 2, "n_candidates": 6})
def random_search_hills(rand=None, *, epochs=50, seeds=3, n_candidates=16, figsize=None):
    """PNG, lesson 10: a random search over lr and momentum, one hill per momentum."""
    if rand is None:
        rand = random_run(epochs=epochs, seeds=seeds, n_candidates=n_candidates)
    fig, ax = plotting.subplots(figsize=figsize or (10.0, 6.6))
    rand.plot(ax=ax)
    ax.get_legend().remove()
    ax.set_title(None)
    best = best_by_momentum(rand)
    if 0.0 in best and len(best) == 2:
        mu = max(best)
        ax.axvline(
            best[0.0] * (1 - mu),
            color=plotting.color(1),
            ls=":",
            lw=2,
            label=f"momentum=0's best lr × (1 − {mu:g}): the same effective step",
        )
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(random_title(rand))
    return plotting.legible(fig)


# -- the best lr depends on data, model and optimizer ---------------------------------------------

DEPENDS_LRS = tuple(np.logspace(-4, 0.5, 10))


def depends_settings():
    """The lesson's three questions, ``{question: {name: ((X_train, X_val, y_train, y_val),
    layers, make_optimizer)}}``: change the data, the model, the optimizer, one at a time."""
    split = datasets.train_test_split
    blobs = experiments.tutorial_data()
    moons = split(*datasets.moons(1000, noise=0.2, seed=0), test_size=0.5, seed=0)
    spirals = split(*datasets.spirals(1000, n_classes=3, noise=0.2, seed=0), test_size=0.5, seed=0)
    data = {"blobs (tutorial)": (blobs, 3), "moons": (moons, 2), "spirals": (spirals, 3)}
    return {
        "data (SGD, 2-50-k)": {
            name: (d, [2, 50, k], optimizers.SGD) for name, (d, k) in data.items()
        },
        "model (SGD, spirals)": {
            f"{layers}": (spirals, layers, optimizers.SGD)
            for layers in ([2, 8, 3], [2, 50, 3], [2, 64, 64, 3])
        },
        "optimizer (blobs, 2-50-3)": {
            "SGD": (blobs, [2, 50, 3], optimizers.SGD),
            "SGD + momentum 0.9": (
                blobs,
                [2, 50, 3],
                lambda lr: optimizers.SGD(lr=lr, momentum=0.9),
            ),
            "Adam": (blobs, [2, 50, 3], optimizers.Adam),
        },
    }


def depends_runs(*, epochs=50, seeds=2, lrs=DEPENDS_LRS):
    """``{question: {name: SearchResult}}``: a grid search of every setting of
    :func:`depends_settings`."""
    return {
        question: {
            name: grid_search(
                make, Xt, yt, (Xv, yv), layers=layers, epochs=epochs, seeds=seeds, lr=list(lrs)
            )
            for name, ((Xt, Xv, yt, yv), layers, make) in settings.items()
        }
        for question, settings in depends_settings().items()
    }


def spread(results):
    """``{question: largest best lr / smallest best lr}`` within each panel."""
    out = {}
    for question, searches in results.items():
        best = [r.best["lr"] for r in searches.values()]
        out[question] = max(best) / min(best)
    return out


def depends_title(results):
    """How far the best lr moves when one thing changes (the largest ratio within a panel)."""
    ratios = spread(results)
    moved = [q.split(" (")[0] for q, r in ratios.items() if r > 1.5]
    if not moved:
        return "The best lr hardly moves with these changes of data, model and optimizer"
    widest = max(ratios.values())
    what = moved[0] if len(moved) == 1 else ", ".join(moved[:-1]) + " and " + moved[-1]
    return f"Changing the {what} moves the best lr, by up to {widest:.0f}×: search again"


@figure("best-lr-depends", quick={"epochs": 3, "seeds": 1, "lrs": (1e-3, 0.1, 1.0)})
def best_lr_depends(results=None, *, epochs=50, seeds=2, lrs=DEPENDS_LRS, figsize=None):
    """PNG, lesson 10: the best lr of grid searches changing the data, the model, the optimizer."""
    results = depends_runs(epochs=epochs, seeds=seeds, lrs=lrs) if results is None else results
    fig, axes = plotting.subplots(1, len(results), figsize=figsize or (14.0, 6.4), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (question, searches) in zip(axes, results.items()):
        for k, (name, result) in enumerate(searches.items()):
            c = plotting.color(k)
            lr = np.array([cand["lr"] for cand in result.candidates], dtype=float)
            order = np.argsort(lr)
            mean, std = result.mean()[order], result.std()[order]
            ax.errorbar(
                lr[order],
                mean,
                yerr=std,
                color=c,
                marker="o",
                ms=5,
                capsize=3,
                label=f"{name}: best lr {result.best['lr']:.2g}",
            )
            ax.plot(
                result.best["lr"],
                result.mean()[result.best_index],
                "*",
                ms=18,
                color=c,
                mec="black",
                zorder=5,
            )
        ax.set(xscale="log", xlabel="learning rate", title=f"change the {question.split(' (')[0]}")
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            frameon=False,
            title=question.split(" (")[1].rstrip(")"),
        )
    epochs_run = next(iter(next(iter(results.values())).values())).history.params.get("epochs")
    axes[0].set_ylabel(f"val accuracy after {epochs_run} epochs")
    n_seeds = next(iter(next(iter(results.values())).values())).n_seeds
    note = f"(★ each search's best; bars: ± std over {n_seeds} seeds)"
    fig.suptitle(depends_title(results) + "\n" + note)
    return plotting.legible(fig)


# -- saddle points -------------------------------------------------------------------------------

OFFSETS = (1e-1, 1e-3, 1e-5, 1e-7, 1e-9)
SADDLE_START_Y = 1.4
SADDLE_LR = 0.1
ESCAPED = 0.5  # |x| beyond which a run has left the saddle


def saddle_runs(*, steps=250, offsets=OFFSETS, lr=SADDLE_LR):
    """Plain GD on the saddle surface from ``(x0, 1.4)`` for every offset ``x0``."""
    saddle = surfaces.get("saddle")
    return [
        simulate(saddle, optimizers.SGD(lr=lr), [[x0, SADDLE_START_Y]], steps) for x0 in offsets
    ]


def escape_step(run, threshold=ESCAPED):
    """The first step at which ``|x| > threshold``, or None if the run never leaves."""
    out = np.abs(run.positions[:, 0, 0]) > threshold
    return int(np.argmax(out)) if out.any() else None


def predicted_escape(x0, lr, threshold=ESCAPED):
    """``log(threshold/x0)/log(1 + lr)``: the saddle's unstable direction (curvature −1 at the
    origin) multiplies x by ``1 + lr`` per step."""
    return float(np.log(threshold / abs(x0)) / np.log1p(lr))


def saddle_title(runs):
    """How many steps each factor of 100 closer to the ridge costs, read off the runs, next to
    the prediction log(100)/log(1 + lr)."""
    x0 = np.array([abs(r.positions[0, 0, 0]) for r in runs])
    steps = [escape_step(r) for r in runs]
    left = [k for k, s in enumerate(steps) if s is not None]
    lr = runs[0].optimizer.hyperparameters()["lr"]
    if len(left) < 2:
        return (
            f"Starts near the ridge x = 0 stall at the saddle: {len(left)} of {len(runs)} "
            f"leave within {runs[0].steps} steps"
        )
    per_decade = np.polyfit(-np.log10(x0[left]), np.array(steps, dtype=float)[left], 1)[0]
    return (
        f"Each start 100× closer to the ridge stalls ~{2 * per_decade:.0f} steps longer at the "
        f"saddle\n(predicted: log(100)/log(1 + lr) = {np.log(100) / np.log1p(lr):.0f} steps; "
        "dashed: each run's predicted escape)"
    )


@figure("saddle-escape", quick={"steps": 60, "frames": 4})
def saddle_escape(runs=None, *, steps=250, frames=60, fps=12, dpi=100, figsize=None):
    """GIF, lesson 10: GD leaving a saddle from starts ever closer to its ridge, loss alongside."""
    runs = saddle_runs(steps=steps) if runs is None else runs
    lr = runs[0].optimizer.hyperparameters()["lr"]
    labels = []
    for r in runs:
        left = escape_step(r)
        x0 = r.positions[0, 0, 0]
        labels.append(
            f"x0 = {x0:.0e}: "
            + (f"leaves at step {left}" if left is not None else "still at the saddle")
        )
    anim = animate(
        runs,
        labels=labels,
        frames=frames,
        fps=fps,
        dpi=dpi,
        panels=("loss",),
        title=saddle_title(runs),
        figsize=figsize or (12.0, 7.0),
    )
    loss_ax = anim.scene.sides["loss"]
    for k, r in enumerate(runs):
        expected = predicted_escape(r.positions[0, 0, 0], lr)
        if expected <= r.steps:
            loss_ax.axvline(expected, color=plotting.color(k), ls="--", lw=1.5, alpha=0.9)
    plotting.legible(anim.figure)
    return anim


# -- plateaus ------------------------------------------------------------------------------------


def plateau_rates():
    """The lesson's five learning rates: three constants, a decay and a cycle."""
    return {
        "constant 0.5": 0.5,
        "constant 1": 1.0,
        "constant 5": 5.0,
        "exponential from 5 (×0.98 per step)": schedules.exponential(5.0, gamma=0.98),
        "cyclic 0.1 ↔ 5, halving (triangular2)": schedules.cyclic(
            0.1, 5.0, step_size_up=20, mode="triangular2"
        ),
    }


PLATEAU_START = [[-1.0, 0.0]]
CROSSED = 1.0  # x beyond which a run has crossed the plateau


def plateau_runs(*, steps=200, rates=None):
    """Plain GD on the plateau surface from (−1, 0), one run per lr of ``rates``."""
    rates = plateau_rates() if rates is None else rates
    plateau = surfaces.get("plateau")
    return [simulate(plateau, optimizers.SGD(lr=lr), PLATEAU_START, steps) for lr in rates.values()]


def crossing_step(run, threshold=CROSSED):
    """The first step with ``x > threshold``, or None."""
    past = run.positions[:, 0, 0] > threshold
    return int(np.argmax(past)) if past.any() else None


def settled(run):
    return bool(run.reached[0] >= 0)


def plateau_title(runs, rates):
    """Whether the changing lrs do what the fastest constant one does not: cross and settle."""
    constant = [not callable(v) for v in rates.values()]
    cross = [crossing_step(r) for r in runs]
    ok = [settled(r) for r in runs]
    crossed = [k for k, c in enumerate(cross) if c is not None]
    if not crossed:
        return f"Crossing a plateau ({runs[0].steps} steps): no lr gets across"
    fastest = min(crossed, key=lambda k: cross[k])
    changing = [k for k, c in enumerate(constant) if not c]
    if (
        constant[fastest]
        and not ok[fastest]
        and changing
        and all(cross[k] is not None and ok[k] for k in changing)
    ):
        steps = " and ".join(str(cross[k]) for k in sorted(changing, key=lambda k: cross[k]))
        return (
            f"A large constant lr crosses the plateau first (step {cross[fastest]}) but is "
            "thrown past the minimum;\nthe schedules are large only for a while: they cross at "
            f"step {steps} and settle"
        )
    return (
        f"Crossing a plateau ({runs[0].steps} steps): {sum(ok)} of {len(runs)} lrs settle in "
        "the minimum"
    )


@figure("plateau-lr-schedules", quick={"steps": 60, "frames": 4})
def plateau_lr_schedules(
    runs=None, rates=None, *, steps=200, frames=60, fps=12, dpi=100, figsize=None
):
    """GIF, lesson 10: constant, decaying and cyclic lrs crossing a plateau, loss and lr beside."""
    rates = plateau_rates() if rates is None else rates
    runs = plateau_runs(steps=steps, rates=rates) if runs is None else runs
    labels = []
    for name, r in zip(rates, runs):
        c = crossing_step(r)
        across = f"across at step {c}" if c is not None else "never across"
        labels.append(f"{name}: {across}, " + ("settles" if settled(r) else "does not settle"))
    anim = animate(
        runs,
        labels=labels,
        frames=frames,
        fps=fps,
        dpi=dpi,
        title=plateau_title(runs, rates),
        figsize=figsize or (12.5, 7.6),
    )
    main = anim.scene.mains[0]
    main.axvline(CROSSED, color="black", ls=":", lw=1.5)
    main.annotate(
        f"x = {CROSSED:g}: across",
        (CROSSED, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -4),
        textcoords="offset points",
        va="top",
    )
    plotting.legible(anim.figure)
    return anim
