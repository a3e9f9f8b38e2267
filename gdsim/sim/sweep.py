"""``sweep``: a grid of hyperparameters from the same starts, in one vectorized pass."""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from gdsim.sim.engine import check_starts, simulate
from gdsim.sim.run import Run


def _is_numeric(values):
    return all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)


def sweep(surface, make_optimizer, starts, steps, *, record="all", noise=0.0, seed=None,
          callbacks=(), tol=None, track_settling=False, **grid):
    """Run a grid of hyperparameters from the same starts, in one vectorized pass.

    ``make_optimizer`` is an optimizer class or any callable taking the grid's names as keywords,
    e.g. ``sweep(surface, gdsim.SGD, starts, 100, lr=[0.1, 0.01], momentum=[0, 0.9])``. Numeric
    grid values are passed as arrays shaped to their own axis, so one optimizer runs the whole
    grid; other values (optimizer names, schedules, classes) are looped over. The result has
    ``positions (T, n_lr, n_momentum, *starts_batch, 2)`` and ``run.axes`` names the axes.
    Each cell equals the separate ``simulate`` call with those values, bit for bit.
    """
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be an optimizer class or a callable, got {make_optimizer!r}")
    if not grid:
        raise ValueError("sweep needs at least one grid axis, e.g. lr=[0.1, 0.01]")
    grid = {name: list(np.atleast_1d(np.asarray(values, dtype=object))) if not isinstance(values, (list, tuple))
            else list(values) for name, values in grid.items()}
    for name, values in grid.items():
        if not values:
            raise ValueError(f"grid axis {name!r} is empty")
    starts = check_starts(starts)
    start_ndim = starts.ndim - 1
    names = list(grid)
    numeric = [n for n in names if _is_numeric(grid[n])]
    looped = [n for n in names if n not in numeric]
    options = dict(record=record, noise=noise, seed=seed, callbacks=callbacks, tol=tol,
                   track_settling=track_settling)

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
        run = simulate(surface, optimizer, np.broadcast_to(starts, (1,) * len(numeric) + starts.shape),
                       steps, **options)
        cells[combo] = run
    return _assemble(cells, grid, looped, numeric, make_optimizer, start_ndim)


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
        stacked = np.stack(arrays).reshape(looped_shape + arrays[0].shape)
        if time_major:
            stacked = np.moveaxis(stacked, len(looped_shape), 0)
        lead = 1 if time_major else 0
        order = list(range(lead)) + [lead + p for p in permutation]
        return stacked.transpose(order + list(range(len(order), stacked.ndim)))

    def field(name, time_major=False):
        return stack([getattr(r, name) for r in runs], time_major)

    if all(r.lrs.ndim == 1 for r in runs) and all(np.array_equal(r.lrs, first.lrs) for r in runs):
        lrs = first.lrs
    else:
        lrs = stack([np.broadcast_to(r.lrs.reshape(r.lrs.shape + (1,) * (1 + len(r.batch_shape) - r.lrs.ndim)),
                                     (r.steps,) + r.batch_shape) for r in runs], time_major=True)
    start_axes = {0: (), 1: ("start",), 2: ("y", "x")}.get(
        start_ndim, tuple(f"start{i}" for i in range(start_ndim)))
    return Run(
        surface=first.surface, optimizer=make_optimizer, steps=first.steps,
        positions=field("positions", True), losses=field("losses", True),
        recorded_steps=first.recorded_steps, lrs=lrs,
        final=field("final"), final_loss=field("final_loss"), diverged=field("diverged"),
        diverged_at=field("diverged_at"), reached=field("reached"), settled_at=field("settled_at"),
        axes=tuple(names) + tuple(start_axes), coords={n: list(grid[n]) for n in names},
    )
