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
from gdsim.optimizers import Optimizer, freeze
from gdsim.sim import resources
from gdsim.sim.run import DIVERGED, Run
from gdsim.sim.workers import PROGRESS_EVERY, Progress, run_in_processes, shared_empty

BLOCK_SIZE = 8192  # runs per block: a block's dozen working arrays fit in L2
PARALLEL_WORK = 2_000_000  # run-steps below which forking a worker costs more than it saves
NOISE_TILE = 1024  # runs per noise stream; blocks are whole tiles, so noise ignores blocking
ESCAPE_FACTOR = 1e6  # a run further than this many plotting-box sizes away has diverged


# -- argument checking ---------------------------------------------------------------------


def check_starts(starts):
    starts = np.array(arguments.as_real_array("starts", starts, what="points shaped (..., 2)"))
    if starts.ndim == 0 or starts.shape[-1] != 2:
        raise ValueError(
            f"starts must be shaped (..., 2) (x, y on the last axis), got shape {starts.shape}"
        )
    if not np.isfinite(starts).all():
        raise ValueError("starts must be finite; found NaN or inf")
    return starts


def _check_record(record):
    """``record`` checked: "all", "final" or k (every k-th step), as an int."""
    if isinstance(record, str):
        return arguments.check_choice("record", record, ("all", "final"))
    if isinstance(record, numbers.Integral) and not isinstance(record, bool):
        return arguments.check_int("record", record, minimum=1)
    raise TypeError(
        f"record must be 'all', 'final' or a whole number k (keep every k-th step), got {record!r}"
    )


def _n_recorded(record, steps):
    """How many steps ``record`` keeps, without listing them."""
    if record == "all":
        return steps + 1
    if record == "final":
        return 1
    return steps // record + 1 + (steps % record != 0)


def _recorded_steps(record, steps):
    """The step indices ``record`` keeps; the last step always."""
    if record == "all":
        return np.arange(steps + 1)
    if record == "final":
        return np.array([steps])
    return np.union1d(np.arange(0, steps + 1, record), [steps])


def _check_progress(progress):
    if progress is None or isinstance(progress, (bool, np.bool_)):
        return None if progress is None else bool(progress)
    raise TypeError(
        f"progress must be None (a bar for a call that will take more than a few "
        f"seconds), True or False, got {progress!r}"
    )


def _schedule_shape(schedule):
    """The per-run shape of a schedule's values, from its value at step 0 (cheap), or () when
    that cannot be had: resolving the schedule reports any error properly."""
    try:
        values = np.shape(schedule(np.zeros((1,) * 17, dtype=np.int64)))[1:]
    except Exception:  # noqa: BLE001 - any failure is reported by the resolver, not here
        return ()
    while values and values[0] == 1:
        values = values[1:]
    return values


def memory_needed(
    optimizer, start_shape, steps, record, callbacks=(), block_size=BLOCK_SIZE, workers=1, copies=1
):
    """``(runs, {what: bytes})``: how many runs a ``simulate`` call makes and the memory it
    holds at its peak, from the arguments alone (nothing is allocated or evaluated but a
    schedule's first value); ``copies`` of its outputs (a sweep holds every cell, then stacks
    them). ``runs`` is None when the arguments are not valid: their checks will say why."""
    valid_record = (isinstance(record, str) and record in ("all", "final")) or (
        isinstance(record, numbers.Integral) and not isinstance(record, bool) and record >= 1
    )
    if (
        not valid_record
        or isinstance(steps, bool)
        or not isinstance(steps, numbers.Integral)
        or steps < 0
    ):
        return None, {}
    shapes, schedule_sizes = [tuple(start_shape)], []
    for value in optimizer.hyperparameters().values():
        if callable(value):
            shape = _schedule_shape(value)
            schedule_sizes.append(int(np.prod(shape)))
        else:
            shape = np.shape(value)
        shapes.append(shape)
    try:
        n_runs = int(np.prod(np.broadcast_shapes(*shapes)))
    except ValueError:
        return None, {}
    n_recorded = _n_recorded(record, steps)
    blocks = -(-n_runs // block_size)
    processes = 1 + min(workers, blocks) if workers > 1 and blocks > 1 else 1
    every_step = n_recorded == steps + 1
    return n_runs, resources.simulate_bytes(
        n_runs,
        n_recorded,
        steps,
        n_starts=int(np.prod(start_shape)),
        schedule_sizes=schedule_sizes,
        rule_lr_rows=(steps if every_step else n_recorded) if callbacks else 0,
        block_size=block_size,
        processes=processes,
        copies=copies,
    )


def shrink_advice(what="starts"):
    """How to make a simulation smaller, for a memory error."""
    return (
        f"keep fewer steps with record='final' or record=k (every k-th step), or use "
        f"fewer steps or fewer {what}"
    )


# -- hyperparameters per run and per step ------------------------------------------------------


def _for_block(hyper, index):
    """A callable ``step -> value`` of one resolved hyperparameter for the runs at flat batch
    ``index`` (an int array into its own shape): a float where all runs share it."""
    # one row per step and one column per run (an explicit width: with steps=0 there are no rows)
    width = int(np.prod(hyper.shape))
    if not hyper.per_run:
        if hyper.scheduled:
            values = [float(v) for v in hyper.table.reshape(len(hyper.table), width)[:, 0]]
            return values.__getitem__
        constant = float(hyper.table.reshape(-1)[0])
        return lambda step: constant
    if hyper.scheduled:
        flat = hyper.table.reshape(len(hyper.table), width)
        return lambda step: flat[step][index]
    constant = hyper.table.reshape(-1)[index]
    return lambda step: constant


def _rule_lr(rule_state):
    """The lr a metric-driven rule has set for each run. A run the rule stopped (scikit-learn's
    adaptive) keeps its place: lr 0 from then on."""
    stopped = getattr(rule_state, "stopped", None)
    return rule_state.lr if stopped is None else np.where(stopped, 0.0, rule_state.lr)


def _index_into(shape, batch_shape, flat_index):
    """Flat indices into an array of ``shape`` (broadcast against ``batch_shape``) for the runs
    at ``flat_index`` of the batch."""
    full = (1,) * (len(batch_shape) - len(shape)) + tuple(shape)
    coordinates = np.unravel_index(flat_index, batch_shape) if batch_shape else ()
    kept = [np.where(size > 1, c, 0) for c, size in zip(coordinates, full)]
    return np.ravel_multi_index(kept, full) if full else np.zeros_like(flat_index)


# -- the engine ------------------------------------------------------------------------------


def simulate(
    surface,
    optimizer,
    starts,
    steps,
    *,
    record="all",
    noise=0.0,
    seed=None,
    callbacks=(),
    tol=None,
    track_settling=False,
    block_size=BLOCK_SIZE,
    workers=None,
    progress=None,
):
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
    seed : int >= 0, None or a np.random.Generator (one int is drawn from it, so the same
        generator state gives the same noise), for the noise.
    callbacks : a metric-driven lr rule (``ReduceLROnPlateau``, ``Adaptive``), alone or in a list,
        that watches each run's loss after every step; each run keeps its own lr.
    tol : distance within which a run counts as having reached a known minimum (default: the
        surface's own tolerance); also the movement threshold for ``settled_at``.
    track_settling : record ``settled_at`` (first step after which the run never again moves more
        than ``tol`` in one step); always available when ``record="all"``.
    block_size, workers : how the work is cut and spread over processes (default: one per core,
        where the platform can fork); they never change the numbers.
    progress : None (default) shows a progress bar for a call that will take more than a few
        seconds, True always, False never.

    A call that would need more memory than the machine has is refused up front with a
    ValueError saying how big it is and how to shrink it. Ctrl-C stops a call at once, workers
    included.

    Returns
    -------
    Run
    """
    surface = surfaces.as_surface(surface)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a gdsim optimizer such as gdsim.SGD(lr=0.1), got {optimizer!r}"
        )
    starts = check_starts(starts)
    steps = arguments.check_int("steps", steps, minimum=0)
    record = _check_record(record)
    arguments.check_nonnegative("noise", noise)
    if np.ndim(noise) != 0:
        raise TypeError(
            f"noise must be a single number (a standard deviation), got shape {np.shape(noise)}"
        )
    block_size = arguments.check_int("block_size", block_size, minimum=NOISE_TILE)
    if block_size % NOISE_TILE:
        raise ValueError(f"block_size must be a multiple of {NOISE_TILE}, got {block_size}")
    workers = (
        (os.cpu_count() or 1)
        if workers is None
        else arguments.check_int("workers", workers, minimum=1)
    )
    progress = _check_progress(progress)
    seed = arguments.check_seed("seed", seed)
    track_settling = arguments.check_bool("track_settling", track_settling)
    callbacks = arguments.as_list(callbacks)  # one rule, or a list of (at most) one
    for callback in callbacks:
        if not (hasattr(callback, "init") and hasattr(callback, "update")):
            raise TypeError(
                "callbacks must be metric-driven rules such as ReduceLROnPlateau(), "
                f"got {callback!r}"
            )
    if len(callbacks) > 1:
        raise ValueError(
            "callbacks may hold at most one metric-driven lr rule in simulate, "
            f"got {len(callbacks)}"
        )
    if tol is None:
        tol = _default_tol(surface)
    arguments.check_positive("tol", tol)

    if "lr" not in optimizer.hyperparameters():
        raise TypeError(
            f"{type(optimizer).__name__} has no 'lr' hyperparameter; an optimizer "
            "passes lr=... to Optimizer.__init__ with its other hyperparameters"
        )
    # look before allocating: the outputs and a schedule's table for every step
    n_runs, needed = memory_needed(
        optimizer, starts.shape[:-1], steps, record, callbacks, block_size, workers
    )
    if n_runs is not None:
        resources.check_memory(
            needed,
            f"simulate(steps={steps}, record={record!r}) with "
            f"{n_runs:,} run{'s' if n_runs != 1 else ''}",
            shrink_advice(),
        )
    hypers = optimizer.resolve(steps)
    if callbacks and hypers["lr"].scheduled:
        raise TypeError(
            "a metric-driven rule in callbacks (e.g. ReduceLROnPlateau) needs a "
            "constant lr, not a schedule: the rule sets the lr itself"
        )
    start_shape = starts.shape[:-1]
    batch_shape = arguments.broadcast_shapes(
        {"starts (their leading axes)": start_shape, **{n: h.shape for n, h in hypers.items()}}
    )
    n_runs = int(np.prod(batch_shape))
    recorded_steps = _recorded_steps(record, steps)

    blocks = [(a, min(a + block_size, n_runs)) for a in range(0, n_runs, block_size)]
    parallel = (
        workers > 1 and len(blocks) > 1 and hasattr(os, "fork") and n_runs * steps >= PARALLEL_WORK
    )
    tracker = Progress(blocks, steps, progress, shared=parallel)
    engine = _Engine(
        surface,
        optimizer,
        hypers,
        starts.reshape(-1, 2),
        start_shape,
        batch_shape,
        steps,
        recorded_steps,
        float(noise),
        seed,
        callbacks,
        float(tol),
        track_settling or record == "all",
        shared=parallel,
        progress=tracker,
    )
    try:
        if parallel:
            run_in_processes(engine, blocks, min(workers, len(blocks)), tracker)
        else:
            for block in blocks:
                engine.run_block(block)
    except BaseException:  # Ctrl-C included: the workers are already stopped
        tracker.close(finished=False)
        engine.release()
        raise
    tracker.close(finished=True)
    return engine.result(start_shape)


def _default_tol(surface):
    tol = getattr(surface, "default_tol", None)
    if tol is None:
        (x0, x1), (y0, y1) = surface.bounds
        tol = 1e-3 * float(np.hypot(x1 - x0, y1 - y0))
    return float(tol)


class _Engine:
    """Holds the outputs of one ``simulate`` call and fills them block by block."""

    def __init__(
        self,
        surface,
        optimizer,
        hypers,
        starts,
        start_shape,
        batch_shape,
        steps,
        recorded_steps,
        noise,
        seed,
        callbacks,
        tol,
        track_settling,
        shared=False,
        progress=None,
    ):
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
        # a rule's lrs are kept for the recorded steps only (for all steps when all are recorded)
        self.every_lr = len(recorded_steps) == steps + 1
        self.lr_steps = np.arange(steps) if self.every_lr else recorded_steps
        self.dynamic_lrs = (
            shared_empty((len(self.lr_steps), n), shared=shared) if callbacks else None
        )
        self.progress = progress or Progress([(0, n)], steps, show=False)

    def run_block(self, block):
        with np.errstate(all="ignore"):  # overflow in a diverging run is data, not a warning
            self._run_block(*block)

    def _run_block(self, start, stop):
        index = np.arange(start, stop)
        start_index = _index_into(self.start_shape, self.batch_shape, index)
        params = np.ascontiguousarray(self.starts[start_index].T)  # (2, n)
        hyper_at = {
            name: _for_block(h, _index_into(h.shape, self.batch_shape, index))
            for name, h in self.hypers.items()
        }
        # constants are resolved once per block; only schedules are looked up step by step
        constant = {name: at(0) for name, at in hyper_at.items() if not self.hypers[name].scheduled}
        scheduled = {name: at for name, at in hyper_at.items() if self.hypers[name].scheduled}
        noise = self._noise_streams(start_index) if self.noise else None
        rule = self.callbacks[0] if self.callbacks else None
        rule_state = rule.init(hyper_at["lr"](0) + np.zeros(stop - start)) if rule else None
        state = self.optimizer.init(params)
        diverged_at = np.full(stop - start, -1)
        self._block_has_diverged = False
        last_move = np.zeros(stop - start, dtype=int)
        record_row = {int(s): i for i, s in enumerate(self.recorded_steps)}
        lr_row = None if self.every_lr else {int(s): i for i, s in enumerate(self.lr_steps)}
        value_xy, grad_xy = self.surface.value_xy, self.surface.grad_xy

        def record(step, x):
            row = record_row.get(step)
            if row is not None:
                self.positions[row, start:stop] = x.T
                self.losses[row, start:stop] = value_xy(x[0], x[1])

        record(0, params)
        grad = np.empty_like(params)
        for step in range(self.steps):
            if not step % PROGRESS_EVERY:
                self.progress.report(start, step)
            grad[0], grad[1] = grad_xy(params[0], params[1])
            if noise is not None:
                grad += self.noise * noise(step)
            hp = dict(constant, **{name: at(step) for name, at in scheduled.items()})
            if rule:
                hp["lr"] = _rule_lr(rule_state)
                row = step if lr_row is None else lr_row.get(step)
                if row is not None:
                    self.dynamic_lrs[row, start:stop] = hp["lr"]
            new_params, new_state = self.optimizer.update(params, grad, state, hp)
            frozen = self._freeze_diverged(new_params, params, diverged_at, step + 1)
            if frozen is not None:
                # a diverged run stays where it was, its optimizer state too, or the state's
                # drift (Adagrad's growing sum) would move it again
                new_state = freeze(new_state, state, frozen)
            state = new_state
            if self.settled_at is not None:
                moved = np.max(np.abs(new_params - params), axis=0) > self.tol
                last_move[moved] = step + 1
            params = new_params
            if rule:
                loss = value_xy(params[0], params[1])
                loss[diverged_at >= 0] = np.nan
                rule_state = rule.update(rule_state, loss)
            record(step + 1, params)
        if rule and lr_row is not None:  # the last recorded step: the lr in force at the end
            self.dynamic_lrs[-1, start:stop] = _rule_lr(rule_state)
        self.progress.report(start, self.steps)
        self.final[start:stop] = params.T
        self.diverged_at[start:stop] = diverged_at
        if self.settled_at is not None:
            self.settled_at[start:stop] = last_move

    def _freeze_diverged(self, new, old, diverged_at, step):
        """Put runs that turned non-finite or escaped, at this step or before, back on their
        last good point (in place in ``new``); return the mask of those runs, or None while no
        run of the block has diverged."""
        low, high = new.min(), new.max()
        if low > -self.escape and high < self.escape:  # the common case: one check per step
            if not self._block_has_diverged:
                return None
        else:
            bad = ~(np.abs(new) < self.escape).all(axis=0)  # NaN compares False: bad too
            diverged_at[bad & (diverged_at < 0)] = step
            self._block_has_diverged = True
        frozen = diverged_at >= 0
        new[:, frozen] = old[:, frozen]
        return frozen

    def _noise_streams(self, start_index):
        """``step -> (2, n) standard normals`` for these runs, keyed by start and step only.

        Each tile of NOISE_TILE starts has its own stream, so a run's noise does not depend on
        which block it lands in or on how many other runs there are.
        """
        tiles = np.unique(start_index // NOISE_TILE)
        entropy = self.seed_sequence.entropy
        generators = [
            np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(int(t),)))
            for t in tiles
        ]
        local = (
            np.searchsorted(tiles, start_index // NOISE_TILE) * NOISE_TILE
            + start_index % NOISE_TILE
        )

        def draw(step):
            values = np.concatenate(
                [g.standard_normal((2, NOISE_TILE)) for g in generators], axis=1
            )
            return values[:, local]

        return draw

    def release(self):
        """Drop the outputs of a call that failed or was interrupted: a notebook keeps the
        traceback, and with it this engine, alive until the next error."""
        self.positions = self.losses = self.final = self.diverged_at = None
        self.settled_at = self.dynamic_lrs = None

    def result(self, start_shape):
        """The :class:`Run`. Its values are computed with NumPy's warnings off, as the runs were:
        the loss of a start far out overflows to inf, which is data."""
        with np.errstate(all="ignore"):
            return self._result(start_shape)

    def _result(self, start_shape):
        batch, steps = self.batch_shape, self.steps
        final = self.final.reshape(batch + (2,))
        diverged_at = self.diverged_at.reshape(batch)
        diverged = diverged_at >= 0
        reached = np.asarray(self.surface.nearest_minimum(final, self.tol)).reshape(batch)
        reached = np.where(diverged, DIVERGED, reached)
        lr = self.hypers["lr"]
        if self.dynamic_lrs is not None:
            lrs = self.dynamic_lrs.reshape((len(self.lr_steps),) + batch)
        elif not lr.per_run:
            # a constant lr is one number seen as (steps,), not a table of a float per step
            lrs = (
                lr.table.reshape(steps)
                if lr.scheduled
                else np.broadcast_to(float(lr.table), (steps,))
            )
        else:
            per_step = lr.table if lr.scheduled else np.broadcast_to(lr.table, (steps,) + lr.shape)
            aligned = per_step.reshape((steps,) + (1,) * (len(batch) - len(lr.shape)) + lr.shape)
            lrs = np.broadcast_to(aligned, (steps,) + batch)
        start_axes = {0: (), 1: ("start",), 2: ("y", "x")}.get(
            len(start_shape), tuple(f"start{i}" for i in range(len(start_shape)))
        )
        axes = tuple(f"axis{i}" for i in range(len(batch) - len(start_axes))) + start_axes
        return Run(
            surface=self.surface,
            optimizer=self.optimizer,
            steps=steps,
            positions=self.positions.reshape((len(self.recorded_steps),) + batch + (2,)),
            losses=self.losses.reshape((len(self.recorded_steps),) + batch),
            recorded_steps=self.recorded_steps,
            lrs=lrs,
            final=final,
            final_loss=self.surface.value(final),
            diverged=diverged,
            diverged_at=diverged_at,
            reached=reached,
            settled_at=None if self.settled_at is None else self.settled_at.reshape(batch),
            axes=axes[len(axes) - len(batch) :],
            lr_steps=np.array(self.lr_steps) if self.dynamic_lrs is not None else None,
        )


# -- sweeps ------------------------------------------------------------------------------------
