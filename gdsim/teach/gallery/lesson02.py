"""The figures of lesson 2, Where you start decides where you end.

One function each, reachable as ``gdsim figure NAME``. Each takes what the lesson computed
(``run=``, ``basin_map=``, ``model=``/``history=``) and computes the lesson's own when called
alone; each title is read off the data by a ``*_title`` function the tests check. The basins
over lr and the which-minimum movie are the tour's :func:`~.headline.basins_by_lr` and
:func:`~.headline.which_minimum`, drawn from the lesson's own maps and runs.
"""

from __future__ import annotations

import numpy as np

from gdsim import optimizers, plotting, surfaces
from gdsim.plotting.animation import animate
from gdsim.plotting.maps import plot_basins
from gdsim.sim.engine import simulate
from gdsim.sim.maps import basin_label, basins
from gdsim.teach.gallery.base import figure

LR = 0.01
CAMEL_LR = 0.05


def _counted(n, word):
    return f"{n} {word}" + ("" if n == 1 else ("es" if word.endswith("x") else "s"))


def landscape_title(surface):
    """What the landscape holds: its minima (and whether they are equally good), saddles,
    maxima."""
    surface = surfaces.as_surface(surface)
    values = np.asarray(surface.minima_values, dtype=float)
    name = surface.name.replace("_", " ").capitalize()
    n = len(surface.minima)
    if n > 1 and np.allclose(values, values.min(), atol=1e-9):
        first = f"{name}: {n} equally good minima (all f = {round(values.min(), 9):.3g})"
    elif n > 1:
        first = f"{name}: {n} minima, one global (f = {round(values.min(), 9):.3g})"
    else:
        first = f"{name}: {_counted(n, 'minimum').replace('minimums', 'minima')}"
    parts = []
    if len(surface.saddles):
        parts.append(f"{_counted(len(surface.saddles), 'saddle')} (×)")
    if len(getattr(surface, "maxima", ())):
        parts.append(_counted(len(surface.maxima), "maximum").replace("maximums", "maxima"))
    return first + (",\nseparated by ridges through " + " and ".join(parts) if parts else "")


@figure("himmelblau-minima", quick={"resolution": 60})
def himmelblau_minima(surface=None, *, resolution=200, figsize=None):
    """PNG, lesson 2: Himmelblau's landscape, its four minima, four saddles and one maximum."""
    surface = surfaces.get("himmelblau") if surface is None else surfaces.as_surface(surface)
    _, ax = plotting.subplots(figsize=figsize or (8.0, 6.6))
    plotting.contour(surface, ax=ax, resolution=resolution)
    maxima = np.asarray(getattr(surface, "maxima", np.zeros((0, 2))))
    if len(maxima):
        ax.plot(*maxima.T, "^", color="black", mfc="white", ms=10, mew=1.5, zorder=6)
    for k, (x, y) in enumerate(surface.minima):
        ax.annotate(
            f"f = {round(float(surface.minima_values[k]), 9):.3g}",
            (x, y),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            va="bottom",
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#777777", alpha=0.9),
            zorder=8,
        )
    ax.set_title("")
    ax.figure.suptitle(landscape_title(surface) + ("; △ the maximum" if len(maxima) == 1 else ""))
    return plotting.legible(ax.figure)


# -- thirty random starts ------------------------------------------------------------------------


def random_starts(n=30, steps=150, seed=0):
    """The lesson's ``n`` uniform random starts on Himmelblau under SGD at lr 0.01."""
    starts = np.random.default_rng(seed).uniform(-5, 5, (n, 2))
    return simulate("himmelblau", optimizers.SGD(lr=LR), starts, steps)


def starts_title(run):
    """How many starts reached how many different minima, and how many did not settle."""
    reached = run.reached.reshape(-1)
    found = np.unique(reached[reached >= 0])
    missed = int((reached < 0).sum())
    label = run.optimizer.label() if hasattr(run.optimizer, "label") else "SGD"
    first = (
        f"The start decides the minimum: {reached.size} random starts, {label},\n"
        f"end in {len(found)} different minima"
    )
    if missed:
        return f"{first}; {missed} of them settle in none within {run.steps} steps"
    return f"{first}, each path coloured by the one it reaches"


@figure("random-starts-movie", quick={"n": 6, "steps": 20, "frames": 3})
def random_starts_movie(run=None, *, n=30, steps=150, frames=60, fps=12, dpi=60, figsize=None):
    """GIF, lesson 2: 30 random starts on Himmelblau, each path coloured by the minimum it
    ends in."""
    run = random_starts(n, steps) if run is None else run
    return animate(
        run,
        color_by="minimum",
        frames=min(frames, run.positions.shape[0]),
        fps=fps,
        dpi=dpi,
        panels=None,
        title=starts_title(run),
        figsize=figsize or (8.6, 7.8),
    )


# -- the basin map -------------------------------------------------------------------------------


def basin_map(grid=150, steps=200):
    """The lesson's basin map: SGD at lr 0.01 on Himmelblau, one start per pixel."""
    return basins("himmelblau", optimizers.SGD(lr=LR), grid=grid, steps=steps)


def shares(result, i=0):
    """{minimum index (or -1/-2): share of panel ``i``'s starts that ended there}."""
    labels, _ = result.cell(i)
    return {int(k): float((labels == k).mean()) for k in np.unique(labels)}


def basin_map_title(result):
    """Whether every start settled in a minimum, and how the starts split between them."""
    found = shares(result)
    minima = {k: v for k, v in found.items() if k >= 0}
    label = result.cell_labels[0]
    lost = sum(v for k, v in found.items() if k < 0)
    first = f"The basin map of {label}: "
    if not minima:
        return first + "no start settles in a minimum"
    split = f"{min(minima.values()):.0%}–{max(minima.values()):.0%} each"
    limits, lr = result.limits(0), result.lr(0)
    below = (
        f"lr = {lr:g} is below every minimum's limit 2/λ"
        if limits is not None and lr is not None and (lr < limits).all()
        else ""
    )
    if lost == 0:
        first += f"every start settles in one of {len(minima)} minima ({split})"
    else:
        first += f"{1 - lost:.1%} of the starts settle in one of {len(minima)} minima ({split})"
    return first + "\n" + "; ".join([p for p in (below, "black lines: sample runs") if p])


@figure("basin-map", quick={"grid": 40, "steps": 60, "samples": 2})
def basin_map_figure(result=None, *, grid=150, steps=200, samples=9, figsize=None):
    """PNG, lesson 2: the basins of SGD (lr 0.01) on Himmelblau, one start per pixel, with
    sample paths."""
    result = basin_map(grid, steps) if result is None else result
    _, ax = plotting.subplots(figsize=figsize or (10.0, 6.4))
    plot_basins(result, ax=ax, samples=samples)
    ax.set_title("")
    title = basin_map_title(result)
    if not samples:
        title = title.replace("; black lines: sample runs", "").replace(
            "\nblack lines: sample runs", ""
        )
    ax.figure.suptitle(title)
    return plotting.legible(ax.figure)


# -- minima that are not equally good ------------------------------------------------------------


def camel_map(grid=150, steps=300):
    """The lesson's basin map on the three-hump camel: SGD at lr 0.05."""
    return basins("three_hump_camel", optimizers.SGD(lr=CAMEL_LR), grid=grid, steps=steps)


def global_share(result):
    """The share of the starts that reach the global minimum (the lowest of the minima)."""
    k = int(np.argmin(result.surface.minima_values))
    labels, _ = result.cell(0)
    return float((labels == k).mean())


def camel_title(result, tries=5):
    """The chance one random start finds the global minimum, and the best of ``tries``."""
    p = global_share(result)
    best = 1 - (1 - p) ** tries
    name = result.surface.name.replace("_", " ")
    return (
        f"{name.capitalize()}: a random start finds the global minimum with probability {p:.2f},\n"
        f"the best of {tries} random starts with probability {best:.2f}"
    )


@figure("camel-basins", quick={"grid": 40, "steps": 80, "samples": 2})
def camel_basins(result=None, *, grid=150, steps=300, samples=9, figsize=None):
    """PNG, lesson 2: the basins of SGD on the three-hump camel, where only the middle minimum
    is global."""
    result = camel_map(grid, steps) if result is None else result
    _, ax = plotting.subplots(figsize=figsize or (10.0, 6.4))
    plot_basins(result, ax=ax, samples=samples)
    ax.set_title(f"{result.cell_labels[0]}" + ("; black lines: sample runs" if samples else ""))
    ax.figure.suptitle(camel_title(result))
    return plotting.legible(ax.figure)


# -- several random initial weights --------------------------------------------------------------

MEMBERS = 12


def spirals():
    """The lesson's spirals split: (X, y, X_train, X_val, y_train, y_val)."""
    from gdsim import datasets

    X, y = datasets.spirals(600, n_classes=3, noise=0.2, seed=0)
    return (X, y) + tuple(datasets.train_test_split(X, y, test_size=0.3, seed=0))


def train_seeds(members=MEMBERS, epochs=100):
    """The lesson's population: ``members`` copies of a 2-8-3 network, one seed each, trained
    together on the spirals. Returns (model, history, data) with data from :func:`spirals`."""
    from gdsim import nn

    data = spirals()
    _, _, X_train, X_val, y_train, y_val = data
    model = nn.MLP([2, 8, 3], population=members, seed=list(range(members)))
    history = nn.fit(
        model,
        optimizers.SGD(lr=0.1, momentum=0.9),
        X_train,
        y_train,
        epochs=epochs,
        validation_data=(X_val, y_val),
        verbose=0,
    )
    return model, history, data


def best_and_worst(history):
    """The members with the lowest and the highest final training loss."""
    order = np.argsort(np.asarray(history.loss)[-1])
    return int(order[0]), int(order[-1])


def seeds_title(history):
    """How far apart the best and the worst seed end, in training loss and val accuracy."""
    best, worst = best_and_worst(history)
    loss, accuracy = np.asarray(history.loss)[-1], np.asarray(history.val_accuracy)[-1]
    return (
        "Same data, model, optimizer and lr; "
        f"only the initial weights differ ({loss.size} seeds):\n"
        f"training loss {loss[best]:.2f} for the best seed, {loss[worst]:.2f} for the worst "
        f"(val accuracy {accuracy[best]:.2f} vs {accuracy[worst]:.2f})"
    )


@figure("seeds-best-worst", quick={"members": 3, "epochs": 3, "resolution": 40})
def seeds_best_worst(
    model=None,
    history=None,
    data=None,
    *,
    members=MEMBERS,
    epochs=100,
    resolution=200,
    figsize=None,
):
    """PNG, lesson 2: the decision regions of the best and the worst of 12 seeds of one
    network on the spirals."""
    import matplotlib.colors as mcolors
    from matplotlib.patches import Patch

    if model is None or history is None or data is None:
        model, history, data = train_seeds(members, epochs)
    X, y, _, X_val, _, y_val = data
    best, worst = best_and_worst(history)
    accuracy = np.asarray(history.val_accuracy)[-1]
    classes = int(max(np.max(y), np.max(y_val))) + 1
    colours = [plotting.color(c) for c in range(classes)]
    cmap = mcolors.ListedColormap(colours)
    xx, yy = np.meshgrid(
        np.linspace(X[:, 0].min(), X[:, 0].max(), resolution),
        np.linspace(X[:, 1].min(), X[:, 1].max(), resolution),
    )
    predicted = model.predict(np.column_stack([xx.ravel(), yy.ravel()]))  # one row per member
    _, axes = plotting.subplots(1, 2, figsize=figsize or (11.0, 5.8), sharey=True)
    levels = np.arange(classes + 1) - 0.5
    for ax, k, name in zip(axes, (best, worst), ("best", "worst")):
        ax.contourf(xx, yy, predicted[k].reshape(xx.shape), levels=levels, alpha=0.3, cmap=cmap)
        ax.scatter(*X_val.T, c=[colours[c] for c in y_val], s=12, edgecolors="white", lw=0.3)
        ax.set_title(f"{name} seed ({k}): val accuracy {accuracy[k]:.3f}")
        ax.set_xlabel("x₁")
    axes[0].set_ylabel("x₂")
    handles = [Patch(facecolor=c, alpha=0.6, edgecolor="black", lw=0.5) for c in colours]
    axes[0].figure.legend(
        handles,
        [f"class {c}: points and the region predicted as it" for c in range(classes)],
        loc="outside lower center",
        ncols=min(classes, 2),
        frameon=False,
    )
    axes[0].figure.suptitle(seeds_title(history))
    return plotting.legible(axes[0].figure)


__all__ = [
    "basin_label",
    "basin_map",
    "basin_map_figure",
    "basin_map_title",
    "best_and_worst",
    "camel_basins",
    "camel_map",
    "camel_title",
    "global_share",
    "himmelblau_minima",
    "landscape_title",
    "random_starts",
    "random_starts_movie",
    "seeds_best_worst",
    "seeds_title",
    "shares",
    "spirals",
    "starts_title",
    "train_seeds",
]
