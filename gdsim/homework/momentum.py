"""Exercise 1, a momentum step in PyTorch's convention: :func:`check_momentum_step`, the usual
wrong forms of the momentum update (dampening, Keras and Sutskever velocities, Nesterov, ...)
and the seeded cases, checked against ``gdsim.SGD``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import Mistake, _Exercise, _run, _Step
from gdsim.homework.sheet import Sheet
from gdsim.optimizers import SGD, SGDState

_M_DAMPENING = Mistake(
    "Your buffer follows b ← μ·b + (1 − μ)·g: that (1 − μ) factor is dampening (an exponential "
    "moving average).",
    "PyTorch's momentum buffer is b ← μ·b + g.",
)
_M_KERAS = Mistake(
    "Your velocity is in parameter units, v ← μ·v − lr·g and θ ← θ + v (the Keras form).",
    "PyTorch keeps the buffer in gradient units, b ← μ·b + g, and applies lr only in the step "
    "θ ← θ − lr·b.",
)
_M_SUTSKEVER = Mistake(
    "Your buffer already contains the learning rate, b ← μ·b + lr·g and θ ← θ − b.",
    "PyTorch keeps lr out of it: b ← μ·b + g, θ ← θ − lr·b.",
)
_M_NESTEROV = Mistake(
    "You took a Nesterov step θ ← θ − lr·(g + μ·b).",
    "Plain momentum steps with the buffer itself, θ ← θ − lr·b.",
)
_M_OLD = Mistake(
    "You stepped with the velocity from before this step.",
    "Update the buffer first (b ← μ·b + g), then step with the new one.",
)
_M_SIGN = Mistake("Your step goes uphill.", "It must be θ − lr·b, not θ + lr·b.")
_M_STALE = Mistake("You returned the velocity you were given.", "Return the updated buffer b.")
_M_FIRST = Mistake(
    "Your function fails on the first step, where `velocity` is None (PyTorch creates the "
    "buffer lazily).",
    "The buffer is then the gradient itself: `b = grad` when `velocity is None`.",
)


def _momentum_variants(params, grad, velocity, lr, momentum):
    b_old = np.zeros_like(grad) if velocity is None else velocity
    b = grad if velocity is None else momentum * velocity + grad
    ema = momentum * b_old + (1 - momentum) * grad
    torch_dampened = grad if velocity is None else ema  # SGD(dampening=momentum)
    keras = momentum * b_old - lr * grad
    sutskever = momentum * b_old + lr * grad
    return [
        (_M_DAMPENING, (params - lr * ema, ema)),
        (_M_DAMPENING, (params - lr * torch_dampened, torch_dampened)),
        (_M_KERAS, (params + keras, keras)),
        (_M_SUTSKEVER, (params - sutskever, sutskever)),
        (_M_NESTEROV, (params - lr * (grad + momentum * b), b)),
        (_M_OLD, (params - lr * b_old, b)),
        (_M_SIGN, (params + lr * b, b)),
        (_M_STALE, (params - lr * b, b_old)),
    ]


def _momentum_shape_hint(step, name, shape):
    if name == "new_velocity" and shape is None:
        first = step.inputs["velocity"] is None
        return _M_STALE if first else "Return the new buffer b as new_velocity."
    return None


def check_momentum_step(momentum_step, seed=0, hint=0, edge_cases=False):
    """Grade ``momentum_step(params, grad, velocity, lr, momentum) -> (new_params, new_velocity)``.

    One step of SGD with momentum in PyTorch's convention (REFERENCE.md §1.1). The buffer is
    kept in gradient units::

        b = grad                         on the first step, when velocity is None (no buffer yet)
        b = momentum · velocity + grad   on every later step
        new_params = params − lr · b     new_velocity = b

    ``params`` and ``grad`` are float arrays of the same shape, and ``lr`` and ``momentum`` are
    floats. The function must return new arrays and leave its inputs unchanged.

    The grader runs 4 seeded cases of 4 steps each: shapes (2,), (5,), (3, 2) and (4,), momentum
    between 0.5 and 0.95, and an lr that changes from step to step as it would under a
    schedule. Each step is compared with ``gdsim.SGD(lr, momentum).update``. It recognises
    these mistakes: dampening (the EMA form), a velocity kept in parameter units (Keras,
    Sutskever), a Nesterov step, stepping with the old velocity, returning the old velocity,
    the wrong sign, and a crash on the first step's ``None``.

    ``edge_cases=True`` runs 5 other cases instead: momentum 0 (plain SGD), momentum 0.99 on a
    (2, 2, 2) array, zero gradients after the first step (the buffer coasts), lr = 1e-9 on
    one step, and lr = 1 on a (10,) array. ``hint`` (0, 1 or 2) sets how much the report says: the
    mistake by name, how to fix it, the full rule.
    """
    return _run(
        _momentum_exercise(seed, arguments.check_bool("edge_cases", edge_cases)),
        momentum_step,
        hint,
    )


# the edge cases: (label, shape, momentum, lr per step or None to draw it, steps with grad = 0)
_MOMENTUM_EDGES = [
    ("momentum = 0: plain SGD", (3,), 0.0, None, ()),
    ("momentum = 0.99", (2, 2, 2), 0.99, None, ()),
    ("zero gradients after the first step", (4,), 0.9, None, (1, 2, 3)),
    ("a tiny lr on step 2", (1,), 0.7, [0.1, 1e-9, 0.2, 0.05], ()),
    ("lr = 1", (10,), 0.5, [1.0, 1.0, 1.0], ()),
]


def _momentum_exercise(seed, edge_cases=False):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_momentum_step",
        "momentum_step",
        ("new_params", "new_velocity"),
        ("array", "array"),
        "gdsim.SGD(lr, momentum) (PyTorch's SGD)",
        "b = grad on the first step (velocity is None), then b = momentum·velocity + grad;  "
        "new_params = params − lr·b;  return (new_params, b)",
        on_exception=lambda step, error: _M_FIRST if step.inputs["velocity"] is None else None,
        shape_hint=_momentum_shape_hint,
    )
    plans = (
        _MOMENTUM_EDGES
        if edge_cases
        else [("", shape, None, None, ()) for shape in [(2,), (5,), (3, 2), (4,)]]
    )
    for c, (label, shape, momentum, lrs, still) in enumerate(plans, 1):
        if momentum is None:
            momentum = float(np.round(rng.uniform(0.5, 0.95), 3))
        params, velocity, steps = rng.normal(size=shape), None, []
        for k in range(4 if lrs is None else len(lrs)):
            grad = rng.normal(size=shape) * (0.0 if k in still else 1.0)
            lr = float(np.round(rng.uniform(0.02, 0.3), 4)) if lrs is None else lrs[k]
            opt = SGD(lr=lr, momentum=momentum)
            state = (
                opt.init(params) if velocity is None else SGDState(step=k, momentum_buffer=velocity)
            )
            new_params, new_state = opt.update(params, grad, state)
            # with momentum 0 PyTorch keeps no buffer; the exercise's b = 0·velocity + grad is g
            buffer = grad.copy() if momentum == 0 else new_state.momentum_buffer
            inputs = dict(params=params, grad=grad, velocity=velocity, lr=lr, momentum=momentum)
            case = (
                f"edge case {c} of {len(plans)} ({label})" if label else f"case {c} of {len(plans)}"
            )
            where = f"{case}, step {k + 1}" + (" (the first)" if k == 0 else "")
            steps.append(
                _Step(
                    where,
                    inputs,
                    (new_params, buffer),
                    lambda inputs=inputs: _momentum_variants(**inputs),
                )
            )
            params, velocity = new_params, buffer
        exercise.cases.append(steps)
    return exercise


SHEET = Sheet(
    number=1,
    slug="momentum_step",
    title="One step of SGD with momentum",
    function="momentum_step",
    grader="check_momentum_step",
    intro=r"""
**What you will learn:** what PyTorch's momentum buffer stores, why the first step is special,
and where the learning rate comes in.

**What you will do:** write `momentum_step`, one update of SGD with momentum, check it with
`gdsim.homework.check_momentum_step`, then let your function drive a run on a gdsim surface next
to `gdsim.simulate`.""",
    rule=r"""
## The rule (PyTorch's `torch.optim.SGD`)

Plain gradient descent steps against the gradient: $\theta \leftarrow \theta - \eta\, g$.
Momentum keeps a running **buffer** $b$ of past gradients and steps along it instead:

$$b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + g_t \ \ (t > 1), \qquad
\theta_t = \theta_{t-1} - \eta\, b_t .$$

* $\mu$ (`momentum`, typically 0.9) is how much of the old direction survives each step. On a
  constant gradient the buffer grows towards $g / (1 - \mu)$, ten times the gradient for
  $\mu = 0.9$.
* The buffer is in **gradient units**: there is no learning rate inside it. The learning rate
  $\eta$ (`lr`) multiplies it only in the step, so a schedule that changes `lr` takes effect at
  once.
* On the first step there is no buffer yet. PyTorch creates it as a copy of the gradient, and
  your function receives `velocity=None` then.

Keras writes the same idea in parameter units ($v \leftarrow \mu v - \eta g$,
$\theta \leftarrow \theta + v$). With a constant learning rate both forms give the same path, but
the velocities they store differ. The grader wants PyTorch's buffer.

## Your function

`momentum_step(params, grad, velocity, lr, momentum) -> (new_params, new_velocity)`

| argument | what it is |
|---|---|
| `params`, `grad` | float arrays of the same shape |
| `velocity` | the buffer $b$ from the previous step, or `None` on the first step |
| `lr`, `momentum` | floats |

Return **new** arrays, the new parameters and the new buffer. Don't modify `params` in place:
the caller still needs it.""",
    imports=r"""
import numpy as np
import matplotlib.pyplot as plt

import gdsim
from gdsim import plotting
from gdsim.homework import check_momentum_step""",
    signature=r'''
def momentum_step(params, grad, velocity, lr, momentum):
    """One step of SGD with momentum (PyTorch's). Returns (new_params, new_velocity)."""''',
    todo=r"""
    # YOUR CODE HERE: build the new buffer (mind the first step), then step along it.""",
    body=r"""
    if velocity is None:
        buffer = grad.copy()                   # no buffer yet: it starts as the gradient
    else:
        buffer = momentum * velocity + grad    # gradient units: no lr inside
    return params - lr * buffer, buffer""",
    see_it=r"""
## See it

Your `momentum_step` now drives 60 steps on an elongated bowl, drawn next to `gdsim.simulate`
with `gdsim.SGD(lr=0.05, momentum=0.9)`. The paths overshoot the valley floor, swing back and
settle, and yours should match gdsim's to the last digit. In the exercise notebook this cell
waits until the grader passes.""",
    picture=r"""
surface = gdsim.surfaces.get("quadratic", condition=10)
start, lr, momentum, steps = np.array([-1.8, 1.5]), 0.05, 0.9, 60

params, velocity, path = start, None, [start]
for _ in range(steps):
    params, velocity = momentum_step(params, surface.grad(params), velocity, lr, momentum)
    path.append(params)
path = np.array(path)
run = gdsim.simulate(surface, gdsim.SGD(lr=lr, momentum=momentum), start, steps)

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
plotting.trajectories(surface, path[:, None, :], ax=axes[0])
axes[0].set_title("your momentum_step")
plotting.trajectories(run, ax=axes[1])
axes[1].set_title("gdsim.simulate with gdsim.SGD")
plt.show()
difference = np.abs(path - run.positions).max()
print(f"largest difference between the two paths: {difference:.1e}")""",
    picture_check=r"""
assert difference < 1e-12""",
    things_to_try=r"""
## Things to try

1. Set `momentum` to 0.5 and then to 0.99 in the picture's cell. How do the overshoot and the
   number of steps to settle change?
2. Give the run a schedule, `lr = gdsim.schedules.step(0.05, step_size=30, gamma=0.1)`, and
   compare `gdsim.SGD(lr=lr, momentum=0.9)` with the Keras form
   `gdsim.SGD(lr=lr, momentum=0.9, convention="keras")`. The two paths agree until the learning
   rate changes. Why do they part there?
3. Turn a copy of your function into Nesterov momentum (step along `grad + momentum * buffer`)
   and compare it with `gdsim.SGD(lr=0.05, momentum=0.9, nesterov=True)`.""",
)
