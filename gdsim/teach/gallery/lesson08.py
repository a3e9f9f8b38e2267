"""The figures of lesson 8, Cyclical learning rates, SGDR and snapshot ensembles.

One function each, reachable as ``gdsim figure NAME``. Each takes what the lesson computed
(schedules, Runs, Histories, snapshot experiments) and computes the lesson's own when called
alone.
"""

from __future__ import annotations

import numpy as np

from gdsim import nn, optimizers, plotting, schedules, surfaces
from gdsim.plotting.animation import animate
from gdsim.sim.engine import simulate
from gdsim.sim.maps import minimum_curvatures
from gdsim.teach.gallery.base import figure

# -- the shapes ----------------------------------------------------------------------------------


def shapes(steps=300):
    """The lesson's five cyclical schedules, name -> schedule."""
    return {
        "triangular": schedules.cyclic(0.01, 0.1, step_size_up=25),
        "triangular2": schedules.cyclic(0.01, 0.1, step_size_up=25, mode="triangular2"),
        "SGDR, T_0=50": schedules.sgdr(0.1, T_0=50),
        "SGDR, T_0=20, T_mult=2": schedules.sgdr(0.1, T_0=20, T_mult=2),
        "one cycle": schedules.one_cycle(0.1, total_steps=steps),
    }


def rises(values):
    """How many times the lr starts climbing again after falling (a restart or a new cycle)."""
    step = np.sign(np.diff(values))
    step = step[step != 0]
    return int(np.sum((step[1:] > 0) & (step[:-1] < 0)))


def peaks(values):
    """The local maxima of ``values`` (the first point counts when the curve starts falling)."""
    v = np.asarray(values, dtype=float)
    inner = np.flatnonzero((v[1:-1] > v[:-2]) & (v[1:-1] >= v[2:])) + 1
    return v[np.concatenate([[0], inner]) if v[1] < v[0] else inner]


def shapes_title(named, steps):
    """What the shapes show, counted off their values: how often each climbs again, whether
    triangular2's peaks halve, and what one cycle does with the momentum."""
    parts = []
    for name, schedule in named.items():
        values = plotting.schedule_values(schedule, steps)[0]
        again = rises(values)
        if name == "one cycle" or again == 0:
            continue
        part = f"{name.replace(',', '')}: {again}×"
        if name == "triangular2":
            tops = peaks(values)
            heights = tops - values.min()
            if len(heights) > 2 and np.allclose(heights[1:-1] / heights[:-2], 0.5, rtol=1e-6):
                part += " (halving)"
        parts.append(part)
    title = f"The lr climbs again within {steps} steps: " + ", ".join(parts)
    if "one cycle" in named:
        cycle = named["one cycle"]
        values = plotting.schedule_values(cycle, steps)[0]
        top = int(np.argmax(values))
        title += (
            f";\none cycle climbs once (to step {top}) and ends "
            f"{values[0] / values[-1]:,.0f}× below its start"
        )
        if hasattr(cycle, "momentum"):
            momentum = np.asarray(cycle.momentum(np.arange(steps)), dtype=float)
            if np.corrcoef(values, momentum)[0, 1] < -0.9:
                title += ", its momentum (dotted) moving the other way"
    return title


@figure("cyclical-shapes", quick={"steps": 120})
def cyclical_shapes(named=None, *, steps=300, figsize=None):
    """PNG, lesson 8: triangular, triangular2, two SGDRs and one cycle, one panel each.

    ``named`` is a dict name -> schedule (default :func:`shapes`); one cycle's momentum is
    drawn dotted on a second axis of its panel."""
    named = shapes(steps) if named is None else named
    fig, axes = plotting.subplots(
        1, len(named), figsize=figsize or (13.0, 4.2), sharey=True, squeeze=False
    )
    axes = list(axes.ravel())
    for i, (ax, (name, schedule)) in enumerate(zip(axes, named.items())):
        plotting.schedules({name: schedule}, steps, ax=ax, colors=[plotting.color(i)], legend=False)
        ax.set_title(name.replace(", ", ",\n", 1) if len(name) > 14 else name)
        if ax is not axes[0]:
            ax.set_ylabel("")
    if "one cycle" in named and hasattr(named["one cycle"], "momentum"):
        ax = axes[list(named).index("one cycle")]
        twin = ax.twinx()
        momentum = named["one cycle"].momentum(np.arange(steps))
        twin.plot(np.arange(steps), momentum, color="#555555", ls=":", lw=2)
        twin.set_ylabel("momentum (dotted)")
    fig.suptitle(shapes_title(named, steps))
    return plotting.legible(fig)


# -- warm restarts on the camel ------------------------------------------------------------------

CAMEL_STARTS = 24
T0, CYCLES = 50, 5


def camel_pair(n=CAMEL_STARTS, steps=T0 * CYCLES):
    """The lesson's 24 starts on the three-hump camel with gradient noise 0.2: a constant lr
    0.05 and SGDR from 0.3 restarting every 50 steps (two Runs)."""
    camel = surfaces.get("three_hump_camel")
    starts = np.random.default_rng(0).uniform(-2, 2, (2000, 2))[:n]
    return [
        simulate(camel, optimizers.SGD(lr=lr), starts, steps, noise=0.2, seed=0, tol=0.3)
        for lr in (0.05, schedules.sgdr(0.3, T_0=T0))
    ]


PAIR_LABELS = ("constant 0.05", "SGDR from 0.3, restarts every 50 steps")


def where_they_end(run):
    """(in the broad middle minimum, in a sharp side minimum, elsewhere) counts of a Run."""
    reached = np.asarray(run.reached).reshape(-1)
    return int((reached == 0).sum()), int((reached > 0).sum()), int((reached < 0).sum())


def restarts_title(pair, labels=PAIR_LABELS):
    """Where the runs end under each schedule, and the limit 2/λ of the minima that explains it."""
    surface = pair[0].surface
    limits = 2 / minimum_curvatures(surface)
    counts = [where_they_end(run) for run in pair]
    total = sum(counts[0])
    ends = "; ".join(
        f"{label.split(',')[0]}: {side} of {total}" for label, (_, side, _) in zip(labels, counts)
    )
    return (
        f"Runs left in a sharp side minimum, {ends}\n"
        f"(a side minimum holds a run only while lr < 2/λ = {limits[1:].max():.2g}, "
        f"the broad middle one up to {limits[0]:.2g})"
    )


@figure("warm-restarts-movie", quick={"n": 6, "steps": 100, "frames": 4})
def warm_restarts_movie(
    pair=None,
    *,
    n=CAMEL_STARTS,
    steps=T0 * CYCLES,
    labels=PAIR_LABELS,
    frames=75,
    fps=12,
    dpi=55,
    figsize=None,
):
    """GIF, lesson 8: noisy SGD on the camel, constant lr against SGDR, coloured by where each ends.

    ``pair`` is the lesson's two Runs from the same starts (default :func:`camel_pair`)."""
    pair = camel_pair(n, steps) if pair is None else pair
    return animate(
        pair,
        labels=list(labels),
        facet=True,
        color_by="minimum",
        frames=frames,
        fps=fps,
        dpi=dpi,
        trail=8,
        title=restarts_title(pair, labels),
        figsize=figsize or (11.0, 6.6),
    )


# -- one cycle and SGDR on the network -------------------------------------------------------------


def tutorial_data():
    """The tutorial's blobs, standardized with the training set's statistics."""
    from gdsim import datasets
    from gdsim.teach import experiments

    X_train, X_val, y_train, y_val = experiments.tutorial_data()
    X_train, X_val = datasets.standardize(X_train, X_val)
    return X_train, X_val, y_train, y_val


def cycle_histories(epochs=7, lr_max=0.05):
    """One cycle over ``epochs`` epochs and SGDR with cycles of 1, 2, 4 epochs, both to lr_max,
    from the same initial weights: ``{label: History}``."""
    X_train, _, y_train, _ = tutorial_data()
    net = nn.MLP([2, 50, 3], seed=0)
    one = nn.fit_one_cycle(net, X_train, y_train, epochs=epochs, lr_max=lr_max, verbose=0)
    net = nn.MLP([2, 50, 3], seed=0)
    restarts = nn.fit_sgdr(
        net, X_train, y_train, n_cycles=3, cycle_len=1, cycle_mult=2, lr_max=lr_max, verbose=0
    )
    return {f"one cycle, {epochs} epochs": one, "SGDR 1 + 2 + 4 epochs": restarts}


def restart_batches(history):
    """The batches at which the lr jumps up (the restarts)."""
    lr = np.asarray(history["batch_lr"], dtype=float)
    lr = lr if lr.ndim == 1 else lr[:, 0]
    return np.flatnonzero(np.diff(lr) > 0.1 * lr.max()) + 1


def restart_jumps(history, window=None):
    """For each restart, the mean batch loss of the ``window`` batches after it over that of
    the ``window`` before it, minus 1 (0.1: the loss went up 10%). The default window is the
    shortest cycle: single batches are too noisy to compare."""
    loss = np.asarray(history["batch_loss"], dtype=float)
    loss = loss if loss.ndim == 1 else loss[:, 0]
    batches = restart_batches(history)
    if window is None:
        window = int(np.min(np.diff(np.concatenate([[0], batches])))) if batches.size else 1
    return np.array(
        [
            loss[b : b + window].mean() / loss[b - window : b].mean() - 1
            for b in restart_batches(history)
        ]
    )


def cycles_title(histories):
    """What each schedule did, read off the Histories: one cycle's peak and end, SGDR's restarts
    and how much each restart moved the loss."""
    parts = []
    for label, history in histories.items():
        lr = np.asarray(history["batch_lr"], dtype=float).reshape(len(history["batch_lr"]), -1)[
            :, 0
        ]
        batches = restart_batches(history)
        if batches.size:
            jumps = restart_jumps(history)
            if np.all(jumps < 0):
                moved = "the loss keeps falling through them, epoch by epoch"
            elif np.all(jumps < 0.1):
                moved = "the loss barely notices"
            else:
                moved = f"the loss jumps by up to {np.max(jumps):.0%}"
            parts.append(
                f"{label.split(' ')[0]} restarts at lr {lr[batches].max():.2g} after batches "
                + ", ".join(str(b) for b in batches)
                + f" ({moved})"
            )
        else:
            top = int(np.argmax(lr))
            parts.append(
                f"{label.split(',')[0]} climbs to lr {lr.max():.2g} by batch {top} and anneals to "
                f"{lr[-1]:.1e}"
            )
    return ";\n".join(parts)


@figure("one-cycle-vs-sgdr", quick={"epochs": 2})
def one_cycle_vs_sgdr(histories=None, *, epochs=7, figsize=None):
    """PNG, lesson 8: lr, momentum and batch loss of one cycle and of SGDR, restarts marked.

    ``histories`` is a dict label -> History from ``fit_one_cycle`` / ``fit_sgdr`` (default
    :func:`cycle_histories`)."""
    histories = cycle_histories(epochs) if histories is None else histories
    fig, axes = plotting.subplots(3, 1, figsize=figsize or (11.0, 7.8), sharex=True)
    plotting.plot_cycle(histories, axes=list(axes))
    for i, history in enumerate(histories.values()):
        for b in restart_batches(history):
            for ax in axes:
                ax.axvline(b, color=plotting.color(i), ls=":", lw=1.3)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    axes[1].text(
        1.01, 0.5, "dotted: a restart", transform=axes[1].transAxes, va="center", ha="left"
    )
    fig.suptitle(cycles_title(histories))
    return plotting.legible(fig)


# -- snapshot ensembles ---------------------------------------------------------------------------


def snapshot_results(lr_maxes=(0.01, 0.1), seeds=10, epochs=500, n_cycles=10):
    """The snapshot experiment at each peak lr: ``{lr_max: SnapshotResult}``."""
    from gdsim.toolkit.ensembles import snapshot_experiment

    return {
        lr_max: snapshot_experiment(seeds=seeds, epochs=epochs, n_cycles=n_cycles, lr_max=lr_max)
        for lr_max in lr_maxes
    }


def ensemble_verdict(result):
    """``(ensemble of all, best single, worst single, last single)`` seed means."""
    singles = result.single.mean(axis=1)
    return (
        float(result.ensemble[-1].mean()),
        float(singles.max()),
        float(singles.min()),
        float(singles[-1]),
    )


def snapshots_title(results):
    """For each peak lr, whether the ensemble of every snapshot beats the best single one."""
    parts = []
    for lr_max, result in results.items():
        ensemble, best, worst, last = ensemble_verdict(result)
        if ensemble > best + 0.002:
            verdict = (
                f"the ensemble ({ensemble:.3f}) beats every single snapshot "
                f"({worst:.3f}–{best:.3f})"
            )
        elif ensemble < best - 0.002:
            verdict = f"the ensemble ({ensemble:.3f}) is below the best snapshot ({best:.3f})"
        else:
            verdict = f"the ensemble ({ensemble:.3f}) only matches the best snapshot ({best:.3f})"
        parts.append(f"lr_max {lr_max:g}: {verdict}")
    return "Snapshot ensembles (test accuracy, seed means): " + ";\n".join(parts)


@figure("snapshot-ensembles", quick={"seeds": 1, "epochs": 40, "n_cycles": 4})
def snapshot_ensembles(results=None, *, seeds=10, epochs=500, n_cycles=10, figsize=None):
    """PNG, lesson 8: cosine cycles with their snapshots, and single snapshots against ensembles.

    ``results`` is a dict lr_max -> ``snapshot_experiment`` result (default
    :func:`snapshot_results`), one row of panels each."""
    results = (
        snapshot_results(seeds=seeds, epochs=epochs, n_cycles=n_cycles)
        if results is None
        else results
    )
    fig, axes = plotting.subplots(
        len(results), 2, figsize=figsize or (13.0, 4.0 * len(results) + 0.8), squeeze=False
    )
    for row, (lr_max, result) in zip(axes, results.items()):
        drawn = result.plot(axes=list(row))
        handles = [drawn.lr, drawn.snapshots, drawn.accuracy]
        row[0].get_legend().remove()
        row[0].set_title(f"lr_max {lr_max:g}: cosine cycles, a snapshot at each end")
        row[1].set_title(f"lr_max {lr_max:g}: snapshots and their ensembles")
    fig.legend(
        handles,
        [h.get_label() for h in handles],
        loc="outside lower center",
        ncols=3,
        frameon=False,
    )
    fig.suptitle(snapshots_title(results))
    return plotting.legible(fig)
