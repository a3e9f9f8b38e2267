"""Exercise 5, Keras' ReduceLROnPlateau rule for one epoch: :func:`check_plateau_rule`, the
usual wrong forms of the rule (PyTorch's trigger, relative or missing min_delta, resets, ...),
the loss curves that tell them apart, and the seeded cases, checked against
``gdsim.ReduceLROnPlateau``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import _Exercise, _run, _Step
from gdsim.schedules.plateau import PlateauState, ReduceLROnPlateau

_P_TORCH = ("You reduce one epoch late (wait > patience, PyTorch's rule); Keras reduces as soon as "
            "wait ≥ patience, on the patience-th epoch without improvement.")
_P_RELATIVE = ("Your min_delta is relative (metric < best·(1 − min_delta), PyTorch's default); "
               "Keras' min_delta is absolute: metric < best − min_delta.")
_P_NO_DELTA = ("You ignored min_delta: an improvement must beat best by more than min_delta "
               "(metric < best − min_delta).")
_P_LE = ("You count metric = best − min_delta as an improvement; Keras needs strictly less: "
         "metric < best − min_delta.")
_P_BEST_ANY = ("You updated best on every decrease; Keras updates best only on a significant "
               "improvement (metric < best − min_delta), together with wait = 0.")
_P_KEEP_WAIT = "After an improvement, wait must go back to 0."
_P_WAIT_AFTER_DROP = ("After reducing the lr, wait must go back to 0, so that the next reduction "
                      "needs another `patience` epochs without improvement.")
_P_DIVIDE = "You divided by factor; the new lr is lr·factor (factor < 1)."
_P_MAX = ("You treat a larger metric as better; the metric is a loss (mode 'min'): improved means "
          "metric < best − min_delta.")
_P_FIRST = ("On the first epoch best is +inf, so any metric is an improvement: best = metric, "
            "wait = 0 (beware inf − inf and inf/inf, which give NaN).")


def _keras_variant(improved, metric, best, wait, lr, patience, factor):
    """Keras' per-epoch rule (no cooldown) around a given improvement test: the wrong answers
    that differ from the reference only in that test."""
    if improved:
        return metric, 0, lr
    wait += 1
    return (best, 0, lr * factor) if wait >= patience else (best, wait, lr)


def _gdsim_plateau(metric, best, wait, lr, patience, factor, min_delta, **rule):
    state = PlateauState(lr=np.array(lr), best=np.array(best), wait=np.array(wait), cooldown=np.array(0))
    new = ReduceLROnPlateau(factor=factor, patience=patience, min_delta=min_delta, mode="min",
                            **rule).update(state, metric)
    return float(new.best), int(new.wait), float(new.lr)


def _plateau_variants(metric, best, wait, lr, patience, factor, min_delta):
    args = (metric, best, wait, lr, patience, factor)
    r_best, r_wait, r_lr = _gdsim_plateau(*args, min_delta)
    dropped = r_lr != lr
    improved = metric < best - min_delta
    # at the first epoch best is inf; "not an improvement" there is its own mistake, ranked first
    out = [(_P_FIRST, _keras_variant(False, *args))] if best == np.inf else []
    out += [
        (_P_TORCH, _gdsim_plateau(*args, min_delta, convention="pytorch", threshold_mode="abs",
                                  eps=0.0)),
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
            kind = (["edge", "tiny", "worse", "flat"][plateau_epochs % 4] if dyadic
                    else rng.choice(["tiny", "worse", "flat"]))
            plateau_epochs += 1
            if kind == "tiny":
                size = 0.5 if dyadic else rng.uniform(0.1, 0.25) if small else rng.uniform(0.65, 0.9)
                metrics.append(best - min_delta * size)
                small = not small
            elif kind == "worse":
                size = rng.integers(1, 4) if dyadic else rng.uniform(0.1, 3.0)
                metrics.append(best + min_delta * size)
            elif kind == "edge":
                metrics.append(best - min_delta)     # exactly on the threshold: not an improvement
            else:
                metrics.append(metrics[-1])
    return [float(m) for m in metrics[:epochs]]


def check_plateau_rule(plateau_update, seed=0):
    """Grade ``plateau_update(metric, best, wait, lr, patience, factor, min_delta) -> (best, wait, lr)``.

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
    """
    return _run(_plateau_exercise(seed), plateau_update)


def _plateau_exercise(seed):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_plateau_rule", "plateau_update", ("best", "wait", "lr"), ("number", "count", "number"),
        "gdsim.ReduceLROnPlateau (Keras' rule)",
        "if metric < best − min_delta: best = metric, wait = 0;  else: wait += 1, and if "
        "wait ≥ patience: lr = lr·factor, wait = 0;  return (best, wait, lr)")
    # (start, patience, factor, min_delta, epochs, dyadic)
    plans = [(0.6, 2, 0.5, 0.01, 24, False), (5.0, 3, 0.2, 0.01, 24, False),
             (3.0, 1, 0.5, 1 / 16, 14, True), (1.0, 4, 0.1, 0.001, 30, False)]
    for c, (start, patience, factor, min_delta, epochs, dyadic) in enumerate(plans, 1):
        lr = float(np.round(rng.uniform(0.05, 0.5), 4)) if not dyadic else 0.25
        best, wait, steps = np.inf, 0, []
        metrics = _plateau_metrics(rng, start, min_delta, patience, epochs, dyadic)
        for epoch, metric in enumerate(metrics, 1):
            inputs = dict(metric=metric, best=best, wait=wait, lr=lr, patience=patience,
                          factor=factor, min_delta=min_delta)
            expected = _gdsim_plateau(**inputs)
            steps.append(_Step(f"case {c} of {len(plans)}, epoch {epoch}", inputs, expected,
                               lambda inputs=inputs: _plateau_variants(**inputs)))
            best, wait, lr = expected
        exercise.cases.append(steps)
    return exercise
