"""Exercise 1, a momentum step in PyTorch's convention: :func:`check_momentum_step`, the usual
wrong forms of the momentum update (dampening, Keras and Sutskever velocities, Nesterov, ...)
and the seeded cases, checked against ``gdsim.SGD``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import _Exercise, _run, _Step
from gdsim.optimizers import SGD, SGDState

_M_DAMPENING = ("Your buffer follows b ← μ·b + (1 − μ)·g: that (1 − μ) factor is dampening (an "
                "exponential moving average); PyTorch's momentum buffer is b ← μ·b + g.")
_M_KERAS = ("Your velocity is in parameter units, v ← μ·v − lr·g and θ ← θ + v (the Keras form); "
            "PyTorch keeps the buffer in gradient units, b ← μ·b + g, and applies lr only in the "
            "step θ ← θ − lr·b.")
_M_SUTSKEVER = ("Your buffer already contains the learning rate, b ← μ·b + lr·g and θ ← θ − b; "
                "PyTorch keeps lr out of it: b ← μ·b + g, θ ← θ − lr·b.")
_M_NESTEROV = ("You took a Nesterov step θ ← θ − lr·(g + μ·b); plain momentum steps with the "
               "buffer itself, θ ← θ − lr·b.")
_M_OLD = ("You stepped with the velocity from before this step; update the buffer first "
          "(b ← μ·b + g), then step with the new one.")
_M_SIGN = "Your step goes uphill: it must be θ − lr·b, not θ + lr·b."
_M_STALE = "You returned the velocity you were given; return the updated buffer b."
_M_FIRST = ("On the first step `velocity` is None (PyTorch creates the buffer lazily) and the "
            "buffer is then the gradient itself: `b = grad` when `velocity is None`.")


def _momentum_variants(params, grad, velocity, lr, momentum):
    b_old = np.zeros_like(grad) if velocity is None else velocity
    b = grad if velocity is None else momentum * velocity + grad
    ema = momentum * b_old + (1 - momentum) * grad
    torch_dampened = grad if velocity is None else ema     # SGD(dampening=momentum)
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


def check_momentum_step(momentum_step, seed=0):
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
    """
    return _run(_momentum_exercise(seed), momentum_step)


def _momentum_exercise(seed):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_momentum_step", "momentum_step", ("new_params", "new_velocity"), ("array", "array"),
        "gdsim.SGD(lr, momentum) (PyTorch's SGD)",
        "b = grad on the first step (velocity is None), then b = momentum·velocity + grad;  "
        "new_params = params − lr·b;  return (new_params, b)",
        on_exception=lambda step, error: _M_FIRST if step.inputs["velocity"] is None else None,
        shape_hint=_momentum_shape_hint)
    shapes = [(2,), (5,), (3, 2), (4,)]
    for c, shape in enumerate(shapes, 1):
        momentum = float(np.round(rng.uniform(0.5, 0.95), 3))
        params, velocity, steps = rng.normal(size=shape), None, []
        for k in range(4):
            grad = rng.normal(size=shape)
            lr = float(np.round(rng.uniform(0.02, 0.3), 4))
            opt = SGD(lr=lr, momentum=momentum)
            state = opt.init(params) if velocity is None else SGDState(step=k, momentum_buffer=velocity)
            new_params, new_state = opt.update(params, grad, state)
            inputs = dict(params=params, grad=grad, velocity=velocity, lr=lr, momentum=momentum)
            where = f"case {c} of {len(shapes)}, step {k + 1}" + (" (the first)" if k == 0 else "")
            steps.append(_Step(where, inputs, (new_params, new_state.momentum_buffer),
                               lambda inputs=inputs: _momentum_variants(**inputs)))
            params, velocity = new_params, new_state.momentum_buffer
        exercise.cases.append(steps)
    return exercise
