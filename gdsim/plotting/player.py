"""The browser player: a run's numbers drawn by the browser over a matplotlib background.

Frames shipped as pictures grow with every step and cannot change a hyperparameter: 240 PNG
frames weigh 25 MB, and a sweep's page has one slider, the step. Here matplotlib draws what
never moves once (the landscape, the axes, the panels' frames, the legend) so it looks exactly
like the static figures, and the paths, heads, loss and lr curves travel as numbers that a few
hundred lines of canvas JavaScript (``player.js`` beside this file) draw at any step, for any
sweep cell, at once. A sweep's axes (lr, momentum, ...) become sliders; hovering a path names
its hyperparameters, its start, its loss and where it ended. No network, no library: the page
opens from ``file://``.

What travels, and why it is small:

- the background and a poster (the last frame, shown wherever scripts do not run: GitHub, an
  untrusted notebook) as 256-colour PNGs;
- positions as 16-bit steps of a grid spanning twice the axes (a 500-pixel axes gets 1/65 px),
  losses as 16-bit steps of log10(loss - f*) over the loss panel's range and a decade either
  side (about 0.05 % of the value), lrs as float32;
- each series delta-coded along time, its low and high bytes apart (smooth paths give small,
  repeating deltas) and deflated; the browser inflates with ``DecompressionStream``.

The same drawing backs ``Animation._repr_html_`` (Jupyter) and ``Animation.save("page.html")``.
:class:`Scene` is what :func:`gdsim.animate` hands over: the numbers and the axes they go in.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import uuid
import zlib
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from gdsim.plotting import figures, theme

# a position is stored on a grid from (low - 0.5 span) to (high + 0.5 span) in 65535 steps
_GRID_MARGIN = 0.5


@dataclass
class Scene:
    """What the player draws, as :func:`gdsim.animate` built it.

    ``groups`` are :func:`gdsim.plotting.groups` records (one per run or sweep cell) and
    ``colors[g]`` their paths' colours; ``mains`` the landscape axes (one, or one per group
    with ``facet``) and ``sides`` the ``{"loss": ax, "lr": ax}`` panels. ``runs`` are the Runs
    as given: a sweep's grid axes become sliders (unless ``facet``), and ``cell_legend``, the
    legend naming every cell, then leaves the background. ``arrows`` are the internals'
    ``(group, start, gradient_step, step_taken)`` rows, already multiplied by the display
    factor. ``clock`` names the unit of time ("step", "epoch"); ``outcomes`` whether the
    pointer says where a path ended (which minimum, diverged).
    """

    surface: object
    runs: list
    groups: list
    colors: list
    mains: list
    sides: dict
    last: int
    trail: int | None = None
    facet: bool = False
    color_by: str = "run"
    cell_legend: object = None
    arrows: list = field(default_factory=list)
    clock: str = "step"
    outcomes: bool = True


# -- what the sliders are ------------------------------------------------------------------------


def _fmt(value):
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{float(value):.4g}"
    if isinstance(value, type):
        return value.__name__
    return str(value)


def _cells(scene):
    """(sliders, per group {slider: index}, per group its run's index).

    A run's grid axes with more than one value become sliders; two runs sweeping the same
    values of the same name share one.
    """
    sliders, cells, owners = [], [], []
    for r, run in enumerate(scene.runs):
        n_start = figures._start_ndim(run)
        shape = run.batch_shape[: len(run.batch_shape) - n_start]
        axes = run.axes[: len(shape)]
        n_cells = int(np.prod(shape))
        gridded = bool(axes) and all(a in run.coords for a in axes) and not scene.facet
        indices = itertools.product(*(range(s) for s in shape)) if gridded else [()] * n_cells
        keys = []
        for name, size in zip(axes, shape) if gridded else ():
            values = [_fmt(v) for v in run.coords[name]]
            key = next(
                (k for k, s in enumerate(sliders) if s["name"] == name and s["labels"] == values),
                None,
            )
            if key is None and size > 1:
                sliders.append({"name": name, "labels": values, "run": r})
                key = len(sliders) - 1
            keys.append(key)
        for index in indices:
            cells.append({k: i for k, i in zip(keys, index) if k is not None})
            owners.append(r)
    if len(cells) != len(scene.groups):  # groups labelled or built otherwise: no sliders
        return [], [{} for _ in scene.groups], list(range(len(scene.groups)))
    # a slider named twice (two runs sweeping different values of one name) says whose it is
    names = [s["name"] for s in sliders]
    for s in sliders:
        twice = names.count(s["name"]) > 1
        s["title"] = f"{s['name']} (run {s['run'] + 1})" if twice else s["name"]
    return sliders, cells, owners


# -- the pixels: background, poster, axes geometry -----------------------------------------------


def _png(rgb):
    """A 256-colour PNG data URL (the landscape is a few greys; text and lines stay crisp)."""
    from PIL import Image

    image = Image.fromarray(rgb).quantize(
        256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _geometry(ax, height, kind):
    """Where the axes sit in the figure's pixels (top-left origin) and what they span."""
    x0, y0, x1, y1 = ax.bbox.extents
    return {
        "kind": kind,
        "box": [x0, height - y1, x1 - x0, y1 - y0],
        "xlim": list(ax.get_xlim()),
        "ylim": list(ax.get_ylim()),
        "xlog": ax.get_xscale() == "log",
        "ylog": ax.get_yscale() == "log",
    }


# -- the numbers ---------------------------------------------------------------------------------


class _Blob:
    """Sections of one byte string; each 4-byte aligned so float32 views need no copy."""

    def __init__(self):
        self.parts, self.size = [], 0

    def add(self, data):
        data = data.tobytes()
        offset = self.size
        pad = -len(data) % 4
        self.parts.append(data + b"\0" * pad)
        self.size += len(data) + pad
        return offset

    def deltas(self, codes):
        """uint16 codes (series, T) as deltas along T (mod 2**16), low bytes then high bytes."""
        codes = np.asarray(codes, dtype=np.uint16)
        deltas = np.diff(codes, axis=-1, prepend=np.zeros(codes.shape[:-1] + (1,), np.uint16))
        planes = deltas.astype("<u2").reshape(-1).view(np.uint8).reshape(-1, 2)
        return [self.add(np.ascontiguousarray(planes.T)), int(deltas.size), int(deltas.shape[-1])]

    def encoded(self):
        return base64.b64encode(zlib.compress(b"".join(self.parts), 9)).decode("ascii")


def _forward_fill(values):
    """Non-finite entries take the last finite value along the first axis (the start if none)."""
    values = np.array(values, dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        index = np.where(bad, 0, np.arange(len(values)).reshape((-1,) + (1,) * (values.ndim - 1)))
        np.maximum.accumulate(index, axis=0, out=index)
        values = np.take_along_axis(values, index, axis=0)
        values[~np.isfinite(values)] = 0.0
    return values


def _position_codes(positions, low, span):
    """(T, n, 2) positions as uint16 grid codes, path-major: (n, 2, T)."""
    grid_low = low - _GRID_MARGIN * span
    grid_span = (1 + 2 * _GRID_MARGIN) * span
    u = (_forward_fill(positions) - grid_low) / grid_span
    return np.round(np.clip(u, 0, 1) * 65535).astype(np.uint16).transpose(1, 2, 0)


def _gap(groups, surface):
    """log10(loss - f*) per group, (T, n): what the loss panel's log axis shows."""
    fstar = (
        float(surface.minima_values[0])
        if len(getattr(surface, "minima_values", ()))
        else float(np.nanmin([np.nanmin(g.losses) for g in groups]))
    )
    tiny = np.finfo(float).tiny
    return fstar, [np.log10(np.maximum(_forward_fill(g.losses) - fstar, tiny)) for g in groups]


def _poster(figure, scene, shown, colours):
    """The first shown cells at their last step over the background just drawn: what a page
    shows where its script cannot run (GitHub, an untrusted notebook)."""
    from matplotlib.collections import LineCollection

    artists = []
    for g in shown:
        group = scene.groups[g]
        ax = scene.mains[g if scene.facet else 0]
        k = len(group.steps) - 1
        k0 = 0 if scene.trail is None else max(0, k - scene.trail)
        paths = group.positions.transpose(1, 0, 2)
        artists.append(
            (
                ax,
                LineCollection(
                    list(paths[:, k0 : k + 1]),
                    colors=colours[g],
                    linewidths=theme.LINE_WIDTH * 0.8,
                    capstyle="round",
                    joinstyle="round",
                ),
            )
        )
        heads = paths[:, k]
        artists.append(
            (
                ax,
                ax.scatter(
                    heads[:, 0], heads[:, 1], s=36, c=colours[g], edgecolors="white", linewidths=0.8
                ),
            )
        )
        for name, panel in scene.sides.items():
            if name == "loss":
                values, steps = figures._gap(group.losses, scene.surface, True)[0], group.steps
            else:
                values, steps = group.lrs, group.lr_steps
            curves = [np.column_stack((steps, values[:, j])) for j in range(values.shape[1])]
            artists.append(
                (panel, LineCollection(curves, colors=colours[g], linewidths=1.6, alpha=0.85))
            )
    for ax, artist in artists:
        if artist.axes is None:
            ax.add_collection(artist, autolim=False)
        ax.draw_artist(artist)
    rgb = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    for _, artist in artists:
        artist.remove()
    return rgb


def _loss_range(gaps, panel):
    """The log10(loss - f*) range stored: the loss panel's (computed as gdsim.animate computes
    it when there is no panel) and a decade either side. Beyond it a diverged run's loss is
    off the panel anyway; the player says "above ..." rather than spend precision on it."""
    if panel is not None:
        low, high = np.log10(panel.get_ylim())
    else:
        finite = np.concatenate([g[np.isfinite(g)] for g in gaps])
        first = max(float(g[0].max()) for g in gaps)
        high = min(max(first + np.log10(3), finite.max()), first + 3)
        low = max(finite.min(), high - 12) - np.log10(2)
    return float(low) - 1, float(high) + 1


def payload(animation, *, poster=True):
    """The player's description: a JSON-ready dict (the numbers deflated in ``data``)."""
    scene = animation.scene
    groups, surface = scene.groups, scene.surface
    sliders, cells, owners = _cells(scene)
    hide = [scene.cell_legend] if sliders and scene.cell_legend is not None else []
    colours = [
        [theme.color(owners[g])] * group.positions.shape[1]
        if sliders and scene.color_by == "run"
        else list(scene.colors[g])
        for g, group in enumerate(groups)
    ]  # with sliders a run's cells take turns
    with animation.still(hide=hide) as rgb:
        height = animation.figure.bbox.height
        axes = [_geometry(ax, height, "main") for ax in scene.mains]
        axes += [_geometry(ax, height, name) for name, ax in scene.sides.items()]
        background = _png(rgb)
        shown = [g for g in range(len(groups)) if not any(cells[g].values())]
        poster = _png(_poster(animation.figure, scene, shown, colours)) if poster else None
    width, height = animation.size
    ax0 = scene.mains[0]
    low = np.array([ax0.get_xlim()[0], ax0.get_ylim()[0]])
    span = np.array([np.ptp(ax0.get_xlim()), np.ptp(ax0.get_ylim())])
    span[span == 0] = 1.0
    fstar, gaps = _gap(groups, surface)
    loss_low, loss_high = _loss_range(gaps, scene.sides.get("loss"))
    loss_span = loss_high - loss_low

    blob, palette, step_tables, described = _Blob(), [], [], []
    for g, group in enumerate(groups):
        n = group.positions.shape[1]
        steps = [int(s) for s in group.steps]
        if steps not in step_tables:
            step_tables.append(steps)
        codes = _position_codes(group.positions, low, span)
        loss_codes = (
            np.round((np.clip(gaps[g], loss_low, loss_high) - loss_low) / loss_span * 65535)
            .astype(np.uint16)
            .T
        )
        lrs = np.asarray(group.lrs, dtype=float)
        # a rule's lrs recorded every few steps come with their steps; otherwise row i is step i
        lr_steps = [int(s) for s in group.lr_steps]
        if lr_steps == list(range(len(lrs))):
            lr_table = -1
        else:
            if lr_steps not in step_tables:
                step_tables.append(lr_steps)
            lr_table = step_tables.index(lr_steps)
        shared = lrs.size == 0 or bool((lrs == lrs[:, :1]).all())
        lrs = lrs[:, :1] if shared and lrs.size else lrs
        for c in colours[g]:
            if c not in palette:
                palette.append(c)
        main = g if scene.facet else 0
        described.append(
            {
                "label": group.label or "",
                "run": owners[g],
                "cell": {str(k): i for k, i in cells[g].items()},
                "axes": main,
                "n": n,
                "steps": step_tables.index(steps),
                "colors": [palette.index(c) for c in colours[g]],
                "reached": [int(k) for k in group.reached],
                "starts": np.round(group.positions[0], 4).tolist(),
                "xy": blob.deltas(codes.reshape(-1, codes.shape[-1])),
                "loss": blob.deltas(loss_codes),
                "lr": [
                    blob.add(np.ascontiguousarray(lrs.T, dtype="<f4")),
                    lrs.shape[1],
                    lrs.shape[0],
                ],
                "lrSteps": lr_table,
            }
        )
    arrows = []
    for g, j, gradient, taken in scene.arrows:
        rows = np.concatenate([gradient, taken], axis=1).astype("<f4")
        arrows.append({"group": g, "path": j, "data": blob.add(np.ascontiguousarray(rows))})
    outcomes = sorted({k for g in groups for k in g.reached.tolist()}, key=lambda k: (k < 0, k))
    clock = sorted({s for table in step_tables for s in table})
    return {
        "width": width,
        "height": height,
        "dpi": float(animation.figure.dpi),
        "background": background,
        "poster": poster,
        "axes": axes,
        "groups": described,
        "sliders": sliders,
        "colors": palette,
        "stepTables": step_tables,
        "clock": clock,
        "frames": [int(s) for s in animation.frame_steps],
        "last": int(scene.last),
        "trail": scene.trail,
        "fps": float(animation.fps),
        "hold": float(animation.hold),
        "arrows": arrows,
        "grid": {
            "low": (low - _GRID_MARGIN * span).tolist(),
            "span": ((1 + 2 * _GRID_MARGIN) * span).tolist(),
        },
        "loss": {"fstar": fstar, "low": loss_low, "span": loss_span},
        "outcomes": {str(k): theme.basin_label(k, surface) for k in outcomes}
        if scene.outcomes
        else {},
        "clockName": scene.clock,
        "legend": bool(sliders),
        "data": blob.encoded(),
    }


# -- HTML ------------------------------------------------------------------------------------------


def _asset(name):
    return resources.files("gdsim.plotting").joinpath(name).read_text(encoding="utf-8")


def _json(value):
    # inside <script>, "</" would end the script; "<\/" is the same string to JSON
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def fragment(animation, *, poster=True):
    """The player as an HTML fragment (a notebook output): markup, style and script."""
    description = payload(animation, poster=poster)
    uid = "gdsim-" + uuid.uuid4().hex[:10]
    width = description["width"]
    font = max(13, round(width / 75))  # at least 1/75 of the player's width, and 13 px
    image = description["poster"] or description["background"]
    description["poster"] = None  # already in the <img>
    return (
        f'<div id="{uid}" class="gdsim-player" tabindex="0" '
        f'style="max-width:{width}px;font-size:{font}px">'
        f'<div class="gd-stage"><img class="gd-image" alt="animation: the last frame" '
        f'src="{image}"><canvas class="gd-canvas"></canvas>'
        f'<div class="gd-tip" hidden></div></div>'
        f'<div class="gd-legend"></div><div class="gd-controls"></div>'
        f'<div class="gd-message" hidden></div></div>'
        f"<style>{_asset('player.css')}</style>"
        f"<script>{_asset('player.js')}\n"
        f'gdsimPlayer(document.getElementById("{uid}"), {_json(description)});</script>'
    )


def page(animation, title=None):
    """A whole HTML document holding the player; it opens offline from ``file://``."""
    if title is None:  # the figure's title, else the landscape's
        suptitle = getattr(animation.figure, "get_suptitle", lambda: "")()
        titles = [ax.get_title() for ax in animation.scene.mains if ax.get_title()]
        title = suptitle or (titles[0] if titles else "")
    title = title or "gdsim animation"
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escaped}</title><style>body{{margin:16px;font-family:sans-serif}}</style>"
        f"</head><body>\n{fragment(animation)}\n</body></html>\n"
    )
