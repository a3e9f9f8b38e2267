"""Exercise 2, an Adam step in PyTorch's convention: :func:`check_adam_step`, the usual wrong
forms of the update (bias correction, where ε goes, the moments, ...) and the seeded cases,
checked against ``gdsim.Adam``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import _Exercise, _run, _Step
from gdsim.optimizers import Adam

_A_NO_BIAS = ("You skipped the bias correction: divide m by (1 − β1^t) and v by (1 − β2^t) "
              "before the step; without it the first steps have the wrong size.")
_A_ONLY_M = "You bias-corrected m but not v: v̂ = v / (1 − β2^t) as well."
_A_ONLY_V = "You bias-corrected v but not m: m̂ = m / (1 − β1^t) as well."
_A_T_ZERO = ("Your bias correction counts from t − 1 (a counter that starts at 0); t is the number "
             "of this update, 1 on the first call, so 1 − β^t is never 0.")
_A_T_PLUS = ("Your bias correction uses t + 1; t is already the number of this update (1 on the "
             "first call), so don't increment it.")
_A_EPS_INSIDE = "You put ε inside the square root, √(v̂ + ε); PyTorch adds it outside: √v̂ + ε."
_A_EPS_HAT = ("You added ε to √v before the bias correction (Keras' \"epsilon hat\": "
              "lr·√(1 − β2^t)/(1 − β1^t)·m/(√v + ε)); PyTorch adds it after: m̂/(√v̂ + ε).")
_A_NOT_SQUARED = "Your second moment averages g instead of g²: v ← β2·v + (1 − β2)·g² (element-wise)."
_A_NO_ONE_MINUS = ("Your moments miss the (1 − β) factors: m ← β1·m + (1 − β1)·g and "
                   "v ← β2·v + (1 − β2)·g².")
_A_SWAPPED = ("You swapped β1 and β2: β1 (≈ 0.9) averages the gradient into m, β2 (≈ 0.999) "
              "averages its square into v.")
_A_STORED_HAT = ("You returned the bias-corrected m̂ and v̂ as the new state; return the raw m and v "
                 "and correct them only inside the step (the correction changes with t).")
_A_OLD = "You stepped with m and v from before this update; update both moments first, then step."
_A_SIGN = "Your step goes uphill: it must be θ − lr·m̂/(√v̂ + ε)."


def _adam_variants(params, grad, m, v, t, lr, beta1, beta2, eps):
    g = grad
    m1, v1 = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g

    def step(mm, vv, t=t, c1=True, c2=True, inside=False, b1=beta1, b2=beta2):
        mh = mm / (1 - b1**t) if c1 else mm
        vh = vv / (1 - b2**t) if c2 else vv
        return params - lr * mh / (np.sqrt(vh + eps) if inside else np.sqrt(vh) + eps)

    right = step(m1, v1)
    v_abs = beta2 * v + (1 - beta2) * g
    m_raw, v_raw = beta1 * m + g, beta2 * v + g * g
    m_sw, v_sw = beta2 * m + (1 - beta2) * g, beta1 * v + (1 - beta1) * g * g
    eps_hat = params - lr * np.sqrt(1 - beta2**t) / (1 - beta1**t) * m1 / (np.sqrt(v1) + eps)
    return [
        (_A_NO_BIAS, (step(m1, v1, c1=False, c2=False), m1, v1)),
        (_A_ONLY_M, (step(m1, v1, c2=False), m1, v1)),
        (_A_ONLY_V, (step(m1, v1, c1=False), m1, v1)),
        (_A_T_ZERO, (step(m1, v1, t=t - 1), m1, v1)),
        (_A_T_PLUS, (step(m1, v1, t=t + 1), m1, v1)),
        (_A_EPS_INSIDE, (step(m1, v1, inside=True), m1, v1)),
        (_A_EPS_HAT, (eps_hat, m1, v1)),
        (_A_NOT_SQUARED, (step(m1, v_abs), m1, v_abs)),
        (_A_NO_ONE_MINUS, (step(m_raw, v_raw), m_raw, v_raw)),
        (_A_SWAPPED, (step(m_sw, v_sw, b1=beta2, b2=beta1), m_sw, v_sw)),
        (_A_STORED_HAT, (right, m1 / (1 - beta1**t), v1 / (1 - beta2**t))),
        (_A_OLD, (step(m, v), m1, v1)),
        (_A_SIGN, (2 * params - right, m1, v1)),
    ]


def check_adam_step(adam_step, seed=0):
    """Grade ``adam_step(params, grad, m, v, t, lr, beta1, beta2, eps) -> (new_params, new_m, new_v)``.

    One Adam update in PyTorch's convention (REFERENCE.md §1.4), with ε added after the bias
    correction::

        m = beta1·m + (1 − beta1)·grad        v = beta2·v + (1 − beta2)·grad²
        m̂ = m / (1 − beta1^t)                  v̂ = v / (1 − beta2^t)
        new_params = params − lr · m̂ / (√v̂ + eps)         return (new_params, m, v)

    ``m`` and ``v`` start as zeros. ``t`` is the number of this update, 1 on the first call.
    The returned m and v are the raw moments, without the correction.

    The grader runs 4 seeded cases, and each step is compared with
    ``gdsim.Adam(lr, (beta1, beta2), eps).update``:

    - ordinary gradients, t = 1–4;
    - tiny gradients (1e-6) where ε matters, t = 1–3;
    - betas (0.8, 0.99) with eps = 1e-3, t = 1–3;
    - t = 30, 31 after 29 reference steps.

    It recognises these mistakes: no bias correction, or only one of the two; t counted from
    0 or incremented inside; ε inside the square root; Keras' ε-hat; g instead of g²; missing
    (1 − β) factors; swapped betas; m̂ and v̂ returned as the state; stepping with the old
    moments; the wrong sign.
    """
    return _run(_adam_exercise(seed), adam_step)


def _adam_exercise(seed):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_adam_step", "adam_step", ("new_params", "new_m", "new_v"), ("array", "array", "array"),
        "gdsim.Adam(lr, betas, eps) (PyTorch's Adam)",
        "m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  m̂ = m/(1 − β1^t);  v̂ = v/(1 − β2^t);  "
        "new_params = params − lr·m̂/(√v̂ + ε);  return (new_params, m, v), t = 1 on the first call",
        nonfinite_hint=lambda step: _A_T_ZERO if step.inputs["t"] == 1 else None)
    # (shape, gradient scale, betas, eps, lr, first t, calls)
    plans = [((3,), 1.0, (0.9, 0.999), 1e-8, 0.01, 1, 4),
             ((2, 3), 1e-6, (0.9, 0.999), 1e-8, 0.001, 1, 3),
             ((4,), 1e-2, (0.8, 0.99), 1e-3, 0.05, 1, 3),
             ((3,), 1.0, (0.9, 0.999), 1e-8, 0.01, 30, 2)]
    for c, (shape, scale, (beta1, beta2), eps, lr, t0, calls) in enumerate(plans, 1):
        opt = Adam(lr=lr, betas=(beta1, beta2), eps=eps)
        params = rng.normal(size=shape)
        state = opt.init(params)
        for _ in range(t0 - 1):    # an Adam history for the late steps
            params, state = opt.update(params, scale * rng.normal(size=shape), state)
        steps = []
        for _ in range(calls):
            grad = scale * rng.normal(size=shape)
            t = state.step + 1
            new_params, new_state = opt.update(params, grad, state)
            inputs = dict(params=params, grad=grad, m=state.exp_avg, v=state.exp_avg_sq, t=t,
                          lr=lr, beta1=beta1, beta2=beta2, eps=eps)
            steps.append(_Step(f"case {c} of {len(plans)}, step t={t}", inputs,
                               (new_params, new_state.exp_avg, new_state.exp_avg_sq),
                               lambda inputs=inputs: _adam_variants(**inputs)))
            params, state = new_params, new_state
        exercise.cases.append(steps)
    return exercise
