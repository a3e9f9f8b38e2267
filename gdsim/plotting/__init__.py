"""Pictures: static figures, maps, curves, animations and the explorer, all in one style.

Every figure function takes ``ax=None`` (a new figure when None) and returns what it drew as a
:class:`Drawn` record (a dict with attribute access, always holding ``ax``), so a notebook can
restyle an artist and a test can read the artists' data back. Every figure is
``gdsim.plotting.<name>``:

- :mod:`~gdsim.plotting.theme`: the one look (colours, sizes, ``style()``);
- :mod:`~gdsim.plotting.figures`: contours, trajectories, losses, 3-D surfaces;
- :mod:`~gdsim.plotting.curves`: schedules, training histories, one-cycle/SGDR cycles;
- :mod:`~gdsim.plotting.maps`: basin and stability maps with their analytic limits;
- :mod:`~gdsim.plotting.animation` and :mod:`~gdsim.plotting.movies`: ``animate`` and the
  GIF/MP4/HTML writers; :mod:`~gdsim.plotting.explorer`: the interactive explorer.
"""

from gdsim.plotting.animation import animate
from gdsim.plotting.curves import history, plot_cycle, schedule_gallery, schedule_values, schedules
from gdsim.plotting.figures import (
    basins,
    contour,
    contour_levels,
    groups,
    losses,
    stability,
    surface3d,
    trajectories,
)
from gdsim.plotting.lint import check, lint
from gdsim.plotting.maps import limit_lines, plot_basins, plot_stability
from gdsim.plotting.movies import Animation
from gdsim.plotting.theme import (
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
    basin_color,
    basin_label,
    color,
    finish,
    legible,
    min_font_size,
    panel_grid,
    prepare_axes,
    style,
    subplots,
    use_style,
)

__all__ = [
    "lint",
    "check",
    "contour",
    "contour_levels",
    "groups",
    "trajectories",
    "losses",
    "surface3d",
    "basins",
    "stability",
    "plot_basins",
    "plot_stability",
    "limit_lines",
    "history",
    "plot_cycle",
    "schedules",
    "schedule_values",
    "schedule_gallery",
    "animate",
    "Animation",
    "Drawn",
    "style",
    "finish",
    "legible",
    "min_font_size",
    "panel_grid",
    "subplots",
    "use_style",
    "color",
    "basin_color",
    "basin_label",
    "prepare_axes",
    "PALETTE",
    "FONT_SIZE",
    "LINE_WIDTH",
    "FIGSIZE",
    "STYLE",
    "MINIMUM_STYLE",
    "SADDLE_STYLE",
    "CONTOUR_LINE_COLOR",
    "DIVERGED_COLOR",
    "NOT_CONVERGED_COLOR",
    "LANDSCAPE_COLORS",
    "STABILITY_COLORS",
]
