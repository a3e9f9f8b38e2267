"""Maps over many runs: which minimum each start reaches (basins) and which settings are stable.

``basins`` runs one start per pixel and colours the pixel by the minimum it ends in. Swept over
the learning rate it gives the figure that shows how the starting point *and* the learning rate
decide the answer: small steps follow the landscape's watersheds, large ones jump over ridges
and fragment the basins, and larger still the runs diverge.

``stability`` sweeps two hyperparameters (or one and the start) and classifies each run as
converged, still descending, oscillating or diverged; on the quadratic the analytic limits
(lr < 2/L for gradient descent, lr < 2(1 + μ)/L for heavy-ball momentum) are drawn on top,
so students can see theory and simulation agree.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import arguments, plotting, surfaces
from . import optimizers as _optimizers
from .engine import simulate, sweep

CONVERGED, SLOW, OSCILLATING, DIVERGED_CLASS = 0, 1, 2, 3
CLASSES = ("converged", "still descending", "oscillating", "diverged")


def _maker(optimizer, grid):
    """(optimizer or None, factory or None) from what the user passed."""
    if isinstance(optimizer, str):
        optimizer = _optimizers.get(optimizer)
    if isinstance(optimizer, _optimizers.Optimizer):
        if not grid:
            return optimizer, None
        return None, optimizer.with_hyperparameters
    if isinstance(optimizer, type) and issubclass(optimizer, _optimizers.Optimizer) and grid:
        # through the flat hyperparameter names, so Adam's beta2 can be swept on its own
        return None, optimizer().with_hyperparameters
    if callable(optimizer):
        if not grid:
            raise TypeError(f"optimizer {optimizer!r} is a factory; give an optimizer such as "
                            "gdsim.SGD(lr=0.01), or grid values to sweep, e.g. lr=[0.01, 0.02]")
        return None, optimizer
    raise TypeError(f"optimizer must be a gdsim optimizer, its name or class, got {optimizer!r}")


def _grid_shape(grid):
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        n = arguments.check_int("grid", grid, minimum=2)
        return n, n
    if isinstance(grid, (tuple, list)) and len(grid) == 2:
        return tuple(arguments.check_int("grid", int(g) if float(g).is_integer() else g, minimum=2) for g in grid)
    raise TypeError(f"grid must be n or (ny, nx), the map's size in pixels, got {grid!r}")


def _cell_names(run, grid):
    names = list(grid)
    cells = list(itertools.product(*[run.coords[n] for n in names])) if names else [()]
    return [dict(zip(names, c)) for c in cells]


class BasinMap:
    """One start per pixel, labelled with where it ended.

    ``labels (*cells, ny, nx)``: index into ``surface.minima``, -1 not converged, -2 diverged.
    ``settled_at``: steps until the run stopped moving (-1 where not converged).
    ``x (nx,)``, ``y (ny,)``: the pixel centres; ``axes``/``coords``: the swept hyperparameters;
    ``cells``: one dict of hyperparameter values per panel, ``cell_labels`` their legends.
    """

    def __init__(self, surface, run, x, y, grid, optimizer, maker, steps):
        self.surface, self.run, self.x, self.y, self.steps = surface, run, x, y, steps
        self.axes = tuple(grid)
        self.coords = {name: list(values) for name, values in run.coords.items() if name in grid}
        self.labels = run.reached.astype(np.int8) if len(surface.minima) < 127 else run.reached
        self.settled_at = np.where(self.labels >= 0, run.settled_at, -1)
        self.cells = _cell_names(run, grid)
        self.cell_labels = run.labels() if grid else [optimizer.label()]
        self._optimizer, self._maker = optimizer, maker

    @property
    def shape(self):
        return self.labels.shape

    def cell(self, i):
        """(labels, settled_at) of panel ``i`` as (ny, nx) arrays."""
        flat = self.labels.reshape((-1,) + self.labels.shape[-2:])
        return flat[i], self.settled_at.reshape(flat.shape)[i]

    def optimizer(self, i=0):
        """The optimizer of panel ``i``."""
        return self._optimizer if self._maker is None else self._maker(**self.cells[i])

    def fractions(self):
        """Share of the pixels per outcome, per panel: ``{label: array (cells,)}``."""
        flat = self.labels.reshape(len(self.cells), -1)
        return {plotting.basin_label(k, self.surface): (flat == k).mean(axis=1)
                for k in np.unique(flat)}

    def plot(self, ax=None, **options):
        """See :func:`plot_basins`."""
        return plot_basins(self, ax=ax, **options)

    def __repr__(self):
        return (f"<BasinMap {self.surface.name}: {self.labels.shape[-2]}x{self.labels.shape[-1]} starts, "
                f"{len(self.cells)} panel(s) over {self.axes or 'one optimizer'}, {self.steps} steps>")


def basins(surface, optimizer, grid=(200, 200), steps=200, *, bounds=None, tol=None, noise=0.0,
           seed=None, workers=None, **sweep_values):
    """Run one start per pixel and record which minimum each reached.

    ``grid`` is n or (ny, nx) pixels over ``bounds`` (default: the surface's plotting box);
    starts sit at the pixel centres. ``optimizer`` is an optimizer (``gdsim.SGD(lr=0.01,
    momentum=0.9)``), or with sweep values a factory such as ``gdsim.SGD``; sweep values make one
    panel each, e.g. ``basins(s, gdsim.SGD(momentum=0.9), lr=[0.005, 0.01, 0.02])``.
    Returns a :class:`BasinMap`; ``.plot()`` draws it.
    """
    surface = plotting._surface(surface)
    ny, nx = _grid_shape(grid)
    steps = arguments.check_int("steps", steps, minimum=1)
    single, maker = _maker(optimizer, sweep_values)
    (x0, x1), (y0, y1) = surface.bounds if bounds is None else bounds
    for name, low, high in (("bounds x", x0, x1), ("bounds y", y0, y1)):
        arguments.check_finite(name, [low, high])
        if not low < high:
            raise ValueError(f"{name} must be (low, high) with low < high, got ({low}, {high})")
    # pixel centres, so the picture's extent is exactly the bounds
    x = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    y = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    starts = np.stack(np.meshgrid(x, y), axis=-1)
    options = dict(record="final", tol=tol, noise=noise, seed=seed, track_settling=True)
    if maker is None:
        run = simulate(surface, single, starts, steps, workers=workers, **options)
    else:
        run = sweep(surface, maker, starts, steps, **options, **sweep_values)
    return BasinMap(surface, run, x, y, sweep_values, single, maker, steps)


def plot_basins(basin_map, ax=None, *, samples=0, sample_steps=None, shade=False, contours=True,
                legend=True, titles=True):
    """Colour each start by the minimum it reached: the basin-of-attraction picture.

    Each minimum has its own colour (repeating after eight) and is marked by a white star; grey
    is "did not converge in time", near-black "diverged". ``samples`` overlays that many sample
    trajectories (from an even grid of starts) to show *how* the runs got there; ``shade``
    lightens pixels by how long they took to settle. One panel per sweep value; with several
    panels ``ax`` is a sequence of axes. Returns ``Drawn(axes, images, trajectories, legend)``
    whose ``images[i].get_array()`` are the labels.
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
        image = ax.imshow(labels, origin="lower", extent=extent, cmap=cmap, norm=norm,
                          interpolation="nearest", aspect="auto", zorder=0)
        drawn["images"].append(image)
        if shade:
            # slow starts fade towards white: the basin's core is where convergence is quick
            fraction = np.where(settled >= 0, settled / max(basin_map.steps, 1), 0.0)
            ax.imshow(np.ones(labels.shape + (3,)), origin="lower", extent=extent, alpha=0.65 * fraction,
                      interpolation="nearest", aspect="auto", zorder=0.5)
        if contours:
            plotting.contour(surface, ax=ax, filled=False, saddles=False, resolution=150)["lines"].set_alpha(0.45)
        else:
            ax.plot(surface.minima[:, 0], surface.minima[:, 1], **plotting.MINIMUM_STYLE)
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        if titles and (n_cells > 1 or basin_map.axes):
            ax.set_title(basin_map.cell_labels[i], fontsize=plotting.FONT_SIZE)
        if samples:
            drawn["trajectories"].append(_sample_paths(basin_map, i, ax, samples, sample_steps))
    if legend:
        present = sorted(np.unique(basin_map.labels).tolist(), key=lambda c: (c < 0, c))
        shown = [c for c in present if c < 0] if sum(c >= 0 for c in present) > 10 else present
        handles = [Patch(facecolor=plotting.basin_color(c), edgecolor="black", linewidth=0.5) for c in shown]
        names = [plotting.basin_label(c, surface) for c in shown]
        if len(shown) < len(present):
            handles.insert(0, Patch(facecolor="white", edgecolor="black"))
            names.insert(0, "one colour per minimum (colours repeat)")
        figure = axes[0].figure
        if n_cells > 1:
            drawn["legend"] = figure.legend(handles, names, loc="outside lower center",
                                            ncols=min(len(names), 4), frameon=False)
        else:
            drawn["legend"] = axes[0].legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                                             frameon=False, fontsize=plotting.FONT_SIZE - 2)
    if n_cells == 1:
        drawn["ax"] = axes[0]
    return drawn


def _panel_axes(ax, n):
    if ax is None:
        import matplotlib.pyplot as plt
        cols = min(n, 4)
        rows = -(-n // cols)
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
    run = simulate(basin_map.surface, basin_map.optimizer(i), starts, sample_steps or basin_map.steps)
    lines = []
    for j in range(len(starts)):
        path = run.positions[:, j]
        # a diverging path is cut where it leaves the picture, not drawn to its frozen far point
        outside = ((path[:, 0] < x0) | (path[:, 0] > x1) | (path[:, 1] < y0) | (path[:, 1] > y1)).nonzero()[0]
        path = path[:outside[0] + 1] if outside.size else path
        lines.append(ax.plot(path[:, 0], path[:, 1], color="black", lw=1.0, alpha=0.8, zorder=3)[0])
    ax.plot(starts[:, 0], starts[:, 1], "o", mfc="white", mec="black", ms=4, zorder=4)
    return lines


# -- stability ---------------------------------------------------------------------------------------

class StabilityMap:
    """Each run of a two-way sweep classified: ``classes (ny, nx)`` with values
    ``CONVERGED`` (0), ``SLOW`` (1, bounded and still descending), ``OSCILLATING`` (2, bounded but
    not settling) and ``DIVERGED_CLASS`` (3); ``x_name``/``x`` along the columns, ``y_name``/``y``
    along the rows.
    """

    def __init__(self, surface, run, classes, x_name, x, y_name, y, optimizer, steps):
        self.surface, self.run, self.classes = surface, run, classes
        self.x_name, self.x, self.y_name, self.y = x_name, np.asarray(x), y_name, np.asarray(y)
        self.optimizer, self.steps = optimizer, steps

    def fractions(self):
        return {name: float(np.mean(self.classes == i)) for i, name in enumerate(CLASSES)}

    def plot(self, ax=None, **options):
        """See :func:`plot_stability`."""
        return plot_stability(self, ax=ax, **options)

    def __repr__(self):
        shares = ", ".join(f"{k} {v:.0%}" for k, v in self.fractions().items())
        return f"<StabilityMap {self.surface.name}: {self.y_name} x {self.x_name} = {self.classes.shape}; {shares}>"


def classify(run, window=0.5):
    """CONVERGED / SLOW / OSCILLATING / DIVERGED_CLASS for every run of ``run``.

    Converged: ended within ``tol`` of a known minimum. Diverged: overflowed or escaped, or is
    on its way: over the last ``window`` of the run the loss's peaks grew more than fourfold, to
    above where it started (a growing oscillation just past the stability limit; a run merely
    bouncing between wells has peaks of a steady size). Of the rest, a run whose recorded loss
    fell at every sample over the window is still descending (too small a learning rate, or too
    few steps); any other is oscillating. The "still descending" class keeps tiny learning rates
    from being mislabelled as unstable.
    """
    classes = np.full(run.reached.shape, OSCILLATING, dtype=np.int8)
    losses = run.losses[int(len(run.losses) * (1 - window)):]
    with np.errstate(invalid="ignore"):
        if len(losses) > 1:
            classes[(np.diff(losses, axis=0) < 0).all(axis=0)] = SLOW
            half = len(losses) // 2
            early, late = losses[:max(half, 1)].max(axis=0), losses[half:].max(axis=0)
            classes[(late > 4 * early) & (losses[-1] > run.losses[0])] = DIVERGED_CLASS
    classes[run.reached >= 0] = CONVERGED
    classes[run.diverged] = DIVERGED_CLASS
    return classes


def _default_start(surface):
    """Away from the global minimum towards the top-left corner, for a visible transient."""
    (x0, x1), (y0, y1) = surface.bounds
    m = surface.minima[0] if len(surface.minima) else np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    return m + 0.6 * (np.array([x0, y1]) - m)


def stability(surface, optimizer, steps=200, *, start=None, starts=None, tol=None, **grid):
    """Classify runs over one or two hyperparameters (or one and the start).

    ``stability(q, gdsim.SGD, lr=np.geomspace(1e-3, 1, 80), momentum=np.linspace(0, 0.99, 60))``:
    the first grid name runs along x, the second along y. With one grid name and ``starts``
    (n, 2), the starts run along y (as their distance from the global minimum, nearest first;
    ``.run`` holds them in that order). ``optimizer``
    is a class or factory, or an optimizer whose other settings are kept. Returns a
    :class:`StabilityMap`; ``.plot()`` draws it with the analytic limits on the quadratic.
    """
    surface = plotting._surface(surface)
    steps = arguments.check_int("steps", steps, minimum=2)
    if not 1 <= len(grid) <= 2:
        raise ValueError(f"stability needs one or two hyperparameters to sweep, e.g. lr=[...], momentum=[...]; "
                         f"got {sorted(grid) or 'none'}")
    if starts is not None and len(grid) == 2:
        raise ValueError("give starts (a start axis) with one hyperparameter, or two hyperparameters, not both")
    _, maker = _maker(optimizer, grid)
    if starts is None:
        points = np.asarray(_default_start(surface) if start is None else start, dtype=float).reshape(1, 2)
    else:
        points = np.asarray(starts, dtype=float).reshape(-1, 2)
        # rows in order of distance from the global minimum, so the map reads bottom to top
        reference = surface.minima[0] if len(surface.minima) else np.zeros(2)
        points = points[np.argsort(np.hypot(*(points - reference).T), kind="stable")]
    stride = max(1, steps // 40) | 1   # odd, so a period-2 bounce never aliases into a steady value
    run = sweep(surface, maker, points, steps, record=stride, tol=tol, **grid)
    classes = classify(run)
    names = list(grid)
    x_name, x = names[0], grid[names[0]]
    if len(names) == 2:
        y_name, y = names[1], grid[names[1]]
        classes = classes.reshape(len(x), len(y)).T
    elif starts is not None:
        reference = surface.minima[0] if len(surface.minima) else np.zeros(2)
        y_name, y = "distance of the start from the global minimum", np.hypot(*(points - reference).T)
        classes = classes.reshape(len(x), len(points)).T
    else:
        y_name, y = "", np.zeros(1)
        classes = classes.reshape(1, len(x))
    if isinstance(optimizer, str):
        optimizer = _optimizers.get(optimizer)
    return StabilityMap(surface, run, classes, x_name, x, y_name, y, optimizer, steps)


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
    set_scale, set_lim, set_ticks = ((ax.set_xscale, ax.set_xlim, ax.set_xticks) if which == "x"
                                     else (ax.set_yscale, ax.set_ylim, ax.set_yticks))
    if kind == "log":
        set_scale("log")
    set_lim(edges[0], edges[-1])
    if kind == "categorical":
        # every value labelled while they fit; beyond a dozen rows, about eight evenly spread labels
        shown = np.arange(len(values)) if len(values) <= 12 else np.unique(np.linspace(0, len(values) - 1, 8).round().astype(int))
        set_ticks(shown, [f"{values[i]:.3g}" for i in shown])


def analytic_limit(stability_map):
    """The quadratic's stability limit as (x, y) curve points, or None where no closed form applies.

    Gradient descent on ½pᵀHp converges iff lr < 2/L (L the largest curvature). Heavy-ball
    momentum (PyTorch SGD, dampening τ) iff lr·(1−τ)·L < 2(1 + μ); Nesterov iff
    lr·L < 2(1 + μ)/(1 + 2μ).
    """
    m = stability_map
    L = getattr(m.surface, "lipschitz", None)
    opt = m.optimizer
    cls = opt if isinstance(opt, type) else type(opt)
    if L is None or m.x_name != "lr" or not issubclass(cls, _optimizers.SGD):
        return None
    nesterov = bool(getattr(opt, "nesterov", False)) if not isinstance(opt, type) else False
    dampening = 0.0 if isinstance(opt, type) else getattr(opt, "dampening", 0.0)
    fixed_momentum = 0.0 if isinstance(opt, type) else getattr(opt, "momentum", 0.0)
    if callable(dampening) or callable(fixed_momentum) or np.ndim(dampening) or np.ndim(fixed_momentum):
        return None

    def limit(mu):
        if nesterov:
            return 2 * (1 + mu) / ((1 + 2 * mu) * L)
        return 2 * (1 + mu) / ((1 - dampening) * L)

    x_kind, y_kind = _edges(m.x)[1], _edges(m.y)[1]
    if m.y_name == "momentum":
        mu = np.linspace(min(m.y), max(m.y), 200)
        return _place(m.x, x_kind, limit(mu)), _place(m.y, y_kind, mu)
    if m.y_name in ("", "distance of the start from the global minimum"):
        edges = _edges(m.y)[0]
        return _place(m.x, x_kind, np.full(2, limit(fixed_momentum))), np.array([edges[0], edges[-1]])
    return None


def plot_stability(stability_map, ax=None, *, limit=True, legend=True):
    """The stability map: green converged, light blue still descending, orange oscillating,
    near-black diverged; on the quadratic the analytic limit as a dashed line. Returns
    ``Drawn(ax, mesh, limit, legend)`` with ``mesh.get_array()`` the classes.
    """
    import matplotlib.colors as mcolors
    import matplotlib.patheffects as effects
    from matplotlib.patches import Patch

    m = stability_map
    ax = plotting._axes(ax, figsize=(7.4, 5.0))
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
    handles = [Patch(facecolor=c, edgecolor="black", linewidth=0.5) for c in plotting.STABILITY_COLORS]
    names = list(CLASSES)
    curve = analytic_limit(m) if limit else None
    if curve is not None:
        line, = ax.plot(*curve, color="white", lw=2.2, ls="--", zorder=3,
                        path_effects=[effects.withStroke(linewidth=4, foreground="black")])
        drawn["limit"] = line
        handles.append(line)
        names.append("theory: 2(1+μ)/L" if m.y_name == "momentum" else "theory: lr = 2/L")
    if legend:
        drawn["legend"] = ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                                    frameon=False, fontsize=plotting.FONT_SIZE - 1)
    if not ax.get_title():
        ax.set_title(f"{m.surface.name.replace('_', ' ')}: {m.steps} steps")
    return drawn


# -- tour pictures -----------------------------------------------------------------------------------

def basin_gallery(path="basins_by_lr.png", *, grid=240, steps=200):
    """Basins of plain SGD on Himmelblau at four learning rates, with sample paths: as the lr
    grows the sharpest minimum's basin vanishes (it needs lr < 2/curvature), the watersheds
    fray, and more and more runs bounce without settling. Writes ``path`` and returns it as a Path.
    """
    import matplotlib.pyplot as plt
    from pathlib import Path

    basin_map = basins("himmelblau", _optimizers.SGD(lr=0.01), grid, steps, lr=[0.005, 0.015, 0.02, 0.023])
    drawn = plot_basins(basin_map, samples=9)
    figure = drawn.axes[0].figure
    figure.suptitle(f"Which minimum does SGD reach from each start? ({steps} steps, one start per pixel)",
                    fontsize=plotting.FONT_SIZE + 2)
    figure.canvas.draw()   # constrained layout settles equal-aspect panels + outside legend in two passes
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def stability_figure(path="stability_lr_momentum.png", *, steps=300, resolution=(120, 80)):
    """Heavy-ball momentum on the quadratic (condition number 10) over lr and momentum, with
    the theory's limit lr < 2(1 + μ)/L on top: momentum lets larger steps stay stable, while
    too small an lr is merely slow. Writes ``path`` and returns it as a Path.
    """
    import matplotlib.pyplot as plt
    from pathlib import Path

    nx, ny = resolution
    result = stability(surfaces.get("quadratic", condition=10), _optimizers.SGD, steps,
                       lr=np.geomspace(1e-3, 1.0, nx), momentum=np.linspace(0.0, 0.99, ny))
    drawn = plot_stability(result)
    drawn.ax.set_title(f"SGD with momentum on a quadratic (L = 10): {steps} steps")
    drawn.ax.figure.savefig(path, dpi=100)
    plt.close(drawn.ax.figure)
    return Path(path)
