"""The figures of lesson 11, The edge of trainability.

One function each, reachable as ``gdsim figure NAME``. Each takes the maps the lesson computed
(``tmap=``, ``path=``, ``deep=``) and computes the lesson's own when called alone; each title is
read off the maps by a ``*_title`` function the tests check. The lesson's last figure, lesson 2's
basins at several learning rates, is the headline ``basins-by-lr``.
"""

from __future__ import annotations

import functools

import numpy as np

from gdsim import plotting
from gdsim.nn.edge import paper_setup, trainability
from gdsim.plotting.edge import animate_zoom, plot_trainability
from gdsim.teach.gallery.base import figure

STEPS = 200
LR = ((3, 3e4), (0.05, 0.5))  # input-layer lrs (x), output-layer lrs (y)
RESOLUTION = 64
NEAR = (300, 0.22)  # where the zoom dives in: where the blue meets the red in the middle
FACTORS = (10, 100, 1000)
ZOOM_RESOLUTION = 40
TRAIN = "#2166AC"  # the maps' blue and red, for legends naming the two outcomes
FAIL = "#B2182B"


# -- the lesson's maps ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def lesson_maps(steps=STEPS, resolution=RESOLUTION, zoom_resolution=ZOOM_RESOLUTION):
    """The lesson's map of the paper's network (:func:`gdsim.nn.edge.paper_setup`) and its zoom:
    ``(tmap, point, path)``, ``path`` the maps zoomed :data:`FACTORS` times into ``point``."""
    setup = paper_setup()
    tmap = trainability(
        setup.model,
        setup.X,
        setup.y,
        steps=steps,
        lr=LR,
        resolution=resolution,
        train_biases=False,
        progress=False,
    )
    point = tmap.boundary_point(near=NEAR)
    return tmap, point, tmap.zoom_path(point, FACTORS, resolution=zoom_resolution)


def output_layer_limit(setup=None):
    """Lesson 1's limit for the output layer alone: 2/L, L the largest curvature of the loss in
    the output weights with the input layer frozen (a linear model in those weights, so its
    Hessian 2FᵀF/n is the same everywhere; F the hidden units' activations)."""
    setup = paper_setup() if setup is None else setup
    W = setup.model.get_weights()[0]
    features = np.tanh(setup.X @ W)
    curvature = np.linalg.eigvalsh(2 * features.T @ features / len(features)).max()
    return float(2 / curvature)


def switches(tmap):
    """For every column (input-layer lr): how often the outcome changes going up the output-layer
    lrs. 1 is a clean edge; 3 or more, islands of one outcome in the other."""
    c = tmap.converged
    return (c[1:] != c[:-1]).sum(axis=0)


def _lr(value):
    """A learning rate with two significant digits, without an exponent: 17, 8000, 0.22."""
    return f"{float(f'{value:.2g}'):,.0f}" if value >= 10 else f"{value:.2g}"


def mixed(tmap):
    """Whether a map holds both outcomes (and so some boundary)."""
    return bool(tmap.converged.any() and not tmap.converged.all())


# -- the map -------------------------------------------------------------------------------------


def map_title(tmap, limit):
    """What the map shows, read off it: the share that trains, whether the edge is lesson 1's
    line 2/L where the input layer barely moves, and from which input-layer lr it frays."""
    first = f"{tmap.fraction_converged:.0%} of the lr pairs train in {tmap.steps} steps"
    if not mixed(tmap):
        return f"{first}: no edge in this range"
    counts = switches(tmap)
    column = tmap.converged[:, 0]
    parts = []
    if counts[0] == 1 and column[0] and not column[-1]:
        below = tmap.y[np.flatnonzero(column)].max()
        above = tmap.y[np.flatnonzero(~column)].min()
        if below <= limit < above:
            parts.append("a small input-layer lr puts the edge on lesson 1's line lr = 2/L")
    ragged = np.flatnonzero(counts > 1)
    if len(ragged):
        low, high = tmap.x[ragged[0]], tmap.x[ragged[-1]]
        parts.append(f"between input-layer lrs {_lr(low)} and {_lr(high)} it frays into islands")
    if not parts:
        return f"{first}; the edge is a single line"
    return f"{first}:\n" + ";\n".join(parts)


@figure("trainability-map", quick={"steps": 20, "resolution": 8, "zoom_resolution": 8})
def trainability_map(
    tmap=None,
    *,
    steps=STEPS,
    resolution=RESOLUTION,
    zoom_resolution=ZOOM_RESOLUTION,
    figsize=None,
):
    """PNG, lesson 11: one network per pixel, blue where it trains, red where not, with 2/L."""
    if tmap is None:
        tmap = lesson_maps(steps, resolution, zoom_resolution)[0]
    limit = output_layer_limit()
    fig, ax = plotting.subplots(figsize=figsize or (9.6, 7.0))
    plot_trainability(tmap, ax=ax, title=False)
    ax.axhline(
        np.log10(limit),
        color="black",
        ls="--",
        lw=2,
        label=f"lr = 2/L = {limit:.3g}: the output layer's limit alone (lesson 1)",
    )
    fig.legend(loc="outside lower center", frameon=False)
    fig.suptitle(map_title(tmap, limit))
    return plotting.legible(fig)


# -- the zoom ------------------------------------------------------------------------------------


def zoom_title(maps, factors):
    """Whether both outcomes stay mixed down to the deepest zoom."""
    if all(mixed(m) for m in maps):
        return f"Zoomed {factors[-1]:g} times into the edge, it is still ragged:\nboth outcomes mix"
    lost = next(f for m, f in zip(maps, (1,) + tuple(factors)) if not mixed(m))
    return f"Zooming into the edge: at ×{lost:g} the view holds one outcome only"


def _box(m):
    """The map's pixels' edges in log10(lr): ``(x0, x1, y0, y1)``, as plot_trainability draws."""
    out = []
    for values in (m.x, m.y):
        v = np.log10(values)
        half = (v[-1] - v[0]) / (len(v) - 1) / 2
        out += [v[0] - half, v[-1] + half]
    return out


def _outcome_legend(fig):
    from matplotlib.patches import Patch

    handles = [Patch(color=TRAIN), Patch(color=FAIL)]
    names = ["trains (darker: lower loss)", "does not (darker: blew up sooner)"]
    return fig.legend(handles, names, loc="outside lower center", ncols=2, frameon=False)


@figure("trainability-zoom", quick={"steps": 20, "resolution": 8, "zoom_resolution": 8})
def trainability_zoom(
    tmap=None,
    path=None,
    *,
    steps=STEPS,
    resolution=RESOLUTION,
    zoom_resolution=ZOOM_RESOLUTION,
    figsize=None,
):
    """PNG, lesson 11: the map zoomed 10, 100 and 1000 times into its edge, each box marked."""
    if tmap is None or path is None:
        tmap, _, path = lesson_maps(steps, resolution, zoom_resolution)
    from matplotlib.patches import Rectangle

    maps = [tmap] + list(path)
    factors = (1,) + FACTORS[: len(path)]
    fig, axes = plotting.subplots(2, 2, figsize=figsize or (11.5, 10.0))
    for k, (ax, m, factor) in enumerate(zip(axes.flat, maps, factors)):
        plot_trainability(m, ax=ax, colorbars=False, title=False)
        ax.set_title(f"zoom ×{factor:g}: {m.fraction_converged:.0%} train")
        if k + 1 < len(maps):
            x0, x1, y0, y1 = _box(maps[k + 1])
            for colour, width in (("white", 5), ("black", 2.5)):
                ax.add_patch(
                    Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=colour, lw=width, zorder=5)
                )
    for ax in list(axes.flat)[len(maps) :]:
        ax.set_visible(False)
    _outcome_legend(fig)
    fig.suptitle(zoom_title(maps, FACTORS[: len(path)]) + "\n(black box: the next panel's view)")
    return plotting.legible(fig)


@figure(
    "trainability-zoom-movie",
    quick={"steps": 20, "resolution": 8, "zoom_resolution": 8, "frames_per_zoom": 2},
)
def trainability_zoom_movie(
    tmap=None,
    point=None,
    *,
    steps=STEPS,
    resolution=RESOLUTION,
    zoom_resolution=ZOOM_RESOLUTION,
    frames_per_zoom=12,
    figsize=None,
):
    """GIF, lesson 11: a flight 1000 times into the edge, the deeper maps drawn as it closes in."""
    if tmap is None or point is None:
        tmap, point, _ = lesson_maps(steps, resolution, zoom_resolution)
    anim = animate_zoom(
        tmap,
        point,
        FACTORS,
        resolution=zoom_resolution,
        frames_per_zoom=frames_per_zoom,
        figsize=figsize or (8.6, 6.4),
    )
    anim.figure.axes[0].set_title(zoom_title(anim.maps, FACTORS))
    plotting.legible(anim.figure)
    return anim


# -- a hair's breadth ----------------------------------------------------------------------------


def neighbours(deep):
    """A row ``i`` and column ``j`` of ``deep`` whose pixels ``j`` and ``j + 1`` have opposite
    outcomes (the middle one of all such pairs), or None if there is none."""
    pairs = np.argwhere(deep.converged[:, :-1] != deep.converged[:, 1:])
    if not len(pairs):
        return None
    i, j = pairs[len(pairs) // 2]
    return int(i), int(j)


def parting_step(a, b, factor=2.0):
    """The first step at which two loss curves differ by more than ``factor`` (or one of them
    has blown up), or None."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    with np.errstate(all="ignore"):
        apart = ~np.isfinite(a) | ~np.isfinite(b) | (np.abs(np.log(a / b)) > np.log(factor))
    return int(np.argmax(apart)) if apart.any() else None


def breadth_title(deep, i, j):
    """The two neighbours' lrs' relative difference and their two fates."""
    rel = deep.x[j + 1] / deep.x[j] - 1
    fates = []
    for column in (j, j + 1):
        if deep.converged[i, column]:
            fates.append("trains")
        elif deep.diverged_at[i, column] >= 0:
            fates.append(f"blows up at step {deep.diverged_at[i, column]}")
        else:
            fates.append("never gets below its start")
    return f"Input-layer lrs {rel:.1e} apart (relative), the same output-layer lr:\n" + (
        f"one {fates[0]}, the other {fates[1]}" if fates[0] != fates[1] else f"both {fates[0]}"
    )


@figure("hairs-breadth", quick={"steps": 20, "resolution": 8, "zoom_resolution": 8})
def hairs_breadth(
    deep=None,
    pair=None,
    *,
    steps=STEPS,
    resolution=RESOLUTION,
    zoom_resolution=ZOOM_RESOLUTION,
    figsize=None,
):
    """PNG, lesson 11: the loss curves of two neighbouring pixels with opposite fates."""
    if deep is None:  # the deepest of the lesson's maps with two such neighbours
        tmap, _, path = lesson_maps(steps, resolution, zoom_resolution)
        deep = next((m for m in path[::-1] if neighbours(m) is not None), tmap)
    pair = neighbours(deep) if pair is None else pair
    if pair is None:
        raise ValueError("the map has no neighbouring pixels with opposite outcomes")
    i, j = (int(v) for v in pair)
    fig, ax = plotting.subplots(figsize=figsize or (10.0, 5.6))
    curves = []
    for k, column in enumerate((j, j + 1)):
        curve = deep.loss_curve(i, column)
        curves.append(curve)
        outcome = "trains" if deep.converged[i, column] else "does not train"
        c = plotting.color(k)
        ax.semilogy(curve, color=c, label=f"input lr {deep.x[column]:.8g}: {outcome}")
        blown = deep.diverged_at[i, column]
        if blown >= 0:
            last = int(np.flatnonzero(np.isfinite(curve))[-1])
            ax.plot(last, curve[last], "X", ms=14, color=c, mec="black", zorder=5)
            ax.annotate(
                f"blows up at step {blown}",
                (last, curve[last]),
                xytext=(12, 0),
                textcoords="offset points",
                va="center",
                color=c,
            )
    apart = parting_step(*curves)
    if apart is not None:
        label = f"the curves part (×2): step {apart}"
        ax.axvline(apart, color="#666666", ls=":", lw=2, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title(breadth_title(deep, i, j))
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return plotting.legible(fig)


# -- box counting --------------------------------------------------------------------------------


def box_title(dimensions):
    """Whether every zoom's box-counting dimension lies strictly between 1 and 2."""
    d = np.asarray(dimensions, dtype=float)
    span = f"D = {np.nanmin(d):.2f} to {np.nanmax(d):.2f}"
    if np.isfinite(d).all() and ((d > 1) & (d < 2)).all():
        return (
            f"At every zoom the edge's box-counting dimension\nlies between 1 and 2 ({span}): "
            "rougher than a line at every scale,\n"
            "as a fractal is (an estimate over a few box sizes)"
        )
    return f"Box-counting dimension of the edge at each zoom: {span}"


@figure("box-counting", quick={"steps": 20, "resolution": 8, "zoom_resolution": 8})
def box_counting(
    tmap=None,
    path=None,
    *,
    steps=STEPS,
    resolution=RESOLUTION,
    zoom_resolution=ZOOM_RESOLUTION,
    figsize=None,
):
    """PNG, lesson 11: boxes holding the edge against box size at every zoom; slopes 1 and 2."""
    if tmap is None or path is None:
        tmap, _, path = lesson_maps(steps, resolution, zoom_resolution)
    maps = [tmap] + list(path)
    factors = (1,) + FACTORS[: len(path)]
    fig, ax = plotting.subplots(figsize=figsize or (9.0, 6.4))
    dimensions = []
    for k, (m, factor) in enumerate(zip(maps, factors)):
        box = m.boundary_dimension()
        dimensions.append(box.dimension)
        ax.loglog(
            box.sizes,
            np.maximum(box.counts, 0.5),
            "o-",
            color=plotting.color(k),
            label=f"zoom ×{factor:g}: D = {box.dimension:.2f}",
        )
    first = maps[0].boundary_dimension()
    s = first.sizes.astype(float)
    anchor = max(first.counts[0], 1)
    for slope, style, what in ((1, "--", "a smooth line"), (2, ":", "fills the plane")):
        ax.loglog(
            s, anchor * (s / s[0]) ** -slope, style, color="#777777", label=f"D = {slope}: {what}"
        )
    sizes = sorted({int(v) for m in maps for v in m.boundary_dimension().sizes})
    ax.set_xticks(sizes, [str(v) for v in sizes])
    ax.minorticks_off()
    ax.set_xlabel("box size s (pixels)")
    ax.set_ylabel("boxes holding boundary, N(s)")
    fig.suptitle(box_title(dimensions))
    fig.legend(loc="outside right center", frameon=False)
    return plotting.legible(fig)
