"""Learning-rate schedules: pure, vectorized functions of the step.

A schedule is a callable ``lr = schedule(step)``. ``step`` is a non-negative integer or an
integer array of any shape, so ``schedule(np.arange(10_000))`` is one NumPy call. Every value
is a closed form of the step: there is no hidden counter, so calling a schedule twice, out
of order or on a whole array always gives the same numbers.

Counting convention (PyTorch's ``last_epoch``): step 0 is the first update, and the value at
step ``e`` is the lr in force during update (or epoch) ``e``. Keras' legacy ``decay`` and
scikit-learn's ``invscaling`` follow the same 0-based convention (REFERENCE.md §2.2, §4).

Float parameters may be arrays. The result broadcasts ``step`` against them, which is how a
sweep over a schedule parameter works::

    >>> time_decay(0.01, decay=np.array([1e-1, 1e-2])[:, None])(np.arange(5)).shape
    (2, 5)

Integer parameters (step sizes, periods, milestones) are plain ints.

The metric-driven rules (ReduceLROnPlateau, scikit-learn's "adaptive") cannot be closed
forms; they live in ``gdsim.plateau`` as explicit state machines.

The :class:`Schedule` object lives in :mod:`gdsim.schedule` and the cyclical family (``cyclic``,
``one_cycle``) in :mod:`gdsim.cycles`; every one of them is importable from here.
"""

from __future__ import annotations

import numpy as np

from gdsim.arguments import (
    check_in_range,
    check_int,
    check_nonnegative,
    check_positive,
    unknown_name_error,
)

from .cycles import cyclic, one_cycle
from .schedule import Schedule, _check_callable, _check_schedule, _evaluate, _param

__all__ = [
    "Schedule", "constant", "step", "multistep", "exponential", "time_decay",
    "inverse_scaling", "cosine", "sgdr", "cyclic", "one_cycle", "linear", "polynomial",
    "warmup", "join", "lambda_lr", "function", "get", "names", "describe",
]


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
    return Schedule("step", lambda e: lr * gamma ** (e // step_size),
                    {"lr": lr, "step_size": step_size, "gamma": gamma})


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


def time_decay(lr, decay):
    """Time-based decay (legacy Keras ``decay``): lr(e) = lr / (1 + decay · e).

    ``e`` counts updates already applied, so the first update uses ``lr`` (Keras'
    ``iterations`` is 0 then). Keras 3's ``InverseTimeDecay(lr, 1, decay)`` is the same.
    """
    lr = _param(check_positive("lr", lr))
    decay = _param(check_nonnegative("decay", decay))
    return Schedule("time_decay", lambda e: lr / (1 + decay * e), {"lr": lr, "decay": decay})


def inverse_scaling(lr, power_t=0.5, samples_per_step=1):
    """Inverse scaling (scikit-learn ``invscaling``): lr(e) = lr / (e · samples_per_step + 1)^power_t.

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
    start_factor = _param(check_in_range("start_factor", start_factor, 0, 1,
                                         low_inclusive=False, high_inclusive=True))
    end_factor = _param(check_in_range("end_factor", end_factor, 0, 1, high_inclusive=True))
    total_iters = check_int("total_iters", total_iters, minimum=1)

    def value(e):
        progress = np.minimum(e, total_iters) / total_iters
        return lr * (start_factor + (end_factor - start_factor) * progress)

    return Schedule("linear", value, {"lr": lr, "start_factor": start_factor,
                                      "end_factor": end_factor, "total_iters": total_iters})


def polynomial(lr, total_iters=5, power=1.0):
    """Polynomial decay (PyTorch PolynomialLR): lr(e) = lr · (1 − min(e, T) / T)^power.

    T = total_iters; the lr is 0 from step T on.
    """
    lr = _param(check_positive("lr", lr))
    total_iters = check_int("total_iters", total_iters, minimum=1)
    power = _param(check_positive("power", power))
    return Schedule(
        "polynomial",
        lambda e: lr * (1.0 - np.minimum(e, total_iters) / total_iters) ** power,
        {"lr": lr, "total_iters": total_iters, "power": power},
    )


def lambda_lr(lr, fn):
    """Multiplicative rule (PyTorch LambdaLR): lr(e) = lr · fn(e).

    ``fn`` is called once on the whole step array if it accepts arrays, else once per step.
    """
    lr = _param(check_positive("lr", lr))
    fn = _check_callable("fn", fn)
    return Schedule("lambda_lr", lambda e: lr * _evaluate(fn, e, "fn"), {"lr": lr, "fn": fn})


def function(fn):
    """Any user function of the step: lr(e) = fn(e).

    ``fn`` is called once on the whole step array if it accepts arrays and returns their
    shape; otherwise once per step with a Python int (so ``lambda e: 0.1 if e < 10 else
    0.01`` works too, only slower).
    """
    fn = _check_callable("fn", fn)
    return Schedule("function", lambda e: _evaluate(fn, e, "fn"), {"fn": fn})


# --------------------------------------------------------------------------------------------
# Cosine annealing and warm restarts


def _cosine(lr, eta_min, position):
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * position)) / 2


def cosine(lr, T_max, eta_min=0.0, clamp=False):
    """Cosine annealing (PyTorch CosineAnnealingLR): lr(e) = η_min + (lr − η_min)(1 + cos(πe/T))/2.

    T = T_max. PyTorch does not clamp after T_max: the lr climbs back to ``lr`` at 2·T_max and
    keeps oscillating with period 2·T_max. gdsim matches PyTorch number for number by default;
    ``clamp=True`` holds ``eta_min`` from step T_max on, which is usually what is meant.
    """
    lr = _param(check_positive("lr", lr))
    T_max = check_int("T_max", T_max, minimum=1)
    eta_min = _param(check_nonnegative("eta_min", eta_min))
    if not isinstance(clamp, (bool, np.bool_)):
        raise TypeError(f"clamp must be True or False, got {clamp!r}")
    clamp = bool(clamp)

    def value(e):
        if clamp:
            e = np.minimum(e, T_max)
        return _cosine(lr, eta_min, e / T_max)

    return Schedule("cosine", value, {"lr": lr, "T_max": T_max, "eta_min": eta_min, "clamp": clamp})


def _restart_position(e, T_0, T_mult):
    """(steps since the last restart, length of the current period) for SGDR."""
    if T_mult == 1:
        return e % T_0, np.full(e.shape, T_0, dtype=np.int64)
    # Restart n begins at T_0 (T_mult^n − 1) / (T_mult − 1). The log gives n up to rounding,
    # and rounding exactly at a restart would shift a whole period, so fix n with integers.
    n = np.floor(np.log1p(e * (T_mult - 1) / T_0) / np.log(T_mult)).astype(np.int64)

    def start(k):
        return T_0 * (T_mult**k - 1) // (T_mult - 1)

    n = n - (e < start(n)) + (e >= start(n + 1))
    return e - start(n), T_0 * T_mult**n


def sgdr(lr, T_0, T_mult=1, eta_min=0.0):
    """Cosine with warm restarts (PyTorch CosineAnnealingWarmRestarts, SGDR):
    lr(e) = η_min + (lr − η_min)(1 + cos(π T_cur / T_i)) / 2.

    T_cur = steps since the last restart; the first period lasts T_0 steps and each next one
    T_mult times longer (T_mult an int >= 1). η_min itself is never reached.
    """
    lr = _param(check_positive("lr", lr))
    T_0 = check_int("T_0", T_0, minimum=1)
    T_mult = check_int("T_mult", T_mult, minimum=1)
    eta_min = _param(check_nonnegative("eta_min", eta_min))

    def value(e):
        T_cur, T_i = _restart_position(e, T_0, T_mult)
        return _cosine(lr, eta_min, T_cur / T_i)

    return Schedule("sgdr", value, {"lr": lr, "T_0": T_0, "T_mult": T_mult, "eta_min": eta_min})


# --------------------------------------------------------------------------------------------
# Composition


def warmup(schedule, warmup_steps, start_factor=0.0):
    """Linear warm-up in front of any schedule (PyTorch SequentialLR of LinearLR and it):

        lr(e) = schedule(0) · (s + (1 − s) · e / W)     for e < W
        lr(e) = schedule(e − W)                          for e ≥ W

    W = warmup_steps, s = start_factor in [0, 1]. The wrapped schedule starts at its own step 0.
    """
    schedule = _check_schedule("schedule", schedule)
    W = check_int("warmup_steps", warmup_steps, minimum=0)
    start_factor = _param(check_in_range("start_factor", start_factor, 0, 1, high_inclusive=True))

    def value(e):
        after = schedule._value(np.maximum(e - W, 0))
        if W == 0:
            return after
        ramp = schedule._value(np.zeros_like(e)) * (start_factor + (1 - start_factor) * e / W)
        return np.where(e < W, ramp, after)

    return Schedule("warmup", value,
                    {"schedule": schedule, "warmup_steps": W, "start_factor": start_factor})


def join(schedules, milestones):
    """One schedule after another (PyTorch SequentialLR).

    Schedule k runs from milestone k−1 (0 for the first) and restarts at its OWN step 0 there:
    lr(e) = schedules[k](e − milestones[k−1]). It does not continue from where the previous
    one stopped. ``milestones`` are strictly increasing ints >= 1, one fewer than schedules.
    """
    if isinstance(schedules, Schedule) or not np.iterable(schedules):
        raise TypeError(f"schedules must be a list of Schedules, got {schedules!r}")
    schedules = [_check_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
    if not schedules:
        raise ValueError("schedules must hold at least one Schedule, got []")
    if isinstance(milestones, (str, bytes)) or not np.iterable(milestones):
        raise TypeError(f"milestones must be a list of integers, got {milestones!r}")
    milestones = [check_int("milestones", m, minimum=1) for m in milestones]
    if len(milestones) != len(schedules) - 1:
        raise ValueError(f"milestones must hold len(schedules) - 1 = {len(schedules) - 1} "
                         f"entries, got {len(milestones)}")
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"milestones must be strictly increasing, got {milestones}")

    def value(e):
        out = schedules[0]._value(e)
        for start, schedule in zip(milestones, schedules[1:]):
            out = np.where(e >= start, schedule._value(np.maximum(e - start, 0)), out)
        return out

    return Schedule("join", value, {"schedules": schedules, "milestones": milestones})


# --------------------------------------------------------------------------------------------
# Registry


_REGISTRY = {
    "constant": constant,
    "step": step,
    "multistep": multistep,
    "exponential": exponential,
    "time_decay": time_decay,
    "inverse_scaling": inverse_scaling,
    "cosine": cosine,
    "sgdr": sgdr,
    "cyclic": cyclic,
    "one_cycle": one_cycle,
    "linear": linear,
    "polynomial": polynomial,
    "warmup": warmup,
    "join": join,
    "lambda_lr": lambda_lr,
    "function": function,
}


def names():
    """The names ``get`` accepts."""
    return list(_REGISTRY)


def describe():
    """``{name: one-line description}`` for every schedule."""
    return {name: factory.__doc__.strip().splitlines()[0] for name, factory in _REGISTRY.items()}


def get(name, **params):
    """The schedule called ``name``, built with ``params``: ``get("cosine", lr=0.1, T_max=100)``."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise unknown_name_error("schedule", name, _REGISTRY)
    return _REGISTRY[name](**params)
