"""The figures of lesson 5, Learning-rate schedules.

One function each, reachable as ``gdsim figure NAME``. Each takes the data the lesson computed
(``candidates=``, ``runs=`` with their ``labels=``) and computes the lesson's own when called
alone; each title is read off the data by a ``*_title`` function the tests check. The
tutorial's experiments are the headline figures ``decay`` and ``plateau``
(``gallery.experiment_figure("decay", experiment)``).
"""

from __future__ import annotations

import numpy as np

from gdsim import optimizers, plotting, surfaces
from gdsim import schedules as S
from gdsim.plotting.animation import animate
from gdsim.plotting.curves import schedule_values
from gdsim.schedules.plateau import ReduceLROnPlateau
from gdsim.sim import simulate
from gdsim.teach.gallery.base import figure, listed, short_e

START = [-1.9, 1.5]
STEPS = 200
NOISE = 0.5  # the standard deviation of the noise added to every gradient
LR = 0.15
PATIENCES = (5, 20, 60)
KERAS_DECAYS = (1e-1, 1e-2, 1e-3, 1e-4)


def bowl():
    """The lesson's test bed: ½(x² + 10y²), the bowl of lesson 1."""
    return surfaces.get("quadratic", condition=10)


def candidates(steps=STEPS):
    """The lesson's schedules, all starting at 0.15, by their legend labels."""
    return {
        "constant 0.15": S.constant(LR),
        "step (×0.3 every 50)": S.step(LR, step_size=50, gamma=0.3),
        "time decay (d=0.05)": S.time_decay(LR, decay=0.05),
        "exponential (γ=0.98)": S.exponential(LR, gamma=0.98),
        "cosine (T=200)": S.cosine(LR, T_max=steps),
    }


def _short(label):
    return label.split(" (")[0]


def _legend_beside(ax):
    """The legend to the right of the axes, where it hides no curve."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)


# -- the schedules themselves ---------------------------------------------------------------------


def schedules_title(schedules, steps):
    """Where the decaying schedules end after ``steps`` steps, lowest and highest, and which
    stay constant."""
    last = {name: schedule_values(s, steps)[0] for name, s in schedules.items()}
    flat = [name for name, v in last.items() if np.ptp(v) == 0]
    decaying = {name: v[-1] for name, v in last.items() if name not in flat}
    if not decaying:
        return f"Every schedule keeps its lr for all {steps} steps"
    low, high = min(decaying, key=decaying.get), max(decaying, key=decaying.get)
    start = {float(last[name][0]) for name in decaying}
    origin = f" from {start.pop():g}" if len(start) == 1 else ""
    count = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}.get(len(decaying), str(len(decaying)))
    first = (
        f"{count} decays{origin}: at step {steps - 1} the lr ranges from "
        f"{short_e(decaying[low])} ({_short(low)}) to {decaying[high]:.2g} ({_short(high)})"
    )
    if not flat:
        return first
    kept = sorted({float(last[name][-1]) for name in flat})
    if len(flat) == 1:
        return first + f";\nthe constant one stays at {kept[0]:g}"
    at = f"{kept[0]:g}" if len(kept) == 1 else listed([f"{k:g}" for k in kept])
    return first + f";\n{listed(flat)} stay at {at}"


@figure("decay-schedules", quick={"steps": 40})
def decay_schedules(schedules=None, *, steps=STEPS, figsize=None):
    """PNG, lesson 5: four decays and a constant lr against the step, on a log axis."""
    schedules = candidates(steps) if schedules is None else schedules
    fig, ax = plotting.subplots(figsize=figsize or (10.0, 5.2))
    plotting.schedules(schedules, steps, ax=ax, log=True, legend=False)
    _legend_beside(ax)
    ax.grid(alpha=0.3)
    fig.suptitle(schedules_title(schedules, steps))
    return plotting.legible(fig)


# -- noisy gradients: clouds ----------------------------------------------------------------------


def cloud_runs(n=30, steps=STEPS, seed=0):
    """``(runs, labels)``: ``n`` noisy copies of one start at a large and a small constant lr
    and a cosine decay from the large one."""
    three = {
        "constant 0.15": LR,
        "constant 0.01": 0.01,
        "cosine from 0.15": S.cosine(LR, T_max=steps),
    }
    starts = np.tile([START], (n, 1))
    runs = [
        simulate(bowl(), optimizers.SGD(lr=lr), starts, steps, noise=NOISE, seed=seed)
        for lr in three.values()
    ]
    return runs, list(three)


def cloud(run):
    """``(spread, offset)`` of the final positions: their mean distance to their own centre,
    and how far that centre is from the minimum."""
    final = run.final.reshape(-1, 2)
    centre = final.mean(axis=0)
    spread = float(np.hypot(*(final - centre).T).mean())
    offset = float(np.hypot(*(centre - run.surface.minima[0])))
    return spread, offset


def cloud_words(runs):
    """One phrase per run: "has not arrived" (its cloud's centre is further from the minimum
    than the cloud is wide), else "bounces in a wide cloud" (more than twice as wide as the
    tightest arrived cloud) or "ends in a tight cloud at the minimum"."""
    measured = [cloud(run) for run in runs]
    arrived = [spread for spread, offset in measured if offset <= spread]
    tightest = min(arrived, default=np.inf)
    words = []
    for spread, offset in measured:
        if offset > spread:
            words.append("has not arrived")
        elif spread > 2 * tightest:
            words.append("bounces in a wide cloud")
        else:
            words.append("ends in a tight cloud at the minimum")
    return words


def cloud_title(runs, labels):
    """Each run's cloud in words (:func:`cloud_words`)."""
    n = runs[0].final.reshape(-1, 2).shape[0]
    parts = [f"{label} {word}" for label, word in zip(labels, cloud_words(runs))]
    return f"Noisy gradients, {n} runs each, {runs[0].steps} steps:\n" + ", ".join(parts)


def _cloud_labels(runs, labels):
    return [
        f"{label}\nspread {spread:.2f}, {offset:.2f} off the minimum"
        for label, (spread, offset) in zip(labels, map(cloud, runs))
    ]


@figure("noisy-clouds-movie", quick={"n": 5, "steps": 10, "frames": 3})
def noisy_clouds_movie(
    runs=None, labels=None, *, n=30, steps=STEPS, frames=60, fps=12, dpi=55, trail=3, figsize=None
):
    """GIF, lesson 5: 30 noisy runs at a large, a small and a decaying lr, one panel each."""
    if runs is None:
        runs, labels = cloud_runs(n, steps)
    labels = [run.optimizer.label() for run in runs] if labels is None else list(labels)
    return animate(
        runs,
        labels=_cloud_labels(runs, labels),
        facet=True,
        frames=min(frames, max(run.positions.shape[0] for run in runs)),
        fps=fps,
        dpi=dpi,
        trail=trail,
        title=cloud_title(runs, labels),
        figsize=figsize,
    )


# -- one noisy run per schedule -------------------------------------------------------------------


SINGLE = ("constant 0.15", "constant 0.01", "step (×0.3 every 50)", "cosine (T=200)")


def single_runs(steps=STEPS, seed=3):
    """``(runs, labels)``: one noisy run per schedule of :data:`SINGLE`."""
    everyone = {"constant 0.01": S.constant(0.01), **candidates(steps)}
    return [
        simulate(bowl(), optimizers.SGD(lr=everyone[name]), [START], steps, noise=NOISE, seed=seed)
        for name in SINGLE
    ], list(SINGLE)


def _decays(run):
    lrs = np.asarray(run.lrs, dtype=float).reshape(len(run.lrs), -1)
    return bool(np.ptp(lrs) > 0 and (lrs[-1] < lrs[0]).all())


def single_title(runs, labels):
    """Whether every decaying lr ends at a lower loss than every constant one, and by how much."""
    final = [float(run.final_loss.max()) for run in runs]
    decay = [f for run, f in zip(runs, final) if _decays(run)]
    steady = [f for run, f in zip(runs, final) if not _decays(run)]
    first = f"One noisy run per schedule, {runs[0].steps} steps"
    if not decay or not steady:
        return f"{first}: final loss " + ", ".join(
            f"{label} {short_e(f)}" for label, f in zip(labels, final)
        )
    if max(decay) < min(steady):
        factor = min(steady) / max(decay)
        return f"{first}:\nthe decaying lrs end at a loss {factor:.0f}× below the constant ones"
    return f"{first}:\nnot every decaying lr ends below the constant ones"


@figure("schedule-runs-movie", quick={"steps": 10, "frames": 3})
def schedule_runs_movie(
    runs=None, labels=None, *, steps=STEPS, frames=60, fps=12, dpi=60, trail=15, figsize=None
):
    """GIF, lesson 5: one noisy run per schedule, its loss and its lr in side panels."""
    if runs is None:
        runs, labels = single_runs(steps)
    labels = [run.optimizer.label() for run in runs] if labels is None else list(labels)
    movie = animate(
        runs,
        labels=labels,
        frames=min(frames, max(run.positions.shape[0] for run in runs)),
        fps=fps,
        dpi=dpi,
        trail=trail,
        title=single_title(runs, labels),
        figsize=figsize,
    )
    steep = np.linalg.eigvalsh(runs[0].surface.hessian(runs[0].surface.minima[:1]))[0][-1]
    movie.figure.axes[0].set_title(
        f"the bowl (L = {steep:g}), noisy gradients", fontsize=plotting.FONT_SIZE
    )
    plotting.legible(movie.figure)
    return movie


# -- ReduceLROnPlateau ----------------------------------------------------------------------------


def patience_runs(n=500, steps=STEPS, patiences=PATIENCES, factor=0.5, seed=0):
    """``{patience: Run}``: ``n`` noisy runs from one start at lr 0.15, each run's lr steered by
    its own ReduceLROnPlateau(factor, patience) watching its loss."""
    starts = np.tile([START], (n, 1))
    return {
        p: simulate(
            bowl(),
            optimizers.SGD(lr=LR),
            starts,
            steps,
            noise=NOISE,
            seed=seed,
            callbacks=[ReduceLROnPlateau(factor=factor, patience=p)],
        )
        for p in patiences
    }


def first_drop(run):
    """The first step at which the median run's lr is below its starting lr (None: never)."""
    median = np.median(np.asarray(run.lrs).reshape(len(run.lrs), -1), axis=1)
    below = median < median[0]
    return int(below.argmax()) if below.any() else None


def patience_title(runs):
    """Which patience ends at the lowest mean loss; when that is neither the smallest nor the
    largest, what the smallest did to the lr and how long the largest kept it."""
    losses = {p: float(run.final_loss.mean()) for p, run in runs.items()}
    best = min(losses, key=losses.get)
    first = f"ReduceLROnPlateau on noisy gradients: patience {best} ends lowest"
    low, high = min(runs), max(runs)
    if best in (low, high) or len(runs) < 3:
        return first + f" (mean loss {short_e(losses[best])})"
    lr_low = float(np.median(np.asarray(runs[low].lrs)[-1]))
    start, drop = float(np.median(np.asarray(runs[high].lrs)[0])), first_drop(runs[high])
    kept = (
        f"patience {high} keeps {start:g} until step {drop}"
        if drop is not None
        else f"patience {high} never lowers {start:g}"
    )
    return first + f";\npatience {low} ends with the lr at {short_e(lr_low)}, {kept}"


@figure("reduce-on-plateau", quick={"n": 20, "steps": 40, "patiences": (2, 5, 10)})
def reduce_on_plateau(runs=None, *, n=500, steps=STEPS, patiences=PATIENCES, figsize=None):
    """PNG, lesson 5: the median lr and loss under ReduceLROnPlateau at three patiences."""
    runs = patience_runs(n, steps, patiences) if runs is None else runs
    fig, (ax_lr, ax_loss) = plotting.subplots(1, 2, figsize=figsize or (12.0, 5.0))
    for i, (p, run) in enumerate(runs.items()):
        c = plotting.color(i)
        lrs = np.median(np.asarray(run.lrs).reshape(len(run.lrs), -1), axis=1)
        losses = np.median(run.losses.reshape(len(run.losses), -1), axis=1)
        factor = drop_factor(run)
        label = f"patience {p}" + (f", factor {factor:.2g}" if factor is not None else "")
        label += f": mean final loss {short_e(float(run.final_loss.mean()))}"
        ax_lr.plot(np.arange(len(lrs)), lrs, color=c, drawstyle="steps-post", label=label)
        ax_loss.plot(run.recorded_steps, losses, color=c, label=label)
        drop = first_drop(run)
        if drop is not None:
            ax_lr.plot([drop], [lrs[drop]], "o", color=c, ms=8, mec="black", mew=0.8)
            at = int(np.searchsorted(run.recorded_steps, drop))
            ax_loss.plot([drop], [losses[at]], "o", color=c, ms=8, mec="black", mew=0.8)
    ax_lr.set(yscale="log", xlabel="step", ylabel="learning rate (median run)")
    ax_loss.set(yscale="log", xlabel="step", ylabel="loss (median run)")
    ax_lr.set_title("● the median lr's first drop")
    ax_loss.set_title(f"median of {n_runs(runs)} noisy runs")
    fig.legend(
        *ax_lr.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False
    )
    fig.suptitle(patience_title(runs))
    return plotting.legible(fig)


def drop_factor(run):
    """The factor the first run's lr was multiplied by at its first drop (None: never)."""
    lrs = np.asarray(run.lrs, dtype=float).reshape(len(run.lrs), -1)[:, 0]
    changed = np.flatnonzero(lrs[1:] != lrs[:-1])
    return float(lrs[changed[0] + 1] / lrs[changed[0]]) if changed.size else None


def n_runs(runs):
    return next(iter(runs.values())).final_loss.size


# -- Keras's time-based decay --------------------------------------------------------------------


def keras_schedules(decays=KERAS_DECAYS, lr=0.01):
    """Keras 2's time-based decay lr/(1 + d·t) for each decay, by their legend labels."""
    return {f"decay={d:g}": S.time_decay(lr, decay=d) for d in decays}


def keras_title(schedules, at):
    """How far the fastest and the slowest decay have cut the lr after ``at`` updates."""
    values = {name: schedule_values(s, at + 1)[0] for name, s in schedules.items()}
    after = {name: float(v[at]) for name, v in values.items()}
    fast, slow = min(after, key=after.get), max(after, key=after.get)
    start = float(values[fast][0])
    return (
        f"Keras's time-based decay from {start:g}: after {at} updates {fast} has cut the lr "
        f"to {after[fast]:.2g},\n{slow} only to {after[slow]:.3g}"
    )


@figure("keras-decay", quick={"steps": 60, "at": 20})
def keras_decay(schedules=None, *, steps=200, at=50, figsize=None):
    """PNG, lesson 5: Keras 2's time-based decay at four decays, the lr after 50 updates marked."""
    schedules = keras_schedules() if schedules is None else schedules
    fig, ax = plotting.subplots(figsize=figsize or (10.0, 5.2))
    plotting.schedules(schedules, steps, ax=ax, legend=False)
    ax.axvline(at, color="black", ls=":", lw=1.5)
    for i, schedule in enumerate(schedules.values()):
        value = schedule_values(schedule, at + 1)[0][at]
        ax.plot([at], [value], "o", color=plotting.color(i), ms=8, mec="black", mew=0.8)
    ax.annotate(
        f"after {at} updates",
        (at, 0.35),
        xycoords=("data", "axes fraction"),
        xytext=(6, 0),
        textcoords="offset points",
        va="center",
    )
    ax.set_xlabel("update (mini-batch step)")
    _legend_beside(ax)
    ax.grid(alpha=0.3)
    fig.suptitle(keras_title(schedules, at))
    return plotting.legible(fig)


# -- the tutorial's experiments -------------------------------------------------------------------

MARGIN = 0.03  # a final test accuracy within this of the best "keeps up"


def _span(values):
    """Accuracies as "82%" or "69–74%"."""
    low, high = (f"{100 * v:.0f}" for v in (min(values), max(values)))
    return f"{low}%" if low == high else f"{low}–{high}%"


def decay_title(experiment, margin=MARGIN):
    """Which decays end within ``margin`` of the best final test accuracy and which fall
    behind; those behind "cut the lr too early" when their final lr is below every other's."""
    final = experiment.final("val_accuracy")
    lr = np.asarray(experiment.history["lr"], dtype=float)[-1].mean(axis=-1)
    keep = [c for c in range(len(final)) if final[c] >= final.max() - margin]
    behind = [c for c in range(len(final)) if c not in keep]
    labels = experiment.labels
    first = (
        f"Keras's time-based decay on the blobs network: {listed([labels[c] for c in keep])} "
        f"{'ends' if len(keep) == 1 else 'end'} at {_span(final[keep])} test accuracy"
    )
    if not behind:
        return first
    why = (
        "cut the lr too early"
        if lr[behind].max() < lr[keep].min()
        else ("ends" if len(behind) == 1 else "end") + " lower"
    )
    return (
        f"{first};\n{listed([labels[c] for c in behind])} {why}: {_span(final[behind])} "
        "test accuracy"
    )


def lr_drops(experiment):
    """``(conditions, seeds)``: how many times each run's lr was cut (by more than √10)."""
    lr = np.asarray(experiment.history["lr"], dtype=float)
    return (np.diff(np.log10(lr), axis=0) < -0.5).sum(axis=0)


def patience_experiment_title(experiment, margin=0.05):
    """Which patience ends at the best training accuracy, and what the smallest patience did:
    how often it cut the lr, how low, and whether it stalled (more than ``margin`` below)."""
    final = experiment.final("accuracy")
    best = int(np.argmax(final))
    labels = experiment.labels
    first = (
        f"ReduceLROnPlateau on the blobs network: {labels[best]} ends best "
        f"({final[best]:.0%} train accuracy)"
    )
    low = int(np.argmin(experiment.values))
    if low == best:
        return first
    drops = lr_drops(experiment)[low]
    last = float(np.asarray(experiment.history["lr"], dtype=float)[-1, low].max())
    times = f"{drops.min()}" if drops.min() == drops.max() else f"{drops.min()}–{drops.max()}"
    end = "stalls" if final[low] < final[best] - margin else "ends"
    return (
        f"{first};\n{labels[low]} cuts the lr {times} times, to {short_e(last)} or below, "
        f"and {end} at {final[low]:.0%}"
    )
