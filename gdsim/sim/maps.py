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

from gdsim import arguments, surfaces
from gdsim import optimizers as _optimizers
from gdsim.sim import resources
from gdsim.sim.engine import simulate
from gdsim.sim.sweep import _is_numeric, memory_needed_by_sweep, sweep

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
            raise TypeError(
                f"optimizer {optimizer!r} is a factory; give an optimizer such as "
                "gdsim.SGD(lr=0.01), or grid values to sweep, e.g. lr=[0.01, 0.02]"
            )
        return None, optimizer
    raise TypeError(f"optimizer must be a gdsim optimizer, its name or class, got {optimizer!r}")


def _grid_shape(grid):
    if isinstance(grid, (int, np.integer)) and not isinstance(grid, bool):
        n = arguments.check_int("grid", grid, minimum=2)
        return n, n
    if isinstance(grid, (tuple, list)) and len(grid) == 2:
        # a whole float such as 200.0 (from arithmetic) is as good as 200
        return tuple(
            arguments.check_int("grid", int(g) if _is_whole(g) else g, minimum=2) for g in grid
        )
    raise TypeError(f"grid must be n or (ny, nx), the map's size in pixels, got {grid!r}")


def _is_whole(value):
    return isinstance(value, float) and value.is_integer()


# sweep's own keywords: a grid axis of one of these names would collide with what basins and
# stability pass to sweep
_SWEEP_KEYWORDS = (
    "surface",
    "make_optimizer",
    "starts",
    "steps",
    "record",
    "noise",
    "seed",
    "callbacks",
    "tol",
    "track_settling",
    "progress",
)


def _check_grid(grid, what):
    for name in grid:
        if name == "starts" and what == "basins":
            raise ValueError(
                "basins places one start per pixel of grid over bounds and takes no "
                "starts; for starts of your own use gdsim.simulate or gdsim.sweep"
            )
        if name in _SWEEP_KEYWORDS:
            raise ValueError(
                f"{name!r} is not a hyperparameter that {what} can sweep; {what} sets it itself"
            )


def _points(name, value, shape):
    """``value`` as finite points of the given shape text, ``(2,)`` or ``(n, 2)``."""
    points = arguments.as_real_array(name, value, what=f"points {shape}")
    if (shape == "(2,)" and points.shape != (2,)) or (
        shape == "(n, 2)" and (points.ndim != 2 or points.shape[1] != 2 or not len(points))
    ):
        raise ValueError(
            f"{name} must be {'one point' if shape == '(2,)' else 'points'} "
            f"{shape}, got shape {points.shape}"
        )
    arguments.check_finite(name, points)
    return points


def cell_names(run, grid):
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
        self.cells = cell_names(run, grid)
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

    def limits(self, i=0):
        """Panel ``i``'s stable-lr limit at each minimum (:func:`stability_limit`), or None for
        an optimizer without a closed-form limit."""
        return stability_limit(self.optimizer(i), minimum_curvatures(self.surface))

    def lr(self, i=0):
        """Panel ``i``'s learning rate, when it is one number."""
        lr = self.optimizer(i).hyperparameters().get("lr")
        return None if callable(lr) or np.ndim(lr) else float(lr)

    def fractions(self):
        """Share of the pixels per outcome, per panel: ``{label: array (cells,)}``."""
        flat = self.labels.reshape(len(self.cells), -1)
        return {basin_label(k, self.surface): (flat == k).mean(axis=1) for k in np.unique(flat)}

    def plot(self, ax=None, **options):
        """Draw the map: see :func:`gdsim.plotting.maps.plot_basins`."""
        from gdsim.plotting.maps import plot_basins  # drawing needs matplotlib; the numbers do not

        return plot_basins(self, ax=ax, **options)

    def __repr__(self):
        ny, nx = self.labels.shape[-2:]
        return (
            f"<BasinMap {self.surface.name}: {ny}x{nx} starts, {len(self.cells)} panel(s) "
            f"over {self.axes or 'one optimizer'}, {self.steps} steps>"
        )


def _values(values):
    """A grid axis's values as sweep lists them."""
    if isinstance(values, (list, tuple)):
        return list(values)
    return list(np.atleast_1d(np.asarray(values, dtype=object)))


def _check_map_memory(call, single, maker, grid, start_shape, steps, record, per_run, shrink):
    """Refuse a map that does not fit, before its starts are even laid out: the sweep's own
    estimate (one optimizer like the map's, built from the grid's first values) plus
    ``per_run`` bytes of the map's own arrays per run."""
    values = {name: _values(v) for name, v in grid.items()}
    try:
        probe = single if maker is None else maker(**{n: v[0] for n, v in values.items()})
    except Exception:  # noqa: BLE001 - the sweep itself reports a bad grid properly
        return
    numeric = tuple(len(v) for v in values.values() if _is_numeric(v))
    n_cells = int(np.prod([len(v) for v in values.values() if not _is_numeric(v)]))
    n_runs, needed = memory_needed_by_sweep(
        probe, numeric + tuple(start_shape), steps, record, (), n_cells
    )
    if n_runs is not None:
        needed["the map's own arrays"] = n_runs * per_run
        resources.check_memory(needed, f"{call} with {n_runs:,} runs", shrink)


def basins(
    surface,
    optimizer,
    grid=(200, 200),
    steps=200,
    *,
    bounds=None,
    tol=None,
    noise=0.0,
    seed=None,
    workers=None,
    progress=None,
    **sweep_values,
):
    """Run one start per pixel and record which minimum each reached.

    ``grid`` is n or (ny, nx) pixels over ``bounds`` (default: the surface's plotting box);
    starts sit at the pixel centres. ``optimizer`` is an optimizer (``gdsim.SGD(lr=0.01,
    momentum=0.9)``), or with sweep values a factory such as ``gdsim.SGD``; sweep values make one
    panel each, e.g. ``basins(s, gdsim.SGD(momentum=0.9), lr=[0.005, 0.01, 0.02])``.
    Returns a :class:`BasinMap`; ``.plot()`` draws it. A map too big for the memory is refused
    up front, with a grid that fits; ``progress`` is ``simulate``'s.
    """
    surface = surfaces.as_surface(surface)
    ny, nx = _grid_shape(grid)
    steps = arguments.check_int("steps", steps, minimum=1)
    _check_grid(sweep_values, "basins")
    single, maker = _maker(optimizer, sweep_values)
    box = surface.bounds if bounds is None else arguments.check_bounds("bounds", bounds)
    (x0, x1), (y0, y1) = box
    if workers is not None:
        arguments.check_int("workers", workers, minimum=1)
    seed = arguments.check_seed("seed", seed)

    def coarser(allowed, needed):
        scale = min(1.0, (allowed / needed) ** 0.5)
        fits = (
            int(grid * scale)
            if isinstance(grid, (int, np.integer))
            else (int(ny * scale), int(nx * scale))
        )
        panels = " or fewer panels" if sweep_values else ""
        return f"use a coarser grid (grid={fits} fits){panels}, or fewer steps"

    # starts (three arrays of 16 bytes a pixel on the way), labels and settling steps
    _check_map_memory(
        f"basins(grid={grid!r}, steps={steps})",
        single,
        maker,
        sweep_values,
        (ny, nx),
        steps,
        "final",
        3 * 16 + 9,
        coarser,
    )
    # pixel centres, so the picture's extent is exactly the bounds
    x = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    y = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    starts = np.stack(np.meshgrid(x, y), axis=-1)
    options = dict(
        record="final", tol=tol, noise=noise, seed=seed, track_settling=True, progress=progress
    )
    if maker is None:
        run = simulate(surface, single, starts, steps, workers=workers, **options)
    else:
        run = sweep(surface, maker, starts, steps, **options, **sweep_values)
    return BasinMap(surface, run, x, y, sweep_values, single, maker, steps)


# -- stability ------------------------------------------------------------------------------


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

    def limits(self, y=None):
        """Each minimum's largest stable lr along the map's rows, ``(n_minima, len(y))`` (``y``:
        values of the row hyperparameter, default the map's rows): for gradient descent 2/λ (λ
        the sharpest curvature at that minimum), with momentum μ on a row 2(1 + μ)/λ
        (:func:`stability_limit`). None unless the map runs lr along x and its optimizer has a
        closed-form limit."""
        if self.x_name != "lr" or not len(self.surface.minima):
            return None
        curvatures = minimum_curvatures(self.surface)
        y = self.y if y is None else np.asarray(y, dtype=float)
        rows = []
        for value in y if self.swept_rows else y[:1]:
            optimizer = self.row_optimizer(value)
            limit = None if optimizer is None else stability_limit(optimizer, curvatures)
            if limit is None:
                return None
            rows.append(limit)
        limits = np.stack(rows, axis=1)
        return limits if self.swept_rows else np.repeat(limits, len(y), axis=1)

    @property
    def swept_rows(self):
        """Whether the rows are a hyperparameter (rather than the starts, or one row)."""
        return self.y_name not in ("", "distance of the start from the global minimum")

    def row_optimizer(self, value=None):
        """The optimizer of the map's first column with the row hyperparameter at ``value``
        (None if the optimizer given was a factory that does not take it)."""
        _, maker = _maker(self.optimizer, {self.x_name: self.x})
        rows = {self.y_name: value} if self.swept_rows and value is not None else {}
        try:
            return maker(**{self.x_name: float(self.x[0])}, **rows)
        except TypeError:
            return None

    def plot(self, ax=None, **options):
        """Draw the map: see :func:`gdsim.plotting.maps.plot_stability`."""
        from gdsim.plotting.maps import plot_stability

        return plot_stability(self, ax=ax, **options)

    def __repr__(self):
        shares = ", ".join(f"{k} {v:.0%}" for k, v in self.fractions().items())
        return (
            f"<StabilityMap {self.surface.name}: {self.y_name} x {self.x_name} = "
            f"{self.classes.shape}; {shares}>"
        )


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
    losses = run.losses[int(len(run.losses) * (1 - window)) :]
    with np.errstate(all="ignore"):  # NaN and huge losses (4 x 1e308) are data here
        if len(losses) > 1:
            classes[(np.diff(losses, axis=0) < 0).all(axis=0)] = SLOW
            half = len(losses) // 2
            early, late = losses[: max(half, 1)].max(axis=0), losses[half:].max(axis=0)
            classes[(late > 4 * early) & (losses[-1] > run.losses[0])] = DIVERGED_CLASS
    classes[run.reached >= 0] = CONVERGED
    classes[run.diverged] = DIVERGED_CLASS
    return classes


def _default_start(surface):
    """Away from the global minimum towards the top-left corner, for a visible transient."""
    (x0, x1), (y0, y1) = surface.bounds
    m = surface.minima[0] if len(surface.minima) else np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    return m + 0.6 * (np.array([x0, y1]) - m)


def stability(
    surface, optimizer, steps=200, *, start=None, starts=None, tol=None, progress=None, **grid
):
    """Classify runs over one or two hyperparameters (or one and the start).

    ``stability(q, gdsim.SGD, lr=np.geomspace(1e-3, 1, 80), momentum=np.linspace(0, 0.99, 60))``:
    the first grid name runs along x, the second along y. With one grid name and ``starts``
    (n, 2), the starts run along y (as their distance from the global minimum, nearest first;
    ``.run`` holds them in that order). ``optimizer``
    is a class or factory, or an optimizer whose other settings are kept. Returns a
    :class:`StabilityMap`; ``.plot()`` draws it with the analytic limits on the quadratic.
    A map too big for the memory is refused up front; ``progress`` is ``simulate``'s.
    """
    surface = surfaces.as_surface(surface)
    steps = arguments.check_int("steps", steps, minimum=2)
    _check_grid(grid, "stability")
    if not 1 <= len(grid) <= 2:
        raise ValueError(
            "stability needs one or two hyperparameters to sweep, e.g. lr=[...], "
            f"momentum=[...]; got {sorted(grid) or 'none'}"
        )
    if starts is not None and len(grid) == 2:
        raise ValueError(
            "give starts (a start axis) with one hyperparameter, or two hyperparameters, not both"
        )
    _, maker = _maker(optimizer, grid)
    if starts is None:
        point = _default_start(surface) if start is None else _points("start", start, "(2,)")
        points = np.reshape(point, (1, 2))
    else:
        points = _points("starts", starts, "(n, 2)")
        # rows in order of distance from the global minimum, so the map reads bottom to top
        reference = surface.minima[0] if len(surface.minima) else np.zeros(2)
        points = points[np.argsort(np.hypot(*(points - reference).T), kind="stable")]
    stride = max(1, steps // 40) | 1  # odd, so a period-2 bounce never aliases into a steady value
    # classify's differences and maxima over the recorded losses, then the classes
    recorded = steps // stride + 2
    described = ", ".join(f"{name}=[{len(_values(v))} values]" for name, v in grid.items())
    _check_map_memory(
        f"stability(steps={steps}, {described})",
        None,
        maker,
        grid,
        (len(points),),
        steps,
        stride,
        2 * recorded * 8 + 1,
        "use fewer grid values or starts, or fewer steps",
    )
    run = sweep(surface, maker, points, steps, record=stride, tol=tol, progress=progress, **grid)
    classes = classify(run)
    names = list(grid)
    x_name, x = names[0], grid[names[0]]
    if len(names) == 2:
        y_name, y = names[1], grid[names[1]]
        classes = classes.reshape(len(x), len(y)).T
    elif starts is not None:
        reference = surface.minima[0] if len(surface.minima) else np.zeros(2)
        y_name = "distance of the start from the global minimum"
        y = np.hypot(*(points - reference).T)
        classes = classes.reshape(len(x), len(points)).T
    else:
        y_name, y = "", np.zeros(1)
        classes = classes.reshape(1, len(x))
    if isinstance(optimizer, str):
        optimizer = _optimizers.get(optimizer)
    return StabilityMap(surface, run, classes, x_name, x, y_name, y, optimizer, steps)


# -- tour pictures --------------------------------------------------------------------------


def basin_label(k, surface=None):
    """The legend entry for basin ``k``: the minimum's coordinates, or not converged / diverged."""
    if k == -1:
        return "not converged"
    if k == -2:
        return "diverged"
    if surface is not None and k < len(surface.minima):
        x, y = surface.minima[k]
        values = np.asarray(surface.minima_values)
        # "global" only helps when some minima are not: Himmelblau's four are all global
        is_global = np.isclose(values[k], values.min()) and not np.allclose(values, values.min())
        return f"minimum ({x:.2f}, {y:.2f})" + (", global" if is_global else "")
    return f"minimum {k}"


def stability_limit(optimizer, curvature):
    """The largest stable lr of ``optimizer`` at a minimum whose sharpest curvature (the
    Hessian's largest eigenvalue) is ``curvature``, or None where no closed form applies.

    Near a minimum the loss is ½λx² along the sharpest direction, and gradient descent
    x ← x − lr·λx converges only while |1 − lr·λ| < 1, i.e. lr < 2/λ. Heavy-ball momentum μ
    (PyTorch's SGD, dampening τ) stretches that to lr·(1 − τ)·λ < 2(1 + μ); Nesterov to
    lr·λ < 2(1 + μ)/(1 + 2μ). Adaptive methods rescale each step, so they have no such limit.
    """
    from gdsim.optimizers import SGD

    if not isinstance(optimizer, SGD) or optimizer.convention != "pytorch":
        return None
    mu, tau = optimizer.momentum, optimizer.dampening
    if callable(mu) or callable(tau) or np.ndim(mu) or np.ndim(tau):
        return None
    curvature = np.asarray(curvature, dtype=float)
    with np.errstate(divide="ignore"):
        if optimizer.nesterov:
            return 2 * (1 + mu) / ((1 + 2 * mu) * curvature)
        return 2 * (1 + mu) / ((1 - tau) * curvature)


def minimum_curvatures(surface):
    """The Hessian's largest eigenvalue at each of ``surface.minima`` (its sharpest direction)."""
    if not len(surface.minima):
        return np.zeros(0)
    return np.linalg.eigvalsh(surface.hessian(surface.minima))[:, -1]
