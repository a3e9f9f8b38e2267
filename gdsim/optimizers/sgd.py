"""SGD with optional momentum (heavy ball) and Nesterov momentum."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdsim.optimizers.base import Optimizer, any_nonzero, check_flag, is_zero, unit_interval


class SGDState(NamedTuple):
    step: int
    momentum_buffer: np.ndarray | None


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and Nesterov momentum.

    PyTorch:  g ← g + λθ;  b ← g on the first step, then b ← μ·b + (1−τ)·g;
              θ ← θ − η·(g + μ·b) with Nesterov, else θ ← θ − η·b      (b in gradient units)
    Keras:    m ← μ·m − η·g;  θ ← θ + μ·m − η·g with Nesterov, else θ ← θ + m
              (m in parameter units; the two agree while η is constant)
    ``maximize=True`` ascends: g ← −g first.
    """

    checks = {"momentum": unit_interval}
    flags = ("nesterov", "maximize")
    explored = ("momentum", "nesterov")
    keras_defaults = {"lr": 1e-2}

    def __init__(
        self,
        lr=1e-3,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        *,
        maximize=False,
        convention="pytorch",
    ):
        super().__init__(
            convention, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay
        )
        self.nesterov = check_flag("nesterov", nesterov)
        self.maximize = check_flag("maximize", maximize)
        self._check_combination()

    def _check_combination(self):
        # PyTorch refuses Nesterov without momentum; Keras accepts it and then takes plain steps
        if self.nesterov and self.convention == "pytorch":
            momentum_zero = not callable(self.momentum) and np.any(np.asarray(self.momentum) == 0)
            dampening_set = callable(self.dampening) or any_nonzero(self.dampening)
            if momentum_zero or dampening_set:
                raise ValueError(
                    "nesterov=True requires momentum > 0 and dampening = 0, "
                    f"got momentum={self.momentum}, dampening={self.dampening}"
                )

    @property
    def _uses_momentum(self):
        return not is_zero(self.momentum)

    def init(self, params):
        params = np.asarray(params, dtype=float)
        buffer = np.zeros_like(params) if self._uses_momentum else None
        return SGDState(step=0, momentum_buffer=buffer)

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, momentum, weight_decay = hp["lr"], hp["momentum"], hp["weight_decay"]
        grad = -grad if self.maximize else grad
        if self.convention == "keras":
            return self._update_keras(params, grad, state, lr, momentum, weight_decay)
        g = grad if is_zero(weight_decay) else grad + weight_decay * params
        if not self._uses_momentum:
            return params - lr * g, SGDState(state.step + 1, None)
        if state.step == 0:
            buffer = g.copy()  # PyTorch's first step: the buffer is the raw gradient, no dampening
        else:
            buffer = momentum * state.momentum_buffer + (1 - hp["dampening"]) * g
        direction = g + momentum * buffer if self.nesterov else buffer
        if not is_zero(hp["dampening"]) and np.any(np.asarray(momentum) == 0):
            # PyTorch skips the buffer entirely for a zero momentum; match it run by run
            direction = np.where(np.asarray(momentum) == 0, g, direction)
        return params - lr * direction, SGDState(state.step + 1, buffer)

    def _update_keras(self, params, grad, state, lr, momentum, weight_decay):
        params = self.keras_decoupled_decay(params, lr, weight_decay)
        if not self._uses_momentum:
            return params - lr * grad, SGDState(state.step + 1, None)
        velocity = momentum * state.momentum_buffer - lr * grad
        step = momentum * velocity - lr * grad if self.nesterov else velocity
        return params + step, SGDState(state.step + 1, velocity)
