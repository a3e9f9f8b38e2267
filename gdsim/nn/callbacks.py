"""Callbacks for ``fit``, Keras' semantics applied to each member of a population separately.

A callback sees a ``TrainingRun`` (``run``): ``run.lr`` and ``run.set_lr(...)`` (one lr per member),
``run.active`` and ``run.stop(mask)`` (stop some members; the rest train on), ``run.weights()`` and
``run.set_member_weights(weights, mask)``. ``logs`` holds this epoch's metrics, one value per
member. Hooks: ``on_train_begin(run)``, ``on_epoch_begin(epoch, run)``,
``on_epoch_end(epoch, logs, run)``, ``on_train_end(run)``; epochs count from 0. Per batch (called
only for callbacks that define them): ``on_batch_begin(iteration, run)`` before the forward pass —
an lr set there is used by this batch's update — and ``on_batch_end(iteration, logs, run)`` after
the update, with ``logs["loss"]`` the batch's mean loss per member (from the weights before the
update); ``iteration`` is the global batch index. Members stopped in a batch hook train no further
batches.

The metric-driven lr rules of the core (``ReduceLROnPlateau``, ``Adaptive``) are passed to ``fit``
as they are; ``fit`` wraps them in :class:`LRRule`.
"""

from __future__ import annotations

import inspect
import os
import string

import numpy as np

from gdsim import arguments

__all__ = [
    "Callback",
    "LRRule",
    "LearningRateScheduler",
    "EarlyStopping",
    "ModelCheckpoint",
    "TerminateOnNaN",
    "UpdateRatios",
]


class Callback:
    """Base class: every hook does nothing. ``sets_lr`` marks callbacks that take over the lr."""

    sets_lr = False

    def on_train_begin(self, run):
        pass

    def on_epoch_begin(self, epoch, run):
        pass

    def on_epoch_end(self, epoch, logs, run):
        pass

    def on_train_end(self, run):
        pass

    def on_batch_begin(self, iteration, run):
        pass

    def on_batch_end(self, iteration, logs, run):
        pass


def _monitored(monitor, run):
    if monitor not in run.metrics:
        hint = " (pass validation_data to fit)" if monitor.startswith("val_") else ""
        raise ValueError(f"monitor {monitor!r} is not recorded{hint}; available: {run.metrics}")


def _maximize(monitor, mode):
    """Keras' 'auto': accuracy-like metrics are maximized, everything else minimized."""
    arguments.check_choice("mode", mode, ["auto", "min", "max"])
    return mode == "max" or (mode == "auto" and "acc" in monitor)


class _Best:
    """Per-member 'best so far' bookkeeping: improved = m < best − min_delta
    (or > best + min_delta)."""

    def __init__(self, monitor, mode, min_delta):
        self.monitor = arguments.check_str("monitor", monitor)
        self.maximize = _maximize(monitor, mode)
        self.min_delta = arguments.check_nonnegative("min_delta", min_delta)

    def reset(self, K):
        self.best = np.full(K, -np.inf if self.maximize else np.inf)
        self.best_epoch = np.full(K, -1)

    def better(self, value, reference):
        # NaN compares False: a diverged member never improves
        if self.maximize:
            return value > reference + self.min_delta
        return value < reference - self.min_delta


def _keep_best(improved, current, best):
    """Per layer, the current ``θ`` for improved members and the stored one for the others."""
    pick = improved[:, None, None]
    return [np.where(pick, c, b) for c, b in zip(current, best)]


def _keras_list(model, theta):
    """``[W0, b0, ...]`` copies, shaped like ``model.get_weights()``."""
    return [w[0].copy() if model.single else w.copy() for w in model.split(theta)]


def _check_members(members):
    """A slice, a list or array of member indices, or a boolean mask."""
    if isinstance(members, slice):
        return members
    index = np.asarray(members)
    if index.dtype.kind not in "biu" or index.ndim != 1:
        raise TypeError(
            f"members must be a slice, a list of member indices or a boolean mask, got {members!r}"
        )
    return index


class LRRule(Callback):
    """Runs a metric-driven rule (``gdsim.ReduceLROnPlateau``, ``gdsim.Adaptive``) once per epoch.

    ``state = rule.init(lr)`` at the start, ``state = rule.update(state, logs[monitor])`` at each
    epoch's end, and ``state.lr`` (one per member) is used from the next epoch on. A rule whose
    state has ``stopped`` (scikit-learn's adaptive, below its min_lr) stops those members.
    ``members`` (a slice, indices or a mask) limits the rule to some members, so that several
    rules with different settings can share one population.
    """

    sets_lr = True

    def __init__(self, rule, monitor=None, members=None):
        if not (hasattr(rule, "init") and hasattr(rule, "update")):
            raise TypeError(f"rule must have init(lr) and update(state, metric), got {rule!r}")
        self.rule = rule
        self.monitor = arguments.check_str(
            "monitor", getattr(rule, "monitor", "val_loss") if monitor is None else monitor
        )
        self.members = slice(None) if members is None else _check_members(members)
        self.state = None

    def on_train_begin(self, run):
        _monitored(self.monitor, run)
        self.state = self.rule.init(run.lr[self.members])
        self._apply(run)

    def on_epoch_end(self, epoch, logs, run):
        self.state = self.rule.update(self.state, logs[self.monitor][self.members])
        self._apply(run)

    def _apply(self, run):
        lr = run.lr
        lr[self.members] = self.state.lr
        run.set_lr(lr)
        if hasattr(self.state, "stopped"):
            stopped = np.zeros(run.model.population, dtype=bool)
            stopped[self.members] = self.state.stopped
            run.stop(stopped)

    def __repr__(self):
        return f"LRRule({self.rule!r}, monitor={self.monitor!r})"


class LearningRateScheduler(Callback):
    """Keras' LearningRateScheduler: at each epoch's start ``lr = schedule(epoch, lr)``.

    ``schedule`` takes ``(epoch, lr)`` (lr: one value per member) or just ``(epoch)`` — a gdsim
    schedule works too. Its result is a number or one value per member.
    """

    sets_lr = True

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise TypeError(f"schedule must be callable, got {schedule!r}")
        self.schedule = schedule
        self.verbose = arguments.check_choice("verbose", verbose, [0, 1])
        self._takes_lr = self._arity(schedule) >= 2

    @staticmethod
    def _arity(fn):
        try:
            parameters = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            return 2
        positional = [
            p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if any(p.kind == p.VAR_POSITIONAL for p in parameters):
            return 2
        return len(positional)

    def on_epoch_begin(self, epoch, run):
        lr = self.schedule(epoch, run.lr) if self._takes_lr else self.schedule(epoch)
        lr = np.asarray(lr, dtype=float)
        arguments.check_finite(f"lr from the schedule at epoch {epoch}", lr)
        run.set_lr(lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")


class EarlyStopping(Callback):
    """Keras' EarlyStopping, member by member: stop a member after ``patience`` epochs without
    an improvement of more than ``min_delta`` in ``monitor``.

    Per epoch (from ``start_from_epoch``): ``wait += 1``; if improved: ``best = m``, and
    ``wait = 0`` unless a ``baseline`` is given and not beaten; else if ``wait ≥ patience`` (and
    epoch > 0) the member stops. ``stopped_epoch`` and ``best_epoch`` are arrays, one per member
    (-1: never).

    ``restore_best_weights`` (Keras 3's ``on_train_end``): when training ends, however it ends
    (this callback stopped the member, the epochs ran out, or another callback such as
    ``TerminateOnNaN`` stopped it), every member gets back its weights from the end of its best
    epoch. As in Keras, the first monitored epoch counts as the best until one improves on it,
    so a member that never improves (or whose metric is NaN) gets that epoch's weights and its
    ``best_epoch``; an epoch is restored whether or not it beat the ``baseline``; and if
    training ends before ``start_from_epoch``, nothing is restored.
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0.0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        self._best = _Best(monitor, mode, min_delta)
        self.monitor = monitor
        self.patience = arguments.check_int("patience", patience, minimum=0)
        self.baseline = (
            None if baseline is None else float(arguments.check_finite("baseline", baseline))
        )
        self.restore_best_weights = arguments.check_bool(
            "restore_best_weights", restore_best_weights
        )
        self.start_from_epoch = arguments.check_int("start_from_epoch", start_from_epoch, minimum=0)
        self.verbose = arguments.check_choice("verbose", verbose, [0, 1])

    def on_train_begin(self, run):
        _monitored(self.monitor, run)
        K = run.model.population
        self._best.reset(K)
        self.wait = np.zeros(K, dtype=np.int64)
        self.stopped_epoch = np.full(K, -1)
        self._model, self._best_theta = run.model, None

    @property
    def best_weights(self):
        """Each member's weights at its best epoch, ``[W0, b0, ...]`` (with
        restore_best_weights)."""
        return None if self._best_theta is None else _keras_list(self._model, self._best_theta)

    @property
    def best(self):
        return self._best.best

    @property
    def best_epoch(self):
        return self._best.best_epoch

    def on_epoch_end(self, epoch, logs, run):
        if epoch < self.start_from_epoch:
            return
        current = logs[self.monitor]
        if self.restore_best_weights and self._best_theta is None:
            # Keras: "if best weights were never set, then the current weights are the best"
            self._best_theta = run.weights()
            self._best.best_epoch[run.active] = epoch
        self.wait += 1
        improved = self._best.better(current, self._best.best) & run.active
        self._best.best = np.where(improved, current, self._best.best)
        self._best.best_epoch[improved] = epoch
        if self.restore_best_weights and improved.any():
            self._best_theta = _keep_best(improved, run.model.theta, self._best_theta)
        beats_baseline = (
            np.ones_like(improved)
            if self.baseline is None
            else self._best.better(current, self.baseline)
        )
        self.wait[improved & beats_baseline] = 0
        stop = ~improved & (self.wait >= self.patience) & run.active & (epoch > 0)
        if stop.any():
            self.stopped_epoch[stop] = epoch
            run.stop(stop)
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping members {np.flatnonzero(stop).tolist()}")

    def on_train_end(self, run):
        # a stopped member's weights no longer change, so restoring here (as Keras does) gives
        # it the same weights as restoring when it stopped, and also covers the other endings
        if self.restore_best_weights and self._best_theta is not None:
            run.set_member_weights(self._best_theta, np.ones(run.model.population, dtype=bool))
            if self.verbose:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{(self.best_epoch + 1).tolist()}."
                )


class ModelCheckpoint(Callback):
    """Keep each member's best weights by ``monitor`` (in memory, and in ``filepath`` if given).

    ``best_weights`` is ``[W0, b0, ...]`` with, for every member, its weights at the end of its best
    epoch; ``best`` and ``best_epoch`` are per member. ``filepath`` (``.npz``, may contain
    ``{epoch}``) is written whenever a member improves (every epoch with ``save_best_only=False``)
    via ``MLP.save_weights``. ``restore_best=True`` loads each member's best weights when training
    ends.
    """

    def __init__(
        self,
        filepath=None,
        monitor="val_loss",
        mode="auto",
        save_best_only=True,
        restore_best=False,
        min_delta=0.0,
    ):
        self._best = _Best(monitor, mode, min_delta)
        self.filepath = None if filepath is None else _check_filepath(filepath)
        self.monitor = monitor
        self.save_best_only = arguments.check_bool("save_best_only", save_best_only)
        self.restore_best = arguments.check_bool("restore_best", restore_best)

    def on_train_begin(self, run):
        _monitored(self.monitor, run)
        if self.filepath is not None:
            folder = os.path.dirname(os.path.abspath(self.filepath))
            if not os.path.isdir(folder):
                raise ValueError(
                    f"filepath {self.filepath!r} is in a folder that does not exist ({folder})"
                )
        self._best.reset(run.model.population)
        self._model, self._best_theta = run.model, run.weights()

    @property
    def best_weights(self):
        return _keras_list(self._model, self._best_theta)

    @property
    def best(self):
        return self._best.best

    @property
    def best_epoch(self):
        return self._best.best_epoch

    def on_epoch_end(self, epoch, logs, run):
        improved = self._best.better(logs[self.monitor], self._best.best) & run.active
        self._best.best = np.where(improved, logs[self.monitor], self._best.best)
        self._best.best_epoch[improved] = epoch
        if improved.any():
            self._best_theta = _keep_best(improved, run.model.theta, self._best_theta)
        if self.filepath is not None and (improved.any() or not self.save_best_only):
            model = run.model.copy()
            model.theta = self._best_theta if self.save_best_only else run.weights()
            model.save_weights(str(self.filepath).format(epoch=epoch + 1))

    def on_train_end(self, run):
        if self.restore_best:
            run.set_member_weights(self._best_theta, self._best.best_epoch >= 0)


def _check_filepath(filepath):
    """A file name (str or path), in which ``{epoch}`` is the only field a pattern may use; a
    wrong field would otherwise fail only when the first checkpoint is written."""
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"filepath must be a file name (str or path), got {filepath!r}")
    filepath = os.fspath(filepath)
    try:
        fields = [
            field for _, field, _, _ in string.Formatter().parse(filepath) if field is not None
        ]
    except ValueError as error:  # an unmatched brace
        raise ValueError(
            f"filepath {filepath!r} is not a valid pattern ({error}); write a "
            "literal brace as {{ or }}"
        ) from None
    for field in fields:
        if field != "epoch":
            raise ValueError(
                f"filepath {filepath!r} uses the field {{{field}}}; the only field "
                "a checkpoint name may use is {epoch}, e.g. 'weights-{epoch}.npz'"
            )
    return filepath


class TerminateOnNaN(Callback):
    """Stop each member whose epoch loss is NaN or infinite (Keras checks every batch; a NaN batch
    makes the epoch's mean loss NaN, so checking at the epoch's end stops the same members)."""

    def on_epoch_end(self, epoch, logs, run):
        run.stop(~np.isfinite(logs["loss"]))


class UpdateRatios(Callback):
    """The size of every update relative to the weights it changes, layer by layer:
    ``ratio[i, l, k] = ‖θ_l(after) − θ_l(before)‖ / ‖θ_l(before)‖`` for batch ``i``, layer ``l``
    (weights and bias together, Frobenius norms) and member ``k``.

    A rule of thumb (Karpathy, cs231n) puts healthy training near 1e-3: far above, the layer is
    being rewritten each step; far below, it is barely learning. A frozen layer shows exactly 0.
    ``ratios`` is ``(updates, n_layers, K)``; :meth:`per_epoch` averages each epoch's updates.
    """

    def on_train_begin(self, run):
        self._before = run.weights()
        self._rows = []

    def on_batch_end(self, iteration, logs, run):
        after = run.model.theta
        row = []
        for old, new in zip(self._before, after):
            with np.errstate(all="ignore"):
                step = np.sqrt(((new - old) ** 2).sum(axis=(1, 2)))
                size = np.sqrt((old**2).sum(axis=(1, 2)))
                row.append(step / size)
        self._rows.append(row)
        self._before = [t.copy() for t in after]
        self.batches_per_epoch = run.batches_per_epoch

    @property
    def ratios(self):
        return np.array(self._rows).reshape(len(self._rows), len(self._before), -1)

    def per_epoch(self):
        """``(epochs, n_layers, K)``: the mean ratio of each epoch's updates."""
        r = self.ratios
        n = self.batches_per_epoch
        return r[: len(r) // n * n].reshape(-1, n, *r.shape[1:]).mean(axis=1)
