"""Exercise 3, cosine annealing with warm restarts (SGDR): :func:`check_cosine_restarts`, the
usual wrong forms of the schedule (no restarts or growth, off-by-one periods, eta_min, ...)
and the seeded cases, checked against ``gdsim.schedules.sgdr``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import Mistake, _Exercise, _run, _Step
from gdsim.homework.sheet import Sheet
from gdsim.schedules import cosine, sgdr

_C_NO_GROWTH = Mistake(
    "Your periods never grow.",
    "After each restart the next period is T_mult times longer (T_i ← T_i·T_mult).",
)
_C_NO_RESTART = Mistake(
    "Your schedule never restarts.",
    "When T_cur reaches T_i it must go back to 0 (and T_i grow by T_mult).",
)
_C_AHEAD = Mistake(
    "Your T_cur is one step ahead.",
    "Step 0 must give lr_max (T_cur = 0); step e is the lr in force during update e.",
)
_C_LATE = Mistake(
    "You restart one step late (your periods last T_i + 1 steps).",
    "Restart as soon as T_cur reaches T_i, so T_cur runs 0, 1, …, T_i − 1.",
)
_C_REACHES_MIN = Mistake(
    "You divide by T_i − 1, so each period ends exactly at eta_min.",
    "PyTorch divides by T_i (T_cur stops at T_i − 1), so eta_min itself is never reached.",
)
_C_NO_ETA_MIN = Mistake(
    "eta_min is missing.", "lr = eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2."
)
_C_UNSCALED = Mistake(
    "You added eta_min but kept lr_max in the cosine term.",
    "It must be eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2.",
)
_C_EARLY_GROWTH = Mistake(
    "Your first period is already T_0·T_mult long.",
    "The first period lasts T_0 steps and the growth starts after the first restart.",
)
_C_RISING = Mistake(
    "Your cosine runs backwards (1 − cos).",
    "Each period must start at lr_max and fall towards eta_min.",
)


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
        out += [
            (_C_NO_GROWTH, at(sgdr(lr_max, T_0, 1, eta_min))),
            (_C_EARLY_GROWTH, at(sgdr(lr_max, T_0 * T_mult, T_mult, eta_min))),
        ]
    return [(mistake, (value,)) for mistake, value in out]


def check_cosine_restarts(cosine_restarts, seed=0, hint=0, edge_cases=False):
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

    ``edge_cases=True`` runs 4 other cases instead: T_0 = 1 with T_mult = 1 (lr_max at every
    step); eta_min = 0 on the steps either side of each restart; steps far out, up to 123 456,
    with T_mult = 3; T_mult = 1 far out. ``hint`` (0, 1 or 2) sets how much the report says: the
    mistake by name, how to fix it, the full rule.
    """
    return _run(
        _cosine_exercise(seed, arguments.check_bool("edge_cases", edge_cases)),
        cosine_restarts,
        hint,
    )


# (T_0, T_mult, the steps, eta_min or None to draw it, what the case is about)
_COSINE_EDGES = [
    (1, 1, range(5), None, "T_0 = 1, T_mult = 1"),
    (4, 2, [0, 3, 4, 11, 12, 27, 28, 59, 60], 0.0, "eta_min = 0, around the restarts"),
    (7, 3, [0, 6, 7, 27, 28, 90, 91, 10_000, 123_456], None, "far steps, T_mult = 3"),
    (10, 1, [9, 10, 19, 20, 995, 1000], None, "far steps, T_mult = 1"),
]


def _cosine_exercise(seed, edge_cases=False):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_cosine_restarts",
        "cosine_restarts",
        ("lr",),
        ("number",),
        "gdsim.schedules.sgdr (PyTorch's CosineAnnealingWarmRestarts)",
        "lr = eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2;  T_cur = steps since the last "
        "restart (0 at step 0);  restart when T_cur reaches T_i, then T_i ← T_i·T_mult "
        "(T_i = T_0 at first)",
    )
    plans = (
        _COSINE_EDGES
        if edge_cases
        else [
            (T_0, T_mult, range(n_steps), None, "")
            for T_0, T_mult, n_steps in [(5, 1, 22), (3, 2, 45), (2, 3, 40), (1, 2, 20)]
        ]
    )
    for c, (T_0, T_mult, at_steps, eta_min, label) in enumerate(plans, 1):
        lr_max = float(np.round(rng.uniform(0.05, 0.5), 4))
        drawn = float(np.round(rng.uniform(0.002, 0.02), 4))
        eta_min = drawn if eta_min is None else eta_min
        at_steps = list(at_steps)
        values = dict(zip(at_steps, sgdr(lr_max, T_0, T_mult, eta_min)(np.array(at_steps))))
        case = f"edge case {c} of {len(plans)} ({label})" if label else f"case {c} of {len(plans)}"
        steps = []
        for e in at_steps:
            T_cur, T_i, start, n = _period(e, T_0, T_mult)
            inputs = dict(step=e, lr_max=lr_max, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
            period = (
                "the first period" if n == 0 else f"period {n + 1}, which began at step {start}"
            )
            steps.append(
                _Step(
                    f"{case}, step {e}",
                    inputs,
                    (float(values[e]),),
                    lambda inputs=inputs: _cosine_variants(**inputs),
                    note=f"step {e} has T_cur = {T_cur} of T_i = {T_i}: {period}",
                )
            )
        exercise.cases.append(steps)
    return exercise


SHEET = Sheet(
    number=3,
    slug="cosine_restarts",
    title="Cosine annealing with warm restarts (SGDR)",
    function="cosine_restarts",
    grader="check_cosine_restarts",
    intro=r"""
**What you will learn:** how SGDR anneals the learning rate along a cosine and then jumps back
up, how the periods grow with `T_mult`, and the counting conventions that decide every value.

**What you will do:** write `cosine_restarts`, check it with
`gdsim.homework.check_cosine_restarts`, then draw your schedule over gdsim's.""",
    rule=r"""
## The rule (PyTorch's `CosineAnnealingWarmRestarts`)

$$\eta = \eta_{\min} + (\eta_{\max} - \eta_{\min})\,
\frac{1 + \cos\!\left(\pi\, T_{cur} / T_i\right)}{2}$$

* $T_{cur}$ counts the steps since the last restart, starting at 0. $T_i$ is the length of the
  current period.
* The first period lasts $T_i = T_0$ steps. When $T_{cur}$ reaches $T_i$ the schedule
  **restarts**: $T_{cur}$ goes back to 0 and $T_i \leftarrow T_i \cdot T_{mult}$.
* Step $e$ (0-based) is the learning rate in force during update $e$, so step 0 gives
  $\eta_{\max}$. Within a period $T_{cur}$ only reaches $T_i - 1$, which means $\eta_{\min}$ is
  approached but never reached.

For $T_0 = 3$, $T_{mult} = 2$:

| step | 0 | 1 | 2 | 3 | 4 | … | 8 | 9 | … | 20 | 21 |
|---|---|---|---|---|---|---|---|---|---|---|---|
| $T_{cur}$ | 0 | 1 | 2 | 0 | 1 | … | 5 | 0 | … | 11 | 0 |
| $T_i$ | 3 | 3 | 3 | 6 | 6 | … | 6 | 12 | … | 12 | 24 |

## Your function

`cosine_restarts(step, lr_max, T_0, T_mult, eta_min) -> lr`

| argument | what it is |
|---|---|
| `step` | an int ≥ 0, the update the learning rate is for |
| `lr_max`, `eta_min` | floats, $\eta_{\max}$ and $\eta_{\min}$ |
| `T_0`, `T_mult` | ints ≥ 1 |

Return one number. A loop over the periods is fine; so is a closed form.""",
    imports=r"""
import math

import numpy as np
import matplotlib.pyplot as plt

import gdsim
from gdsim import plotting
from gdsim.homework import check_cosine_restarts""",
    signature=r'''
def cosine_restarts(step, lr_max, T_0, T_mult, eta_min):
    """The learning rate of cosine annealing with warm restarts at `step` (0-based)."""''',
    todo=r"""
    # YOUR CODE HERE: find T_cur and T_i for this step, then apply the cosine.""",
    body=r"""
    T_cur, T_i = step, T_0
    while T_cur >= T_i:                      # walk past every finished period
        T_cur, T_i = T_cur - T_i, T_i * T_mult
    return eta_min + (lr_max - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2""",
    see_it=r"""
## See it

`gdsim.schedules.function` turns any function of the step into a gdsim schedule, so yours can be
plotted, and used by any optimizer, like a built-in one. Here it is drawn over
`gdsim.schedules.sgdr` for 150 steps: periods of 10, 20, 40 and 80 steps. In the exercise
notebook this cell waits until the grader passes.""",
    picture=r"""
lr_max, T_0, T_mult, eta_min, steps = 0.1, 10, 2, 0.001, 150

yours = gdsim.schedules.function(lambda e: cosine_restarts(e, lr_max, T_0, T_mult, eta_min))
reference = gdsim.schedules.sgdr(lr_max, T_0, T_mult, eta_min)
fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
drawn = plotting.schedules({"gdsim.schedules.sgdr": reference, "your cosine_restarts": yours},
                           steps, ax=ax)
drawn.lines[0][0].set(lw=4, alpha=0.4)                  # gdsim's, wide underneath
drawn.lines[1][0].set(ls="--", color="k", lw=1)        # yours, dashed on top
ax.legend()
plt.show()
difference = np.abs(yours(np.arange(steps)) - reference(np.arange(steps))).max()
print(f"largest difference between the two schedules: {difference:.1e}")""",
    picture_check=r"""
assert difference < 1e-12""",
    things_to_try=r"""
## Things to try

1. Plot `T_mult=1` against `T_mult=2` for 300 steps. Which one spends more of its steps near
   `lr_max`?
2. Use your schedule in a run:
   `gdsim.simulate("rastrigin", gdsim.SGD(lr=yours), [[2.3, 2.1]], 150)`. Then compare
   `run.final_loss` with a constant `lr=0.01`. Can a restart kick the run out of a ripple?
3. Snapshot ensembles save a model at the end of every period. Using your function, list the
   steps at which the first four periods end for `T_0=10, T_mult=2`.""",
)
