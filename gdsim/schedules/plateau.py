"""Metric-driven learning-rate rules: reduce the lr when a monitored metric stops improving.

These cannot be closed forms of the step, because they depend on the losses seen so far.
Each rule is an explicit state machine, vectorized over runs, in the style of the optimizers:

    rule = ReduceLROnPlateau(patience=2)
    state = rule.init(lr)                 # lr: a float or one value per run
    state = rule.update(state, metric)    # once per epoch, metric: one value per run
    state.lr                              # the lr in force from now on, per run

``update`` is purely functional (it returns a new state and never modifies the old one) and
works on all runs at once, so in a sweep each run keeps its own lr. A NaN metric never counts
as an improvement. Formulas and off-by-ones: REFERENCE.md §2.4, §3, §4.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdsim.arguments import as_parameter as _param
from gdsim.arguments import (
    check_choice,
    check_in_range,
    check_int,
    check_nonnegative,
    check_positive,
)

__all__ = ["ReduceLROnPlateau", "PlateauState", "Adaptive", "AdaptiveState"]


def _initial_lr(lr, *shapes):
    """``lr`` (checked > 0) as a fresh float array broadcast against the rule's parameters."""
    lr = np.asarray(check_positive("lr", lr), dtype=float)
    return np.broadcast_to(lr, np.broadcast_shapes(lr.shape, *shapes)).copy()


def _check_metric(state, metric):
    """``(state, metric)`` with one metric value per run, both of the runs' shape.

    A state built from a single lr is shared by all runs until the first per-run metric
    arrives; from then on each run keeps its own copy.
    """
    try:
        metric = np.asarray(metric, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"metric must be a number or an array of numbers, got {metric!r}") from None
    shape = state.lr.shape or metric.shape
    try:
        metric = np.broadcast_to(metric, shape)
    except ValueError:
        raise ValueError(
            f"metric must have one value per run, shape {shape}, got shape {metric.shape}"
        ) from None
    return type(state)(*(np.broadcast_to(field, shape) for field in state)), metric


class PlateauState(NamedTuple):
    """Per-run state of ReduceLROnPlateau; every field is an array of the runs' shape."""

    lr: np.ndarray  # the lr in force from now on
    best: np.ndarray  # best metric so far (+inf in min mode, -inf in max mode, at first)
    wait: np.ndarray  # non-improving epochs counted (Keras `wait`, PyTorch `num_bad_epochs`)
    cooldown: np.ndarray  # cooldown epochs left


class ReduceLROnPlateau:
    """Divide the lr by ``1/factor`` when ``monitor`` stops improving (Keras or PyTorch rules).

    convention="keras" (Keras 3's ReduceLROnPlateau, the default):
        improved:  m < best − min_delta (min mode; m > best + min_delta in max mode), so the
                   first epoch always improves.
        per epoch: if cooldown > 0: cooldown −= 1; wait = 0
                   if improved: best = m; wait = 0
                   elif cooldown == 0: wait += 1
                       if wait ≥ patience and lr > min_lr:
                           lr = max(lr·factor, min_lr); cooldown = cooldown₀; wait = 0
        The lr drops on the patience-th bad epoch, and cooldown = c mutes only c − 1 epochs.

    convention="pytorch" (torch.optim.lr_scheduler.ReduceLROnPlateau, ``min_delta`` being its
    ``threshold``, relative by default):
        improved:  m < best·(1 − min_delta) ("rel") or m < best − min_delta ("abs")
        per epoch: if improved: best = m; wait = 0 else wait += 1
                   if cooldown > 0: cooldown −= 1; wait = 0
                   if wait > patience: new = max(lr·factor, min_lr), applied only if
                       lr − new > eps; cooldown = cooldown₀; wait = 0
        The lr drops one epoch later than Keras, and cooldown = c mutes c epochs.

    mode "auto" means "max" if the monitor's name contains "acc", else "min". ``threshold_mode``
    defaults to "abs" for Keras and "rel" for PyTorch. ``eps`` is used by PyTorch only.
    ``factor``, ``min_delta`` and ``min_lr`` may be arrays that broadcast against the runs.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        convention="keras",
        threshold_mode=None,
        eps=1e-8,
    ):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a metric name (str), got {monitor!r}")
        self.monitor = monitor
        self.factor = _param(check_in_range("factor", factor, 0, 1))
        self.patience = check_int("patience", patience, minimum=0)
        check_choice("mode", mode, ["auto", "min", "max"])
        self.mode = mode
        self.min_delta = _param(check_nonnegative("min_delta", min_delta))
        self.cooldown = check_int("cooldown", cooldown, minimum=0)
        self.min_lr = _param(check_nonnegative("min_lr", min_lr))
        self.convention = check_choice("convention", convention, ["keras", "pytorch"])
        if threshold_mode is None:
            threshold_mode = "abs" if convention == "keras" else "rel"
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ["rel", "abs"])
        self.eps = check_nonnegative("eps", eps)
        self._maximize = mode == "max" or (mode == "auto" and "acc" in monitor)

    def init(self, lr):
        """The state before the first epoch: lr per run, no best yet, no counters."""
        lr = _initial_lr(lr, np.shape(self.factor), np.shape(self.min_delta), np.shape(self.min_lr))
        worst = -np.inf if self._maximize else np.inf
        zeros = np.zeros(lr.shape, dtype=np.int64)
        return PlateauState(lr=lr, best=np.full(lr.shape, worst), wait=zeros, cooldown=zeros.copy())

    def _improved(self, metric, best):
        # Comparisons with NaN are False, so a NaN metric is never an improvement.
        d = self.min_delta
        if self.threshold_mode == "rel":
            return metric > best * (1 + d) if self._maximize else metric < best * (1 - d)
        return metric > best + d if self._maximize else metric < best - d

    def update(self, state, metric):
        """The state after an epoch that ended with ``metric`` (one value per run)."""
        state, metric = _check_metric(state, metric)
        improved = self._improved(metric, state.best)
        best = np.where(improved, metric, state.best)
        if self.convention == "keras":
            return self._keras(state, improved, best)
        return self._pytorch(state, improved, best)

    def _keras(self, state, improved, best):
        in_cooldown = state.cooldown > 0
        cooldown = np.where(in_cooldown, state.cooldown - 1, state.cooldown)
        wait = np.where(in_cooldown | improved, 0, state.wait)
        # Keras tests the cooldown AFTER decrementing it, which is why c mutes only c − 1 epochs.
        counting = ~improved & (cooldown == 0)
        wait = np.where(counting, wait + 1, wait)
        # Below min_lr Keras does nothing and does not reset `wait`, which then keeps growing.
        drop = counting & (wait >= self.patience) & (state.lr > self.min_lr)
        lr = np.where(drop, np.maximum(state.lr * self.factor, self.min_lr), state.lr)
        return PlateauState(
            lr=lr,
            best=best,
            wait=np.where(drop, 0, wait),
            cooldown=np.where(drop, self.cooldown, cooldown),
        )

    def _pytorch(self, state, improved, best):
        wait = np.where(improved, 0, state.wait + 1)
        in_cooldown = state.cooldown > 0
        cooldown = np.where(in_cooldown, state.cooldown - 1, state.cooldown)
        wait = np.where(in_cooldown, 0, wait)
        trigger = wait > self.patience
        # PyTorch resets the counters on every trigger, even when the drop itself is skipped
        # because it would be smaller than eps (lr already at min_lr).
        new_lr = np.maximum(state.lr * self.factor, self.min_lr)
        lr = np.where(trigger & (state.lr - new_lr > self.eps), new_lr, state.lr)
        return PlateauState(
            lr=lr,
            best=best,
            wait=np.where(trigger, 0, wait),
            cooldown=np.where(trigger, self.cooldown, cooldown),
        )

    def __repr__(self):
        return (
            f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.factor!r}, "
            f"patience={self.patience}, mode={self.mode!r}, min_delta={self.min_delta!r}, "
            f"cooldown={self.cooldown}, min_lr={self.min_lr!r}, convention={self.convention!r}, "
            f"threshold_mode={self.threshold_mode!r}, eps={self.eps!r})"
        )


class AdaptiveState(NamedTuple):
    """Per-run state of Adaptive; every field is an array of the runs' shape."""

    lr: np.ndarray  # the lr in force from now on
    best: np.ndarray  # lowest metric so far (+inf at first)
    count: np.ndarray  # consecutive epochs without an improvement of at least tol
    stopped: np.ndarray  # bool: the run wanted to go below min_lr, so training stops


class Adaptive:
    """scikit-learn's ``learning_rate="adaptive"``: divide the lr by 5 after a long plateau.

    Per epoch, with m the monitored loss:
        count = count + 1 if m > best − tol else 0 ;  best = min(best, m)
        if count > n_iter_no_change:          # the 11th failing epoch with the default 10
            if lr ≤ min_lr: stop the run      # sets `stopped`; the state then stays frozen
            else: lr = lr·factor ; count = 0
    scikit-learn hard-codes factor 0.2 (it divides by 5.0) and min_lr 1e-6. Unlike
    scikit-learn, a NaN loss counts as failing rather than as an improvement.
    """

    def __init__(self, tol=1e-4, n_iter_no_change=10, factor=0.2, min_lr=1e-6, monitor="loss"):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a metric name (str), got {monitor!r}")
        self.monitor = monitor
        self.tol = _param(check_nonnegative("tol", tol))
        self.n_iter_no_change = check_int("n_iter_no_change", n_iter_no_change, minimum=1)
        self.factor = _param(check_in_range("factor", factor, 0, 1, low_inclusive=False))
        self.min_lr = _param(check_nonnegative("min_lr", min_lr))

    def init(self, lr):
        """The state before the first epoch."""
        lr = _initial_lr(lr, np.shape(self.tol), np.shape(self.factor), np.shape(self.min_lr))
        return AdaptiveState(
            lr=lr,
            best=np.full(lr.shape, np.inf),
            count=np.zeros(lr.shape, dtype=np.int64),
            stopped=np.zeros(lr.shape, dtype=bool),
        )

    def update(self, state, metric):
        """The state after an epoch that ended with loss ``metric`` (one value per run)."""
        state, metric = _check_metric(state, metric)
        active = ~state.stopped
        failing = ~(metric <= state.best - self.tol)  # written so that NaN counts as failing
        count = np.where(failing, state.count + 1, 0)
        best = np.where(metric < state.best, metric, state.best)
        trigger = count > self.n_iter_no_change
        stop = trigger & (state.lr <= self.min_lr)
        drop = trigger & ~stop
        # scikit-learn divides by 5.0; 1/0.2 is exactly 5.0, so this is bit-identical to it.
        lr = np.where(drop, state.lr / (1.0 / self.factor), state.lr)
        count = np.where(drop, 0, count)
        return AdaptiveState(
            lr=np.where(active, lr, state.lr),
            best=np.where(active, best, state.best),
            count=np.where(active, count, state.count),
            stopped=state.stopped | stop,
        )

    def __repr__(self):
        return (
            f"Adaptive(tol={self.tol!r}, n_iter_no_change={self.n_iter_no_change}, "
            f"factor={self.factor!r}, min_lr={self.min_lr!r}, monitor={self.monitor!r})"
        )
