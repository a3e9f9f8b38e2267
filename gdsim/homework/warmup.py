"""Exercise 7, a linear warm-up followed by cosine annealing: :func:`check_warmup_cosine`, the
usual wrong forms of the schedule (the ramp's off-by-ones and start factor, a cosine that does
not restart its count after the warm-up, eta_min, ...) and the seeded cases, checked against
``gdsim.schedules.warmup(gdsim.schedules.cosine(...))``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import Mistake, _Exercise, _run, _Step
from gdsim.homework.sheet import Sheet
from gdsim.schedules import cosine, warmup

_W_RAMP_EARLY = Mistake(
    "Your warm-up reaches lr_max one step early (you divide by warmup_steps − 1).",
    "LinearLR divides by warmup_steps: the ramp is lr_max·(start_factor + "
    "(1 − start_factor)·step/warmup_steps), and lr_max itself comes at step "
    "warmup_steps, from the cosine.",
)
_W_RAMP_AHEAD = Mistake(
    "Your warm-up is one step ahead (it uses step + 1).",
    "Step 0 must give start_factor·lr_max: the ramp is lr_max·(start_factor "
    "+ (1 − start_factor)·step/warmup_steps).",
)
_W_FROM_ZERO = Mistake(
    "Your warm-up starts from 0 and ignores start_factor.",
    "It starts at start_factor·lr_max: lr_max·(start_factor + (1 − "
    "start_factor)·step/warmup_steps).",
)
_W_UNSCALED_RAMP = Mistake(
    "Your warm-up overshoots lr_max: the ramp's slope misses its (1 − start_factor).",
    "lr_max·(start_factor + (1 − start_factor)·step/warmup_steps) ends at lr_max.",
)
_W_GLOBAL = Mistake(
    "Your cosine counts from step 0 of the whole run.",
    "SequentialLR restarts the cosine at its own step 0 when the warm-up ends: "
    "use step − warmup_steps inside the cosine.",
)
_W_LATE = Mistake(
    "Your cosine starts one step late (lr_max twice).",
    "At step warmup_steps the cosine is at its own step 0 (lr_max); one step later at its step 1.",
)
_W_CONTINUES = Mistake(
    "Your cosine continues from where the warm-up stopped.",
    "SequentialLR starts the cosine afresh from its own peak, lr_max, not from "
    "the ramp's last value.",
)
_W_NO_ETA_MIN = Mistake(
    "eta_min is missing from the cosine.",
    "lr = eta_min + (lr_max − eta_min)·(1 + cos(π·t/T_max))/2, with t = step − warmup_steps.",
)
_W_UNSCALED = Mistake(
    "You added eta_min but kept lr_max in the cosine term.",
    "It must be eta_min + (lr_max − eta_min)·(1 + cos(π·t/T_max))/2.",
)
_W_RISING = Mistake(
    "Your cosine runs backwards (1 − cos).",
    "After the warm-up the lr starts at lr_max and falls towards eta_min.",
)
_W_NO_WARMUP = Mistake(
    "Your function fails when warmup_steps = 0.",
    "With no warm-up the cosine starts at step 0: don't divide by warmup_steps then.",
)


def _warmup_variants(step, lr_max, warmup_steps, T_max, start_factor, eta_min):
    e, W, s = step, warmup_steps, start_factor
    t = e - W

    def cos_part(position, peak=lr_max):
        return eta_min + (peak - eta_min) * (1 + np.cos(np.pi * position)) / 2

    out = []
    if e < W:
        right = lr_max * (s + (1 - s) * e / W)
        if W > 1:
            out.append((_W_RAMP_EARLY, lr_max * (s + (1 - s) * e / (W - 1))))
        out += [
            (_W_RAMP_AHEAD, lr_max * (s + (1 - s) * (e + 1) / W)),
            (_W_FROM_ZERO, lr_max * e / W),
            (_W_UNSCALED_RAMP, lr_max * (s + e / W)),
        ]
    else:
        right = cos_part(t / T_max)
        last_ramp = lr_max * (s + (1 - s) * (W - 1) / W) if W > 0 else lr_max
        out += [
            (_W_GLOBAL, cos_part(e / T_max)),
            (_W_LATE, cos_part(max(t - 1, 0) / T_max)),
            (_W_CONTINUES, cos_part(t / T_max, peak=last_ramp)),
            (_W_NO_ETA_MIN, lr_max * (1 + np.cos(np.pi * t / T_max)) / 2),
            (_W_UNSCALED, eta_min + lr_max * (1 + np.cos(np.pi * t / T_max)) / 2),
            (_W_RISING, lr_max + eta_min - right),
        ]
    return [(mistake, (float(value),)) for mistake, value in out]


def check_warmup_cosine(warmup_cosine, seed=0, hint=0, edge_cases=False):
    """Grade ``warmup_cosine(step, lr_max, warmup_steps, T_max, start_factor, eta_min) -> lr``.

    This is the lr in force during update ``step`` (0-based) under a linear warm-up followed by
    cosine annealing, as PyTorch's ``SequentialLR([LinearLR(start_factor, total_iters=W),
    CosineAnnealingLR(T_max, eta_min)], milestones=[W])`` gives it (REFERENCE.md §3)::

        step < W:   lr = lr_max · (start_factor + (1 − start_factor) · step / W)
        step ≥ W:   lr = eta_min + (lr_max − eta_min) · (1 + cos(π · (step − W) / T_max)) / 2

    W = ``warmup_steps`` (an int ≥ 0; 0 means no warm-up), ``T_max`` an int ≥ 1,
    ``start_factor`` in (0, 1], and ``step`` runs from 0 to W + T_max. The cosine restarts at
    its own step 0 when the warm-up ends: it does not continue from the ramp's last value.

    The grader runs 4 seeded cases over every step: (W, T_max, start_factor) = (5, 20, 0.1),
    (3, 10, 1/3, PyTorch's default), (10, 30, 0.01) and (1, 8, 0.5), with a random lr_max and
    eta_min. The values are compared with ``gdsim.schedules.warmup(gdsim.schedules.cosine(
    lr_max, T_max, eta_min), W, start_factor)``. It recognises these mistakes: a ramp that ends
    one step early, runs one step ahead, starts from 0 or overshoots; a cosine that counts from
    the start of the run, starts one step late or continues from the ramp; eta_min missing or
    not scaled; the cosine running backwards; a crash when there is no warm-up.

    ``edge_cases=True`` runs 5 other cases instead: no warm-up (W = 0); T_max = 1;
    start_factor = 1 (a flat warm-up); eta_min = 0; and a long run (W = 100, T_max = 1000) at
    steps around its turns. ``hint`` (0, 1 or 2) sets how much the report says: the mistake by
    name, how to fix it, the full rule.
    """
    return _run(
        _warmup_exercise(seed, arguments.check_bool("edge_cases", edge_cases)), warmup_cosine, hint
    )


# (warmup_steps, T_max, start_factor, eta_min or None to draw it, the steps or None for all,
#  what the case is about)
_WARMUP_CASES = [
    (5, 20, 0.1, None, None, ""),
    (3, 10, 1 / 3, None, None, ""),
    (10, 30, 0.01, None, None, ""),
    (1, 8, 0.5, None, None, ""),
]
_WARMUP_EDGES = [
    (0, 10, 0.5, None, None, "no warm-up"),
    (4, 1, 0.25, None, None, "T_max = 1"),
    (6, 12, 1.0, None, None, "start_factor = 1"),
    (5, 15, 0.2, 0.0, None, "eta_min = 0"),
    (100, 1000, 0.001, None, [0, 1, 50, 99, 100, 101, 600, 1099, 1100], "a long run"),
]


def _on_exception(step, error):
    return _W_NO_WARMUP if step.inputs["warmup_steps"] == 0 else None


def _warmup_exercise(seed, edge_cases=False):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_warmup_cosine",
        "warmup_cosine",
        ("lr",),
        ("number",),
        "gdsim.schedules.warmup(gdsim.schedules.cosine(...)) (PyTorch's SequentialLR of LinearLR "
        "and CosineAnnealingLR)",
        "step < W: lr = lr_max·(start_factor + (1 − start_factor)·step/W);  step ≥ W: "
        "lr = eta_min + (lr_max − eta_min)·(1 + cos(π·(step − W)/T_max))/2;  W = warmup_steps",
        on_exception=_on_exception,
    )
    plans = _WARMUP_EDGES if edge_cases else _WARMUP_CASES
    for c, (W, T_max, start_factor, eta_min, at_steps, label) in enumerate(plans, 1):
        lr_max = float(np.round(rng.uniform(0.05, 0.5), 4))
        drawn = float(np.round(rng.uniform(0.001, 0.01), 4))
        eta_min = drawn if eta_min is None else eta_min
        at_steps = list(range(W + T_max + 1)) if at_steps is None else at_steps
        schedule = warmup(cosine(lr_max, T_max, eta_min), W, start_factor)
        values = schedule(np.array(at_steps))
        case = f"edge case {c} of {len(plans)} ({label})" if label else f"case {c} of {len(plans)}"
        steps = []
        for e, value in zip(at_steps, values):
            inputs = dict(
                step=e,
                lr_max=lr_max,
                warmup_steps=W,
                T_max=T_max,
                start_factor=start_factor,
                eta_min=eta_min,
            )
            phase = (
                f"warm-up step {e + 1} of {W}"
                if e < W
                else f"the cosine's own step {e - W} of T_max = {T_max}"
            )
            steps.append(
                _Step(
                    f"{case}, step {e}",
                    inputs,
                    (float(value),),
                    lambda inputs=inputs: _warmup_variants(**inputs),
                    note=phase,
                )
            )
        exercise.cases.append(steps)
    return exercise


SHEET = Sheet(
    number=7,
    slug="warmup_cosine",
    title="A linear warm-up, then cosine annealing",
    function="warmup_cosine",
    grader="check_warmup_cosine",
    intro=r"""
**What you will learn:** how a warm-up and a cosine are joined into one schedule, as PyTorch's
`SequentialLR` joins `LinearLR` and `CosineAnnealingLR`: where the ramp starts and ends, and why
the cosine counts its own steps.

**What you will do:** write `warmup_cosine`, check it with `gdsim.homework.check_warmup_cosine`,
then draw your schedule over gdsim's `warmup(cosine(...))`.""",
    rule=r"""
## The rule (PyTorch's `SequentialLR` of `LinearLR` and `CosineAnnealingLR`)

A fresh model can be thrown off course by a large learning rate in its first steps, so many
recipes (transformers, large batches) first **warm up**: the lr climbs linearly for $W$ steps,
then a cosine anneals it. In PyTorch:

```python
warm = LinearLR(opt, start_factor=start_factor, total_iters=W)
cos = CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)
schedule = SequentialLR(opt, [warm, cos], milestones=[W])
```

$$\eta_e = \eta_{\max}\left(s + (1 - s)\,\frac{e}{W}\right) \ \ (e < W), \qquad
\eta_e = \eta_{\min} + (\eta_{\max} - \eta_{\min})\,\frac{1 + \cos(\pi\,(e - W)/T_{\max})}{2}
\ \ (e \ge W)$$

* Step $e$ (0-based) is the learning rate in force during update $e$. Step 0 gives
  $s\,\eta_{\max}$, with $s$ the `start_factor`.
* The ramp divides by $W$, so it never reaches $\eta_{\max}$ itself: its last step, $W - 1$,
  gives $\eta_{\max}(s + (1 - s)(W - 1)/W)$. $\eta_{\max}$ comes at step $W$, from the cosine.
* At the milestone `SequentialLR` starts the cosine at **its own step 0**, from its own peak
  $\eta_{\max}$. It does not continue from the ramp's last value, and it does not count the
  warm-up's steps. $W = 0$ means no warm-up: the cosine starts at step 0.

For $W = 4$, $s = 0.25$, $T_{\max} = 8$, $\eta_{\min} = 0$:

| step | 0 | 1 | 2 | 3 | 4 | 5 | … | 12 |
|---|---|---|---|---|---|---|---|---|
| lr / $\eta_{\max}$ | 0.25 | 0.4375 | 0.625 | 0.8125 | 1 | 0.962 | … | 0 |

## Your function

`warmup_cosine(step, lr_max, warmup_steps, T_max, start_factor, eta_min) -> lr`

| argument | what it is |
|---|---|
| `step` | an int from 0 to `warmup_steps + T_max` |
| `lr_max`, `eta_min` | floats, $\eta_{\max}$ and $\eta_{\min}$ |
| `warmup_steps` | $W$, an int ≥ 0 (0: no warm-up) |
| `T_max` | the cosine's length, an int ≥ 1 |
| `start_factor` | $s$, a float in (0, 1] |

Return one number.""",
    imports=r"""
import numpy as np
import matplotlib.pyplot as plt

import gdsim
from gdsim import plotting
from gdsim.homework import check_warmup_cosine""",
    signature=r'''
def warmup_cosine(step, lr_max, warmup_steps, T_max, start_factor, eta_min):
    """The lr at `step` (0-based) of a linear warm-up followed by cosine annealing."""''',
    todo=r"""
    # YOUR CODE HERE: the ramp while step < warmup_steps, then the cosine on its own clock.""",
    body=r"""
    if step < warmup_steps:
        return lr_max * (start_factor + (1 - start_factor) * step / warmup_steps)
    t = step - warmup_steps                   # the cosine counts from its own step 0
    return eta_min + (lr_max - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2""",
    see_it=r"""
## See it

`gdsim.schedules.function` turns your function into a gdsim schedule, drawn here over
`gdsim.schedules.warmup(gdsim.schedules.cosine(...))` for a 20-step warm-up and a 180-step
cosine. The grey line marks the milestone, where the cosine takes over. In the exercise notebook
this cell waits until the grader passes.""",
    picture=r"""
lr_max, warmup_steps, T_max, start_factor, eta_min = 0.1, 20, 180, 0.05, 0.001
steps = warmup_steps + T_max + 1

yours = gdsim.schedules.function(
    lambda e: warmup_cosine(e, lr_max, warmup_steps, T_max, start_factor, eta_min))
reference = gdsim.schedules.warmup(gdsim.schedules.cosine(lr_max, T_max, eta_min),
                                   warmup_steps, start_factor)
fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
drawn = plotting.schedules({"gdsim.schedules.warmup(cosine)": reference,
                            "your warmup_cosine": yours}, steps, ax=ax)
drawn.lines[0][0].set(lw=4, alpha=0.4)                  # gdsim's, wide underneath
drawn.lines[1][0].set(ls="--", color="k", lw=1)        # yours, dashed on top
ax.axvline(warmup_steps, color="grey", lw=0.8, zorder=0)
ax.legend()
plt.show()
difference = np.abs(yours(np.arange(steps)) - reference(np.arange(steps))).max()
print(f"largest difference between the two schedules: {difference:.1e}")""",
    picture_check=r"""
assert difference < 1e-12""",
    things_to_try=r"""
## Things to try

1. Draw `warmup_steps` = 0, 20 and 60 with the same `T_max` in one plot. How much of the run is
   spent above `lr_max / 2` in each?
2. Use your schedule in a run, `gdsim.simulate("rosenbrock", gdsim.Adam(lr=yours),
   [[-1.5, 2.0]], 200)`, and compare `run.final_loss` with a constant `lr=0.1`.
3. `gdsim.schedules.one_cycle` also climbs and then anneals. Draw it next to your schedule: how
   do its warm-up and its end differ?""",
)
