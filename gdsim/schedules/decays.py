"""Decays: constant, step, multistep, exponential, time-based, invscaling, linear, polynomial."""

from __future__ import annotations

import numpy as np

from gdsim.arguments import (
    check_in_range,
    check_int,
    check_nonnegative,
    check_positive,
)
from gdsim.schedules.base import Schedule, _check_flag, _param

# --------------------------------------------------------------------------------------------
# Decays


def constant(lr):
    """Constant: lr(e) = lr."""
    lr = _param(check_positive("lr", lr))
    return Schedule("constant", lambda e: lr * np.ones(e.shape), {"lr": lr})


def step(lr, step_size, gamma=0.1):
    """Step decay (PyTorch StepLR): lr(e) = lr · gamma^⌊e / step_size⌋."""
    lr = _param(check_positive("lr", lr))
    step_size = check_int("step_size", step_size, minimum=1)
    gamma = _param(check_positive("gamma", gamma))
    return Schedule(
        "step",
        lambda e: lr * gamma ** (e // step_size),
        {"lr": lr, "step_size": step_size, "gamma": gamma},
    )


def multistep(lr, milestones, gamma=0.1):
    """Multi-step decay (PyTorch MultiStepLR): lr(e) = lr · gamma^(number of milestones ≤ e).

    A milestone listed twice counts twice, as in PyTorch.
    """
    lr = _param(check_positive("lr", lr))
    if isinstance(milestones, (str, bytes)) or not np.iterable(milestones):
        raise TypeError(f"milestones must be a list of integers, got {milestones!r}")
    milestones = sorted(check_int("milestones", m, minimum=0) for m in milestones)
    gamma = _param(check_positive("gamma", gamma))
    sorted_milestones = np.array(milestones, dtype=np.int64)
    return Schedule(
        "multistep",
        lambda e: lr * gamma ** np.searchsorted(sorted_milestones, e, side="right"),
        {"lr": lr, "milestones": milestones, "gamma": gamma},
    )


def exponential(lr, gamma):
    """Exponential decay (PyTorch ExponentialLR): lr(e) = lr · gamma^e."""
    lr = _param(check_positive("lr", lr))
    gamma = _param(check_positive("gamma", gamma))
    return Schedule("exponential", lambda e: lr * gamma**e, {"lr": lr, "gamma": gamma})


def time_decay(lr, decay, decay_steps=1, staircase=False):
    """Time-based decay (Keras' legacy decay, InverseTimeDecay): lr(e) = lr / (1 + decay · p).

    p = e / decay_steps, or ⌊e / decay_steps⌋ with ``staircase=True`` (the lr then drops once
    every ``decay_steps`` steps). ``e`` counts updates already applied, so the first update uses
    ``lr`` (Keras' ``iterations`` is 0 then). The legacy ``SGD(lr, decay=d)`` is
    ``time_decay(lr, d)``; Keras 3's ``InverseTimeDecay(initial_learning_rate, decay_steps,
    decay_rate, staircase)`` is ``time_decay(initial_learning_rate, decay_rate, decay_steps,
    staircase)`` (Keras' ``InverseTimeDecay.__call__``: ``lr / (1 + decay_rate · p)``).
    """
    lr = _param(check_positive("lr", lr))
    decay = _param(check_nonnegative("decay", decay))
    decay_steps = check_int("decay_steps", decay_steps, minimum=1)
    staircase = _check_flag("staircase", staircase)

    def value(e):
        p = e // decay_steps if staircase else e / decay_steps
        return lr / (1 + decay * p)

    return Schedule(
        "time_decay",
        value,
        {"lr": lr, "decay": decay, "decay_steps": decay_steps, "staircase": staircase},
    )


def inverse_scaling(lr, power_t=0.5, samples_per_step=1):
    """Inverse scaling (scikit-learn ``invscaling``):
    lr(e) = lr / (e · samples_per_step + 1)^power_t.

    scikit-learn counts samples, not updates, and refreshes the lr once per epoch: stepping
    this schedule once per epoch with ``samples_per_step=n_samples`` reproduces it (epoch 0
    uses ``lr``, epoch 1 uses ``lr / (n_samples + 1)^power_t``).
    """
    lr = _param(check_positive("lr", lr))
    power_t = _param(check_nonnegative("power_t", power_t))
    samples_per_step = check_int("samples_per_step", samples_per_step, minimum=1)
    return Schedule(
        "inverse_scaling",
        lambda e: lr / (e * samples_per_step + 1) ** power_t,
        {"lr": lr, "power_t": power_t, "samples_per_step": samples_per_step},
    )


def linear(lr, start_factor=1 / 3, end_factor=1.0, total_iters=5):
    """Linear ramp (PyTorch LinearLR): lr(e) = lr · (s + (f − s) · min(e, T) / T).

    s = start_factor in (0, 1], f = end_factor in [0, 1], T = total_iters; constant from T on.
    """
    lr = _param(check_positive("lr", lr))
    start_factor = _param(
        check_in_range("start_factor", start_factor, 0, 1, low_inclusive=False, high_inclusive=True)
    )
    end_factor = _param(check_in_range("end_factor", end_factor, 0, 1, high_inclusive=True))
    total_iters = check_int("total_iters", total_iters, minimum=1)

    def value(e):
        progress = np.minimum(e, total_iters) / total_iters
        return lr * (start_factor + (end_factor - start_factor) * progress)

    return Schedule(
        "linear",
        value,
        {
            "lr": lr,
            "start_factor": start_factor,
            "end_factor": end_factor,
            "total_iters": total_iters,
        },
    )


def polynomial(lr, total_iters=5, power=1.0, end_lr=0.0, cycle=False):
    """Polynomial decay (PyTorch PolynomialLR, Keras PolynomialDecay): lr to end_lr in T steps.

        lr(e) = end_lr + (lr − end_lr) · (1 − min(e, T) / T)^power        T = total_iters

    With the default ``end_lr=0`` this is PyTorch's ``PolynomialLR(total_iters, power)``: 0 from
    step T on. Keras' ``PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate,
    power, cycle)`` is ``polynomial(initial_learning_rate, decay_steps, power, end_lr=
    end_learning_rate, cycle=cycle)``; note that Keras' default end value is 1e-4, gdsim's 0.
    ``cycle=True`` (Keras) stretches the decay over the first multiple of T that reaches e,
    instead of holding ``end_lr`` after T:

        T_e = T · max(1, ⌈e / T⌉),   lr(e) = end_lr + (lr − end_lr) · (1 − e / T_e)^power

    so the lr touches ``end_lr`` at every multiple of T and jumps back up right after it
    (Keras' ``PolynomialDecay.__call__``: its multiplier is 1 at step 0, ⌈e/T⌉ after).
    ``end_lr`` may exceed ``lr`` (a polynomial ramp up).
    """
    lr = _param(check_positive("lr", lr))
    total_iters = check_int("total_iters", total_iters, minimum=1)
    power = _param(check_positive("power", power))
    end_lr = _param(check_nonnegative("end_lr", end_lr))
    cycle = _check_flag("cycle", cycle)

    def value(e):
        if cycle:
            # ⌈e / T⌉ in integers: exact at the multiples of T, where the lr touches end_lr
            period = total_iters * np.maximum(1, -(-e // total_iters))
            progress = e / period
        else:
            progress = np.minimum(e, total_iters) / total_iters
        return end_lr + (lr - end_lr) * (1.0 - progress) ** power

    return Schedule(
        "polynomial",
        value,
        {"lr": lr, "total_iters": total_iters, "power": power, "end_lr": end_lr, "cycle": cycle},
    )


# --------------------------------------------------------------------------------------------
# Cosine annealing and warm restarts


# --------------------------------------------------------------------------------------------
# Composition


# --------------------------------------------------------------------------------------------
# Registry
