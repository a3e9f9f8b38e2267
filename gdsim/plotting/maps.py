"""Drawing the maps of :mod:`gdsim.sim.maps`: basins of attraction and stability over
hyperparameters, with each minimum's stable-lr limit (lr < 2/λ, lr < 2(1 + μ)/λ with momentum)
on top."""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.plotting import figures as plotting
from gdsim.plotting.theme import finish, panel_grid
from gdsim.sim.engine import simulate
from gdsim.sim.maps import CLASSES


def plot_basins(
    basin_map,
    ax=None,
    *,
    samples=0,
    sample_steps=None,
    shade=False,
    contours=True,
    legend=True,
    titles=True,
    limits=True,
):
    """Colour each start by the minimum it reached: the basin-of-attraction picture.

    Each minimum has its own colour (repeating after eight) and is marked by a white star; grey
    is "did not converge in time", near-black "diverged". ``samples`` overlays that many sample
    trajectories (from an even grid of starts) to show *how* the runs got there; ``shade``
    lightens pixels by how long they took to settle. One panel per sweep value; with several
    panels ``ax`` is a sequence of axes. Returns ``Drawn(axes, images, trajectories, legend)``
    whose ``images[i].get_array()`` are the labels.

    ``limits`` writes next to each minimum the largest lr that can settle there (2/λ, λ its
    sharpest curvature; 2(1 + μ)/λ with momentum) and, where the panel's lr is above it, "too
    sharp for this lr": the reason a minimum has lost its basin (for SGD; adaptive methods
    have no such closed-form limit).
    """
    import matplotlib.colors as mcolors
    from matplotlib.patches import Patch

    surface = basin_map.surface
    n_cells = len(basin_map.cells)
    axes = _panel_axes(ax, n_cells)
    k = len(surface.minima)
    colors = [plotting.basin_color(c) for c in range(-2, k)]
    cmap = mcolors.ListedColormap(colors)
    norm = mcolors.BoundaryNorm(np.arange(-2.5, k), cmap.N)
    x, y = basin_map.x, basin_map.y
    dx, dy = x[1] - x[0], y[1] - y[0]
    extent = (x[0] - dx / 2, x[-1] + dx / 2, y[0] - dy / 2, y[-1] + dy / 2)
    drawn = plotting.Drawn(axes=axes, images=[], trajectories=[], legend=None)
    for i, ax in enumerate(axes):
        labels, settled = basin_map.cell(i)
        image = ax.imshow(
            labels,
            origin="lower",
            extent=extent,
            cmap=cmap,
            norm=norm,
            interpolation="nearest",
            aspect="auto",
            zorder=0,
        )
        drawn["images"].append(image)
        if shade:
            # slow starts fade towards white: the basin's core is where convergence is quick
            fraction = np.where(settled >= 0, settled / max(basin_map.steps, 1), 0.0)
            ax.imshow(
                np.ones(labels.shape + (3,)),
                origin="lower",
                extent=extent,
                alpha=0.65 * fraction,
                interpolation="nearest",
                aspect="auto",
                zorder=0.5,
            )
        if contours:
            plotting.contour(surface, ax=ax, filled=False, saddles=False, resolution=150)[
                "lines"
            ].set_alpha(0.45)
        else:
            ax.plot(surface.minima[:, 0], surface.minima[:, 1], **plotting.MINIMUM_STYLE)
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        if titles and (n_cells > 1 or basin_map.axes):
            ax.set_title(basin_map.cell_labels[i], fontsize=plotting.FONT_SIZE)
        if samples:
            drawn["trajectories"].append(_sample_paths(basin_map, i, ax, samples, sample_steps))
        if limits:
            drawn.setdefault("limits", []).append(_mark_limits(basin_map, i, ax))
    if legend:
        present = sorted(np.unique(basin_map.labels).tolist(), key=lambda c: (c < 0, c))
        shown = [c for c in present if c < 0] if sum(c >= 0 for c in present) > 10 else present
        handles = [
            Patch(facecolor=plotting.basin_color(c), edgecolor="black", linewidth=0.5)
            for c in shown
        ]
        names = [plotting.basin_label(c, surface) for c in shown]
        if len(shown) < len(present):
            handles.insert(0, Patch(facecolor="white", edgecolor="black"))
            names.insert(0, "one colour per minimum (colours repeat)")
        figure = axes[0].figure
        if n_cells > 1:
            drawn["legend"] = figure.legend(
                handles, names, loc="outside lower center", ncols=min(len(names), 4), frameon=False
            )
        else:
            drawn["legend"] = axes[0].legend(
                handles,
                names,
                loc="upper left",
                bbox_to_anchor=(1.02, 1.0),
                frameon=False,
                fontsize=plotting.FONT_SIZE - 2,
            )
    if n_cells == 1:
        drawn["ax"] = axes[0]
    return finish(drawn)


def _mark_limits(basin_map, i, ax):
    """Each minimum's stable-lr limit beside its star; red where this panel's lr exceeds it."""
    limits, lr = basin_map.limits(i), basin_map.lr(i)
    if limits is None or lr is None:
        return []
    optimizer = basin_map.optimizer(i)
    plain = optimizer.momentum == 0
    formula = "2/λ" if plain else ("2(1+μ)/((1+2μ)λ)" if optimizer.nesterov else "2(1+μ)/λ")
    texts = []
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for (mx, my), limit in zip(basin_map.surface.minima, limits):
        if not (x0 <= mx <= x1 and y0 <= my <= y1):
            continue
        sharp = lr >= limit
        words = f"too sharp: {formula} = {limit:.3g}" if sharp else f"{formula} = {limit:.3g}"
        # towards the middle of the panel so the box stays inside it: beside the star and
        # below it in the lower half, above it in the upper half (so two minima in one half
        # do not put their labels side by side between them)
        dx = 8 if mx < (x0 + x1) / 2 else -8
        upper = my > (y0 + y1) / 2
        texts.append(
            ax.annotate(
                words,
                (mx, my),
                xytext=(dx, 12 if upper else -12),
                textcoords="offset points",
                ha="left" if dx > 0 else "right",
                va="bottom" if upper else "top",
                zorder=8,
                color="#B00000" if sharp else "black",
                bbox=dict(
                    boxstyle="round,pad=0.25",
                    fc="white",
                    ec="#B00000" if sharp else "#777777",
                    alpha=0.92,
                ),
            )
        )
    return texts


def _panel_axes(ax, n):
    if ax is None:
        import matplotlib.pyplot as plt

        rows, cols = panel_grid(n)
        with plotting.style():
            # one panel shares its width with the legend beside it, so it gets room for both
            width = 7.6 if n == 1 else 0.4 + 4.2 * cols
            fig = plt.figure(figsize=(width, 1.0 + 4.0 * rows), layout="constrained")
            axes = list(np.ravel(fig.subplots(rows, cols, squeeze=False)))
        for extra in axes[n:]:
            extra.set_visible(False)
        return axes[:n]
    axes = list(np.ravel(ax)) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
    if len(axes) != n:
        raise ValueError(f"ax must hold one axes per panel ({n}), got {len(axes)}")
    return axes


def _sample_paths(basin_map, i, ax, samples, sample_steps):
    """A few full trajectories from an even grid of starts, drawn thin over the map."""
    samples = arguments.check_int("samples", samples, minimum=1)
    side = max(1, int(round(np.sqrt(samples))))
    (x0, x1), (y0, y1) = basin_map.x[[0, -1]], basin_map.y[[0, -1]]
    gx = np.linspace(x0, x1, side + 2)[1:-1]
    gy = np.linspace(y0, y1, side + 2)[1:-1]
    starts = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)[:samples]
    run = simulate(
        basin_map.surface, basin_map.optimizer(i), starts, sample_steps or basin_map.steps
    )
    lines = []
    for j in range(len(starts)):
        path = run.positions[:, j]
        # a diverging path is cut where it leaves the picture, not drawn to its frozen far point
        outside = (
            (path[:, 0] < x0) | (path[:, 0] > x1) | (path[:, 1] < y0) | (path[:, 1] > y1)
        ).nonzero()[0]
        path = path[: outside[0] + 1] if outside.size else path
        lines.append(ax.plot(path[:, 0], path[:, 1], color="black", lw=1.0, alpha=0.8, zorder=3)[0])
    ax.plot(starts[:, 0], starts[:, 1], "o", mfc="white", mec="black", ms=4, zorder=4)
    return lines


def _edges(values):
    """Cell edges around the centres and the axis kind: "log" for geometric centres (learning
    rates), "linear" for evenly spaced ones, "categorical" (one equal row each) otherwise, as for
    beta2 in (0.9, 0.99, 0.999)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return (np.array([v[0] * 0.9, v[0] * 1.1]) if v[0] else np.array([-0.5, 0.5])), "linear"
    steps = np.diff(v)
    if np.allclose(steps, steps[0], rtol=1e-3):
        kind, w = "linear", v
    elif (v > 0).all() and np.allclose(np.diff(np.log(v)), np.log(v[1] / v[0]), rtol=1e-3):
        kind, w = "log", np.log(v)
    else:
        return np.arange(len(v) + 1) - 0.5, "categorical"
    mid = (w[1:] + w[:-1]) / 2
    edges = np.concatenate(([w[0] - (mid[0] - w[0])], mid, [w[-1] + (w[-1] - mid[-1])]))
    return (np.exp(edges) if kind == "log" else edges), kind


def _place(values, kind, points):
    """Where ``points`` (hyperparameter values) fall on an axis drawn as ``kind``."""
    if kind != "categorical":
        return points
    order = np.argsort(values)
    return np.interp(points, np.asarray(values, dtype=float)[order], np.arange(len(values))[order])


def _axis(ax, which, values, edges, kind):
    set_scale, set_lim, set_ticks = (
        (ax.set_xscale, ax.set_xlim, ax.set_xticks)
        if which == "x"
        else (ax.set_yscale, ax.set_ylim, ax.set_yticks)
    )
    if kind == "log":
        set_scale("log")
    set_lim(edges[0], edges[-1])
    if kind == "categorical":
        # every value labelled while they fit; beyond a dozen rows, about eight evenly spread labels
        shown = (
            np.arange(len(values))
            if len(values) <= 12
            else np.unique(np.linspace(0, len(values) - 1, 8).round().astype(int))
        )
        set_ticks(shown, [f"{values[i]:.3g}" for i in shown])


def limit_lines(stability_map):
    """Each minimum's stable-lr limit as ``[(x, y, label), ...]`` curve points in the map's
    coordinates, minima with the same limit (to 2%) sharing one line; [] where no closed form
    applies (see :meth:`StabilityMap.limits`).

    Near a minimum with sharpest curvature λ, gradient descent converges iff lr < 2/λ;
    heavy-ball momentum μ (PyTorch SGD, dampening τ) iff lr·(1−τ)·λ < 2(1 + μ); Nesterov iff
    lr·λ < 2(1 + μ)/(1 + 2μ). On the quadratic λ = L at its one minimum.
    """
    m = stability_map
    y_edges, y_kind = _edges(m.y)
    x_kind = _edges(m.x)[1]
    if y_kind == "categorical":
        rows = np.arange(len(m.y))
        ys = np.repeat(rows, 2) + np.tile([-0.5, 0.5], len(rows))  # one step per row
        limits = m.limits()
        limits = None if limits is None else np.repeat(limits, 2, axis=1)
    else:
        # from the first row to the last: the formula is not drawn outside the values swept
        spread = np.geomspace if y_kind == "log" else np.linspace
        ys = spread(m.y.min(), m.y.max(), 200) if m.swept_rows else y_edges[[0, -1]]
        limits = m.limits(ys)
    if limits is None:
        return []
    surface, formula = m.surface, _formula(m)
    groups = []  # [(limit at the first row, [minimum indices])], sharpest minimum first
    for k in np.argsort(limits[:, 0]):
        if groups and np.allclose(limits[k], limits[groups[-1][1][0]], rtol=0.02):
            groups[-1][1].append(k)
        else:
            groups.append((limits[k, 0], [k]))
    lines = []
    for value, members in groups:
        if len(surface.minima) == 1:
            where = "theory"
        elif len(members) == 1:
            x, y = surface.minima[members[0]]
            where = f"at minimum ({x:.2f}, {y:.2f})"
        else:
            where = f"at {len(members)} minima"
        label = f"{formula} {where}" + ("" if m.y_name == "momentum" else f" = {value:.3g}")
        lines.append((_place(m.x, x_kind, limits[members[0]]), ys, label))
    return lines


def _formula(m):
    """The limit's formula as the legend writes it."""
    optimizer = m.row_optimizer(m.y[-1])
    if m.y_name != "momentum" and not optimizer.momentum:
        return "lr = 2/λ"
    return "lr = 2(1+μ)/((1+2μ)λ)" if optimizer.nesterov else "lr = 2(1+μ)/λ"


# one colour and dash per limit line, none of them a class colour of the map
LIMIT_STYLES = tuple(
    zip(
        ("white", "#F0E442", "#CC79A7", "#0072B2", "#D55E00"),
        ("--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 1))),
    )
)


def plot_stability(stability_map, ax=None, *, limit=True, legend=True):
    """The stability map: green converged, light blue still descending, orange oscillating,
    near-black diverged; each minimum's own stable-lr limit (:func:`limit_lines`: 2/λ, or
    2(1 + μ)/λ over momentum) as a dashed line, its formula and minimum in the legend. Returns
    ``Drawn(ax, mesh, limits, limit, legend)``: ``limits`` the lines, sharpest minimum first,
    ``limit`` the first of them (None without a closed form); ``mesh.get_array()`` the classes.
    """
    import matplotlib.colors as mcolors
    import matplotlib.patheffects as effects
    from matplotlib.patches import Patch

    m = stability_map
    ax = plotting.prepare_axes(ax, figsize=(7.4, 5.0))
    cmap = mcolors.ListedColormap(plotting.STABILITY_COLORS)
    norm = mcolors.BoundaryNorm(np.arange(-0.5, 4), cmap.N)
    x_edges, x_kind = _edges(m.x)
    y_edges, y_kind = _edges(m.y)
    mesh = ax.pcolormesh(x_edges, y_edges, m.classes, cmap=cmap, norm=norm, shading="flat")
    drawn = plotting.Drawn(ax=ax, mesh=mesh, limit=None, legend=None)
    _axis(ax, "x", m.x, x_edges, x_kind)
    _axis(ax, "y", m.y, y_edges, y_kind)
    ax.set_xlabel(m.x_name)
    ax.set_ylabel(m.y_name)
    if not m.y_name:
        ax.set_yticks([])
    present = np.unique(m.classes)  # a class no run fell into gets no legend entry
    handles = [
        Patch(facecolor=c, edgecolor="black", linewidth=0.5)
        for i, c in enumerate(plotting.STABILITY_COLORS)
        if i in present
    ]
    names = [name for i, name in enumerate(CLASSES) if i in present]
    drawn["limits"] = []
    for i, (xs, ys, label) in enumerate(limit_lines(m) if limit else []):
        (line,) = ax.plot(
            xs,
            ys,
            color=LIMIT_STYLES[i % len(LIMIT_STYLES)][0],
            lw=2.2,
            ls=LIMIT_STYLES[i % len(LIMIT_STYLES)][1],
            zorder=3,
            path_effects=[effects.withStroke(linewidth=4, foreground="black")],
        )
        drawn["limits"].append(line)
        handles.append(line)
        names.append(label)
    drawn["limit"] = drawn["limits"][0] if drawn["limits"] else None
    if legend:
        drawn["legend"] = ax.legend(
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            frameon=False,
            fontsize=plotting.FONT_SIZE - 1,
        )
    if not ax.get_title():
        ax.set_title(f"{m.surface.name.replace('_', ' ')}: {m.steps} steps")
    return finish(drawn)
