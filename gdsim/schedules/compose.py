"""Schedules built from other schedules or from your own function: warm-up, join, lambda."""

from __future__ import annotations

import numpy as np

from gdsim.arguments import check_in_range, check_int, check_positive
from gdsim.schedules.base import Schedule, _check_callable, _check_schedule, _evaluate, _param


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


def warmup(schedule, warmup_steps, start_factor=0.0):
    """Linear warm-up in front of any schedule (PyTorch SequentialLR of LinearLR and it).

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

    return Schedule(
        "warmup", value, {"schedule": schedule, "warmup_steps": W, "start_factor": start_factor}
    )


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
        raise ValueError(
            f"milestones must hold len(schedules) - 1 = {len(schedules) - 1} "
            f"entries, got {len(milestones)}"
        )
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"milestones must be strictly increasing, got {milestones}")

    def value(e):
        out = schedules[0]._value(e)
        for start, schedule in zip(milestones, schedules[1:]):
            out = np.where(e >= start, schedule._value(np.maximum(e - start, 0)), out)
        return out

    return Schedule("join", value, {"schedules": schedules, "milestones": milestones})
