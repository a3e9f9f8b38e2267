"""The vectorized simulator: ``simulate``, ``sweep`` and the ``Run`` they return.

Every run is independent, so the engine can cut the runs into cache-sized blocks and send each
block through all its steps while its arrays stay in the CPU cache, and share the blocks between
worker processes (forked, writing into shared memory: NumPy's many short calls hold the GIL too
often for threads to help). Inside
a block the positions are kept as a ``(2, n)`` structure of arrays: the surface's ``grad_xy``
gets contiguous ``x`` and ``y`` rows, and per-run hyperparameters of shape ``(n,)`` broadcast
against them with no reshaping. Element-wise maths never mixes runs, so the numbers are
bit-identical however the runs are blocked or threaded, and a sweep equals its separate runs.

Divergence is data: a run whose position turns non-finite or leaves a box a million times the
surface's plotting bounds is frozen at its last good point and marked in ``run.diverged``.
"""

from __future__ import annotations

import ctypes
import itertools
import mmap
import numbers
import os
import warnings
import numpy as np

from . import arguments
from .optimizers import Optimizer
from .results import DIVERGED, Run

BLOCK_SIZE = 8192   # runs per block: a block's dozen working arrays fit in L2
PARALLEL_WORK = 2_000_000  # run-steps below which forking a worker costs more than it saves
NOISE_TILE = 1024   # runs per noise stream; blocks are whole tiles, so noise ignores blocking
ESCAPE_FACTOR = 1e6  # a run further than this many plotting-box sizes away has diverged


# -- argument checking ---------------------------------------------------------------------

def _check_starts(starts):
    try:
        starts = np.array(starts, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"starts must be an array of points shaped (..., 2), got {starts!r}") from None
    if starts.ndim == 0 or starts.shape[-1] != 2:
        raise ValueError(f"starts must be shaped (..., 2) (x, y on the last axis), got shape {starts.shape}")
    if not np.isfinite(starts).all():
        raise ValueError("starts must be finite; found NaN or inf")
    return starts


def _check_record(record, steps):
    """The step indices to keep for ``record`` = "all", "final" or every k-th step."""
    if isinstance(record, str):
        arguments.check_choice("record", record, ("all", "final"))
        return np.arange(steps + 1) if record == "all" else np.array([steps])
    if isinstance(record, numbers.Integral) and not isinstance(record, bool):
        every = arguments.check_int("record", record, minimum=1)
        return np.union1d(np.arange(0, steps + 1, every), [steps])
    raise TypeError(f"record must be 'all', 'final' or a whole number k (keep every k-th step), got {record!r}")


def _check_surface(surface):
    if isinstance(surface, str):
        from . import surfaces
        return surfaces.get(surface)
    if not (hasattr(surface, "grad_xy") and hasattr(surface, "value_xy")):
        raise TypeError(f"surface must be a gdsim Surface or a surface name, got {surface!r}")
    return surface


# -- hyperparameters per run and per step ------------------------------------------------------

def _strip_leading_ones(shape):
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


class _Hyper:
    """One hyperparameter as the engine needs it: a value per step and per run.

    ``table`` has shape ``(steps, *shape)`` for a schedule or ``shape`` for a constant,
    where ``shape`` broadcasts against the batch. ``per_run`` says whether it varies by run.
    """

    _PAD = 16  # trailing axes given to a schedule's step array, so array parameters broadcast

    def __init__(self, name, value, steps, check):
        self.name = name
        self.scheduled = callable(value)
        if self.scheduled:
            step_index = np.arange(steps).reshape((steps,) + (1,) * self._PAD)
            table = np.asarray(value(step_index), dtype=float)
            table = np.broadcast_to(table, np.broadcast_shapes(table.shape, step_index.shape))
            table = table.reshape((steps,) + _strip_leading_ones(table.shape[1:]))
            if steps:
                check(f"{name} (from its schedule)", table)
            self.shape = table.shape[1:]
        else:
            table = np.asarray(value, dtype=float)
            self.shape = _strip_leading_ones(table.shape)
            table = table.reshape(self.shape)
        self.table = table
        self.per_run = bool(self.shape) and np.prod(self.shape) > 1

    def for_block(self, index):
        """A callable ``step -> value`` for the runs at flat batch ``index`` (an int array)."""
        if not self.per_run:
            if self.scheduled:
                values = [float(v) for v in self.table.reshape(len(self.table), -1)[:, 0]]
                return values.__getitem__
            constant = float(self.table.reshape(-1)[0])
            return lambda step: constant
        if self.scheduled:
            flat = self.table.reshape(len(self.table), -1)
            return lambda step: flat[step][index]
        constant = self.table.reshape(-1)[index]
        return lambda step: constant


def _index_into(shape, batch_shape, flat_index):
    """Flat indices into an array of ``shape`` (broadcast against ``batch_shape``) for the runs
    at ``flat_index`` of the batch."""
    full = (1,) * (len(batch_shape) - len(shape)) + tuple(shape)
    coordinates = np.unravel_index(flat_index, batch_shape) if batch_shape else ()
    kept = [np.where(size > 1, c, 0) for c, size in zip(coordinates, full)]
    return np.ravel_multi_index(kept, full) if full else np.zeros_like(flat_index)


# -- the engine ------------------------------------------------------------------------------

def simulate(surface, optimizer, starts, steps, *, record="all", noise=0.0, seed=None,
             callbacks=(), tol=None, track_settling=False, block_size=BLOCK_SIZE, workers=None):
    """Run ``optimizer`` on ``surface`` from every start for ``steps`` steps.

    Parameters
    ----------
    surface : Surface or name
    optimizer : a gdsim optimizer; its hyperparameters may be numbers, per-run arrays that
        broadcast against the starts' leading axes, or schedules of the 0-based step.
    starts : array (..., 2)
    steps : int >= 0
    record : "all" (every step), "final" (the last step only) or k (every k-th step and the last)
    noise : standard deviation of Gaussian noise added to every gradient (stochastic gradients);
        the noise depends on the start and the step only, so runs from the same start see the
        same noise whatever their hyperparameters (a fair comparison).
    seed : int or None, for the noise.
    callbacks : metric-driven lr rules (``ReduceLROnPlateau``, ``Adaptive``) that watch each run's
        loss after every step; each run keeps its own lr.
    tol : distance within which a run counts as having reached a known minimum (default: the
        surface's own tolerance); also the movement threshold for ``settled_at``.
    track_settling : record ``settled_at`` (first step after which the run never again moves more
        than ``tol`` in one step); always available when ``record="all"``.
    block_size, workers : how the work is cut and spread over processes (default: one per core,
        where the platform can fork); they never change the numbers.

    Returns
    -------
    Run
    """
    surface = _check_surface(surface)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a gdsim optimizer such as gdsim.SGD(lr=0.1), got {optimizer!r}")
    starts = _check_starts(starts)
    steps = arguments.check_int("steps", steps, minimum=0)
    recorded_steps = _check_record(record, steps)
    arguments.check_nonnegative("noise", noise)
    if np.ndim(noise) != 0:
        raise TypeError(f"noise must be a single number (a standard deviation), got shape {np.shape(noise)}")
    block_size = arguments.check_int("block_size", block_size, minimum=NOISE_TILE)
    if block_size % NOISE_TILE:
        raise ValueError(f"block_size must be a multiple of {NOISE_TILE}, got {block_size}")
    workers = (os.cpu_count() or 1) if workers is None else arguments.check_int("workers", workers, minimum=1)
    callbacks = list(callbacks)
    for callback in callbacks:
        if not (hasattr(callback, "init") and hasattr(callback, "update")):
            raise TypeError(f"callbacks must be metric-driven rules such as ReduceLROnPlateau(), got {callback!r}")
    if len(callbacks) > 1:
        raise ValueError(f"simulate takes at most one metric-driven lr rule, got {len(callbacks)}")
    if tol is None:
        tol = _default_tol(surface)
    arguments.check_positive("tol", tol)

    hypers = {}
    for name, value in optimizer.hyperparameters().items():
        check = arguments.check_nonnegative if name == "lr" else type(optimizer)._hyper[name]
        hypers[name] = _Hyper(name, value, steps, check)
    if callbacks and hypers["lr"].scheduled:
        raise TypeError("a metric-driven rule (e.g. ReduceLROnPlateau) needs a constant lr, "
                        "not a schedule: the rule sets the lr itself")
    start_shape = starts.shape[:-1]
    batch_shape = np.broadcast_shapes(start_shape, *[h.shape for h in hypers.values()])
    n_runs = int(np.prod(batch_shape))

    blocks = [(a, min(a + block_size, n_runs)) for a in range(0, n_runs, block_size)]
    parallel = (workers > 1 and len(blocks) > 1 and hasattr(os, "fork")
                and n_runs * steps >= PARALLEL_WORK)
    engine = _Engine(surface, optimizer, hypers, starts.reshape(-1, 2), start_shape, batch_shape,
                     steps, recorded_steps, float(noise), seed, callbacks, float(tol),
                     track_settling or record == "all", shared=parallel)
    if parallel:
        _run_in_processes(engine, blocks, min(workers, len(blocks)))
    else:
        for block in blocks:
            engine.run_block(block)
    return engine.result(start_shape)


def _run_in_processes(engine, blocks, workers):
    """Share the blocks between ``workers`` forked children, then wait for them.

    The outputs live in an anonymous shared mapping, so what a child writes is what the parent
    reads; each child only runs NumPy on its blocks and exits. All the work happens in children
    so that each can tune its own memory allocator (see ``_keep_freed_memory``) without touching
    the user's process.
    """
    shares = [blocks[i::workers] for i in range(workers)]
    children = []
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork in a multi-threaded process (e.g. a Jupyter kernel);
        # the child touches nothing but NumPy arrays and leaves with os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        for share in shares:
            pid = os.fork()
            if pid == 0:
                status = 1
                try:
                    _keep_freed_memory()
                    for block in share:
                        engine.run_block(block)
                    status = 0
                finally:
                    os._exit(status)
            children.append(pid)
    failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
    if failed:
        # a child died (e.g. out of memory): compute its blocks here rather than return holes
        for pid, share in zip(children, shares):
            if pid in failed:
                for block in share:
                    engine.run_block(block)


def _keep_freed_memory():
    """In a worker only: let glibc reuse freed memory instead of returning it to the system.

    A block's temporaries are a few hundred kB each; by default glibc maps every allocation of
    128 kB or more afresh and unmaps it when freed, so each NumPy operation would pay for page
    faults and memory that is not in cache. Raising the two thresholds keeps them on the heap,
    which roughly halves a step's cost. No effect where there is no glibc ``mallopt``.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    mallopt(M_MMAP_THRESHOLD, 64 << 20)
    mallopt(M_TRIM_THRESHOLD, 512 << 20)


def _empty(shape, dtype=float, shared=False):
    """An uninitialised array, in memory shared with forked children when ``shared``."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if not shared or nbytes == 0:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=dtype).reshape(shape)


def _default_tol(surface):
    tol = getattr(surface, "default_tol", None)
    if tol is None:
        (x0, x1), (y0, y1) = surface.bounds
        tol = 1e-3 * float(np.hypot(x1 - x0, y1 - y0))
    return float(tol)


class _Engine:
    """Holds the outputs of one ``simulate`` call and fills them block by block."""

    def __init__(self, surface, optimizer, hypers, starts, start_shape, batch_shape, steps,
                 recorded_steps, noise, seed, callbacks, tol, track_settling, shared=False):
        self.surface, self.optimizer, self.hypers = surface, optimizer, hypers
        self.starts, self.start_shape, self.batch_shape = starts, start_shape, batch_shape
        self.steps, self.recorded_steps = steps, recorded_steps
        self.noise, self.callbacks, self.tol = noise, callbacks, tol
        self.seed_sequence = np.random.SeedSequence(seed) if noise else None
        (x0, x1), (y0, y1) = surface.bounds
        self.escape = ESCAPE_FACTOR * max(abs(x0), abs(x1), abs(y0), abs(y1), x1 - x0, y1 - y0)
        n = int(np.prod(batch_shape))
        self.positions = _empty((len(recorded_steps), n, 2), shared=shared)
        self.losses = _empty((len(recorded_steps), n), shared=shared)
        self.final = _empty((n, 2), shared=shared)
        self.diverged_at = _empty(n, int, shared=shared)
        self.settled_at = _empty(n, int, shared=shared) if track_settling else None
        self.dynamic_lrs = _empty((steps, n), shared=shared) if callbacks else None

    def run_block(self, block):
        with np.errstate(all="ignore"):   # overflow in a diverging run is data, not a warning
            self._run_block(*block)

    def _run_block(self, start, stop):
        index = np.arange(start, stop)
        start_index = _index_into(self.start_shape, self.batch_shape, index)
        params = np.ascontiguousarray(self.starts[start_index].T)        # (2, n)
        hyper_at = {name: h.for_block(_index_into(h.shape, self.batch_shape, index))
                    for name, h in self.hypers.items()}
        # constants are resolved once per block; only schedules are looked up step by step
        constant = {name: at(0) for name, at in hyper_at.items() if not self.hypers[name].scheduled}
        scheduled = {name: at for name, at in hyper_at.items() if self.hypers[name].scheduled}
        noise = self._noise_streams(start_index) if self.noise else None
        rule = self.callbacks[0] if self.callbacks else None
        rule_state = rule.init(hyper_at["lr"](0) + np.zeros(stop - start)) if rule else None
        state = self.optimizer.init(params)
        diverged_at = np.full(stop - start, -1)
        last_move = np.zeros(stop - start, dtype=int)
        record_row = {int(s): i for i, s in enumerate(self.recorded_steps)}
        value_xy, grad_xy = self.surface.value_xy, self.surface.grad_xy

        def record(step, x):
            row = record_row.get(step)
            if row is not None:
                self.positions[row, start:stop] = x.T
                self.losses[row, start:stop] = value_xy(x[0], x[1])

        record(0, params)
        grad = np.empty_like(params)
        for step in range(self.steps):
            grad[0], grad[1] = grad_xy(params[0], params[1])
            if noise is not None:
                grad += self.noise * noise(step)
            hp = dict(constant, **{name: at(step) for name, at in scheduled.items()})
            if rule:
                # a run the rule stopped (scikit-learn's adaptive) keeps its place: lr 0 from then on
                stopped = getattr(rule_state, "stopped", None)
                hp["lr"] = rule_state.lr if stopped is None else np.where(stopped, 0.0, rule_state.lr)
                self.dynamic_lrs[step, start:stop] = hp["lr"]
            new_params, state = self.optimizer.update(params, grad, state, hp)
            new_params = self._freeze_diverged(new_params, params, diverged_at, step + 1)
            if self.settled_at is not None:
                moved = np.max(np.abs(new_params - params), axis=0) > self.tol
                last_move[moved] = step + 1
            params = new_params
            if rule:
                loss = value_xy(params[0], params[1])
                loss[diverged_at >= 0] = np.nan
                rule_state = rule.update(rule_state, loss)
            record(step + 1, params)
        self.final[start:stop] = params.T
        self.diverged_at[start:stop] = diverged_at
        if self.settled_at is not None:
            self.settled_at[start:stop] = last_move

    def _freeze_diverged(self, new, old, diverged_at, step):
        """Put runs that turned non-finite or escaped back on their last good point."""
        low, high = new.min(), new.max()
        if low > -self.escape and high < self.escape:   # the common case: one check per step
            return new
        bad = ~(np.abs(new) < self.escape).all(axis=0)  # NaN compares False, so it is bad too
        diverged_at[bad & (diverged_at < 0)] = step
        new[:, bad] = old[:, bad]
        return new

    def _noise_streams(self, start_index):
        """``step -> (2, n) standard normals`` for these runs, keyed by start and step only.

        Each tile of NOISE_TILE starts has its own stream, so a run's noise does not depend on
        which block it lands in or on how many other runs there are.
        """
        tiles = np.unique(start_index // NOISE_TILE)
        entropy = self.seed_sequence.entropy
        generators = [np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(int(t),)))
                      for t in tiles]
        local = np.searchsorted(tiles, start_index // NOISE_TILE) * NOISE_TILE + start_index % NOISE_TILE

        def draw(step):
            values = np.concatenate([g.standard_normal((2, NOISE_TILE)) for g in generators], axis=1)
            return values[:, local]

        return draw

    def result(self, start_shape):
        batch, steps = self.batch_shape, self.steps
        final = self.final.reshape(batch + (2,))
        diverged_at = self.diverged_at.reshape(batch)
        diverged = diverged_at >= 0
        reached = np.asarray(self.surface.nearest_minimum(final, self.tol)).reshape(batch)
        reached = np.where(diverged, DIVERGED, reached)
        lr = self.hypers["lr"]
        if self.dynamic_lrs is not None:
            lrs = self.dynamic_lrs.reshape((steps,) + batch)
        elif not lr.per_run:
            lrs = lr.table.reshape(steps) if lr.scheduled else np.full(steps, float(lr.table))
        else:
            per_step = lr.table if lr.scheduled else np.broadcast_to(lr.table, (steps,) + lr.shape)
            aligned = per_step.reshape((steps,) + (1,) * (len(batch) - len(lr.shape)) + lr.shape)
            lrs = np.broadcast_to(aligned, (steps,) + batch)
        start_axes = {0: (), 1: ("start",), 2: ("y", "x")}.get(
            len(start_shape), tuple(f"start{i}" for i in range(len(start_shape))))
        axes = tuple(f"axis{i}" for i in range(len(batch) - len(start_axes))) + start_axes
        return Run(
            surface=self.surface, optimizer=self.optimizer, steps=steps,
            positions=self.positions.reshape((len(self.recorded_steps),) + batch + (2,)),
            losses=self.losses.reshape((len(self.recorded_steps),) + batch),
            recorded_steps=self.recorded_steps, lrs=lrs,
            final=final, final_loss=self.surface.value(final), diverged=diverged,
            diverged_at=diverged_at, reached=reached,
            settled_at=None if self.settled_at is None else self.settled_at.reshape(batch),
            axes=axes[len(axes) - len(batch):],
        )


# -- sweeps ------------------------------------------------------------------------------------

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
    starts = _check_starts(starts)
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
