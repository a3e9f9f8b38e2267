"""Exercise 2, an Adam step in PyTorch's convention: :func:`check_adam_step`, the usual wrong
forms of the update (bias correction, where ε goes, the moments, ...) and the seeded cases,
checked against ``gdsim.Adam``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import Mistake, _Exercise, _run, _Step
from gdsim.homework.sheet import Sheet
from gdsim.optimizers import Adam

_A_NO_BIAS = Mistake(
    "You skipped the bias correction.",
    "Divide m by (1 − β1^t) and v by (1 − β2^t) before the step; without it the "
    "first steps have the wrong size.",
)
_A_ONLY_M = Mistake("You bias-corrected m but not v.", "v̂ = v / (1 − β2^t) as well.")
_A_ONLY_V = Mistake("You bias-corrected v but not m.", "m̂ = m / (1 − β1^t) as well.")
_A_T_ZERO = Mistake(
    "Your bias correction counts from t − 1 (a counter that starts at 0).",
    "t is the number of this update, 1 on the first call, so 1 − β^t is never 0.",
)
_A_T_PLUS = Mistake(
    "Your bias correction uses t + 1.",
    "t is already the number of this update (1 on the first call), so don't increment it.",
)
_A_EPS_INSIDE = Mistake(
    "You put ε inside the square root, √(v̂ + ε).", "PyTorch adds it outside: √v̂ + ε."
)
_A_EPS_HAT = Mistake(
    'You added ε to √v before the bias correction (Keras\' "epsilon hat": '
    "lr·√(1 − β2^t)/(1 − β1^t)·m/(√v + ε)).",
    "PyTorch adds it after: m̂/(√v̂ + ε).",
)
_A_NOT_SQUARED = Mistake(
    "Your second moment averages g instead of g².", "v ← β2·v + (1 − β2)·g² (element-wise)."
)
_A_NO_ONE_MINUS = Mistake(
    "Your moments miss the (1 − β) factors.", "m ← β1·m + (1 − β1)·g and v ← β2·v + (1 − β2)·g²."
)
_A_SWAPPED = Mistake(
    "You swapped β1 and β2.",
    "β1 (≈ 0.9) averages the gradient into m, β2 (≈ 0.999) averages its square into v.",
)
_A_STORED_HAT = Mistake(
    "You returned the bias-corrected m̂ and v̂ as the new state.",
    "Return the raw m and v and correct them only inside the step (the correction changes with t).",
)
_A_OLD = Mistake(
    "You stepped with m and v from before this update.", "Update both moments first, then step."
)
_A_SIGN = Mistake("Your step goes uphill.", "It must be θ − lr·m̂/(√v̂ + ε).")


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


def check_adam_step(adam_step, seed=0, hint=0, edge_cases=False):
    """Grade ``adam_step(params, grad, m, v, t, lr, beta1, beta2, eps)``, which returns
    ``(new_params, new_m, new_v)``.

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

    ``edge_cases=True`` runs 5 other cases instead: eps = 1, where ε dominates; zero gradients;
    beta1 = 0; t = 1000, where the correction has faded; gradients from 1e-6 to 1e3 in one
    (2, 3, 2) array. ``hint`` (0, 1 or 2) sets how much the report says: the mistake by name,
    how to fix it, the full rule.
    """
    return _run(
        _adam_exercise(seed, arguments.check_bool("edge_cases", edge_cases)), adam_step, hint
    )


# (shape, gradient scale, betas, eps, lr, first t, calls, what the case is about)
_ADAM_CASES = [
    ((3,), 1.0, (0.9, 0.999), 1e-8, 0.01, 1, 4, ""),
    ((2, 3), 1e-6, (0.9, 0.999), 1e-8, 0.001, 1, 3, ""),
    ((4,), 1e-2, (0.8, 0.99), 1e-3, 0.05, 1, 3, ""),
    ((3,), 1.0, (0.9, 0.999), 1e-8, 0.01, 30, 2, ""),
]
_ADAM_EDGES = [
    ((3,), 1.0, (0.9, 0.999), 1.0, 0.01, 1, 3, "eps = 1"),
    ((4,), 0.0, (0.9, 0.999), 1e-8, 0.01, 1, 2, "zero gradients"),
    ((3,), 1.0, (0.0, 0.999), 1e-8, 0.01, 1, 3, "beta1 = 0"),
    ((2,), 1.0, (0.9, 0.999), 1e-8, 0.001, 1000, 2, "t = 1000"),
    (
        (2, 3, 2),
        np.geomspace(1e-6, 1e3, 12).reshape(2, 3, 2),
        (0.9, 0.999),
        1e-8,
        0.01,
        1,
        3,
        "gradients from 1e-6 to 1e3",
    ),
]


def _adam_exercise(seed, edge_cases=False):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_adam_step",
        "adam_step",
        ("new_params", "new_m", "new_v"),
        ("array", "array", "array"),
        "gdsim.Adam(lr, betas, eps) (PyTorch's Adam)",
        "m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  m̂ = m/(1 − β1^t);  v̂ = v/(1 − β2^t);  "
        "new_params = params − lr·m̂/(√v̂ + ε);  return (new_params, m, v), t = 1 on the first call",
        nonfinite_hint=lambda step: _A_T_ZERO if step.inputs["t"] == 1 else None,
    )
    plans = _ADAM_EDGES if edge_cases else _ADAM_CASES
    for c, (shape, scale, (beta1, beta2), eps, lr, t0, calls, label) in enumerate(plans, 1):
        case = f"edge case {c} of {len(plans)} ({label})" if label else f"case {c} of {len(plans)}"
        opt = Adam(lr=lr, betas=(beta1, beta2), eps=eps)
        params = rng.normal(size=shape)
        state = opt.init(params)
        for _ in range(t0 - 1):  # an Adam history for the late steps
            params, state = opt.update(params, scale * rng.normal(size=shape), state)
        steps = []
        for _ in range(calls):
            grad = scale * rng.normal(size=shape)
            t = state.step + 1
            new_params, new_state = opt.update(params, grad, state)
            inputs = dict(
                params=params,
                grad=grad,
                m=state.exp_avg,
                v=state.exp_avg_sq,
                t=t,
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                eps=eps,
            )
            steps.append(
                _Step(
                    f"{case}, step t={t}",
                    inputs,
                    (new_params, new_state.exp_avg, new_state.exp_avg_sq),
                    lambda inputs=inputs: _adam_variants(**inputs),
                )
            )
            params, state = new_params, new_state
        exercise.cases.append(steps)
    return exercise


SHEET = Sheet(
    number=2,
    slug="adam_step",
    title="One step of Adam, with bias correction",
    function="adam_step",
    grader="check_adam_step",
    intro=r"""
**What you will learn:** Adam's two running averages, why they need a bias correction at the
start, and where ε goes (PyTorch and Keras put it in different places).

**What you will do:** write `adam_step`, check it with `gdsim.homework.check_adam_step`, then let
your function drive a run on the Beale surface next to `gdsim.simulate` with `gdsim.Adam`.""",
    rule=r"""
## The rule (PyTorch's `torch.optim.Adam`)

Adam keeps two exponential moving averages per coordinate: $m$ of the gradient (a momentum)
and $v$ of the squared gradient (its typical size). Both start at 0, and $t = 1, 2, \dots$ counts
the updates:

$$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2$$

$$\hat m_t = \frac{m_t}{1-\beta_1^{\,t}}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^{\,t}}, \qquad
\theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}$$

* **Why the bias correction?** Because $m$ and $v$ start at 0, the early averages are pulled
  towards 0. For example $m_1 = 0.1\, g_1$ with $\beta_1 = 0.9$. Dividing by $1 - \beta^t$
  removes exactly that pull: on a constant gradient $\hat m_t = g$ at every $t$. The correction
  fades as $\beta^t \to 0$.
* $t$ is the number of **this** update, 1 on the first call. With $t = 0$ the correction would
  divide by zero.
* PyTorch adds $\epsilon$ **after** the correction and **outside** the square root. Keras adds
  its $\hat\epsilon$ to $\sqrt{v}$ before the correction. The two agree except when gradients
  are tiny, which is where the grader looks.
* $g^2$ is element-wise, and every operation here is per coordinate.

## Your function

`adam_step(params, grad, m, v, t, lr, beta1, beta2, eps) -> (new_params, new_m, new_v)`

| argument | what it is |
|---|---|
| `params`, `grad` | float arrays of the same shape |
| `m`, `v` | the raw moments from the previous step (arrays of zeros before the first) |
| `t` | the number of this update: 1, 2, 3, … |
| `lr`, `beta1`, `beta2`, `eps` | floats |

Return the new parameters and the **raw** moments $m_t$, $v_t$. Don't return $\hat m$, $\hat v$:
the correction is redone at every step with the new $t$.""",
    imports=r"""
import numpy as np
import matplotlib.pyplot as plt

import gdsim
from gdsim import plotting
from gdsim.homework import check_adam_step""",
    signature=r'''
def adam_step(params, grad, m, v, t, lr, beta1, beta2, eps):
    """One Adam update, PyTorch's convention. Returns (new_params, new_m, new_v)."""''',
    todo=r"""
    # YOUR CODE HERE: update m and v, bias-correct them, then take the step.""",
    body=r"""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)               # t = 1 on the first call
    v_hat = v / (1 - beta2**t)
    return params - lr * m_hat / (np.sqrt(v_hat) + eps), m, v""",
    see_it=r"""
## See it

Your `adam_step` now drives 300 steps on the Beale surface, drawn next to `gdsim.simulate`
with `gdsim.Adam(lr=0.05)`. Adam divides each coordinate by its own running RMS, so it walks
along the flat arm at a steady pace where plain gradient descent would crawl. In the exercise
notebook this cell waits until the grader passes.""",
    picture=r"""
surface = gdsim.surfaces.get("beale")
start, lr, steps = np.array([1.0, 1.5]), 0.05, 300

params, m, v, path = start, np.zeros(2), np.zeros(2), [start]
for t in range(1, steps + 1):
    params, m, v = adam_step(params, surface.grad(params), m, v, t, lr, 0.9, 0.999, 1e-8)
    path.append(params)
path = np.array(path)
run = gdsim.simulate(surface, gdsim.Adam(lr=lr), start, steps)

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
plotting.trajectories(surface, path[:, None, :], ax=axes[0])
axes[0].set_title("your adam_step")
plotting.trajectories(run, ax=axes[1])
axes[1].set_title("gdsim.simulate with gdsim.Adam")
plt.show()
difference = np.abs(path - run.positions).max()
print(f"largest difference between the two paths: {difference:.1e}")""",
    picture_check=r"""
assert difference < 1e-9""",
    things_to_try=r"""
## Things to try

1. Make a copy of your function without the bias correction and run it from the same start.
   How big is the very first step compared with `lr`? Work it out from the formulas with
   $\beta_1 = 0.9$, $\beta_2 = 0.999$.
2. On `gdsim.surfaces.get("plateau")`, where the gradients are tiny, compare `eps=1e-8` with
   `eps=1e-3`, and `gdsim.Adam(lr=0.05)` with `gdsim.Adam(lr=0.05, convention="keras")`.
3. Race your Adam against `gdsim.SGD(lr=0.002, momentum=0.9)` from the same start. Which one
   gets out of the flat arm first?""",
)
