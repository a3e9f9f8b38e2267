"""The figures of lesson 4, Adaptive methods: Adagrad, RMSprop, Adam.

One function each, reachable as ``gdsim figure NAME``. Each takes the data the lesson computed
(``effective=``, ``runs=`` with their ``labels=``) and computes the lesson's own when called
alone; each title is read off the data by a ``*_title`` function the tests check. The tutorial's
experiment is the headline figure ``adaptive`` (``gallery.REGISTRY.get("adaptive",
experiment=...)``).
"""

from __future__ import annotations

import numpy as np

from gdsim import optimizers, plotting, surfaces
from gdsim.plotting.animation import animate
from gdsim.teach.gallery.base import figure, listed, short_e
from gdsim.teach.gallery.headline import _told_apart, tune_lr
from gdsim.teach.gallery.lesson03 import sweep_panel

START = [[-1.8, 1.0]]
PLATEAU_START = [[-1.5, 1.5]]
SOLVED = 1e-4  # the loss the ravine race counts the steps to


def ravine(angle=0):
    """The lesson's ravine: ½(x² + 50y²), curvature 1 along x and 50 along y (rotated by
    ``angle`` degrees)."""
    return surfaces.get("quadratic", condition=50, angle=angle)


def curvatures(surface):
    """The Hessian's eigenvalues at the (first) minimum, smallest first."""
    surface = surfaces.as_surface(surface)
    return np.linalg.eigvalsh(surface.hessian(surface.minima[:1]))[0]


def adaptive():
    """The lesson's three adaptive optimizers, by their legend labels."""
    return {
        "Adagrad (lr=0.5)": optimizers.Adagrad(lr=0.5),
        "RMSprop (lr=0.05)": optimizers.RMSprop(lr=0.05),
        "Adam (lr=0.1)": optimizers.Adam(lr=0.1),
    }


# -- the effective learning rate, coordinate by coordinate ---------------------------------------


def effective_lr_of(optimizer, state):
    """``lr / (sqrt(accumulator) + eps)`` per coordinate, read from an optimizer's state after a
    step (Adam's accumulator bias-corrected, as its update uses it)."""
    name = type(optimizer).__name__
    if name == "Adagrad":
        accumulator = state.sum
    elif name == "RMSprop":
        accumulator = state.square_avg
    elif name == "Adam":
        accumulator = state.exp_avg_sq / (1 - optimizer.beta2**state.step)
    else:
        raise TypeError(f"no effective lr for {name}; have Adagrad, RMSprop and Adam")
    return optimizer.lr / (np.sqrt(accumulator) + optimizer.eps)


def effective_lrs(steps=60):
    """``{label: (steps, 2) array}``: each adaptive optimizer's effective lr per coordinate
    after every step on the ravine, as the lesson's cell computes it with ``init``/``update``."""
    surface, found = ravine(), {}
    for name, optimizer in adaptive().items():
        theta = np.array(START[0], dtype=float)
        state = optimizer.init(theta)
        per_step = []
        for _ in range(steps):
            theta, state = optimizer.update(theta, surface.grad(theta), state)
            per_step.append(effective_lr_of(optimizer, state))
        found[name] = np.array(per_step)
    return found


def effective_title(effective, surface=None):
    """How much smaller the steep coordinate's step is, and where both sit against the limit
    2/λ_steep one lr for both coordinates would have to respect."""
    gentle, steep = curvatures(ravine() if surface is None else surface)
    values = np.array(list(effective.values()))  # (optimizers, steps, 2)
    ratios = values[..., 0] / values[..., 1]
    limit = 2 / steep
    if not (ratios > 1).all():
        return "The effective lr per coordinate: the steep y's is not always the smaller one"
    first = (
        f"Each coordinate gets its own step: the steep y's effective lr is "
        f"{ratios.min():.0f}–{ratios.max():.0f}× smaller than the gentle x's"
    )
    if (values[..., 1] < limit).all() and (values[..., 0] > limit).all():
        return (
            f"{first};\ny's stays below 2/λ_y = 2/{steep:.3g}, x's is above it: "
            "no single lr could do both"
        )
    return first


@figure("effective-lr", quick={"steps": 8})
def effective_lr(effective=None, *, steps=60, figsize=None):
    """PNG, lesson 4: Adagrad's, RMSprop's and Adam's effective lr per coordinate, against 2/λ_y."""
    effective = effective_lrs(steps) if effective is None else effective
    surface = ravine()
    gentle, steep = curvatures(surface)
    limit = 2 / steep
    fig, axes = plotting.subplots(1, len(effective), figsize=figsize or (13.0, 4.9), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (name, per_step) in zip(axes, effective.items()):
        t = np.arange(1, len(per_step) + 1)
        ax.plot(
            t, per_step[:, 0], color=plotting.color(0), label=f"x (gentle, curvature {gentle:.3g})"
        )
        ax.plot(
            t,
            per_step[:, 1],
            "--",
            color=plotting.color(1),
            label=f"y (steep, curvature {steep:.3g})",
        )
        ax.axhline(
            limit,
            color="black",
            ls=":",
            lw=1.8,
            label=f"2/λ_y = {limit:.2g}: above it a step along y grows",
        )
        ax.set(title=name, yscale="log", xlabel="step")
        ax.grid(alpha=0.3, which="major")
    axes[0].set_ylabel("effective learning rate")
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False
    )
    fig.suptitle(effective_title(effective, surface))
    return plotting.legible(fig)


# -- the race down the ravine: each optimizer at its best lr -------------------------------------

RAVINE_LRS = np.geomspace(1e-3, 10.0, 25)  # the lrs tried for each: every best lies inside
RAVINE_RACE = {  # name: the optimizer at a given lr
    "SGD": lambda lr: optimizers.SGD(lr=lr),
    "Adagrad": lambda lr: optimizers.Adagrad(lr=lr),
    "RMSprop": lambda lr: optimizers.RMSprop(lr=lr),
    "Adam": lambda lr: optimizers.Adam(lr=lr),
}


def ravine_race(steps=80, angle=0, lrs=RAVINE_LRS):
    """``{name: Tuned}``: SGD and the three adaptive optimizers down the ravine (rotated by
    ``angle`` degrees) from the lesson's start, each at its own best lr of ``lrs``
    (:func:`~.headline.tune_lr`: the lowest loss after ``steps`` among the lrs that neither
    diverge nor climb above the start)."""
    surface = ravine(angle)
    return {
        name: tune_lr(surface, make, START, steps, lrs, name) for name, make in RAVINE_RACE.items()
    }


def steps_to(run, threshold=SOLVED):
    """The first recorded step at which every start's loss is below ``threshold`` (None: never)."""
    below = (run.losses.reshape(len(run.losses), -1) < threshold).all(axis=1)
    return int(run.recorded_steps[below.argmax()]) if below.any() else None


def _short(label):
    return label.split(" (")[0].split(",")[0]


def ravine_title(race, threshold=SOLVED):
    """With each optimizer at its best lr: who gets the loss below ``threshold`` within the run,
    fastest first with the step, and who does not."""
    reached = {_short(name): steps_to(t.run, threshold) for name, t in race.items()}
    there = sorted((step, name) for name, step in reached.items() if step is not None)
    not_there = [name for name, step in reached.items() if step is None]
    steps = max(t.run.steps for t in race.values())
    first = "Each at its best lr on the axis-aligned ravine"
    if not there:
        return f"{first}: after {steps} steps none has the loss below {short_e(threshold)}"
    verb = "reaches" if len(there) == 1 else "reach"
    first += (
        f":\n{listed([f'{n} (step {k})' for k, n in there])} {verb} loss < {short_e(threshold)}"
    )
    if not_there:
        verb = "is" if len(not_there) == 1 else "are"
        first += f"; {listed(not_there)} {verb} not there after {steps} steps"
    return first


def _with_limit(labels, runs):
    """Legend labels; a plain SGD run also shows its lr against the limit 2/L."""
    out = []
    for label, run in zip(labels, runs):
        opt = run.optimizer
        plain = (
            type(opt).__name__ == "SGD"
            and not callable(opt.lr)
            and not np.any(np.asarray(getattr(opt, "momentum", 0)))
        )
        if plain:
            limit = 2 / curvatures(run.surface)[-1]
            relation = "<" if float(opt.lr) < limit else "≥"
            label = f"{label}, {relation} 2/L = {limit:.2g}"
        out.append(label)
    return out


@figure("ravine-race-movie", quick={"steps": 10, "frames": 3})
def ravine_race_movie(race=None, *, steps=80, frames=60, fps=10, dpi=60, figsize=None):
    """GIF, lesson 4: SGD and three adaptive methods down the ravine, each at its best lr (the
    sweep is ``ravine-race-sweep``), their steps as arrows.

    Pass the ``race`` (:func:`ravine_race`) the lesson computed to draw it instead."""
    race = ravine_race(steps) if race is None else race
    runs = [t.run for t in race.values()]
    movie = animate(
        runs,
        labels=_with_limit([t.label for t in race.values()], runs),
        internals=True,
        frames=min(frames, max(run.positions.shape[0] for run in runs)),
        fps=fps,
        dpi=dpi,
        panels=("loss",),
        title=ravine_title(race),
        figsize=figsize or (11.0, 6.4),
    )
    main, loss = movie.figure.axes[:2]
    gentle, steep = curvatures(runs[0].surface)
    note = ends_note(race)
    main.set_title(
        f"curvature {gentle:.3g} along x, {steep:.3g} along y" + (f"\n{note}" if note else ""),
        fontsize=plotting.FONT_SIZE,
        pad=12,
    )
    low, high = loss.get_ylim()
    if low < SOLVED < high:  # the loss the title counts the steps to
        loss.axhline(SOLVED, color="black", ls=":", lw=1.5)
        loss.annotate(
            f"loss {short_e(SOLVED)}",
            (1.0, SOLVED),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 4),
            textcoords="offset points",
            ha="right",
            va="bottom",
        )
    plotting.legible(movie.figure)
    return movie


def ravine_sweep_title(race):
    """Where SGD's chosen lr sits against its limit 2/L, and the adaptive ones' lrs, read off the
    sweep."""
    first = next(iter(race.values()))
    limit = 2 / curvatures(first.run.surface)[-1]
    head = f"The race's lrs, each the best of {len(first.lrs)} after {first.run.steps} steps"
    parts = []
    for name, t in race.items():
        if name == "SGD":
            where = "under" if t.lr < limit else "above"
            parts.append(f"SGD's, {t.lr:.2g}, sits {where} its limit 2/L = {limit:.2g}")
    others = [n for n in race if n != "SGD"]
    if others:
        lrs = ", ".join(f"{n} {race[n].lr:.2g}" for n in others)
        above = all(race[n].lr > limit for n in others)
        parts.append(f"{lrs}{': all above it' if above and parts else ''}")
    return f"{head}:\n" + ";\n".join(parts)


@figure("ravine-race-sweep", quick={"steps": 10})
def ravine_race_sweep(race=None, *, steps=80, figsize=None):
    """PNG, lesson 4: the lr sweep behind ``ravine-race-movie``: each optimizer's loss after the
    race against lr, its chosen lr ringed, SGD's limit 2/L dashed."""
    race = ravine_race(steps) if race is None else race
    colours = [plotting.color(i) for i in range(len(race))]
    fig, ax = plotting.subplots(figsize=figsize or (11.0, 6.4))
    note = sweep_panel(ax, race, colours)
    if note:
        ax.set_title(f"{ax.get_title()}\n{note}")
    limit = 2 / curvatures(next(iter(race.values())).run.surface)[-1]
    for tuned, c in zip(race.values(), colours):
        ax.plot([], [], "-o", color=c, ms=4, label=tuned.label)
    ax.axvline(limit, color="black", ls="--", lw=1.4, label=f"SGD's limit 2/L = {limit:.2g}")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(ravine_sweep_title(race))
    return plotting.legible(fig)


def ends_note(race):
    """A note naming the runs that end on top of each other (:func:`~.headline._told_apart`),
    or "" when every end shows."""
    noted = _told_apart(race, next(iter(race.values())).run.surface)
    together = []
    for name, label in zip(race, noted):
        if "; ends under " in label:
            together += [name] + label.split("; ends under ")[1].split(", ")
    together = [_short(n) for n in dict.fromkeys(together)]
    if not together:
        return ""
    if len(together) == len(race):
        return f"all {len(race)} end on top of each other"
    return f"{listed(together)} end on top of each other"


# -- the plateau ----------------------------------------------------------------------------------

PLATEAU_LRS = np.geomspace(1e-3, 100.0, 26)  # every best lies inside: the larger lrs diverge
PLATEAU = {  # name: the optimizer at a given lr
    "SGD": lambda lr: optimizers.SGD(lr=lr),
    "momentum (μ=0.9)": lambda lr: optimizers.SGD(lr=lr, momentum=0.9),
    "Adagrad": lambda lr: optimizers.Adagrad(lr=lr),
    "RMSprop": lambda lr: optimizers.RMSprop(lr=lr),
    "Adam": lambda lr: optimizers.Adam(lr=lr),
}
OFF_THE_SHELF = 0.5  # a loss below this (the shelf sits at 1) means the run left the shelf


def plateau_race(steps=200, lrs=PLATEAU_LRS):
    """``{name: Tuned}``: the five optimizers from the plateau's shelf, each at its best lr."""
    surface = surfaces.get("plateau")
    return {
        name: tune_lr(surface, make, PLATEAU_START, steps, lrs, name)
        for name, make in PLATEAU.items()
    }


def plateau_fates(race):
    """``{name: fate}``: "reached" (ends at the minimum), "crossed" (left the shelf, loss below
    :data:`OFF_THE_SHELF`, but not settled yet) or "stalled" (never left it)."""
    fates = {}
    for name, t in race.items():
        if (t.run.reached >= 0).all():
            fates[name] = "reached"
        elif (t.run.losses.reshape(len(t.run.losses), -1) < OFF_THE_SHELF).any(axis=0).all():
            fates[name] = "crossed"
        else:
            fates[name] = "stalled"
    return fates


def plateau_title(race):
    """With each optimizer at its best lr: who crosses the shelf to the minimum within the run,
    who crosses it without settling yet, and who stalls."""
    fates = plateau_fates(race)
    first = next(iter(race.values())).run
    steps = first.steps
    slope = abs(first.surface.grad(np.asarray(first.positions[0, 0], dtype=float))[0])
    head = (
        f"From a shelf with slope {short_e(slope)} along x, each at its best lr, "
        f"in {steps} steps:\n"
    )
    group = {
        f: [_short(n) for n, g in fates.items() if g == f]
        for f in ("reached", "crossed", "stalled")
    }
    parts = []
    if group["reached"]:
        verb = "crosses" if len(group["reached"]) == 1 else "cross"
        parts.append(f"{listed(group['reached'])} {verb} it to the minimum")
    if group["crossed"]:
        verb = "crosses" if len(group["crossed"]) == 1 else "cross"
        parts.append(f"{listed(group['crossed'])} {verb} it but still swings about the minimum")
    if group["stalled"]:
        verb = "stalls" if len(group["stalled"]) == 1 else "stall"
        parts.append(f"{listed(group['stalled'])} {verb} on it")
    lines = [parts[0]]
    for part in parts[1:]:  # as few lines as fit
        if len(lines[-1]) + len(part) < 80:
            lines[-1] += f"; {part}"
        else:
            lines.append(part)
    return head + ";\n".join(lines)


def hidden_paths(runs, labels, tolerance=0.02):
    """Legend labels, with a note on every path a later one (drawn on top) covers: each of its
    points lies within ``tolerance`` × the picture's diagonal of the other's path."""
    (x0, x1), (y0, y1) = runs[0].surface.bounds
    near = tolerance * np.hypot(x1 - x0, y1 - y0)
    paths = [run.positions.reshape(len(run.positions), -1, 2)[:, 0] for run in runs]

    def within(a, b):
        distances = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1))
        return distances.min(axis=1).max() < near

    out = []
    for i, label in enumerate(labels):
        over = [_short(labels[j]) for j in range(i + 1, len(runs)) if within(paths[i], paths[j])]
        out.append(label + (f"; under {listed(over)}'s path" if over else ""))
    return out


@figure("plateau-crossing", quick={"steps": 30})
def plateau_crossing(race=None, *, steps=200, figsize=None):
    """PNG, lesson 4: which of five optimizers, each at its best lr (the sweep drawn beside),
    cross a nearly flat shelf to the minimum.

    Pass the ``race`` (:func:`plateau_race`) the lesson computed to draw it instead."""
    race = plateau_race(steps) if race is None else race
    runs = [t.run for t in race.values()]
    colours = [plotting.color(i) for i in range(len(race))]
    fig, (ax, side) = plotting.subplots(
        1, 2, figsize=figsize or (13.0, 6.8), gridspec_kw={"width_ratios": [1.6, 1]}
    )
    plotting.trajectories(
        runs, ax=ax, labels=hidden_paths(runs, [t.label for t in race.values()]), legend=False
    )
    ax.set_title("paths (○ start, ● end)")
    note = sweep_panel(side, race, colours)
    side.set_title("the lr sweep:\n○ chosen, ▲ diverges or climbs" + (f"\n{note}" if note else ""))
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(plateau_title(race))
    return plotting.legible(fig)


# -- the tutorial's experiment ---------------------------------------------------------------------

KERAS_NAMES = {"sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam"}
TARGET = 0.78  # the training accuracy the speed claim counts the epochs to


def epochs_to(experiment, target=TARGET):
    """Per optimizer, the first epoch (from 1) its seeds' mean training accuracy reaches
    ``target`` (None: never)."""
    train = experiment.mean("accuracy")
    return [
        int(np.flatnonzero(train[:, c] >= target)[0]) + 1 if (train[:, c] >= target).any() else None
        for c in range(train.shape[1])
    ]


def accuracy_jumps(experiment):
    """Per optimizer, the mean |change| of the test accuracy from one epoch to the next over the
    second half of training, every seed on its own (the tutorial's "volatility")."""
    test = np.asarray(experiment.history["val_accuracy"], dtype=float)
    half = test[len(test) // 2 :]
    return np.abs(np.diff(half, axis=0)).reshape(-1, test.shape[1], test.shape[2]).mean(axis=(0, 2))


def adaptive_title(experiment, target=TARGET):
    """The tutorial's two claims checked on the experiment: which adaptive optimizers reach
    ``target`` training accuracy sooner than SGD, and how much less their test accuracy jumps."""
    names = [KERAS_NAMES.get(label, label) for label in experiment.labels]
    if "SGD" not in names:
        return f"{experiment.title}: train and test accuracy"
    base = names.index("SGD")
    epochs, jumps = epochs_to(experiment, target), accuracy_jumps(experiment)
    others = [c for c in range(len(names)) if c != base]
    seeds = len(experiment.seeds)
    first = f"Keras defaults on the blobs network, {seeds} seed{'s' if seeds > 1 else ''}:\n"
    faster = [
        c
        for c in others
        if epochs[c] is not None and (epochs[base] is None or epochs[c] < 0.8 * epochs[base])
    ]
    if faster:
        when = listed([str(epochs[c]) for c in faster])
        when = f"epoch{'s' if len(faster) > 1 else ''} {when}"
        sgd = f"SGD: {epochs[base]}" if epochs[base] is not None else "SGD: never"
        speed = (
            f"{listed([names[c] for c in faster])} reach {target:.0%} train accuracy first "
            f"({when}; {sgd})"
        )
    else:
        speed = f"no adaptive optimizer reaches {target:.0%} train accuracy much before SGD"
    ratios = jumps[base] / jumps[others]
    if (ratios > 1).all():
        calm = (
            f"every adaptive method's test accuracy jumps {ratios.min():.0f}–{ratios.max():.0f}× "
            "less than SGD's"
        )
    else:
        calm = "not every adaptive method's test accuracy is calmer than SGD's"
    return f"{first}{speed},\n{calm}"
