"""Drawing trainability maps (:mod:`gdsim.nn.edge`) as the paper draws them.

Blue where training converged, darker for a lower mean loss; red where it did not, darker for a
quicker blow-up (the palest red: the loss stayed finite but never got below where it started).
Both axes are learning rates on a log scale; a map zoomed a thousand times spans a few parts in
ten thousand of an lr, so the ticks carry as many digits as it takes to tell them apart.

``animate_zoom`` flies into the boundary through maps computed at each zoom factor, each drawn
over the one before, as a gdsim :class:`~gdsim.plotting.movies.Animation`.
"""

from __future__ import annotations

import math

import numpy as np

from gdsim import arguments
from gdsim.plotting import theme
from gdsim.plotting.movies import Animation

CONVERGED_SHADES = (1.0, 0.35)  # Blues from dark (lowest loss) to light, never white
DIVERGED_SHADES = (1.0, 0.25)  # Reds from dark (blew up at once) to pale (never blew up)
NEVER = "never"  # the top tick of the red colour bar: no blow-up within the steps


def _colormaps():
    import matplotlib
    import matplotlib.colors as mcolors

    blues = matplotlib.colormaps["Blues"](np.linspace(*CONVERGED_SHADES, 256))
    reds = matplotlib.colormaps["Reds"](np.linspace(*DIVERGED_SHADES, 256))
    return (
        mcolors.ListedColormap(blues, name="converged"),
        mcolors.ListedColormap(reds, name="diverged"),
    )


def _norms(maps):
    """One colour scale for every map drawn together: log of the converged members' mean loss,
    and the steps to divergence from 0 to ``steps``."""
    import matplotlib.colors as mcolors

    losses = np.concatenate(
        [m.loss[m.converged & np.isfinite(m.loss) & (m.loss > 0)] for m in maps]
    )
    if losses.size:
        low, high = np.percentile(losses, [1, 99])
        high = high if high > low else low * 10
    else:
        low, high = 1e-3, 1.0
    steps = max(m.steps for m in maps)
    return mcolors.LogNorm(low, high, clip=True), mcolors.Normalize(0, steps, clip=True)


def _layers(m):
    """The two pictures of a map: mean loss where it converged, steps to divergence (``steps``
    where it never blew up) where it did not, each masked elsewhere."""
    converged = np.ma.masked_where(~m.converged, m.loss)
    steps = np.where(m.diverged_at >= 0, m.diverged_at, m.steps)
    return converged, np.ma.masked_where(m.converged, steps)


def _extent(m):
    """The map's pixels as edges in log10(lr): ``(x0, x1, y0, y1)``."""
    out = []
    for values in (m.x, m.y):
        v = np.log10(values)
        half = (v[-1] - v[0]) / (len(v) - 1) / 2
        out += [v[0] - half, v[-1] + half]
    return tuple(out)


def _axis_name(m, axis):
    groups = getattr(m, "groups", None)
    if not groups:
        return f"learning rate of layer group {axis}"
    layers = groups[axis]
    if groups == [[0], [1]]:
        return ("input", "output")[axis] + "-layer learning rate"
    names = f"layer {layers[0]}" if len(layers) == 1 else f"layers {layers[0]}–{layers[-1]}"
    return f"learning rate of {names}"


def _format_lr(value, digits):
    """``value`` with ``digits`` significant digits: positional from 10⁻⁴ to 10⁶ ("236.2",
    "0.0005"), else scientific ("3.2e-7")."""
    if 1e-4 <= abs(value) < 1e6:
        return np.format_float_positional(
            value, precision=digits, unique=False, fractional=False, trim="k"
        ).rstrip(".")
    text = f"{value:.{max(digits - 1, 0)}e}"
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def _lr_ticks(ax, which, low, high):
    """Ticks on an axis drawn in log10(lr), labelled with lr values: whole decades for a wide
    range, else round lr values (1-2-5 steps, or evenly spaced ones deep in a zoom) with the
    digits they need."""
    from matplotlib.ticker import MaxNLocator

    set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
    if high - low >= 2:
        ticks = np.arange(math.ceil(low), math.floor(high) + 1)
        set_ticks(ticks, [f"$10^{{{int(t)}}}$" for t in ticks])
        return
    decades = np.arange(math.floor(low) - 1, math.ceil(high) + 1)
    values = np.array([])
    for mantissas in ((1, 2, 5), (1, 2, 3, 5), tuple(range(1, 10))):
        values = np.array([m * 10.0**d for d in decades for m in mantissas])
        values = values[(np.log10(values) >= low) & (np.log10(values) <= high)]
        if len(values) >= 3:
            break
    if len(values) < 3:  # less than a factor of two across: evenly spaced lrs
        values = MaxNLocator(4, steps=[1, 2, 5, 10]).tick_values(10**low, 10**high)
        values = values[(values >= 10**low) & (values <= 10**high)]
    step = np.min(np.diff(values)) if len(values) > 1 else values[0]
    digits = max(1, int(math.floor(math.log10(np.max(values))) - math.floor(math.log10(step)) + 1))
    set_ticks(np.log10(values), [_format_lr(v, digits) for v in values])


def plot_trainability(tmap, ax=None, *, colorbars=True, title=True):
    """Draw a :class:`~gdsim.nn.edge.TrainabilityMap`: blue by mean loss where it converged,
    red by steps to divergence where it did not. Returns ``Drawn(ax, converged, diverged,
    colorbars)`` whose images' ``get_array()`` are the masked mean losses and step counts."""
    ax = theme.prepare_axes(ax, figsize=(7.6, 5.6))
    blues, reds = _colormaps()
    loss_norm, step_norm = _norms([tmap])
    converged, steps = _layers(tmap)
    extent = _extent(tmap)
    style = dict(origin="lower", extent=extent, aspect="auto", interpolation="nearest")
    drawn = theme.Drawn(ax=ax, colorbars=[])
    drawn["converged"] = ax.imshow(converged, cmap=blues, norm=loss_norm, **style)
    drawn["diverged"] = ax.imshow(steps, cmap=reds, norm=step_norm, **style)
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    _lr_ticks(ax, "x", *extent[:2])
    _lr_ticks(ax, "y", *extent[2:])
    ax.set_xlabel(_axis_name(tmap, 0))
    ax.set_ylabel(_axis_name(tmap, 1))
    if title:
        ax.set_title(f"{tmap.steps} steps: {tmap.fraction_converged:.0%} of the pairs train")
    if colorbars:
        drawn["colorbars"] = _colorbars(
            ax.figure, [ax], drawn["converged"], drawn["diverged"], tmap.steps
        )
    return drawn


def _colorbars(figure, axes, converged, diverged, steps):
    size = theme.FONT_SIZE - 1
    red = figure.colorbar(diverged, ax=axes, pad=0.02, fraction=0.05)
    red.set_label("steps until the loss blew up (did not converge)", fontsize=size)
    ticks = [t for t in red.get_ticks() if 0 <= t < steps * 0.9] + [steps]
    red.set_ticks(ticks, labels=[f"{t:g}" for t in ticks[:-1]] + [NEVER])
    blue = figure.colorbar(converged, ax=axes, pad=0.02, fraction=0.05)
    blue.set_label("mean training loss (converged)", fontsize=size)
    for bar in (blue, red):
        bar.ax.tick_params(labelsize=size)
    return [blue, red]


def _span(name, center, width):
    """``"x: 0.1234 … 0.1237"``: an axis' view in lrs, with the digits that tell its ends apart."""
    digits = max(3, int(math.ceil(-math.log10(width * math.log(10)))) + 3)
    low, high = 10 ** (center - width / 2), 10 ** (center + width / 2)
    return f"{name}: {_format_lr(low, digits)} … {_format_lr(high, digits)}"


def _zoom_frames(boxes, frames_per_zoom):
    """The view of every frame, ``(cx, cy, wx, wy)`` in log10(lr), flying from each box to the
    next: widths shrink geometrically about the point both boxes keep in place (the paper's
    ``interpolate_history``), so the picture zooms without sliding sideways."""
    views = []
    for (c1, w1), (c2, w2) in zip(boxes, boxes[1:]):
        ratio = w2 / w1
        decades = max(float(-np.log10(ratio.min())), 0.1)
        n = max(2, int(round(frames_per_zoom * decades)))
        fixed = np.where(ratio != 1, (c2 - c1 * ratio) / np.where(ratio != 1, 1 - ratio, 1), c1)
        for alpha in np.arange(n) / n:
            gamma = ratio**alpha
            views.append(np.concatenate([fixed + (c1 - fixed) * gamma, w1 * gamma]))
    c, w = boxes[-1]
    views.append(np.concatenate([c, w]))
    return views


def _zoom_figure(tmap, maps, figsize, loss_norm, step_norm):
    """The animation's figure: every map as an RGBA image (deeper ones on top), no ticks (the
    view changes every frame; a label names it), and the two colour bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure

    blues, reds = _colormaps()
    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    images = []
    for depth, m in enumerate(maps):
        _, steps = _layers(m)
        rgba = reds(step_norm(steps.filled(0)))
        rgba[m.converged] = blues(loss_norm(m.loss[m.converged]))
        images.append(
            ax.imshow(
                rgba,
                origin="lower",
                extent=_extent(m),
                aspect="auto",
                interpolation="nearest",
                zorder=depth,
            )
        )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(_axis_name(tmap, 0))
    ax.set_ylabel(_axis_name(tmap, 1))
    ax.set_title(f"zooming into the edge of trainability ({tmap.steps} steps)")
    box = dict(boxstyle="round", facecolor="white", alpha=0.85, edgecolor="none")
    label = ax.text(
        0.02,
        0.98,
        "",
        transform=ax.transAxes,
        va="top",
        ha="left",
        fontsize=theme.FONT_SIZE - 1,
        bbox=box,
        zorder=len(maps) + 1,
        family="monospace",
    )
    mappables = [
        ScalarMappable(norm=loss_norm, cmap=blues),
        ScalarMappable(norm=step_norm, cmap=reds),
    ]
    _colorbars(figure, [ax], *mappables, tmap.steps)
    return figure, ax, images, label


def animate_zoom(
    tmap,
    center,
    factors,
    *,
    resolution=None,
    frames_per_zoom=12,
    fps=12,
    hold=2.0,
    figsize=(7.6, 5.6),
):
    """Fly into the boundary of ``tmap`` at ``center`` (an (lr0, lr1) pair), through maps zoomed
    ``factors`` times (increasing, e.g. ``(10, 100, 1000)``; computed with
    :meth:`~gdsim.nn.edge.TrainabilityMap.zoom_path`, at ``resolution``, default the map's).
    ``frames_per_zoom`` frames per tenfold zoom. Returns a gdsim Animation; ``anim.maps`` are
    the maps it shows, the first one ``tmap``."""
    frames_per_zoom = arguments.check_int("frames_per_zoom", frames_per_zoom, minimum=1)
    arguments.check_positive("fps", fps)
    maps = [tmap] + tmap.zoom_path(center, factors, resolution)
    loss_norm, step_norm = _norms(maps)
    boxes = []
    for m in maps:
        x0, x1, y0, y1 = _extent(m)
        boxes.append((np.array([(x0 + x1) / 2, (y0 + y1) / 2]), np.array([x1 - x0, y1 - y0])))
    views = _zoom_frames(boxes, frames_per_zoom)

    # a figure of its own, outside pyplot, as gdsim.animate builds: in Jupyter only the player shows
    with theme.style():
        figure, ax, images, label = _zoom_figure(tmap, maps, figsize, loss_norm, step_norm)
    full = boxes[0][1]

    def update(i):
        cx, cy, wx, wy = views[i]
        ax.set_xlim(cx - wx / 2, cx + wx / 2)
        ax.set_ylim(cy - wy / 2, cy + wy / 2)
        label.set_text(f"zoom ×{full[0] / wx:,.0f}\n{_span('x', cx, wx)}\n{_span('y', cy, wy)}")

    update(0)
    animation = Animation(figure, update, images + [label], np.arange(len(views)), fps, hold)
    animation.maps = maps
    return animation
