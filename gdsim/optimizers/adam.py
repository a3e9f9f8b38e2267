"""Adam and AdamW: bias-corrected momentum divided by a running RMS of the gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdsim.optimizers.base import Optimizer, check_flag, is_zero, unit_interval


class AdamState(NamedTuple):
    step: int
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray | None


class Adam(Optimizer):
    """Adam: momentum on the gradient, divided by a running RMS, both bias-corrected.

    PyTorch:  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  m̂ = m/(1−β1^t);  v̂ = v/(1−β2^t)
              θ ← θ − η·m̂ / (√v̂ + ε)        (ε after the bias correction; amsgrad uses max v)
              weight decay: g ← g + λθ (Adam) or θ ← θ·(1 − ηλ) first (AdamW, decoupled)
    Keras:    θ ← θ − η·√(1−β2^t)/(1−β1^t) · m / (√v + ε)   ("epsilon hat", on the uncorrected √v)
    ``maximize=True`` ascends: g ← −g first.
    """

    checks = {"beta1": unit_interval, "beta2": unit_interval}
    flags = ("amsgrad", "maximize")
    explored = ("beta1", "beta2")
    keras_defaults = {"eps": 1e-7}
    _decoupled = False

    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        *,
        maximize=False,
        convention="pytorch",
    ):
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        super().__init__(
            convention, lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, weight_decay=weight_decay
        )
        self.amsgrad = check_flag("amsgrad", amsgrad)
        self.maximize = check_flag("maximize", maximize)

    @property
    def betas(self):
        return (self.beta1, self.beta2)

    def init(self, params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return AdamState(
            step=0,
            exp_avg=zeros,
            exp_avg_sq=zeros.copy(),
            max_exp_avg_sq=zeros.copy() if self.amsgrad else None,
        )

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, beta1, beta2, eps, weight_decay = (
            hp["lr"],
            hp["beta1"],
            hp["beta2"],
            hp["eps"],
            hp["weight_decay"],
        )
        t = state.step + 1
        g = -grad if self.maximize else grad
        if self.convention == "keras":
            params = self.keras_decoupled_decay(params, lr, weight_decay)
        elif self._decoupled:
            params = params if is_zero(weight_decay) else params * (1 - lr * weight_decay)
        elif not is_zero(weight_decay):
            g = g + weight_decay * params
        exp_avg = beta1 * state.exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g * g
        max_exp_avg_sq = None
        second_moment = exp_avg_sq
        if self.amsgrad:
            max_exp_avg_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq)
            second_moment = max_exp_avg_sq
        # np.power even for a float: Python's pow and NumPy's differ in the last bit, and a
        # per-run array of betas must give the same numbers as separate runs
        bias_correction1 = 1 - np.power(np.asarray(beta1, dtype=float), t)
        bias_correction2 = 1 - np.power(np.asarray(beta2, dtype=float), t)
        if self.convention == "keras":
            step_size = lr * np.sqrt(bias_correction2) / bias_correction1
            new_params = params - step_size * exp_avg / (np.sqrt(second_moment) + eps)
        else:
            denom = np.sqrt(second_moment) / np.sqrt(bias_correction2) + eps
            new_params = params - (lr / bias_correction1) * exp_avg / denom
        return new_params, AdamState(t, exp_avg, exp_avg_sq, max_exp_avg_sq)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, θ ← θ·(1 − η·λ) before the Adam step.

    Same update as :class:`Adam`; only the default ``weight_decay`` (1e-2, Keras 4e-3) and
    its decoupling differ.
    """

    keras_defaults = {"eps": 1e-7, "weight_decay": 4e-3}
    _decoupled = True

    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        convention="pytorch",
    ):
        super().__init__(
            lr, betas, eps, weight_decay, amsgrad, maximize=maximize, convention=convention
        )
