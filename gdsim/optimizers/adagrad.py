"""Adagrad: per-coordinate steps that shrink with the sum of squared gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdsim.optimizers.base import Optimizer, check_flag, is_zero


class AdagradState(NamedTuple):
    step: int
    sum: np.ndarray


class Adagrad(Optimizer):
    """Adagrad: per-coordinate steps shrink with the sum of squared gradients.

    PyTorch:  g ← g + λθ;  η_t = η / (1 + (t−1)·lr_decay);  s ← s + g²;  θ ← θ − η_t·g / (√s + ε)
    Keras:    s ← s + g²;  θ ← θ − η·g / √(s + ε)          (ε inside the root; s starts at 0.1)
    ``maximize=True`` ascends: g ← −g first.
    """

    flags = ("maximize",)
    explored = ()
    keras_defaults = {"lr": 1e-3, "eps": 1e-7, "initial_accumulator_value": 0.1}

    def __init__(
        self,
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        *,
        maximize=False,
        convention="pytorch",
    ):
        super().__init__(
            convention,
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        self.maximize = check_flag("maximize", maximize)

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
        grad = -grad if self.maximize else grad
        t = state.step + 1
        if state.step == 0:  # the accumulator starts at initial_accumulator_value, run by run
            state = state._replace(sum=np.zeros_like(state.sum) + hp["initial_accumulator_value"])
        if not is_zero(hp["lr_decay"]):
            lr = lr / (1 + (t - 1) * hp["lr_decay"])
        if self.convention == "keras":
            params = self.keras_decoupled_decay(params, lr, weight_decay)
            accumulator = state.sum + grad * grad
            return params - lr * grad / np.sqrt(accumulator + eps), AdagradState(t, accumulator)
        g = grad if is_zero(weight_decay) else grad + weight_decay * params
        accumulator = state.sum + g * g
        return params - lr * g / (np.sqrt(accumulator) + eps), AdagradState(t, accumulator)
