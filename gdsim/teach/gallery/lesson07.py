"""The figures of lesson 7, The LR range test (the "LR finder").

One function each, reachable as ``gdsim figure NAME``. Each takes what the lesson computed (a
Run, an ``lr_find`` result) and computes the lesson's own when called alone.
"""

from __future__ import annotations

import numpy as np

from gdsim import nn, optimizers, plotting, schedules, surfaces
from gdsim.plotting.animation import animate
from gdsim.sim.engine import simulate
from gdsim.teach.gallery.base import figure
from gdsim.toolkit.finder import lr_find

BOWL_START = (-1.6, 1.2)
# 101 batches, not 100: from 1e-3 to 10 in 100 the sweep lands exactly on lr = 1/L = 0.1 and
# lr = 1/μ = 1, where one step zeroes the error along that axis of the noiseless bowl, and an
# exactly zero error never grows back: the curve would never rise
BOWL_SWEEP = dict(start_lr=1e-3, end_lr=10.0, num_it=101)
CLIFF_STYLE = dict(color="#D55E00", ls="--", lw=1.5, zorder=2)


def bowl():
    """Lesson 1's bowl: the quadratic with curvatures 1 and L = 10, cliff at 2/L = 0.2."""
    return surfaces.get("quadratic", condition=10)


def _cliff(surface):
    return 2.0 / surfaces.as_surface(surface).lipschitz


# -- the sweep in motion --------------------------------------------------------------------------


def bowl_sweep_run(steps=90):
    """SGD on the bowl with the range test's growing lr (×(10/1e-3)^(1/101) a step): a Run."""
    start, end, n = BOWL_SWEEP["start_lr"], BOWL_SWEEP["end_lr"], BOWL_SWEEP["num_it"]
    growing = schedules.exponential(start, gamma=(end / start) ** (1 / n))
    return simulate(bowl(), optimizers.SGD(lr=growing), [list(BOWL_START)], steps)


def movie_title(run):
    """What the sweep in motion shows, read off the run: until which step (and lr, against
    2/L) the loss keeps falling, and at which step the growing zig-zag overflows."""
    lrs = np.asarray(run.lrs, dtype=float).reshape(-1)
    cliff = _cliff(run.surface)
    factor = lrs[1] / lrs[0]
    losses = np.asarray(run.losses, dtype=float).reshape(len(run.losses), -1)[:, 0]
    first = f"The lr grows ×{factor:.3f} a step"
    if not (lrs > cliff).any():
        return f"{first}; it never passes 2/L = {cliff:.2g} in {run.steps} steps"
    lowest = int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))
    lr = lrs[min(lowest, len(lrs) - 1)]
    side = f"{lr / cliff:.1f}× past" if lr > cliff else f"{cliff / lr:.1f}× below"
    line = f"{first}: the loss falls until step {lowest} (lr {lr:.2g}, {side} 2/L = {cliff:.2g})"
    blew = int(np.reshape(run.diverged_at, -1)[0])
    if blew < 0:
        return f"{line},\nand has not blown up after {run.steps} steps"
    return f"{line},\nthen the zig-zag grows until it overflows at step {blew} (lr {lrs[blew]:.2g})"


@figure("range-test-movie", quick={"steps": 90, "frames": 4})
def range_test_movie(run=None, *, steps=90, frames=60, fps=10, dpi=60, figsize=None):
    """GIF, lesson 7: the range test's growing lr on the bowl, in motion, with 2/L on the lr panel.

    ``run`` is the lesson's ``simulate`` of SGD with the growing lr (default
    :func:`bowl_sweep_run`); the lr panel is on a log axis so the cliff 2/L is in view."""
    run = bowl_sweep_run(steps) if run is None else run
    movie = animate(
        run,
        frames=frames,
        fps=fps,
        dpi=dpi,
        panels=("loss", "lr"),
        title=movie_title(run),
        figsize=figsize or (11.5, 6.4),
    )
    cliff = _cliff(run.surface)
    lrs = np.asarray(run.lrs, dtype=float).reshape(-1)
    lr_panel, loss_panel = movie.scene.sides["lr"], movie.scene.sides["loss"]
    lr_panel.set_yscale("log")
    lr_panel.set_ylim(lrs.min() / 2, lrs.max() * 2)
    lr_panel.axhline(cliff, **CLIFF_STYLE)
    lr_panel.text(
        1, cliff * 1.3, f"2/L = {cliff:.2g}: the cliff", va="bottom", ha="left", fontsize=12
    )
    crossed = np.flatnonzero(lrs > cliff)
    if crossed.size:
        loss_panel.axvline(crossed[0], **CLIFF_STYLE)
        lr_panel.axvline(crossed[0], **CLIFF_STYLE)
    # the whole dip in view (the panel shows twelve decades at most by default)
    gap = np.asarray(run.losses, dtype=float).reshape(len(run.losses), -1)[:, 0]
    gap = gap - (np.min(run.surface.minima_values) if len(run.surface.minima_values) else 0.0)
    gap = gap[np.isfinite(gap) & (gap > 0)]
    low, top = loss_panel.get_ylim()
    if gap.size:
        loss_panel.set_ylim(min(low, gap.min() / 3), top)
    plotting.legible(movie.figure)
    return movie


# -- the range test on the bowl --------------------------------------------------------------------


def bowl_finder():
    """The lesson's range test on the bowl (SGD, from (−1.6, 1.2), 1e-3 to 10 in 101 batches)."""
    return lr_find(bowl(), optimizers.SGD(), list(BOWL_START), **BOWL_SWEEP)


def unstopped(finder):
    """The same range test with fastai's stop rule off (``stop_div=False``): it runs on until
    the loss overflows, and shows the explosion the rule stops short of."""
    settings = finder.settings
    return lr_find(
        finder.surface,
        finder.optimizer,
        finder.starts,
        start_lr=settings["start_lr"],
        end_lr=settings["end_lr"],
        num_it=finder.num_it,
        mode=settings["mode"],
        smooth=settings["smooth"],
        stop_div=False,
    )


def bowl_title(finder, runs):
    """What the bowl's range test shows, read off it: where the curve bottoms out against the
    cliff 2/L, and which of the marked lrs diverge when run at a constant lr."""
    cliff = _cliff(finder.surface)
    lowest = finder.marked_lrs()["lowest loss"]
    picks = list(finder.marked_lrs().values())
    diverged = [bool(np.any(r.diverged)) for r in runs]
    right = [d for lr, d in zip(picks, diverged) if lr > cliff]
    left = [d for lr, d in zip(picks, diverged) if lr <= cliff]
    where = "past" if lowest > cliff else "before"
    ratio = lowest / cliff if lowest > cliff else cliff / lowest
    first = (
        f"The curve bottoms out at lr {lowest:.2g}, {ratio:.1f}× {where} the cliff 2/L = "
        f"{cliff:.2g}"
    )
    if lowest > cliff:
        first += ": the divergence lags behind the growing lr"
    second = (
        f"at a constant lr, {sum(right)} of the {len(right)} marked lrs right of the cliff "
        f"diverge, {sum(left)} of the {len(left)} left of it"
    )
    return f"{first}\n{second}"


# the marked lrs, in an order along the curve: neighbours on the curve (valley and minimum,
# lowest and last) get the most different colours
MARK_COLORS = ("#0072B2", "#009E73", "#CC79A7", "#E69F00", "#000000")
CLIFF_COLOR = "#D55E00"


def constant_runs(finder, steps=60, start=0):
    """``steps`` steps at each of the finder's marked lrs, held constant: ``{label: Run}``."""
    point = np.reshape(finder.starts, (-1, 2))[start]
    return {
        label: simulate(finder.surface, finder.optimizer.with_hyperparameters(lr=lr), point, steps)
        for label, lr in finder.marked_lrs(start).items()
    }


@figure("range-test-bowl", quick={"steps": 30})
def range_test_bowl(finder=None, *, steps=60, runs=None, figsize=None):
    """PNG, lesson 7: the range test on the bowl, its marked lrs run at a constant lr beside it.

    Left: the recorded curve (loss − f*, log axes) with the cliff 2/L, five marked lrs in five
    colours, and, dotted, how the loss goes on had the sweep not stopped (``stop_div=False``):
    the blow-up. Right: ``steps`` steps at each marked lr, in the same colours. ``finder`` is
    the lesson's ``lr_find`` on a surface (default :func:`bowl_finder`); ``runs`` the
    constant-lr runs (default :func:`constant_runs`)."""
    finder = bowl_finder() if finder is None else finder
    runs = constant_runs(finder, steps) if runs is None else runs
    picks = finder.marked_lrs()
    fig, (left, right) = plotting.subplots(1, 2, figsize=figsize or (13.0, 6.2))
    drawn = finder.plot(ax=left, skip_end=0, suggestions=(), log=True)
    curve = drawn.lines[0]
    curve.set_color("#555555")
    curve.set_label("recorded loss (stops at 4× its best)")
    beyond = unstopped(finder)
    lrs, values = beyond.curve()
    values = finder._y(values, True)
    shown = len(finder.curve()[0])
    (rest,) = left.plot(
        lrs[shown - 1 :],
        values[shown - 1 :],
        ":",
        color="#999999",
        lw=2.2,
        label="had it not stopped (stop_div=False)",
    )
    cliff = _cliff(finder.surface)
    left.axvline(cliff, color=CLIFF_COLOR, ls="--", lw=1.5, label=f"2/L = {cliff:.2g}: the cliff")
    lrs_k, smoothed = finder.curve()
    for (label, lr), c in zip(picks.items(), MARK_COLORS):
        y = np.interp(np.log(lr), np.log(lrs_k), finder._y(smoothed, True))
        left.scatter(
            [lr], [y], color=c, s=80, zorder=5, edgecolors="black", label=f"{label}: {lr:.2g}"
        )
    # the whole story in view: the start, the bottom and the blow-up (not 300 decades of
    # round-off below the bottom)
    every = np.concatenate([curve.get_ydata(), rest.get_ydata()])
    every = every[np.isfinite(every) & (every > 0)]
    left.set_ylim(every.min() / 30, every.max() * 30)
    left.set_ylabel("loss − f*")
    left.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, framealpha=0.9, fontsize=11
    )
    left.set_title("the range test: the lr grows every step")
    plotting.trajectories(
        list(runs.values()), ax=right, labels=list(runs), colors=list(MARK_COLORS), legend=False
    )
    first = next(iter(runs.values()))
    right.set_title(f"each marked lr held constant,\n{first.steps} steps")
    fig.suptitle(bowl_title(finder, list(runs.values())))
    return plotting.legible(fig)


# -- on the tutorial's network ---------------------------------------------------------------------


def tutorial_data():
    """The tutorial's blobs, standardized with the training set's statistics."""
    from gdsim import datasets
    from gdsim.teach import experiments

    X_train, X_val, y_train, y_val = experiments.tutorial_data()
    X_train, X_val = datasets.standardize(X_train, X_val)
    return X_train, X_val, y_train, y_val


def network_finder(num_it=300):
    """The lesson's range test on the blobs network (2–50–3, SGD, batch 32, 1e-7 to 10)."""
    X_train, _, y_train, _ = tutorial_data()
    return lr_find(nn.MLP([2, 50, 3], seed=1), optimizers.SGD(), X_train, y_train, num_it=num_it)


def lowest_point(found, k=0):
    """The lr of the curve's lowest point where the suggestions look (fastai marks it as its
    ``minimum`` suggestion's point)."""
    return float(np.atleast_1d(found.points["minimum"][0])[k])


def network_title(found, what="SGD on the blobs network"):
    """Where each suggestion lies against the lowest point of the curve, read off the result.
    The lowest point is where fastai looks for it: past the first tenth of the sweep (a curve
    can start below its plateau) and before the last five points."""
    lowest = lowest_point(found)
    left = [n for n in ("valley", "steep", "minimum", "slide") if found.suggestions[n] < lowest]
    right = [n for n in ("valley", "steep", "minimum", "slide") if n not in left]

    def listed(names):
        parts = [f"{n} {found.suggestions[n]:.2g}" for n in names]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    title = f"{what}: the loss is lowest at lr {lowest:.2g}"
    if left:
        title += f";\n{listed(left)} {'lies' if len(left) == 1 else 'lie'} left of it"
    if right:
        title += f"{',' if left else ';'} {listed(right)} right of it"
    return title


@figure("range-test-network", quick={"num_it": 60})
def range_test_network(found=None, *, num_it=300, title=None, figsize=None):
    """PNG, lesson 7: the range test on the blobs network, raw and smoothed, four suggestions.

    ``found`` is an ``lr_find`` result on an MLP (default :func:`network_finder`); ``title``
    names what was tested (default "SGD on the blobs network")."""
    found = network_finder(num_it) if found is None else found
    _, ax = plotting.subplots(figsize=figsize or (11.0, 5.6))
    found.plot(ax=ax, raw=True, skip_end=0)  # every point to the stop: the blow-up too
    lowest = lowest_point(found)
    ax.axvline(lowest, color="black", ls=":", lw=1.3, label=f"lowest point: lr {lowest:.2g}")
    ax.set_ylabel("loss: smoothed (faint: each batch's)")
    marker = ax.collections[
        [c.get_label() for c in ax.collections].index(f"minimum: {found.minimum:.2g}")
    ]
    marker.set_label(f"minimum: {found.minimum:.2g} (lowest / 10)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, framealpha=0.9)
    ax.figure.suptitle(network_title(found, title or "SGD on the blobs network"))
    return plotting.legible(ax.figure)


OPTIMIZERS = {
    "SGD": lambda: optimizers.SGD(),
    "SGD + momentum 0.9": lambda: optimizers.SGD(momentum=0.9),
    "Adam": lambda: optimizers.Adam(),
}


def optimizer_finders(num_it=300, seeds=5):
    """The range test of five seeds (one population) for SGD, SGD with momentum and Adam."""
    X_train, _, y_train, _ = tutorial_data()
    population = nn.MLP([2, 50, 3], population=seeds, seed=list(range(seeds)))
    return {
        name: lr_find(population, make(), X_train, y_train, num_it=num_it)
        for name, make in OPTIMIZERS.items()
    }


def blew_up(result):
    """True for each member whose sweep stopped before its end (the loss blew up)."""
    return np.atleast_1d(result.lengths) < result.num_it


def optimizers_title(results):
    """Which optimizers' curves blow up within the sweep, and their median valley, read off."""
    up = [n for n, r in results.items() if blew_up(r).all()]
    never = [n for n, r in results.items() if not blew_up(r).any()]

    def short(name):
        return name.replace("SGD + momentum 0.9", "momentum")

    def names(listed):
        listed = [short(n) for n in listed]
        return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]

    parts = []
    if up:
        lrs = np.concatenate(
            [np.atleast_1d(results[n].lrs)[np.atleast_1d(results[n].lengths) - 1] for n in up]
        )
        parts.append(
            f"{names(up)} blow up within the sweep (at lr {lrs.min():.2g}–{lrs.max():.2g})"
        )
    if never:
        parts.append(f"{names(never)} never {'does' if len(never) == 1 else 'do'}")
    medians = ", ".join(
        f"{short(n)} {np.median(np.atleast_1d(r.valley)):.2g}" for n, r in results.items()
    )
    head = "The curve moves with the optimizer: " + ("; ".join(parts) if parts else "")
    return f"{head}\nmedian valley suggestion of five seeds: {medians}"


@figure("range-test-optimizers", quick={"num_it": 60, "seeds": 2})
def range_test_optimizers(results=None, *, num_it=300, seeds=5, figsize=None):
    """PNG, lesson 7: five seeds' range tests for SGD, momentum and Adam, valley suggestions marked.

    ``results`` is a dict name -> ``lr_find`` result of a population (one curve per seed;
    default :func:`optimizer_finders`). One colour per seed in every panel, one legend below."""
    results = optimizer_finders(num_it, seeds) if results is None else results
    fig, axes = plotting.subplots(
        1, len(results), figsize=figsize or (13.0, 5.4), sharey=True, squeeze=False
    )
    axes = list(axes.ravel())
    top, low = 0.0, np.inf
    for ax, (name, result) in zip(axes, results.items()):
        # every point to the stop: the blow-up is what the reader compares
        result.plot(ax=ax, skip_end=0)
        ax.get_legend().remove()
        for k in range(result.n_curves):
            lrs, losses = result.curve(k)
            bottom = int(np.nanargmin(losses))
            first = min(result.num_it // 10, bottom)  # the plateau, past the first tenth
            top = max(top, np.nanmax(losses[first : bottom + 1]))
            low = min(low, losses[bottom])
        valley = np.atleast_1d(result.valley)
        ax.set_title(f"{name}\nvalley {valley.min():.2g} to {valley.max():.2g}")
        if ax is not axes[0]:
            ax.set_ylabel("")
    # the plateaus and the bottoms in view; a blow-up leaves through the top
    axes[0].set_ylim(low - 0.1 * (top - low), top + 0.15 * (top - low))
    from matplotlib.lines import Line2D

    n = max(r.n_curves for r in results.values())
    handles = [Line2D([], [], color=plotting.color(i), lw=2) for i in range(n)]
    labels = [f"seed {i}" for i in range(n)]
    handles.append(Line2D([], [], ls="none", marker="o", mfc="white", mec="black", ms=8))
    labels.append("its valley suggestion (dot in the seed's colour)")
    fig.legend(
        handles, labels, loc="outside lower center", ncols=min(len(labels), 6), frameon=False
    )
    fig.suptitle(optimizers_title(results))
    return plotting.legible(fig)
