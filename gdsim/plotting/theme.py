"""The one look every gdsim figure shares, and the two things every figure function starts from.

The look: Okabe-Ito colours (distinguishable with every common colour-vision deficiency, and in
greyscale print), a light grey background for the loss landscape so that coloured paths stay the
brightest thing in view, and sizes that survive a projector. This is the one place colours and
sizes are chosen; :mod:`gdsim.plotting`, :mod:`gdsim.plotting.curves`,
:mod:`gdsim.plotting.animation`, the maps and the explorer all draw with it (and ``gdsim.plotting``
re-exports every name here).

The start of every figure: new axes in that style, and the :class:`Drawn` record a figure
function returns.
"""

from __future__ import annotations

import contextlib

import numpy as np

from gdsim.sim.maps import basin_label  # noqa: F401 - the legend text of a basin, for figures

# Okabe & Ito (2008), reordered so the first colours have the most contrast on the light-grey
# landscape (yellow last: it nearly vanishes on white).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
NOT_CONVERGED_COLOR = "#BBBBBB"
DIVERGED_COLOR = "#333333"
# converged, still descending, oscillating, diverged
STABILITY_COLORS = ("#009E73", "#56B4E9", "#E69F00", DIVERGED_COLOR)
LANDSCAPE_COLORS = ("#9E9E9E", "#FFFFFF")  # low loss darker: valleys read as valleys
CONTOUR_LINE_COLOR = "#6E6E6E"
MINIMUM_STYLE = dict(
    marker="*",
    markersize=15,
    markerfacecolor="white",
    markeredgecolor="black",
    markeredgewidth=1.2,
    linestyle="none",
    zorder=6,
)
SADDLE_STYLE = dict(
    marker="x", markersize=8, color="black", markeredgewidth=1.5, linestyle="none", zorder=6
)
LINE_WIDTH = 2.0
FONT_SIZE = 12
FIGSIZE = (6.4, 5.2)

# rcParams for lecture slides; figure builders apply them with ``matplotlib.rc_context(STYLE)``
STYLE = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 2,
    "axes.labelsize": FONT_SIZE + 1,
    "legend.fontsize": FONT_SIZE - 1,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
    "lines.linewidth": LINE_WIDTH,
    "axes.prop_cycle": None,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _style():
    from cycler import cycler

    style = dict(STYLE)
    style["axes.prop_cycle"] = cycler(color=list(PALETTE))
    return style


@contextlib.contextmanager
def style():
    """A context manager applying the package's figure style: ``with plotting.style(): ...``.

    pyplot loads its backend with the first figure of a session; in Jupyter the inline backend
    then switches interactive mode on. ``rc_context`` would undo that on exit and no later
    figure would show, so the interactive mode the block ends with is kept.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    with plt.rc_context(_style()):
        yield
        interactive = matplotlib.is_interactive()
    matplotlib.interactive(interactive)


def use_style():
    """Apply gdsim's figure style to every figure from now on (a notebook's first cell), so the
    texts a lesson adds itself (legends, titles, twin axes) get the lecture sizes too."""
    import matplotlib

    matplotlib.rcParams.update(_style())


def color(i):
    """The i-th line colour (cycling; yellow is kept for filled areas, it vanishes as a line on
    white)."""
    return PALETTE[i % (len(PALETTE) - 1)]


def basin_color(k):
    """The colour of minimum ``k`` in basin maps and "colour by minimum" pictures; grey for
    not converged (-1), near-black for diverged (-2). With more than eight minima colours repeat."""
    if k == -1:
        return NOT_CONVERGED_COLOR
    if k == -2:
        return DIVERGED_COLOR
    return PALETTE[k % len(PALETTE)]


class Drawn(dict):
    """What a plotting function drew: ``drawn.ax``, ``drawn.lines`` ... (also
    ``drawn["lines"]``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"nothing called {name!r} was drawn; have {sorted(self)}"
            ) from None


def prepare_axes(ax, projection=None, figsize=None):
    """``ax`` itself, or new axes on a new figure in gdsim's style."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    with style():
        fig = plt.figure(figsize=figsize or FIGSIZE, layout="constrained")
        return fig.add_subplot(projection=projection)


def min_font_size(fig):
    """The smallest legible text for ``fig``: 1/90 of its width (a 10-inch figure: 8 pt), in
    half points rounded up."""
    return np.ceil(fig.get_figwidth() * 72 / 90 * 2) / 2


def legible(fig):
    """Raise every text of ``fig`` that is smaller than :func:`min_font_size` to it (tick labels
    through ``tick_params``, so ticks made later follow), and return ``fig``.

    Every gdsim figure builder ends with it, so a wide figure gets larger text instead of
    unreadable text; a lecture figure should still prefer a grid to a long strip."""
    from matplotlib.text import Text

    minimum = min_font_size(fig)
    for ax in fig.axes:
        for which, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            labels = axis.get_ticklabels(which="both")
            if labels and min(label.get_fontsize() for label in labels) < minimum:
                ax.tick_params(axis=which, which="both", labelsize=minimum)
    for text in fig.findobj(lambda artist: isinstance(artist, Text)):
        if text.get_fontsize() < minimum:
            text.set_fontsize(minimum)
    return fig


def panel_grid(n, figsize=None, reserved=(0.6, 1.8)):
    """``(rows, cols)`` for ``n`` square panels (maps, paths). Without ``figsize``: at most three
    a row, rows as even as they can be. With it: the grid whose panels come out largest once
    ``reserved`` inches (width, height) are left for labels, titles and a legend, so a 16:9
    slide puts four maps in one row rather than a 2 × 2 block with empty sides."""
    if figsize is None:
        rows = -(-n // 3)
        return rows, -(-n // rows)
    width, height = figsize[0] - reserved[0], figsize[1] - reserved[1]

    def side(rows):
        return min(width / -(-n // rows), height / rows)

    rows = max(range(1, n + 1), key=lambda r: (round(side(r), 6), -r))
    return rows, -(-n // rows)


def subplots(nrows=1, ncols=1, *, figsize=None, **options):
    """``plt.subplots`` in gdsim's style with constrained layout, for figures composed of several
    gdsim drawings (``gdsim.plotting.trajectories(run, ax=axes[0])`` ...); call
    :func:`legible` on the figure when it is complete."""
    import matplotlib.pyplot as plt

    options.setdefault("layout", "constrained")
    with style():
        return plt.subplots(nrows, ncols, figsize=figsize or FIGSIZE, **options)


def finish(drawn):
    """The last line of every gdsim figure function: make the figure :func:`legible` and give
    a :class:`Drawn` record the one convention every ``.plot()`` follows, ``drawn.ax`` (the
    main axes), ``drawn.axes`` (every axes drawn on) and ``drawn.figure``. Returns ``drawn``."""
    figure = drawn
    if isinstance(drawn, Drawn):
        if "ax" not in drawn and drawn.get("axes") is not None:
            drawn["ax"] = list(drawn["axes"])[0]
        if "axes" not in drawn and drawn.get("ax") is not None:
            drawn["axes"] = [drawn["ax"]]
        if "figure" not in drawn and drawn.get("ax") is not None:
            drawn["figure"] = drawn["ax"].figure
        figure = drawn.get("figure")
    figure = getattr(figure, "figure", figure)
    if figure is not None and hasattr(figure, "get_figwidth"):
        legible(figure)
    return drawn
