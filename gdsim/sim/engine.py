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

import numbers
import os

import numpy as np

from gdsim import arguments, surfaces
from gdsim.optimizers import Optimizer
from gdsim.sim.run import DIVERGED, Run
from gdsim.sim.workers import run_in_processes, shared_empty

BLOCK_SIZE = 8192   # runs per block: a block's dozen working arrays fit in L2
PARALLEL_WORK = 2_000_000  # run-steps below which forking a worker costs more than it saves
NOISE_TILE = 1024   # runs per noise stream; blocks are whole tiles, so noise ignores blocking
ESCAPE_FACTOR = 1e6  # a run further than this many plotting-box sizes away has diverged


# -- argument checking ---------------------------------------------------------------------

def check_starts(starts):
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
    surface = surfaces.as_surface(surface)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a gdsim optimizer such as gdsim.SGD(lr=0.1), got {optimizer!r}")
    starts = check_starts(starts)
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
        run_in_processes(engine, blocks, min(workers, len(blocks)))
    else:
        for block in blocks:
            engine.run_block(block)
    return engine.result(start_shape)


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
        self.positions = shared_empty((len(recorded_steps), n, 2), shared=shared)
        self.losses = shared_empty((len(recorded_steps), n), shared=shared)
        self.final = shared_empty((n, 2), shared=shared)
        self.diverged_at = shared_empty(n, int, shared=shared)
        self.settled_at = shared_empty(n, int, shared=shared) if track_settling else None
        self.dynamic_lrs = shared_empty((steps, n), shared=shared) if callbacks else None

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
