"""Moving pictures of optimizers: ``animate(surface, runs)`` and the objects it returns.

An :class:`Animation` plays inline in Jupyter (a small HTML/JavaScript player with play, pause,
step and a slider; no ffmpeg needed) and saves to ``.gif`` (Pillow), ``.html`` or ``.mp4`` (when
ffmpeg is installed).

The :class:`Animation` itself, why it renders fast, and the files and the player it becomes
live in :mod:`gdsim.plotting.movies` (and stay importable from here).
"""

from __future__ import annotations

import numbers

import numpy as np

from gdsim import arguments
from gdsim.plotting import figures as plotting
from gdsim.plotting.movies import Animation, GifWriter, HtmlWriter, Mp4Writer  # noqa: F401 - re-exported
from gdsim.plotting.player import Scene
from gdsim.plotting.theme import legible, panel_grid

# -- building the figure ---------------------------------------------------------------------------


def _frame_steps(last, frames, every, max_frames):
    """Which optimizer steps become frames: every step, every k-th, or n evenly spaced."""
    if frames is not None and every is not None:
        raise ValueError("give frames (how many) or every (a stride), not both")
    if every is not None:
        every = arguments.check_int("every", every, minimum=1)
        return np.union1d(np.arange(0, last + 1, every), [last])
    if frames is None:
        frames = min(last + 1, max_frames)
    frames = arguments.check_int("frames", frames, minimum=1)
    if frames > last + 1:
        raise ValueError(f"frames must be at most steps + 1 = {last + 1}, got {frames}")
    return np.unique(np.round(np.linspace(0, last, frames)).astype(int))


def _check_figsize(figsize):
    """(width, height) in inches, both > 0."""
    if isinstance(figsize, (str, bytes)) or np.shape(figsize) != (2,):
        raise TypeError(f"figsize must be (width, height) in inches, got {figsize!r}")
    arguments.check_positive("figsize", figsize)


def _step_name(optimizer):
    """What the "step taken" arrow is for this optimizer, in the words of a lecture."""
    if optimizer is None:
        return "step taken"
    name = optimizer.__name__ if isinstance(optimizer, type) else type(optimizer).__name__
    if name == "SGD":
        momentum = getattr(optimizer, "momentum", 0)
        return (
            "velocity (momentum step)"
            if callable(momentum) or np.any(np.asarray(momentum) != 0)
            else "step taken"
        )
    return {"Adam": "Adam's effective step", "AdamW": "AdamW's effective step"}.get(
        name, f"{name} step"
    )


def _nice_factor(lengths, target):
    """A round display factor (1, 2, 5, 10, ...) that brings typical arrows to ``target`` length."""
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if not lengths.size:
        return 1.0
    raw = target / np.percentile(lengths, 90)  # the big early steps set the scale, not the crawl
    if 0.3 < raw < 3:
        return 1.0
    exponent = np.floor(np.log10(raw))
    mantissa = raw / 10**exponent
    return float(min((1, 2, 5, 10), key=lambda m: abs(np.log(m / mantissa))) * 10**exponent)


def _layout(n_main, panels, figsize, dpi, title):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with plotting.style():
        if panels:
            fig = Figure(figsize=figsize or (11.0, 6.0), dpi=dpi, layout="constrained")
            grid = fig.add_gridspec(len(panels), 2, width_ratios=(1.25, 1))
            mains = [fig.add_subplot(grid[:, 0])]
            sides = {name: fig.add_subplot(grid[i, 1]) for i, name in enumerate(panels)}
        else:
            rows, cols = panel_grid(n_main, figsize)
            default = (1 + 4.6 * cols, 0.6 + 4.4 * rows) if n_main > 1 else (6.4, 5.4)
            fig = Figure(figsize=figsize or default, dpi=dpi, layout="constrained")
            mains = list(np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel()))
            for ax in mains[n_main:]:
                ax.set_visible(False)
            mains = mains[:n_main]
            sides = {}
        FigureCanvasAgg(fig)
        if title:
            fig.suptitle(title)
    return fig, mains, sides


def animate(
    surface,
    runs=None,
    *,
    frames=None,
    every=None,
    fps=15,
    trail=None,
    legend=True,
    panels="auto",
    internals=None,
    color_by="run",
    facet=False,
    labels=None,
    title=None,
    dpi=100,
    figsize=None,
    max_frames=240,
    hold=1.5,
    **contour_options,
):
    """Animate runs over the landscape: watch where each optimizer goes and how fast.

    ``runs`` is a Run (a sweep's cells each get a colour and a legend entry with their
    hyperparameters) or a list of Runs (e.g. five optimizers from the same starts);
    ``animate(run)`` takes the surface from the run.

    frames / every / max_frames : n evenly spaced steps, every k-th step, or all steps up to
        ``max_frames``; fps : frames per second; hold : seconds the last frame stays up.
    trail : how many past steps each particle drags behind it (None: the whole path).
    panels : side panels ``("loss", "lr")`` growing with the frames; "auto" shows the loss, and
        the lr when any run's lr changes over time; None for none.
    internals : particles whose optimizer internals are drawn as arrows each step, as a list of
        ``(group, start)`` pairs or True (the first start of up to four groups): black is the
        plain gradient step −lr·∇f, coloured the step actually taken (momentum's velocity,
        Adam's effective step); the gap between them is what the optimizer adds.
    color_by : "run" (one colour per run or sweep cell) or "minimum" (the minimum each start
        ends in: the basin-of-attraction view); facet : one panel per run or sweep cell.
    labels : legend entries, one per run or sweep cell (default: their hyperparameters);
    title, dpi, figsize : of the figure. Remaining keywords go to :func:`gdsim.plotting.contour`.
    """
    if runs is None:
        surface, runs = None, surface
    is_run = hasattr(runs, "positions") or (
        isinstance(runs, (list, tuple)) and runs and all(hasattr(r, "positions") for r in runs)
    )
    if not is_run:
        raise TypeError(
            "runs must be a Run or a list of Runs (from gdsim.simulate or "
            f"gdsim.sweep), got {runs!r}"
        )
    surface_, groups = plotting._as_groups(runs, labels=labels)
    if any(g.positions.shape[1] == 0 for g in groups):
        raise ValueError(
            "runs must have at least one start each; a run with 0 starts has nothing to animate"
        )
    surface = surface_ if surface is None else plotting._surface(surface)
    arguments.check_choice("color_by", color_by, ("run", "minimum"))
    arguments.check_positive("fps", fps)
    arguments.check_nonnegative("hold", hold)
    arguments.check_positive("dpi", dpi)
    arguments.check_int("max_frames", max_frames, minimum=1)
    legend, facet = arguments.check_bool("legend", legend), arguments.check_bool("facet", facet)
    if title is not None:
        arguments.check_str("title", title)
    if figsize is not None:
        _check_figsize(figsize)
    if not (internals is None or isinstance(internals, (bool, list, tuple))):
        raise TypeError(
            f"internals must be True, False, None or a list of (group, start) "
            f"pairs, got {internals!r}"
        )
    if trail is not None:
        trail = arguments.check_int("trail", trail, minimum=1)
    last = int(max(g.steps[-1] for g in groups))
    frame_steps = _frame_steps(last, frames, every, max_frames)
    if panels == "auto":
        varying = any(g.lrs.size and np.ptp(g.lrs) > 0 for g in groups)
        panels = None if facet else (("loss", "lr") if varying else ("loss",))
    panels = (panels,) if isinstance(panels, str) else tuple(panels or ())
    panels = tuple(arguments.check_choice("panels", p, ("loss", "lr")) for p in panels)
    if facet and panels:
        raise ValueError("facet=True draws one panel per run; it cannot also have side panels")
    fig, mains, sides = _layout(len(groups) if facet else 1, panels, figsize, dpi, title)
    for i, ax in enumerate(mains):
        plotting.contour(surface, ax=ax, **contour_options)
        if facet:
            ax.set_title(groups[i].label, fontsize=plotting.FONT_SIZE)

    def track_color(g, group):
        if color_by == "run":
            return [plotting.color(g)] * group.positions.shape[1]
        return [plotting.basin_color(k) for k in group.reached]

    moving, updates = [], []
    from matplotlib.lines import Line2D

    # a few lines per axes for all trails and all heads: a few draw calls per frame, however
    # many particles
    traces, tracers = [], []
    for i, ax in enumerate(mains):
        mine = [(g, group) for g, group in enumerate(groups) if not facet or g == i]
        paths = [np.ascontiguousarray(group.positions.transpose(1, 0, 2)) for _, group in mine]
        colors = [track_color(g, group) for g, group in mine]
        heads = _head_markers(ax, colors)
        trails = _trail_lines(ax, paths, colors)
        recorded = [group.steps for _, group in mine]
        if trail is None:  # whole paths only grow: painted into the background step by step
            traces += [line for line, _, _ in trails]
            tracers.append(_trail_trace(trails, paths, recorded))
            trails = []
        moving += [line for line, _, _ in trails] + [line for line, _, _ in heads]
        updates.append(_trail_update(trails, heads, paths, recorded, trail))
    cell_legend, arrows = None, []  # the legend naming each run or cell; the internals' data
    if legend:
        if color_by == "minimum":
            _minimum_legend(mains[0], groups, surface, below=facet and len(mains) > 1)
        elif not facet and len(groups) > 1:
            handles = [
                Line2D([], [], color=plotting.color(g), lw=plotting.LINE_WIDTH)
                for g in range(len(groups))
            ]
            names = [g.label for g in groups]
            # under the panels, where it hides no path and no curve
            columns = max(1, min(len(names), 2, int(fig.get_figwidth() * 0.75 // 3.2)))
            cell_legend = fig.legend(
                handles, names, loc="outside lower center", ncols=columns, frameon=False
            )
    if internals:
        moving_arrows, update, arrows = _internals(internals, groups, mains, facet, surface)
        moving += moving_arrows
        updates.append(update)
    for name, ax in sides.items():
        artists, update = _side_panel(name, ax, groups, surface, color_by, track_color, last)
        moving += artists
        updates.append(update)
    clock = fig.text(0.01, 0.01, "", fontsize=plotting.FONT_SIZE, ha="left", va="bottom")
    moving.append(clock)

    def update(i):
        step = int(frame_steps[i])
        clock.set_text(f"step {step} / {last}")
        for part in updates:
            part(step)

    # the numbers behind the frames, for the browser player (gdsim.plotting.player)
    scene = Scene(
        surface=surface,
        runs=list(runs) if isinstance(runs, (list, tuple)) else [runs],
        groups=groups,
        colors=[track_color(g, group) for g, group in enumerate(groups)],
        mains=mains,
        sides=sides,
        last=last,
        trail=trail,
        facet=facet,
        color_by=color_by,
        cell_legend=cell_legend,
        arrows=arrows,
    )
    legible(fig)

    def trace(since, step):
        for tracer in tracers:
            tracer(since, step)

    return Animation(
        fig, update, moving, frame_steps, fps, hold, scene=scene, traces=traces, trace=trace
    )


def _row(steps, step):
    """The last recorded row at or before ``step``."""
    return max(int(np.searchsorted(steps, step, side="right")) - 1, 0)


def _by_colour(colors):
    """``(group index, colour, trajectory indices)`` for each colour of each group, in order."""
    for g, group_colors in enumerate(colors):
        for colour in dict.fromkeys(group_colors):
            yield g, colour, np.flatnonzero(np.array(group_colors, dtype=object) == colour)


def _head_markers(ax, colors):
    """Where each particle is, as one line of markers per (group, colour): markers of a line
    draw about seven times faster than a scatter's per-point paths, which matters at a thousand
    particles. Returns ``[(line, group index, trajectory indices)]``."""
    from matplotlib.lines import Line2D

    heads = []
    for g, colour, members in _by_colour(colors):
        line = Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=6,
            markerfacecolor=colour,
            markeredgecolor="white",
            markeredgewidth=0.8,
            zorder=6.5,  # over the minima's stars: a run that arrived must stay visible
        )
        ax.add_line(line)
        heads.append((line, g, members))
    return heads


def _trail_lines(ax, paths, colors):
    """One line per (group, colour) holding all its trajectories, NaN-separated: a swarm of a
    thousand paths costs a few draw calls a frame, not a thousand. Returns ``[(line, group
    index, trajectory indices)]``."""
    from matplotlib.lines import Line2D

    lines = []
    for g, colour, members in _by_colour(colors):
        line = Line2D(
            [],
            [],
            color=colour,
            lw=plotting.LINE_WIDTH * 0.8,
            zorder=3,
            solid_capstyle="round",
            solid_joinstyle="round",
        )
        ax.add_line(line)
        lines.append((line, g, members))
    return lines


def _trail_trace(trails, paths, steps):
    """``trace(since, step)``: set the trail lines to the paths' part from step ``since`` (its
    last point, so the pieces join) to ``step``; from the start when ``since`` is None."""

    def trace(since, step):
        for line, g, members in trails:
            k = _row(steps[g], step)
            k0 = 0 if since is None else _row(steps[g], since)
            _set_paths(line, paths[g][members, k0 : k + 1])

    return trace


def _set_paths(line, shown):
    """Many trajectories ``(m, T, 2)`` as one line: a NaN point after each lifts the pen."""
    gaps = np.full((len(shown), 1, 2), np.nan)
    xy = np.concatenate([shown, gaps], axis=1).reshape(-1, 2)
    line.set_data(xy[:, 0], xy[:, 1])


def _trail_update(trails, heads, paths, steps, trail):
    def update(step):
        rows = [_row(recorded, step) for recorded in steps]
        for line, g, members in trails:
            k = rows[g]
            k0 = 0 if trail is None else max(0, k - trail)
            _set_paths(line, paths[g][members, k0 : k + 1])
        for line, g, members in heads:
            line.set_data(paths[g][members, rows[g], 0], paths[g][members, rows[g], 1])

    return update


def _minimum_legend(ax, groups, surface, below):
    from matplotlib.patches import Patch

    reached = sorted(
        np.unique(np.concatenate([g.reached for g in groups])).tolist(), key=lambda k: (k < 0, k)
    )
    handles = [Patch(color=plotting.basin_color(k)) for k in reached]
    names = [plotting.basin_label(k, surface) for k in reached]
    # one legend under the panels, covering none of them, as many columns as the width holds
    # (about 2.6 inches an entry) so it never runs past the figure's edges or over the clock
    columns = max(1, min(len(names), int(ax.figure.get_figwidth() * 0.75 // 2.6)))
    ax.figure.legend(handles, names, loc="outside lower center", ncols=columns, frameon=False)


def _internals(internals, groups, mains, facet, surface):
    """Arrows for a few particles: the plain gradient step and the step actually taken."""
    if internals is True:
        internals = [(g, 0) for g in range(min(4, len(groups)))]
    chosen = []
    for pair in internals:
        if not (
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and all(isinstance(v, numbers.Integral) for v in pair)
        ):
            raise TypeError(f"internals must be (group, start) pairs of integers, got {pair!r}")
        g, j = pair
        if not (0 <= g < len(groups) and 0 <= j < groups[g].positions.shape[1]):
            raise ValueError(
                f"internals must name (group, start) pairs inside the runs, got {pair!r}"
            )
        chosen.append((g, j))
    (x0, x1), (y0, y1) = surface.bounds
    data = []
    for g, j in chosen:
        group = groups[g]
        path = group.positions[:, j]
        lr = group.lrs[:, j] if group.lrs.size else np.zeros(1)
        # the lr in force at each recorded step: the last row of lrs at or before it
        row = np.searchsorted(group.lr_steps, group.steps, side="right") - 1
        lr_at = lr[np.clip(row, 0, len(lr) - 1)]
        grad_step = -lr_at[:, None] * surface.grad(path)
        taken = np.diff(path, axis=0, append=path[-1:])
        data.append((g, group.steps, path, grad_step, taken))
    lengths = np.concatenate([np.hypot(*d[3].T) for d in data] + [np.hypot(*d[4].T) for d in data])
    factor = _nice_factor(lengths, 0.12 * np.hypot(x1 - x0, y1 - y0))
    shown = "" if factor == 1 else f" (×{factor:g})"
    artists, per_axes = [], []
    for i, ax in enumerate(mains):
        mine = [d for d in data if not facet or d[0] == i]
        if not mine:
            continue
        kw = dict(
            angles="xy", scale_units="xy", scale=1 / factor, width=0.006, zorder=7, headwidth=3.5
        )
        zero = np.zeros(len(mine))
        gradient = ax.quiver(zero, zero, zero, zero, color="black", **kw)
        taken = ax.quiver(
            zero,
            zero,
            zero,
            zero,
            color=[plotting.color(d[0]) for d in mine],
            edgecolor="white",
            linewidth=0.6,
            **kw,
        )
        names = {_step_name(groups[d[0]].optimizer) for d in mine}
        from matplotlib.lines import Line2D

        legend_handles = [
            Line2D([], [], color="black", lw=2.5),
            Line2D([], [], color=plotting.color(mine[0][0]), lw=2.5),
        ]
        legend = ax.legend(
            legend_handles,
            ["−lr·∇f (plain gradient step)" + shown, " / ".join(sorted(names)) + shown],
            loc="lower left",
            framealpha=0.9,
            fontsize=plotting.FONT_SIZE - 3,
        )
        if ax.get_legend() is not legend:
            ax.add_artist(legend)
        artists += [gradient, taken]
        per_axes.append((gradient, taken, mine))

    def update(step):
        for gradient, taken, mine in per_axes:
            rows = [_row(d[1], step) for d in mine]
            origins = np.array([d[2][k] for d, k in zip(mine, rows)])
            g = np.array([d[3][k] for d, k in zip(mine, rows)])
            t = np.array([d[4][k] for d, k in zip(mine, rows)])
            for quiver, vectors in ((gradient, g), (taken, t)):
                quiver.set_offsets(origins)
                quiver.set_UVC(vectors[:, 0], vectors[:, 1])

    arrows = [(d[0], j, factor * d[3], factor * d[4]) for d, (_, j) in zip(data, chosen)]
    return artists, update, arrows


def _side_panel(name, ax, groups, surface, color_by, track_color, last):
    """A loss-vs-step or lr-vs-step panel whose curves grow with the frames."""
    from matplotlib.collections import LineCollection

    curves, colors = [], []
    for g, group in enumerate(groups):
        if name == "loss":
            values, _ = plotting._gap(group.losses, surface, True)  # the panel's label is shorter
            steps = group.steps
        else:
            values, steps = group.lrs, group.lr_steps
        track = track_color(g, group)
        for j in range(values.shape[1]):
            curves.append(np.column_stack((steps, values[:, j])))
            colors.append(track[j])
    lines = LineCollection([], colors=colors, linewidths=1.6, alpha=0.85, zorder=3)
    ax.add_collection(lines)
    cursor = ax.axvline(0, color="black", lw=0.8, alpha=0.6)
    ax.set_xlim(0, max(last, 1))
    finite = np.concatenate([c[:, 1] for c in curves]) if curves else np.array([1.0])
    finite = finite[np.isfinite(finite)]
    if name == "loss":
        ax.set_yscale("log")
        top = max(np.max([c[0, 1] for c in curves]) * 3, finite.max() if finite.size else 1.0)
        top = min(top, np.max([c[0, 1] for c in curves]) * 1e3)
        ax.set_ylim(max(finite.min(), top * 1e-12) / 2, top)
        ax.set_ylabel("loss − f*")
    else:
        span = finite.max() - finite.min() if finite.size else 1.0
        ax.set_ylim(min(0, finite.min()), finite.max() + 0.08 * (span or finite.max() or 1.0))
        ax.set_ylabel("learning rate")
    ax.set_xlabel("step")
    starts = [c[:, 0] for c in curves]

    def update(step):
        lines.set_segments(
            [c[: int(np.searchsorted(s, step, side="right"))] for c, s in zip(curves, starts)]
        )
        cursor.set_xdata([step, step])

    return [lines, cursor], update
