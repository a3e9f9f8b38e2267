"""Static figures: where the runs went, how fast the loss fell, what the schedule did.

Every function takes ``ax=None`` (a new figure when None) and returns what it drew as a
:class:`Drawn` record (a dict with attribute access, always holding ``ax``), so a notebook can
restyle an artist and a test can read the artists' data back.

One style serves the whole package and lives in :mod:`gdsim.plotting.theme`.
"""

from __future__ import annotations

import itertools

import numpy as np

from gdsim import arguments, surfaces

# re-exported: every figure, colour and size is gdsim.plotting.<name>
from gdsim.plotting.theme import (  # noqa: F401 - re-exported for the figure modules
    CONTOUR_LINE_COLOR,
    DIVERGED_COLOR,
    FIGSIZE,
    FONT_SIZE,
    LANDSCAPE_COLORS,
    LINE_WIDTH,
    MINIMUM_STYLE,
    NOT_CONVERGED_COLOR,
    PALETTE,
    SADDLE_STYLE,
    STABILITY_COLORS,
    STYLE,
    Drawn,
    _style,
    basin_color,
    basin_label,
    color,
    finish,
    prepare_axes,
    style,
)


def _surface(surface):
    return surfaces.as_surface(surface, gradient=False)


# -- the landscape ---------------------------------------------------------------------------------


def contour_levels(surface, n=15, resolution=200, log=True):
    """Contour levels for ``surface``: geometrically spaced above its lowest value when ``log``.

    Loss landscapes span decades (Rosenbrock: 0 to 2500), and linear levels put every line on
    the walls and none in the valley where the interesting motion happens.
    """
    n = arguments.check_int("levels", n, minimum=2)
    _, _, Z = _surface(surface).grid(resolution)
    Z = Z[np.isfinite(Z)]
    low, high = float(Z.min()), float(np.percentile(Z, 99))
    if high <= low:
        high = low + 1.0
    if not log:
        return np.linspace(low, high, n + 1)[1:]
    span = high - low
    # the first line sits at the 0.5th percentile of the gap, so the basin floor shows one ring
    first = max(float(np.percentile(Z - low, 0.5)), span * 1e-4)
    return low + np.geomspace(first, span, n)


def contour(
    surface,
    *,
    ax=None,
    levels=15,
    log=True,
    resolution=200,
    filled=True,
    minima=True,
    saddles=True,
    labels=False,
):
    """The loss landscape seen from above: grey bands (darker is lower), thin level lines,
    minima as white stars and saddles as crosses.

    ``levels`` is a count or explicit values; with ``log`` (default) they are spaced
    geometrically above the lowest value so valleys get as many lines as walls.
    Returns ``Drawn(ax, filled, lines, minima, saddles)``.
    """
    import matplotlib.colors as mcolors

    surface = _surface(surface)
    ax = prepare_axes(ax)
    X, Y, Z = surface.grid(arguments.check_int("resolution", resolution, minimum=2))
    if np.ndim(levels) == 0:
        values = contour_levels(surface, levels, resolution, log)
    else:
        values = np.sort(np.asarray(levels, dtype=float))
    drawn = Drawn(ax=ax, levels=values, filled=None, lines=None, minima=None, saddles=None)
    Zc = np.where(np.isfinite(Z), Z, values[-1])
    if filled:
        cmap = mcolors.LinearSegmentedColormap.from_list("landscape", LANDSCAPE_COLORS)
        bounds = np.concatenate(
            ([min(Zc.min(), values[0]) - 1e-12], values, [max(Zc.max(), values[-1]) + 1e-12])
        )
        norm = mcolors.BoundaryNorm(bounds, cmap.N)
        drawn["filled"] = ax.contourf(X, Y, Zc, levels=bounds, cmap=cmap, norm=norm, zorder=0)
    drawn["lines"] = ax.contour(
        X,
        Y,
        Zc,
        levels=values,
        colors=CONTOUR_LINE_COLOR,
        linewidths=0.6,
        linestyles="solid",
        alpha=0.7,
        zorder=1,
    )
    if labels:
        ax.clabel(drawn["lines"], fmt="%.3g", fontsize=FONT_SIZE - 3)
    if minima and len(surface.minima):
        drawn["minima"] = ax.plot(surface.minima[:, 0], surface.minima[:, 1], **MINIMUM_STYLE)[0]
    if saddles and len(getattr(surface, "saddles", ())):
        drawn["saddles"] = ax.plot(surface.saddles[:, 0], surface.saddles[:, 1], **SADDLE_STYLE)[0]
    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal" if 0.4 < (y1 - y0) / (x1 - x0) < 2.5 else "auto")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if not ax.get_title():
        ax.set_title(surface.name.replace("_", " "))
    return finish(drawn)


# -- runs ------------------------------------------------------------------------------------------

_START_AXES = ("start", "y", "x")


def _start_ndim(run):
    """How many trailing batch axes are start axes (the rest are hyperparameter cells)."""
    n = 0
    for name in reversed(run.axes):
        if name in _START_AXES or name.startswith("start"):
            n += 1
        else:
            break
    return n


def groups(run, label=None):
    """Split a Run into one :class:`Drawn` record per grid cell (one per lr, momentum, ...
    combination), each holding the paths from every start of that cell: ``label``,
    ``positions (T, n, 2)``, ``losses (T, n)``, ``diverged (n,)``, ``reached (n,)``,
    ``lrs (steps, n)`` with ``lr_steps`` (the step of each of its rows), ``steps`` (recorded
    step of each row of the positions), ``optimizer`` and ``surface``.
    Colours and legends go by cell, so each cell keeps one colour everywhere.
    """
    n_start = _start_ndim(run)
    grid_shape = run.batch_shape[: len(run.batch_shape) - n_start]
    n_cells = int(np.prod(grid_shape))
    T = run.positions.shape[0]
    positions = run.positions.reshape((T, n_cells, -1, 2))
    n = positions.shape[2]
    lrs = np.broadcast_to(
        run.lrs.reshape(run.lrs.shape + (1,) * (1 + len(run.batch_shape) - run.lrs.ndim)),
        (len(run.lrs),) + run.batch_shape,
    ).reshape((len(run.lrs), n_cells, n))
    grid_axes = run.axes[: len(grid_shape)]
    if n_cells == 1:
        names = [label or _run_label(run)]
        cells = [{}]
    elif all(a in run.coords for a in grid_axes):
        names = run.labels()
        cells = [
            dict(zip(grid_axes, c)) for c in itertools.product(*[run.coords[a] for a in grid_axes])
        ]
    else:  # simulate() with array hyperparameters: name each cell by its values
        cells = _array_cells(run.optimizer, run.batch_shape, n_cells)
        names = [
            ", ".join(f"{k}={v:g}" for k, v in c.items()) or f"{_run_label(run)} #{i}"
            for i, c in enumerate(cells)
        ]
        names = [
            f"{type(run.optimizer).__name__} ({name})" if "=" in name else name for name in names
        ]
    return [
        Drawn(
            label=names[i],
            positions=positions[:, i],
            losses=run.losses.reshape((T, n_cells, n))[:, i],
            diverged=run.diverged.reshape((n_cells, n))[i],
            reached=run.reached.reshape((n_cells, n))[i],
            diverged_at=run.diverged_at.reshape((n_cells, n))[i],
            lrs=lrs[:, i],
            lr_steps=run.lr_steps,
            steps=run.recorded_steps,
            optimizer=_cell_optimizer(run.optimizer, cells[i]),
            surface=run.surface,
        )
        for i in range(n_cells)
    ]


def _array_cells(optimizer, batch_shape, n_cells):
    """{name: value} per cell for the optimizer's array hyperparameters that are constant
    within each cell (a hyperparameter that differs between starts names no cell)."""
    cells = [{} for _ in range(n_cells)]
    hyperparameters = optimizer.hyperparameters() if hasattr(optimizer, "hyperparameters") else {}
    for name, value in hyperparameters.items():
        if callable(value) or np.ndim(value) == 0:
            continue
        try:
            per_cell = np.broadcast_to(value, batch_shape).reshape(n_cells, -1)
        except ValueError:
            continue
        if (per_cell == per_cell[:, :1]).all():
            for cell, v in zip(cells, per_cell[:, 0]):
                cell[name] = float(v)
    return cells


def _cell_optimizer(optimizer, cell):
    """The optimizer of one sweep cell (None when it cannot be rebuilt)."""
    if not cell:
        return optimizer
    if not isinstance(optimizer, type) and hasattr(optimizer, "with_hyperparameters"):
        try:
            return optimizer.with_hyperparameters(**cell)
        except (TypeError, ValueError):
            return None
    try:
        return optimizer(**cell)
    except Exception:  # a user's factory may need more than the grid's names
        return None


def _run_label(run):
    opt = run.optimizer
    if hasattr(opt, "label") and not isinstance(opt, type):
        return opt.label()
    return getattr(opt, "__name__", repr(opt))


def _as_groups(source, paths=None, labels=None):
    """(surface, groups) from a Run, a list of Runs, or a surface and a (T, ..., 2) array.

    A single Run is split into its sweep cells; in a list, each Run is one group unless it is a
    sweep itself.
    """
    if hasattr(source, "positions"):
        runs = [source]
    elif (
        isinstance(source, (list, tuple))
        and source
        and all(hasattr(r, "positions") for r in source)
    ):
        runs = list(source)
    else:
        runs = None
    if runs is not None:
        surface = runs[0].surface
        found = [g for run in runs for g in groups(run)]
    else:
        surface = _surface(source)
        found = []
        if paths is not None:
            paths = np.asarray(paths, dtype=float)
            if paths.ndim < 2 or paths.shape[-1] != 2:
                raise ValueError(f"paths must be shaped (T, ..., 2), got shape {paths.shape}")
            paths = paths.reshape(paths.shape[0], -1, 2)
            n = paths.shape[1]
            found = [
                Drawn(
                    label=None,
                    positions=paths,
                    losses=surface.value(paths),
                    diverged=np.zeros(n, bool),
                    diverged_at=np.full(n, -1),
                    reached=surface.nearest_minimum(paths[-1]),
                    lrs=np.zeros((0, n)),
                    lr_steps=np.zeros(0, int),
                    steps=np.arange(len(paths)),
                    optimizer=None,
                    surface=surface,
                )
            ]
    if labels is not None:
        labels = [labels] if isinstance(labels, str) else list(labels)
        if len(labels) != len(found):
            raise ValueError(
                f"labels must give one label per group ({len(found)}), got {len(labels)}"
            )
        for label, g in zip(labels, found):
            g["label"] = label
    return surface, found


def trajectories(
    source,
    paths=None,
    *,
    ax=None,
    background=True,
    labels=None,
    colors=None,
    legend=None,
    markers=True,
    linewidth=None,
    alpha=0.9,
    every=1,
    **contour_options,
):
    """The paths the runs took, drawn over the landscape: the picture of what an optimizer does.

    ``source`` is a Run (a sweep's cells get one colour each), a list of Runs (one colour per
    run, e.g. an optimizer race), or a surface with ``paths`` shaped ``(T, ..., 2)``. Starts are
    hollow circles, ends filled dots (a cross for a run that diverged). ``every`` keeps every
    k-th point. Returns ``Drawn(ax, lines, starts, ends, background, groups)`` where
    ``lines[g][i]`` is path ``i`` of group ``g``.
    """
    surface, found = _as_groups(source, paths, labels)
    every = arguments.check_int("every", every, minimum=1)
    ax = prepare_axes(ax)
    drawn = Drawn(
        ax=ax, lines=[], starts=[], ends=[], background=None, groups=[g.label for g in found]
    )
    if background:
        drawn["background"] = contour(surface, ax=ax, **contour_options)
    width = LINE_WIDTH if linewidth is None else linewidth
    for g, group in enumerate(found):
        label, pos, diverged = group.label, group.positions, group.diverged
        c = colors[g % len(colors)] if colors is not None else color(g)
        keep = np.union1d(np.arange(0, len(pos), every), [len(pos) - 1])
        lines, exits = [], []
        for i in range(pos.shape[1]):
            path = pos[keep, i]
            if diverged[i]:  # drawn up to where it leaves the picture, not to its far frozen point
                path, exit_point = _until_it_leaves(path, surface.bounds)
                exits.append(exit_point)
            (line,) = ax.plot(
                path[:, 0],
                path[:, 1],
                color=c,
                lw=width,
                alpha=alpha,
                label=label if i == 0 else None,
                zorder=3,
                solid_capstyle="round",
            )
            lines.append(line)
        drawn["lines"].append(lines)
        if markers:
            drawn["starts"].append(
                ax.plot(
                    pos[0, :, 0], pos[0, :, 1], "o", mfc="white", mec=c, mew=1.5, ms=6, zorder=4
                )[0]
            )
            end = pos[-1]
            ok = ~np.asarray(diverged, bool)
            drawn["ends"].append(
                ax.plot(end[ok, 0], end[ok, 1], "o", color=c, ms=5, mec="white", mew=0.8, zorder=7)[
                    0
                ]
            )  # above the minima's stars
            if exits:
                drawn.setdefault("diverged", []).append(
                    _mark_divergence(ax, np.array(exits), group.diverged_at[~ok], c)
                )
    if legend or (legend is None and any(g.label for g in found) and len(found) > 1):
        _legend_beside(ax)
    return finish(drawn)


def _until_it_leaves(path, bounds):
    """``path`` up to its first point outside ``bounds``, and the point where it crosses them."""
    (x0, x1), (y0, y1) = bounds
    inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
    inside &= np.isfinite(path).all(axis=1)
    if inside.all():
        return path, path[-1]
    first_out = int(np.argmin(inside))
    if first_out == 0:
        return path[:1], path[0]
    a, b = path[first_out - 1], path[first_out]
    # the crossing of the segment a -> b with the box, so the cross sits on the picture's edge
    with np.errstate(all="ignore"):
        scales = [
            s
            for s in (
                (x0 - a[0]) / (b[0] - a[0]),
                (x1 - a[0]) / (b[0] - a[0]),
                (y0 - a[1]) / (b[1] - a[1]),
                (y1 - a[1]) / (b[1] - a[1]),
            )
            if np.isfinite(s) and 0 <= s <= 1
        ]
    crossing = a + min(scales, default=0.0) * (b - a) if np.isfinite(b).all() else a
    return np.vstack([path[:first_out], crossing]), crossing


def _mark_divergence(ax, points, steps, c):
    """A cross where each diverged run was frozen, with the step it blew up at: one label per
    run for a few runs, one for the whole group beyond that (a swarm)."""
    (cross,) = ax.plot(
        points[:, 0], points[:, 1], "X", color=c, ms=9, mec="black", mew=0.8, zorder=6
    )
    if len(points) <= 3:
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        for (x, y), step in zip(points, steps):
            # towards the inside of the axes (a run leaves at the edge), each further label of
            # this axes one line further in, so neighbours never overlap
            inward = sum(1 for other in ax.texts if other.get_text().startswith("diverged at"))
            right = x > (x0 + x1) / 2
            top = (
                y > (y0 + y1) / 2
                if ax.get_yscale() == "linear"
                else np.log(max(y, 1e-300))
                > np.log(max(y0, 1e-300)) / 2 + np.log(max(y1, 1e-300)) / 2
            )
            shift = 18 * inward
            ax.annotate(
                f"diverged at step {step}",
                (x, y),
                xytext=(-8 if right else 8, -8 - shift if top else 8 + shift),
                textcoords="offset points",
                ha="right" if right else "left",
                va="top" if top else "bottom",
                color="black",
                zorder=7,
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=c, alpha=0.9),
            )
    else:
        first, last = int(np.min(steps)), int(np.max(steps))
        when = f"step {first}" if first == last else f"steps {first}–{last}"
        cross.set_label(f"× {len(points)} diverged ({when})")
    return cross


def _legend_beside(ax):
    """The legend to the right of the axes, where it hides no path."""
    return ax.legend(
        loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, framealpha=0.9
    )


def _gap(losses, surface, gap):
    """Loss minus the global minimum's value, so a log axis shows digits of progress."""
    if not gap:
        return losses, "loss"
    fstar = (
        float(surface.minima_values[0])
        if len(getattr(surface, "minima_values", ()))
        else np.nanmin(losses)
    )
    return np.maximum(
        losses - fstar, np.finfo(float).tiny
    ), "loss − f*  (gap to the global minimum)"


def losses(
    source, *, ax=None, labels=None, colors=None, log=True, gap=True, legend=None, alpha=0.9
):
    """Loss against step for every run, one colour per run or sweep cell.

    With ``gap`` the y axis is f − f* (f* the surface's global minimum) on a log scale, which
    turns linear convergence into a straight line whose slope is the rate. Returns
    ``Drawn(ax, lines)`` with ``lines[g][i]`` like :func:`trajectories`.
    """
    surface, found = _as_groups(source, labels=labels)
    ax = prepare_axes(ax)
    drawn = Drawn(ax=ax, lines=[])
    ylabel = "loss"
    for g, group in enumerate(found):
        values, ylabel = _gap(group.losses, surface, gap)
        c = colors[g % len(colors)] if colors is not None else color(g)
        drawn["lines"].append(
            [
                ax.plot(
                    group.steps,
                    values[:, i],
                    color=c,
                    alpha=alpha,
                    label=group.label if i == 0 else None,
                )[0]
                for i in range(values.shape[1])
            ]
        )
        gone = np.flatnonzero(np.asarray(group.diverged, bool))
        if len(gone):
            # the loss stays at the frozen point's value; the cross marks the step it blew up
            at = group.diverged_at[gone]
            rows = np.clip(np.searchsorted(group.steps, at) - 1, 0, len(group.steps) - 1)
            points = np.column_stack([group.steps[rows], values[rows, gone]])
            drawn.setdefault("diverged", []).append(_mark_divergence(ax, points, at, c))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if legend or (legend is None and len(found) > 1):
        _legend_beside(ax)
    return finish(drawn)


# -- 3-D -------------------------------------------------------------------------------------------


def surface3d(
    source,
    paths=None,
    *,
    ax=None,
    resolution=80,
    log=False,
    elev=35,
    azim=-60,
    labels=None,
    colors=None,
    alpha=0.75,
):
    """The landscape as a 3-D surface with the paths lying on it: the picture that makes
    "descent" literal, and shows why a valley's floor is slow and its walls are steep.

    ``source`` as in :func:`trajectories`. ``log`` plots log10(f − min f) for landscapes that
    span decades. Returns ``Drawn(ax, surface, lines)``.
    """
    import matplotlib.colors as mcolors

    surface, found = _as_groups(source, paths, labels)
    ax = prepare_axes(ax, projection="3d")
    X, Y, Z = surface.grid(arguments.check_int("resolution", resolution, minimum=2))
    floor = float(np.nanmin(Z))

    def height(z):
        return np.log10(np.maximum(z - floor, 1e-12) + 1e-3 * (np.nanmax(Z) - floor)) if log else z

    cmap = mcolors.LinearSegmentedColormap.from_list("landscape", LANDSCAPE_COLORS)
    shown = height(Z)
    drawn = Drawn(ax=ax, lines=[])
    drawn["surface"] = ax.plot_surface(
        X,
        Y,
        shown,
        cmap=cmap,
        alpha=alpha,
        linewidth=0.2,
        edgecolor=CONTOUR_LINE_COLOR,
        rstride=2,
        cstride=2,
        zorder=0,
    )
    for g, group in enumerate(found):
        c = colors[g % len(colors)] if colors is not None else color(g)
        pos = group.positions
        z = height(surface.value_xy(pos[..., 0], pos[..., 1]))
        drawn["lines"].append(
            [
                ax.plot(
                    pos[:, i, 0],
                    pos[:, i, 1],
                    z[:, i],
                    color=c,
                    lw=LINE_WIDTH,
                    zorder=5,
                    label=group.label if i == 0 else None,
                )[0]
                for i in range(pos.shape[1])
            ]
        )
    if len(surface.minima):
        ax.scatter(
            surface.minima[:, 0],
            surface.minima[:, 1],
            height(surface.minima_values),
            marker="*",
            s=160,
            c="white",
            edgecolors="black",
            depthshade=False,
            zorder=6,
        )
    (x0, x1), (y0, y1) = surface.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.view_init(elev=elev, azim=azim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("log10(f − min f)" if log else "f")
    if len(found) > 1:
        ax.legend(loc="upper left", framealpha=0.9)
    return finish(drawn)


# -- maps (drawn by gdsim.plotting.maps; here so every figure is one import away) ------------------


def basins(basin_map, ax=None, **options):
    """The basin-of-attraction map of ``gdsim.basins(...)``; see
    :func:`gdsim.plotting.maps.plot_basins`."""
    from gdsim.plotting.maps import plot_basins

    return plot_basins(basin_map, ax=ax, **options)


def stability(stability_map, ax=None, **options):
    """The stability map of ``gdsim.stability(...)``; see
    :func:`gdsim.plotting.maps.plot_stability`."""
    from gdsim.plotting.maps import plot_stability

    return plot_stability(stability_map, ax=ax, **options)
