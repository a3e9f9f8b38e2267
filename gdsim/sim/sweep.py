"""``sweep``: a grid of hyperparameters from the same starts, in one vectorized pass."""

from __future__ import annotations

import inspect
import itertools
import numbers

import numpy as np

from gdsim import arguments
from gdsim.sim import resources
from gdsim.sim.engine import check_starts, memory_needed, shrink_advice, simulate
from gdsim.sim.run import Run


def _is_numeric(values):
    return all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)


def start_axis_names(start_ndim):
    """The names of the starts' axes in a Run: none, ``start``, ``(y, x)`` or ``start0, ...``."""
    return {0: (), 1: ("start",), 2: ("y", "x")}.get(
        start_ndim, tuple(f"start{i}" for i in range(start_ndim))
    )


def check_grid_names(grid, make_optimizer, start_axes):
    """A ValueError for a grid axis named like one of the starts' axes (the Run would get two
    axes of that name) or, when ``make_optimizer``'s signature is closed, one it does not take."""
    for name in grid:
        if name in start_axes:
            raise ValueError(
                f"grid axis {name!r} is named like an axis of the starts "
                f"{start_axes}; the starts come from the starts argument, and a "
                "hyperparameter needs another name"
            )
    try:
        parameters = inspect.signature(make_optimizer).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: let the call speak
        return
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        return
    takes = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for name in grid:
        if name not in takes:
            kind = getattr(make_optimizer, "__name__", "make_optimizer")
            raise arguments.unknown_name_error(f"grid axis for {kind}", name, takes)


def sweep(
    surface,
    make_optimizer,
    starts,
    steps,
    *,
    record="all",
    noise=0.0,
    seed=None,
    callbacks=(),
    tol=None,
    track_settling=False,
    progress=None,
    **grid,
):
    """Run a grid of hyperparameters from the same starts, in one vectorized pass.

    ``make_optimizer`` is an optimizer class or any callable taking the grid's names as keywords,
    e.g. ``sweep(surface, gdsim.SGD, starts, 100, lr=[0.1, 0.01], momentum=[0, 0.9])``. Numeric
    grid values are passed as arrays shaped to their own axis, so one optimizer runs the whole
    grid; other values (optimizer names, schedules, classes) are looped over. The result has
    ``positions (T, n_lr, n_momentum, *starts_batch, 2)`` and ``run.axes`` names the axes.
    Each cell equals the separate ``simulate`` call with those values, bit for bit. A grid too
    big for the memory is refused before any cell runs; ``progress`` is ``simulate``'s.
    """
    if not callable(make_optimizer):
        raise TypeError(
            f"make_optimizer must be an optimizer class or a callable, got {make_optimizer!r}"
        )
    if not grid:
        raise ValueError("sweep needs at least one grid axis, e.g. lr=[0.1, 0.01]")
    for name, values in grid.items():
        if values is None or isinstance(values, (str, bytes, dict)):
            raise TypeError(
                f"grid axis {name!r} must list the values to sweep, e.g. "
                f"{name}=[...], got {values!r}"
            )
    grid = {
        name: list(values)
        if isinstance(values, (list, tuple))
        else list(np.atleast_1d(np.asarray(values, dtype=object)))
        for name, values in grid.items()
    }
    for name, values in grid.items():
        if not values:
            raise ValueError(f"grid axis {name!r} is empty")
    starts = check_starts(starts)
    start_ndim = starts.ndim - 1
    check_grid_names(grid, make_optimizer, start_axis_names(start_ndim))
    # one seed for every cell: a generator is drawn from once, not once per looped cell
    seed = arguments.check_seed("seed", seed)
    names = list(grid)
    numeric = [n for n in names if _is_numeric(grid[n])]
    looped = [n for n in names if n not in numeric]
    options = dict(
        record=record,
        noise=noise,
        seed=seed,
        callbacks=callbacks,
        tol=tol,
        track_settling=track_settling,
        progress=progress,
    )
    n_cells = int(np.prod([len(grid[n]) for n in looped]))

    def shaped(name):
        # numeric axes keep their place among the numeric axes; start axes come last
        position = numeric.index(name)
        shape = [1] * (len(numeric) + start_ndim)
        shape[position] = len(grid[name])
        return np.asarray(grid[name], dtype=float).reshape(shape)

    cells = {}
    for combo in itertools.product(*[range(len(grid[n])) for n in looped]):
        fixed = {n: grid[n][i] for n, i in zip(looped, combo)}
        optimizer = make_optimizer(**fixed, **{n: shaped(n) for n in numeric})
        cell_starts = np.broadcast_to(starts, (1,) * len(numeric) + starts.shape)
        if not cells:  # look before allocating: every cell, and the Run they are stacked into
            check_memory(
                optimizer,
                cell_starts.shape[:-1],
                steps,
                record,
                callbacks,
                n_cells,
                f"sweep(steps={steps}, record={record!r}, {_describe(grid)})",
            )
        run = simulate(surface, optimizer, cell_starts, steps, **options)
        cells[combo] = run
    return _assemble(cells, grid, looped, numeric, make_optimizer, start_ndim)


def memory_needed_by_sweep(optimizer, start_shape, steps, record, callbacks, n_cells):
    """``(runs, {what: bytes})`` for a sweep of ``n_cells`` looped cells, each like ``optimizer``
    (which carries the numeric axes) from starts of ``start_shape``: every cell's outputs and,
    with several cells, the Run they are stacked into. ``runs`` is None for invalid arguments."""
    n_runs, needed = memory_needed(
        optimizer,
        start_shape,
        steps,
        record,
        callbacks,
        copies=n_cells if n_cells == 1 else 2 * n_cells,
    )
    return (None if n_runs is None else n_runs * n_cells), needed


def check_memory(
    optimizer, start_shape, steps, record, callbacks, n_cells, call, what="starts or grid values"
):
    """Refuse a sweep that does not fit (see :func:`memory_needed_by_sweep`)."""
    n_runs, needed = memory_needed_by_sweep(
        optimizer, start_shape, steps, record, callbacks, n_cells
    )
    if n_runs is not None:
        resources.check_memory(needed, f"{call} with {n_runs:,} runs", shrink_advice(what))


def _describe(grid):
    return ", ".join(f"{name}=[{len(values)} values]" for name, values in grid.items())


def _compact(array):
    """``array`` with every broadcast (stride 0) axis cut to length 1: its values, no copy."""
    return array[tuple(slice(0, 1) if stride == 0 else slice(None) for stride in array.strides)]


def _assemble(cells, grid, looped, numeric, make_optimizer, start_ndim):
    """Stack the looped cells into one Run with axes in the grid's order, then the starts'."""
    names = list(grid)
    looped_shape = tuple(len(grid[n]) for n in looped)
    runs = [cells[c] for c in itertools.product(*[range(s) for s in looped_shape])]
    first = runs[0]
    # cell arrays have axes (numeric..., starts...); stacking puts the looped axes in front
    permutation = [(looped + numeric).index(n) for n in names]

    def stack(arrays, time_major):
        if arrays[0] is None:
            return None
        # one cell (no looped axis) is only reshaped: a view, not a copy of every output
        one = len(arrays) == 1
        stacked = (arrays[0][None] if one else np.stack(arrays)).reshape(
            looped_shape + arrays[0].shape
        )
        if time_major:
            stacked = np.moveaxis(stacked, len(looped_shape), 0)
        lead = 1 if time_major else 0
        order = list(range(lead)) + [lead + p for p in permutation]
        return stacked.transpose(order + list(range(len(order), stacked.ndim)))

    def field(name, time_major=False):
        return stack([getattr(r, name) for r in runs], time_major)

    final = field("final")
    compact = [_compact(r.lrs) for r in runs]
    if len(runs) == 1 or (
        all(r.lrs.ndim == 1 for r in runs)
        and all(c.shape == compact[0].shape and np.array_equal(c, compact[0]) for c in compact)
    ):
        lrs = first.lrs
    else:
        # stacked over the axes where the lrs differ only; along the others (the starts') they
        # stay a broadcast view, not a table of every run's lr at every step
        shaped = [
            c.reshape(c.shape + (1,) * (1 + len(r.batch_shape) - c.ndim))
            for c, r in zip(compact, runs)
        ]
        common = np.broadcast_shapes(*[a.shape for a in shaped])
        lrs = stack([np.broadcast_to(a, common) for a in shaped], time_major=True)
        lrs = np.broadcast_to(lrs, (len(first.lrs),) + final.shape[:-1])
    start_axes = start_axis_names(start_ndim)
    return Run(
        surface=first.surface,
        optimizer=make_optimizer,
        steps=first.steps,
        positions=field("positions", True),
        losses=field("losses", True),
        recorded_steps=first.recorded_steps,
        lrs=lrs,
        final=final,
        final_loss=field("final_loss"),
        diverged=field("diverged"),
        diverged_at=field("diverged_at"),
        reached=field("reached"),
        settled_at=field("settled_at"),
        axes=tuple(names) + tuple(start_axes),
        coords={n: list(grid[n]) for n in names},
        lr_steps=first.lr_steps,
    )
