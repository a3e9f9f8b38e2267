"""A figure lint: is this figure legible from the back of a lecture hall?

    problems = gdsim.plotting.lint(fig)      # [] when the figure passes
    gdsim.plotting.check(fig)                # raises AssertionError listing every problem

The rules (each a :class:`Problem` kind):

- ``small text``: every drawn text is at least 1/90 of the figure's width tall (a 10-inch figure:
  8 pt; a 22-inch strip needs 17.6 pt, or a grid layout instead);
- ``overlap``: no two drawn texts overlap (titles, suptitles, axis and tick labels, legend
  entries, annotations, colour-bar labels);
- ``legend over data``: a legend inside an axes covers at most 5% of that axes' plotted points;
- ``shared colour``: within an axes, every labelled path (a line or collection in the legend)
  has its own colour;
- ``cut off``: no text runs past the figure's edge.

The check draws the figure once with its own renderer, so it sees what ``savefig`` writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_TEXT_FRACTION = 1 / 90  # of the figure's width
MAX_LEGEND_COVER = 0.05  # of an axes' plotted points
OVERLAP_TOLERANCE = 1.0  # pixels two boxes may share (anti-aliased edges)


@dataclass
class Problem:
    """One thing that fails the lint: its ``kind``, a sentence, and the artists involved."""

    kind: str
    message: str
    artists: list = field(default_factory=list, repr=False)

    def __str__(self):
        return f"{self.kind}: {self.message}"


def _texts(fig, renderer):
    """Every visible, non-empty text the figure draws, with its box in display pixels."""
    from matplotlib.text import Text

    undrawn = _undrawn_tick_labels(fig)
    found = []
    for text in fig.findobj(lambda a: isinstance(a, Text)):
        if id(text) in undrawn or not text.get_visible() or not text.get_text().strip():
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        box = text.get_window_extent(renderer)
        if (
            box.width <= 0
            or box.height <= 0
            or not np.isfinite([box.x0, box.y0, box.x1, box.y1]).all()
        ):
            continue
        found.append((text, box))
    return found


def _undrawn_tick_labels(fig):
    """Tick labels matplotlib keeps but does not draw: hidden axes or axis, hidden ticks, and
    ticks outside the view (matplotlib reuses tick objects, so a stale one can hold an old
    label; the ticks it draws are the ones its axis selects for the current view)."""
    undrawn = set()
    for axes in fig.axes:
        for axis in (axes.xaxis, axes.yaxis):
            every = axis.get_major_ticks() + axis.get_minor_ticks()
            try:
                drawn = {id(tick) for tick in axis._update_ticks()}  # what Axis.draw draws
            except Exception:  # noqa: BLE001 - another matplotlib: fall back to the view test
                low, high = sorted(axis.get_view_interval())
                drawn = {
                    id(tick)
                    for tick in every
                    if tick.get_loc() is not None and low <= tick.get_loc() <= high
                }
            for tick in every:
                shown = (
                    axes.get_visible()
                    and axis.get_visible()
                    and tick.get_visible()
                    and id(tick) in drawn
                )
                if not shown:
                    undrawn.update((id(tick.label1), id(tick.label2)))
            if not (axes.axison and axis.get_visible()):  # ax.axis("off") hides the labels
                undrawn.add(id(axis.label))
                undrawn.add(id(axis.get_offset_text()))
    return undrawn


def _describe(text):
    words = " ".join(text.get_text().split())
    return repr(words if len(words) <= 40 else words[:37] + "...")


def _small_texts(fig, texts):
    minimum = fig.get_figwidth() * 72 * MIN_TEXT_FRACTION
    problems = []
    for text, _ in texts:
        size = text.get_fontsize()
        if size < minimum - 1e-9:
            problems.append(
                Problem(
                    "small text",
                    f"{_describe(text)} is {size:.1f} pt; "
                    f"this {fig.get_figwidth():.1f}-inch wide figure "
                    f"needs at least {minimum:.1f} pt (1/90 of its width)",
                    [text],
                )
            )
    return problems


def _cut_off(fig, texts):
    width, height = fig.bbox.width, fig.bbox.height
    problems = []
    for text, box in texts:
        if (
            box.x0 < -OVERLAP_TOLERANCE
            or box.y0 < -OVERLAP_TOLERANCE
            or box.x1 > width + OVERLAP_TOLERANCE
            or box.y1 > height + OVERLAP_TOLERANCE
        ):
            problems.append(
                Problem("cut off", f"{_describe(text)} runs past the figure's edge", [text])
            )
    return problems


def _overlaps(texts):
    problems = []
    for i in range(len(texts)):
        a, box_a = texts[i]
        for b, box_b in texts[i + 1 :]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > OVERLAP_TOLERANCE and height > OVERLAP_TOLERANCE:
                problems.append(
                    Problem("overlap", f"{_describe(a)} overlaps {_describe(b)}", [a, b])
                )
    return problems


def _plotted_points(axes):
    """The display coordinates of every data point an axes draws (lines, scatter, paths)."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D

    points = []
    for artist in axes.get_children():
        if not artist.get_visible() or artist is axes.patch:
            continue
        if isinstance(artist, Line2D):
            xy = artist.get_xydata()
            if len(xy):
                points.append(artist.get_transform().transform(xy))
        elif isinstance(artist, Collection) and not _is_background(artist):
            offsets = artist.get_offsets()
            if len(offsets) and not (len(offsets) == 1 and np.allclose(offsets, 0)):
                points.append(artist.get_offset_transform().transform(offsets))
            for path in artist.get_paths():
                if len(path.vertices):
                    points.append(artist.get_transform().transform(path.vertices))
    if not points:
        return np.zeros((0, 2))
    points = np.concatenate(points)
    return points[np.isfinite(points).all(axis=1)]


def _is_background(collection):
    """Contour sets, images and filled regions are the landscape, not plotted data."""
    from matplotlib.collections import PolyCollection, QuadMesh
    from matplotlib.contour import ContourSet

    return isinstance(collection, (QuadMesh, ContourSet)) or (
        isinstance(collection, PolyCollection) and collection.get_label().startswith("_")
    )


def _legends_over_data(fig, renderer):
    problems = []
    for axes in fig.axes:
        legend = axes.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        points = _plotted_points(axes)
        inside_axes = axes.get_window_extent(renderer)
        points = points[
            (points[:, 0] >= inside_axes.x0)
            & (points[:, 0] <= inside_axes.x1)
            & (points[:, 1] >= inside_axes.y0)
            & (points[:, 1] <= inside_axes.y1)
        ]
        if not len(points):
            continue
        covered = (
            (points[:, 0] >= box.x0)
            & (points[:, 0] <= box.x1)
            & (points[:, 1] >= box.y0)
            & (points[:, 1] <= box.y1)
        ).mean()
        if covered > MAX_LEGEND_COVER:
            title = axes.get_title() or "an axes"
            problems.append(
                Problem(
                    "legend over data",
                    f"the legend of {title!r} covers {covered:.0%} of its plotted points "
                    f"(at most {MAX_LEGEND_COVER:.0%}); move it outside or to an empty corner",
                    [legend],
                )
            )
    return problems


def _shared_colours(fig):
    import matplotlib.colors as mcolors

    problems = []
    for axes in fig.axes:
        legend = axes.get_legend()
        handles = getattr(legend, "legend_handles", None) or getattr(legend, "legendHandles", [])
        labels = [t.get_text() for t in legend.get_texts()] if legend is not None else []
        originals = dict(zip(*reversed(axes.get_legend_handles_labels())))
        seen = {}
        for handle, label in zip(handles, labels):
            if _many_colours(originals.get(label)):
                continue  # markers coloured one per member: not a path of their own
            colour = _colour_of(handle)
            if colour is None:
                continue
            key = mcolors.to_hex(colour)
            if key in seen and seen[key] != label:
                problems.append(
                    Problem(
                        "shared colour",
                        f"{seen[key]!r} and {label!r} share the colour {key} "
                        f"in {axes.get_title()!r}",
                        [handle],
                    )
                )
            seen.setdefault(key, label)
    return problems


def _many_colours(artist):
    """True for a collection drawn in several colours (e.g. one marker per population member)."""
    import matplotlib.colors as mcolors
    from matplotlib.collections import Collection

    if not isinstance(artist, Collection):
        return False
    faces = artist.get_facecolor()
    return len({mcolors.to_hex(c) for c in faces}) > 1


def _colour_of(handle):
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D

    if isinstance(handle, Line2D):
        if handle.get_linestyle() in ("None", "none", "", " ") and handle.get_marker() in (
            None,
            "None",
            "none",
            "",
        ):
            return None
        return (
            handle.get_color()
            if handle.get_linestyle() not in ("None", "none")
            else handle.get_markerfacecolor()
        )
    if isinstance(handle, Collection):
        # a marker is known by its fill; a line collection by its stroke
        faces = handle.get_facecolor()
        colours = faces if len(faces) and faces[0][3] > 0 else handle.get_edgecolor()
        return colours[0] if len(colours) else None
    if hasattr(handle, "get_facecolor"):
        return handle.get_facecolor()
    return None


def lint(fig):
    """Every legibility problem of ``fig`` (a matplotlib Figure) as a list of :class:`Problem`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig, "get_figwidth"):
        raise TypeError(f"fig must be a matplotlib Figure, got {fig!r}")
    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _texts(fig, renderer)
    return (
        _small_texts(fig, texts)
        + _overlaps(texts)
        + _cut_off(fig, texts)
        + _legends_over_data(fig, renderer)
        + _shared_colours(fig)
    )


def check(fig, name=None):
    """Raise an AssertionError listing every problem :func:`lint` finds in ``fig``."""
    problems = lint(fig)
    if problems:
        where = f"{name}: " if name else ""
        raise AssertionError(
            where
            + f"{len(problems)} legibility problem(s):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


NOT_FROM_THE_GALLERY = (
    "not drawn by a gdsim.teach.gallery function: a lesson draws each of its figures with one"
)


def watch_notebook(ipython=None, require_gallery=False):
    """Lint every figure a notebook cell shows, and fail the cell when one has problems.

    Called from an IPython startup file (the test suite installs one for the lessons), it runs
    after each cell, before the inline backend shows and closes the cell's figures, and also
    checks an Animation the cell returns. A failing figure turns the cell into an error whose
    message lists the problems, so ``pytest --nbmake`` reports the lesson and the cell. With
    ``require_gallery`` a figure is also a problem unless a gallery function drew it (it
    carries ``gdsim_figure``, as the gallery's figures and the explorer's do).
    """
    if ipython is None:
        from IPython import get_ipython

        ipython = get_ipython()
    found = []

    def problems(figure):
        listed = lint(figure)
        if require_gallery and not getattr(figure, "gdsim_figure", None):
            listed.append(NOT_FROM_THE_GALLERY)
        return listed

    def before_figures_close():
        import sys

        if "matplotlib.pyplot" not in sys.modules:
            return
        import matplotlib.pyplot as plt

        for number in plt.get_fignums():
            found.extend(f"figure {number}: {p}" for p in problems(plt.figure(number)))

    def after_cell(result):
        shown = getattr(result, "result", None)
        figure = getattr(shown, "figure", None)
        if figure is not None and hasattr(figure, "get_figwidth"):
            found.extend(f"animation: {p}" for p in problems(figure))
        if found and result.error_in_exec is None and result.error_before_exec is None:
            result.error_in_exec = AssertionError(
                f"{len(found)} legibility problem(s):\n" + "\n".join(f"  - {p}" for p in found)
            )
            ipython.showtraceback((AssertionError, result.error_in_exec, None))
        found.clear()

    ipython.events.register("post_execute", before_figures_close)
    ipython.events.register("post_run_cell", after_cell)
