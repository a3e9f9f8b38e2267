"""Adagrad: per-coordinate steps that shrink with the sum of squared gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdsim.optimizers.base import (
    Optimizer,
    _is_zero,
    _lr,
    _nonnegative,
)


class AdagradState(NamedTuple):
    step: int
    sum: np.ndarray


class Adagrad(Optimizer):
    """Adagrad: per-coordinate steps shrink with the sum of squared gradients.

    PyTorch:  g ← g + λθ;  η_t = η / (1 + (t−1)·lr_decay);  s ← s + g²;  θ ← θ − η_t·g / (√s + ε)
    Keras:    s ← s + g²;  θ ← θ − η·g / √(s + ε)          (ε inside the root; s starts at 0.1)
    """

    _hyper = {"lr": _lr, "lr_decay": _nonnegative, "weight_decay": _nonnegative,
              "initial_accumulator_value": _nonnegative, "eps": _nonnegative}

    def __init__(self, lr=None, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=None,
                 eps=None, *, convention="pytorch"):
        super().__init__(convention, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)

    def init(self, params):
        params = np.asarray(params, dtype=float)
        initial = self.initial_accumulator_value
        # A per-run array or a schedule cannot be laid out against params here (the caller
        # shapes per-run values); the first update takes it from ``hp`` like every hyperparameter.
        initial = initial if np.ndim(initial) == 0 and not callable(initial) else 0.0
        return AdagradState(step=0, sum=np.full_like(params, initial))

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, eps, weight_decay = hp["lr"], hp["eps"], hp["weight_decay"]
        t = state.step + 1
        if state.step == 0:  # the accumulator starts at initial_accumulator_value, run by run
            state = state._replace(sum=np.zeros_like(state.sum) + hp["initial_accumulator_value"])
        if not _is_zero(hp["lr_decay"]):
            lr = lr / (1 + (t - 1) * hp["lr_decay"])
        if self.convention == "keras":
            params = self._keras_decoupled_decay(params, lr, weight_decay)
            accumulator = state.sum + grad * grad
            return params - lr * grad / np.sqrt(accumulator + eps), AdagradState(t, accumulator)
        g = grad if _is_zero(weight_decay) else grad + weight_decay * params
        accumulator = state.sum + g * g
        return params - lr * g / (np.sqrt(accumulator) + eps), AdagradState(t, accumulator)
