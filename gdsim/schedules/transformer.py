"""Schedules from transformer training: a warm-up is part of the schedule itself.

``inverse_sqrt`` and ``noam`` ramp up linearly and then decay as 1/√step (Vaswani et al. 2017,
"Attention is all you need", §5.3); ``wsd`` warms up, holds the peak for most of the run and
decays only at the end (Hu et al. 2024, "MiniCPM", §4). Formulas follow the reference code
number for number: Hugging Face transformers ``src/transformers/optimization.py``
(``_get_inverse_sqrt_schedule_lr_lambda``, ``_get_wsd_scheduler_lambda``; read at commit
005edacb) and the Annotated Transformer's ``rate`` (harvardnlp/annotated-transformer
``the_annotated_transformer.py``, commit 0a91a254). transformers builds these as factors of a
``LambdaLR``; here ``lr`` is the peak learning rate (the optimizer's lr there).
"""

from __future__ import annotations

import numpy as np

from gdsim.arguments import check_choice, check_in_range, check_int, check_positive
from gdsim.schedules.base import Schedule, _param

SHAPES = ("linear", "cosine", "1-sqrt")


def _inverse_sqrt_factor(e, warmup_steps, timescale):
    """transformers' factor: e / W during the warm-up, then 1 / √((e + τ − W) / τ)."""
    ramp = e / max(1, warmup_steps)
    with np.errstate(invalid="ignore"):  # the decay branch is not used where e < W
        decay = 1.0 / np.sqrt((e + (timescale - warmup_steps)) / timescale)
    return np.where(e < warmup_steps, ramp, decay)


def inverse_sqrt(lr, warmup_steps, timescale=None):
    """Inverse square root with linear warm-up (transformers get_inverse_sqrt_schedule).

        lr(e) = lr · e / W                      for e < W
        lr(e) = lr · √(τ / (e − W + τ))         for e ≥ W        W = warmup_steps, τ = timescale

    The lr rises from 0 to ``lr`` at step W and then falls as 1/√e; ``timescale`` defaults to
    W (so lr(e) = lr·√(W/e) after the warm-up), or to 10 000 when W = 0, as in transformers.
    Vaswani et al.'s schedule is this one with lr = d_model^−0.5 · W^−0.5: see :func:`noam`.
    """
    lr = _param(check_positive("lr", lr))
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
    if timescale is None:
        timescale = warmup_steps or 10_000
    timescale = check_int("timescale", timescale, minimum=1)
    return Schedule(
        "inverse_sqrt",
        lambda e: lr * _inverse_sqrt_factor(e, warmup_steps, timescale),
        {"lr": lr, "warmup_steps": warmup_steps, "timescale": timescale},
    )


def noam(d_model=512, warmup_steps=4000, factor=1.0):
    """Noam schedule (Vaswani et al. 2017): lr(e) = factor·d_model^−0.5·min(s^−0.5, s·W^−1.5).

    s = max(e, 1), W = warmup_steps: a linear rise for W steps to the peak
    factor·(d_model·W)^−0.5, then 1/√s. The paper used d_model = 512, W = 4000 (Adam with
    β = (0.9, 0.98), ε = 1e-9, lr 1 times this schedule). The Annotated Transformer evaluates its
    ``rate(step)`` at PyTorch's 0-based LambdaLR step and replaces step 0 by 1 ("to avoid zero
    raising to negative power"): so does gdsim, and from step 1 on this is exactly
    ``inverse_sqrt(factor·(d_model·W)^−0.5, W)``, which gives 0 at step 0 instead.
    """
    d_model = check_int("d_model", d_model, minimum=1)
    warmup_steps = check_int("warmup_steps", warmup_steps, minimum=1)
    factor = _param(check_positive("factor", factor))
    peak = factor * (d_model * warmup_steps) ** -0.5
    # min(s^−0.5, s·W^−1.5) = W^−0.5 · min(√(W/s), s/W): inverse_sqrt's factor with τ = W
    return Schedule(
        "noam",
        lambda e: peak * _inverse_sqrt_factor(np.maximum(e, 1), warmup_steps, warmup_steps),
        {"d_model": d_model, "warmup_steps": warmup_steps, "factor": factor},
    )


def _rise(shape, p):
    """transformers' warm-up shapes on p ∈ [0, 1]: 0 → 1."""
    if shape == "linear":
        return p
    if shape == "cosine":
        return 0.5 * (1.0 - np.cos(np.pi * p))
    return 1.0 - np.sqrt(1.0 - p)


def _fall(shape, p, num_cycles):
    """transformers' decay shapes on p ∈ [0, 1]: 1 → 0 (cosine: 1 → 0 for num_cycles = 0.5)."""
    if shape == "linear":
        return 1.0 - p
    if shape == "cosine":
        return 0.5 * (1.0 + np.cos(np.pi * num_cycles * 2.0 * p))
    return 1.0 - np.sqrt(p)


def wsd(
    lr,
    warmup_steps,
    stable_steps,
    decay_steps,
    warmup_type="linear",
    decay_type="cosine",
    min_lr_ratio=0.0,
    num_cycles=0.5,
):
    """Warmup-stable-decay (MiniCPM; transformers get_wsd_schedule): rise, hold the peak, decay.

        lr(e) = lr · (m + (1 − m) · rise(e / W))               for e < W
        lr(e) = lr                                              for W ≤ e < W + S
        lr(e) = lr · (m + (1 − m) · fall((e − W − S) / D))      for W + S ≤ e < W + S + D
        lr(e) = lr · m                                          after

    W, S, D = warmup_steps, stable_steps, decay_steps; m = min_lr_ratio (the warm-up starts at
    m·lr and the decay ends there). Shapes (``warmup_type`` / ``decay_type``): "linear" (p,
    1 − p), "cosine" (½(1 − cos πp), ½(1 + cos 2π·num_cycles·p)) and "1-sqrt" (1 − √(1 − p),
    1 − √p; the cooldown of Hägele et al. 2024). transformers clamps each phase's factor at 0,
    so does gdsim. transformers' ``num_training_steps`` is W + S + D here.
    """
    lr = _param(check_positive("lr", lr))
    W = check_int("warmup_steps", warmup_steps, minimum=0)
    S = check_int("stable_steps", stable_steps, minimum=0)
    D = check_int("decay_steps", decay_steps, minimum=0)
    check_choice("warmup_type", warmup_type, SHAPES)
    check_choice("decay_type", decay_type, SHAPES)
    m = _param(check_in_range("min_lr_ratio", min_lr_ratio, 0, 1, high_inclusive=True))
    num_cycles = _param(check_positive("num_cycles", num_cycles))

    def value(e):
        # each phase's progress clipped to [0, 1], so the unused branches stay finite
        up = _rise(warmup_type, np.minimum(e, W) / max(1, W))
        down = _fall(decay_type, np.clip(e - W - S, 0, D) / max(1, D), num_cycles)
        factor = np.where(
            e < W,
            np.maximum(0.0, up * (1.0 - m) + m),
            np.where(
                e < W + S, 1.0, np.where(e < W + S + D, np.maximum(0.0, down * (1.0 - m) + m), m)
            ),
        )
        return lr * factor

    return Schedule(
        "wsd",
        value,
        {
            "lr": lr,
            "warmup_steps": W,
            "stable_steps": S,
            "decay_steps": D,
            "warmup_type": warmup_type,
            "decay_type": decay_type,
            "min_lr_ratio": m,
            "num_cycles": num_cycles,
        },
    )
