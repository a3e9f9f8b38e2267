"""RMSprop: the gradient divided by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdsim.optimizers.base import Optimizer, check_flag, is_zero, unit_interval


class RMSpropState(NamedTuple):
    step: int
    square_avg: np.ndarray
    grad_avg: np.ndarray | None
    momentum_buffer: np.ndarray | None


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    PyTorch:  v ← α·v + (1−α)·g²;  D = √v + ε  (centered: ḡ ← α·ḡ + (1−α)·g, D = √(v − ḡ²) + ε)
              θ ← θ − η·g/D, or with momentum b ← μ·b + g/D, θ ← θ − η·b        (no bias correction)
    Keras:    D = √(v + ε) (centered √(v − ḡ² + ε));  inc = η·g/D;  M ← μ·M + inc;  θ ← θ − M
    ``maximize=True`` ascends: g ← −g first.
    """

    checks = {"alpha": unit_interval, "momentum": unit_interval}
    flags = ("centered", "maximize")
    explored = ("alpha", "momentum")
    keras_defaults = {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7}

    def __init__(
        self,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        *,
        maximize=False,
        convention="pytorch",
    ):
        super().__init__(
            convention, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum
        )
        self.centered = check_flag("centered", centered)
        self.maximize = check_flag("maximize", maximize)

    def init(self, params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return RMSpropState(
            step=0,
            square_avg=zeros,
            grad_avg=zeros.copy() if self.centered else None,
            momentum_buffer=zeros.copy() if not is_zero(self.momentum) else None,
        )

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, alpha, eps, momentum, weight_decay = (
            hp["lr"],
            hp["alpha"],
            hp["eps"],
            hp["momentum"],
            hp["weight_decay"],
        )
        grad = -grad if self.maximize else grad
        keras = self.convention == "keras"
        if keras:
            params = self.keras_decoupled_decay(params, lr, weight_decay)
            g = grad
        else:
            g = grad if is_zero(weight_decay) else grad + weight_decay * params
        square_avg = alpha * state.square_avg + (1 - alpha) * g * g
        grad_avg = alpha * state.grad_avg + (1 - alpha) * g if self.centered else None
        variance = square_avg - grad_avg * grad_avg if self.centered else square_avg
        if keras:
            increment = lr * g / np.sqrt(variance + eps)
            if state.momentum_buffer is None:
                return params - increment, RMSpropState(state.step + 1, square_avg, grad_avg, None)
            buffer = momentum * state.momentum_buffer + increment
            return params - buffer, RMSpropState(state.step + 1, square_avg, grad_avg, buffer)
        scaled = g / (np.sqrt(variance) + eps)
        if state.momentum_buffer is None:
            return params - lr * scaled, RMSpropState(state.step + 1, square_avg, grad_avg, None)
        buffer = momentum * state.momentum_buffer + scaled
        return params - lr * buffer, RMSpropState(state.step + 1, square_avg, grad_avg, buffer)
