"""Exercise 3, cosine annealing with warm restarts (SGDR): :func:`check_cosine_restarts`, the
usual wrong forms of the schedule (no restarts or growth, off-by-one periods, eta_min, ...)
and the seeded cases, checked against ``gdsim.schedules.sgdr``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import _Exercise, _run, _Step
from gdsim.schedules import cosine, sgdr

_C_NO_GROWTH = ("Your periods never grow: after each restart the next period is T_mult times "
                "longer (T_i ← T_i·T_mult).")
_C_NO_RESTART = ("Your schedule never restarts: when T_cur reaches T_i it must go back to 0 (and "
                 "T_i grow by T_mult).")
_C_AHEAD = ("Your T_cur is one step ahead: step 0 must give lr_max (T_cur = 0); step e is the lr "
            "in force during update e.")
_C_LATE = ("You restart one step late (your periods last T_i + 1 steps): restart as soon as T_cur "
           "reaches T_i, so T_cur runs 0, 1, …, T_i − 1.")
_C_REACHES_MIN = ("You divide by T_i − 1, so each period ends exactly at eta_min; PyTorch divides "
                  "by T_i (T_cur stops at T_i − 1), so eta_min itself is never reached.")
_C_NO_ETA_MIN = "eta_min is missing: lr = eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2."
_C_UNSCALED = ("You added eta_min but kept lr_max in the cosine term; it must be "
               "eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2.")
_C_EARLY_GROWTH = ("Your first period is already T_0·T_mult long: the first period lasts T_0 steps "
                   "and the growth starts after the first restart.")
_C_RISING = ("Your cosine runs backwards (1 − cos): each period must start at lr_max and fall "
             "towards eta_min.")


def _period(step, T_0, T_mult, extra=0):
    """(T_cur, T_i, start of the period, its number) by walking the periods; ``extra`` lengthens
    each period, which is the off-by-one of restarting one step late."""
    start, T_i, n = 0, T_0, 0
    while step >= start + T_i + extra:
        start, T_i, n = start + T_i + extra, T_i * T_mult, n + 1
    return step - start, T_i, start, n


def _cosine_variants(step, lr_max, T_0, T_mult, eta_min):
    def at(schedule, e=step):
        return schedule(np.int64(e))

    def shape(position):
        return eta_min + (lr_max - eta_min) * (1 + np.cos(np.pi * position)) / 2

    T_cur, T_i, _, _ = _period(step, T_0, T_mult)
    late_cur, late_i, _, _ = _period(step, T_0, T_mult, extra=1)
    right = at(sgdr(lr_max, T_0, T_mult, eta_min))
    out = [
        (_C_NO_RESTART, at(cosine(lr_max, T_0, eta_min))),
        (_C_NO_RESTART, at(cosine(lr_max, T_0, eta_min, clamp=True))),
        (_C_AHEAD, at(sgdr(lr_max, T_0, T_mult, eta_min), step + 1)),
        (_C_LATE, shape(late_cur / late_i)),
        (_C_NO_ETA_MIN, at(sgdr(lr_max, T_0, T_mult, 0.0))),
        (_C_UNSCALED, eta_min + at(sgdr(lr_max, T_0, T_mult, 0.0))),
        (_C_RISING, lr_max + eta_min - right),
    ]
    if T_i > 1:
        out.append((_C_REACHES_MIN, shape(T_cur / (T_i - 1))))
    if T_mult > 1:
        out += [(_C_NO_GROWTH, at(sgdr(lr_max, T_0, 1, eta_min))),
                (_C_EARLY_GROWTH, at(sgdr(lr_max, T_0 * T_mult, T_mult, eta_min)))]
    return [(mistake, (value,)) for mistake, value in out]


def check_cosine_restarts(cosine_restarts, seed=0):
    """Grade ``cosine_restarts(step, lr_max, T_0, T_mult, eta_min) -> lr``.

    This is the lr in force during update ``step`` (0-based) under cosine annealing with warm
    restarts. It follows PyTorch's CosineAnnealingWarmRestarts (SGDR, REFERENCE.md §3)::

        lr = eta_min + (lr_max − eta_min) · (1 + cos(π · T_cur / T_i)) / 2

    ``T_cur`` counts the steps since the last restart, from 0. The first period lasts
    ``T_i = T_0`` steps. When T_cur reaches T_i the schedule restarts: T_cur goes back to 0 and
    T_i is multiplied by T_mult. ``step``, ``T_0`` and ``T_mult`` are ints (T_0 ≥ 1,
    T_mult ≥ 1), and the function returns one number.

    The grader runs 4 seeded cases, each over several restarts: (T_0, T_mult) = (5, 1), (3, 2),
    (2, 3) and (1, 2), with a random lr_max and eta_min. The values are compared with
    ``gdsim.schedules.sgdr``. It recognises these mistakes: no restarts; no growth of the
    period; growth that starts one period early; T_cur one step ahead; restarting one step
    late; dividing by T_i − 1; eta_min missing or not scaled; the cosine running backwards.
    """
    return _run(_cosine_exercise(seed), cosine_restarts)


def _cosine_exercise(seed):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_cosine_restarts", "cosine_restarts", ("lr",), ("number",),
        "gdsim.schedules.sgdr (PyTorch's CosineAnnealingWarmRestarts)",
        "lr = eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2;  T_cur = steps since the last "
        "restart (0 at step 0);  restart when T_cur reaches T_i, then T_i ← T_i·T_mult "
        "(T_i = T_0 at first)")
    plans = [(5, 1, 22), (3, 2, 45), (2, 3, 40), (1, 2, 20)]
    for c, (T_0, T_mult, n_steps) in enumerate(plans, 1):
        lr_max = float(np.round(rng.uniform(0.05, 0.5), 4))
        eta_min = float(np.round(rng.uniform(0.002, 0.02), 4))
        values = sgdr(lr_max, T_0, T_mult, eta_min)(np.arange(n_steps))
        steps = []
        for e in range(n_steps):
            T_cur, T_i, start, n = _period(e, T_0, T_mult)
            inputs = dict(step=e, lr_max=lr_max, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
            period = "the first period" if n == 0 else f"period {n + 1}, which began at step {start}"
            steps.append(_Step(f"case {c} of {len(plans)}, step {e}", inputs, (float(values[e]),),
                               lambda inputs=inputs: _cosine_variants(**inputs),
                               note=f"step {e} has T_cur = {T_cur} of T_i = {T_i}: {period}"))
        exercise.cases.append(steps)
    return exercise
