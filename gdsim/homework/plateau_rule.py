"""Exercise 5, Keras' ReduceLROnPlateau rule for one epoch: :func:`check_plateau_rule`, the
usual wrong forms of the rule (PyTorch's trigger, relative or missing min_delta, resets, ...),
the loss curves that tell them apart, and the seeded cases, checked against
``gdsim.ReduceLROnPlateau``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import Mistake, _Exercise, _run, _Step
from gdsim.homework.sheet import Sheet
from gdsim.schedules.plateau import PlateauState, ReduceLROnPlateau

_P_TORCH = Mistake(
    "You reduce one epoch late (wait > patience, PyTorch's rule).",
    "Keras reduces as soon as wait ≥ patience, on the patience-th epoch without improvement.",
)
_P_RELATIVE = Mistake(
    "Your min_delta is relative (metric < best·(1 − min_delta), PyTorch's default).",
    "Keras' min_delta is absolute: metric < best − min_delta.",
)
_P_NO_DELTA = Mistake(
    "You ignored min_delta.",
    "An improvement must beat best by more than min_delta (metric < best − min_delta).",
)
_P_LE = Mistake(
    "You count metric = best − min_delta as an improvement.",
    "Keras needs strictly less: metric < best − min_delta.",
)
_P_BEST_ANY = Mistake(
    "You updated best on every decrease.",
    "Keras updates best only on a significant improvement "
    "(metric < best − min_delta), together with wait = 0.",
)
_P_KEEP_WAIT = Mistake(
    "Your wait does not go back to 0 after an improvement.",
    "After an improvement, wait must go back to 0.",
)
_P_WAIT_AFTER_DROP = Mistake(
    "Your wait does not go back to 0 after a reduction.",
    "After reducing the lr, wait must go back to 0, so that the next "
    "reduction needs another `patience` epochs without improvement.",
)
_P_DIVIDE = Mistake("You divided by factor.", "The new lr is lr·factor (factor < 1).")
_P_MAX = Mistake(
    "You treat a larger metric as better.",
    "The metric is a loss (mode 'min'): improved means metric < best − min_delta.",
)
_P_FIRST = Mistake(
    "Your first epoch, where best is +inf, does not count as an improvement.",
    "Any metric beats inf: best = metric, wait = 0 (beware inf − inf and inf/inf, which give NaN).",
)


def _keras_variant(improved, metric, best, wait, lr, patience, factor):
    """Keras' per-epoch rule (no cooldown) around a given improvement test: the wrong answers
    that differ from the reference only in that test."""
    if improved:
        return metric, 0, lr
    wait += 1
    return (best, 0, lr * factor) if wait >= patience else (best, wait, lr)


def _gdsim_plateau(metric, best, wait, lr, patience, factor, min_delta, **rule):
    state = PlateauState(
        lr=np.array(lr), best=np.array(best), wait=np.array(wait), cooldown=np.array(0)
    )
    new = ReduceLROnPlateau(
        factor=factor, patience=patience, min_delta=min_delta, mode="min", **rule
    ).update(state, metric)
    return float(new.best), int(new.wait), float(new.lr)


def _plateau_variants(metric, best, wait, lr, patience, factor, min_delta):
    args = (metric, best, wait, lr, patience, factor)
    r_best, r_wait, r_lr = _gdsim_plateau(*args, min_delta)
    dropped = r_lr != lr
    improved = metric < best - min_delta
    # at the first epoch best is inf; "not an improvement" there is its own mistake, ranked first
    out = [(_P_FIRST, _keras_variant(False, *args))] if best == np.inf else []
    out += [
        (
            _P_TORCH,
            _gdsim_plateau(*args, min_delta, convention="pytorch", threshold_mode="abs", eps=0.0),
        ),
        (_P_RELATIVE, _gdsim_plateau(*args, min_delta, threshold_mode="rel")),
        (_P_NO_DELTA, _gdsim_plateau(*args, 0.0)),
        (_P_LE, _keras_variant(metric <= best - min_delta, *args)),
        (_P_MAX, _keras_variant(metric > best + min_delta, *args)),
        (_P_BEST_ANY, (min(best, metric), r_wait, r_lr)),
        (_P_KEEP_WAIT, (r_best, wait if improved else r_wait, r_lr)),
        (_P_WAIT_AFTER_DROP, (r_best, wait + 1 if dropped else r_wait, r_lr)),
        (_P_DIVIDE, (r_best, r_wait, lr / factor if dropped else r_lr)),
    ]
    return out


def _plateau_metrics(rng, start, min_delta, patience, epochs, dyadic=False):
    """A loss curve that exercises the rule: significant improvements, improvements smaller than
    min_delta, worse and flat epochs, and plateaus long enough (or just too short) to trigger a
    reduction. Built against Keras' best, so every epoch sits clearly on one side of each test.

    Sub-threshold improvements alternate between 0.1–0.25·min_delta and 0.65–0.9·min_delta.
    On a loss between 0.3 and 0.6, the relative threshold best·min_delta falls between the two
    bands, so a relative min_delta and a missing min_delta fail at different epochs. With
    ``dyadic``, every value is a binary fraction and some land exactly on best − min_delta."""
    metrics, best, small, plateau_epochs = [start], start, True, 0
    while len(metrics) < epochs:
        for _ in range(int(rng.integers(1, 3))):
            best = best - min_delta * (rng.integers(2, 5) if dyadic else rng.uniform(1.5, 4.0))
            metrics.append(best)
        for _ in range(int(rng.integers(max(patience - 1, 1), patience + 3))):
            # the short dyadic curve cycles through the kinds so that each one occurs
            kind = (
                ["edge", "tiny", "worse", "flat"][plateau_epochs % 4]
                if dyadic
                else rng.choice(["tiny", "worse", "flat"])
            )
            plateau_epochs += 1
            if kind == "tiny":
                size = (
                    0.5 if dyadic else rng.uniform(0.1, 0.25) if small else rng.uniform(0.65, 0.9)
                )
                metrics.append(best - min_delta * size)
                small = not small
            elif kind == "worse":
                size = rng.integers(1, 4) if dyadic else rng.uniform(0.1, 3.0)
                metrics.append(best + min_delta * size)
            elif kind == "edge":
                metrics.append(best - min_delta)  # exactly on the threshold: not an improvement
            else:
                metrics.append(metrics[-1])
    return [float(m) for m in metrics[:epochs]]


def check_plateau_rule(plateau_update, seed=0, hint=0, edge_cases=False):
    """Grade ``plateau_update(metric, best, wait, lr, patience, factor, min_delta)``, which
    returns ``(best, wait, lr)``.

    This is one epoch of Keras' ReduceLROnPlateau in mode "min", without cooldown and without
    min_lr (REFERENCE.md §2.4). ``metric`` is the loss at the end of the epoch. ``best``
    starts at ``float("inf")`` and ``wait`` at 0::

        if metric < best − min_delta:   best = metric, wait = 0          (an improvement)
        else:                           wait = wait + 1
                                        if wait ≥ patience:  lr = lr·factor, wait = 0

    The function returns the new (best, wait, lr). ``wait`` is a whole number.

    The grader runs 4 seeded loss curves of 14–30 epochs with patience 1–4. The losses sit
    around 0.3, where a relative min_delta is looser than an absolute one, and around 5,
    where it is stricter. One curve uses exact binary fractions that land exactly on
    best − min_delta. Each epoch is compared with ``gdsim.ReduceLROnPlateau`` (Keras
    convention). It recognises these mistakes: PyTorch's one-epoch-late trigger
    (wait > patience); a relative or missing min_delta; ≤ instead of <; updating best on every
    decrease; not resetting wait after an improvement or a reduction; dividing by factor; mode
    max; the first epoch, where best is inf, not counted as an improvement.

    ``edge_cases=True`` runs 5 other curves instead: patience = 1; min_delta = 0 with losses
    that move by 1e-6; a loss that never moves, so the lr drops again and again; negative
    losses, where a relative min_delta turns around; factor = 0.01. ``hint`` (0, 1 or 2) sets
    how much the report says: the mistake by name, how to fix it, the full rule.
    """
    return _run(
        _plateau_exercise(seed, arguments.check_bool("edge_cases", edge_cases)),
        plateau_update,
        hint,
    )


# (patience, factor, min_delta, the losses or None to draw them, what the curve is about)
_PLATEAU_EDGES = [
    (1, 0.5, 0.01, [1.0, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.7, 0.695], "patience = 1"),
    (2, 0.1, 0.0, [2.0, 1.999999, 1.999999, 2.0, 1.5, 1.5, 1.5, 1.5, 1.499999], "min_delta = 0"),
    (3, 0.5, 1e-3, [0.5] * 12, "a loss that never moves"),
    (
        2,
        0.5,
        0.01,
        [-1.0, -1.2, -1.205, -1.215, -1.25, -1.25, -1.3, -1.309, -1.309, -1.4],
        "negative losses",
    ),
    (2, 0.01, 0.05, None, "factor = 0.01"),
]


def _plateau_exercise(seed, edge_cases=False):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_plateau_rule",
        "plateau_update",
        ("best", "wait", "lr"),
        ("number", "count", "number"),
        "gdsim.ReduceLROnPlateau (Keras' rule)",
        "if metric < best − min_delta: best = metric, wait = 0;  else: wait += 1, and if "
        "wait ≥ patience: lr = lr·factor, wait = 0;  return (best, wait, lr)",
    )
    if edge_cases:
        plans = _PLATEAU_EDGES
    else:  # (start, patience, factor, min_delta, epochs, dyadic)
        plans = [
            (0.6, 2, 0.5, 0.01, 24, False),
            (5.0, 3, 0.2, 0.01, 24, False),
            (3.0, 1, 0.5, 1 / 16, 14, True),
            (1.0, 4, 0.1, 0.001, 30, False),
        ]
    for c, plan in enumerate(plans, 1):
        if edge_cases:
            patience, factor, min_delta, metrics, label = plan
            lr = float(np.round(rng.uniform(0.05, 0.5), 4))
            if metrics is None:
                metrics = _plateau_metrics(rng, 4.0, min_delta, patience, 16)
            case = f"edge case {c} of {len(plans)} ({label})"
        else:
            start, patience, factor, min_delta, epochs, dyadic = plan
            lr = float(np.round(rng.uniform(0.05, 0.5), 4)) if not dyadic else 0.25
            metrics = _plateau_metrics(rng, start, min_delta, patience, epochs, dyadic)
            case = f"case {c} of {len(plans)}"
        best, wait, steps = np.inf, 0, []
        for epoch, metric in enumerate(metrics, 1):
            inputs = dict(
                metric=metric,
                best=best,
                wait=wait,
                lr=lr,
                patience=patience,
                factor=factor,
                min_delta=min_delta,
            )
            expected = _gdsim_plateau(**inputs)
            steps.append(
                _Step(
                    f"{case}, epoch {epoch}",
                    inputs,
                    expected,
                    lambda inputs=inputs: _plateau_variants(**inputs),
                )
            )
            best, wait, lr = expected
        exercise.cases.append(steps)
    return exercise


SHEET = Sheet(
    number=5,
    slug="plateau_rule",
    title="Reduce the learning rate on a plateau (Keras' rule)",
    function="plateau_update",
    grader="check_plateau_rule",
    intro=r"""
**What you will learn:** ReduceLROnPlateau as a small state machine (`best`, `wait`, `lr`):
what counts as an improvement, when the learning rate drops, and how Keras and PyTorch differ
by one epoch.

**What you will do:** write `plateau_update`, one epoch of the rule, check it with
`gdsim.homework.check_plateau_rule`, then replay a gdsim run through your rule and reproduce the
learning rates gdsim chose.""",
    rule=r"""
## The rule (Keras' `ReduceLROnPlateau`, mode "min")

At the end of each epoch the rule looks at the monitored loss `metric`:

```
if metric < best - min_delta:        # an improvement, by more than min_delta
    best = metric
    wait = 0
else:
    wait = wait + 1
    if wait >= patience:             # patience epochs in a row without improvement
        lr = lr * factor
        wait = 0
```

* The state starts as `best = float("inf")` and `wait = 0`, so the first epoch always counts
  as an improvement.
* `min_delta` is **absolute** in Keras: the loss must beat `best` by more than `min_delta`.
  A smaller decrease changes neither `best` nor `wait`'s fate.
* The learning rate drops on the **patience-th** epoch without improvement. PyTorch's
  `ReduceLROnPlateau` waits one epoch longer (`wait > patience`) and by default uses a
  *relative* threshold, `metric < best·(1 − threshold)`. The grader wants Keras' version.
* (Keras also has `cooldown` and `min_lr`; leave them out here.)

## Your function

`plateau_update(metric, best, wait, lr, patience, factor, min_delta) -> (best, wait, lr)`

| argument | what it is |
|---|---|
| `metric` | the loss at the end of this epoch |
| `best`, `wait`, `lr` | the state after the last epoch (`inf`, `0` and the first lr at first) |
| `patience` | an int ≥ 1 |
| `factor` | a float in (0, 1), e.g. 0.5 |
| `min_delta` | a float ≥ 0 |

Return the new state. `wait` is a whole number.""",
    imports=r"""
import numpy as np
import matplotlib.pyplot as plt

import gdsim
from gdsim import plotting
from gdsim.homework import check_plateau_rule""",
    signature=r'''
def plateau_update(metric, best, wait, lr, patience, factor, min_delta):
    """One epoch of Keras' ReduceLROnPlateau (mode "min"). Returns (best, wait, lr)."""''',
    todo=r"""
    # YOUR CODE HERE""",
    body=r"""
    if metric < best - min_delta:            # absolute threshold; best = inf makes epoch 1 count
        return metric, 0, lr
    wait += 1
    if wait >= patience:                     # the patience-th epoch without improvement
        return best, 0, lr * factor
    return best, wait, lr""",
    see_it=r"""
## See it

`gdsim.simulate` can run a metric-driven rule itself. Here SGD with noisy gradients descends a
bowl, and after every step gdsim's `ReduceLROnPlateau` looks at the loss and sets the next
step's learning rate. Once the noise hides further progress, the loss plateaus and the rule
halves the lr every 10 steps. The cell then replays the same losses through your
`plateau_update`. It should choose exactly the learning rates gdsim chose, and since those
learning rates produced these losses, your rule would have driven the very same run. In the
exercise notebook this cell waits until the grader passes.""",
    picture=r"""
surface = gdsim.surfaces.get("quadratic", condition=10)
lr0, patience, factor, min_delta, steps = 0.1, 10, 0.5, 1e-3, 150
rule = gdsim.ReduceLROnPlateau(patience=patience, factor=factor, min_delta=min_delta)
run = gdsim.simulate(surface, gdsim.SGD(lr=lr0), [-1.8, 1.5], steps, noise=1.0, seed=0,
                     callbacks=[rule])

# the loss after step k decides the lr of step k + 1: replay the run through your rule
best, wait, lr, yours = float("inf"), 0, lr0, [lr0]
for loss in run.losses[1:-1]:
    best, wait, lr = plateau_update(loss, best, wait, lr, patience, factor, min_delta)
    yours.append(lr)
yours = np.array(yours)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
plotting.losses(run, ax=axes[0])
axes[0].set_title("noisy SGD, lr cut by gdsim's ReduceLROnPlateau")
axes[1].plot(run.lrs, drawstyle="steps-post", lw=3, alpha=0.5, label="gdsim.ReduceLROnPlateau")
axes[1].plot(yours, drawstyle="steps-post", ls="--", color="k", label="your plateau_update")
axes[1].set_yscale("log")
axes[1].set_xlabel("step")
axes[1].set_ylabel("lr")
axes[1].legend()
plt.show()
difference = np.abs(yours - run.lrs).max()
print(f"largest difference between the two lr sequences: {difference:.1e}")""",
    picture_check=r"""
assert difference == 0""",
    things_to_try=r"""
## Things to try

1. Change `patience` to 3 and to 30 in the cell above. Which setting gets the lowest final loss
   in 150 steps?
2. Switch gdsim's rule to PyTorch's, `gdsim.ReduceLROnPlateau(..., convention="pytorch",
   threshold_mode="abs")`, and find the first step where its lr differs from yours. Is it where
   you expected?
3. Extend your function with Keras' `cooldown` (after a drop, count down `cooldown` epochs
   during which `wait` stays 0) and compare it with `gdsim.ReduceLROnPlateau(cooldown=2)`.
   Careful: Keras decrements the counter before it checks it.""",
)
