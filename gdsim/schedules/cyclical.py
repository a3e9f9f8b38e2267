"""Cyclical schedules (Leslie Smith): the cyclical learning rate (CLR, PyTorch's CyclicLR) and
the one-cycle policy (PyTorch's OneCycleLR or fastai's fit_one_cycle). Each also carries a
momentum schedule that mirrors the lr, as ``schedule.momentum``.

Both are importable from :mod:`gdsim.schedules` and known to ``gdsim.schedules.get``.
"""

from __future__ import annotations

import numpy as np

from gdsim.arguments import (
    check_choice,
    check_in_range,
    check_int,
    check_nonnegative,
    check_positive,
)
from gdsim.schedules.base import Schedule, _check_callable, _check_momentum, _evaluate, _param


def cyclic(
    base_lr,
    max_lr,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
    scale_fn=None,
    scale_mode="cycle",
    base_momentum=0.8,
    max_momentum=0.9,
):
    """Cyclical learning rate (PyTorch CyclicLR; bckenstler's CLR when up = down).

    With N = up + down, r = up / N, cycle = ⌊1 + e/N⌋, x = 1 + e/N − cycle:
        s = x / r if x ≤ r else (x − 1)/(r − 1)          (0 → 1 → 0 over one cycle)
        lr(e) = base_lr + (max_lr − base_lr) · s · f
        momentum(e) = max_momentum − (max_momentum − base_momentum) · s · f
    f = 1 ("triangular"), 1/2^(cycle−1) ("triangular2"), gamma^e ("exp_range"), or
    ``scale_fn(cycle)`` / ``scale_fn(e)`` by ``scale_mode`` when ``scale_fn`` is given (then
    ``mode`` is ignored). ``.momentum`` is the momentum schedule; PyTorch writes it into the
    optimizer by default (``cycle_momentum=True``), gdsim lets you choose whether to use it.
    """
    base_lr = _param(check_nonnegative("base_lr", base_lr))
    max_lr = _param(check_positive("max_lr", max_lr))
    up = check_int("step_size_up", step_size_up, minimum=1)
    down = up if step_size_down is None else check_int("step_size_down", step_size_down, minimum=1)
    check_choice("mode", mode, ["triangular", "triangular2", "exp_range"])
    gamma = _param(check_positive("gamma", gamma))
    if scale_fn is not None:
        _check_callable("scale_fn", scale_fn)
        check_choice("scale_mode", scale_mode, ["cycle", "iterations"])
    else:
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    base_momentum = _check_momentum("base_momentum", base_momentum)
    max_momentum = _check_momentum("max_momentum", max_momentum)

    total = float(up + down)
    ratio = up / total

    def height_and_scale(e):
        # Same operation order as torch's get_lr, so the numbers agree to the last bits.
        cycle = np.floor(1 + e / total)
        x = 1.0 + e / total - cycle
        height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        if scale_fn is not None:
            argument = cycle.astype(np.int64) if scale_mode == "cycle" else e
            return height, _evaluate(scale_fn, argument, "scale_fn")
        if mode == "triangular2":
            return height, 1 / (2.0 ** (cycle - 1))
        if mode == "exp_range":
            return height, gamma**e
        return height, 1.0

    def lr_value(e):
        height, scale = height_and_scale(e)
        return base_lr + (max_lr - base_lr) * height * scale

    def momentum_value(e):
        height, scale = height_and_scale(e)
        return max_momentum - (max_momentum - base_momentum) * height * scale

    params = {
        "base_lr": base_lr,
        "max_lr": max_lr,
        "step_size_up": up,
        "step_size_down": down,
        "mode": mode,
        "gamma": gamma,
    }
    if scale_fn is not None:
        params.update(scale_fn=scale_fn, scale_mode=scale_mode)
    momentum_params = {"base_momentum": base_momentum, "max_momentum": max_momentum, **params}
    params.update(base_momentum=base_momentum, max_momentum=max_momentum)
    momentum = Schedule("cyclic.momentum", momentum_value, momentum_params)
    return Schedule("cyclic", lr_value, params, momentum=momentum)


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    return (end - start) * pct + start


def _fastai_cos(start, end, pct):
    return start + (1 + np.cos(np.pi * (1 - pct))) * (end - start) / 2


def one_cycle(
    max_lr,
    total_steps,
    pct_start=None,
    anneal_strategy="cos",
    div_factor=25.0,
    final_div_factor=None,
    three_phase=False,
    base_momentum=0.85,
    max_momentum=0.95,
    convention="pytorch",
):
    """One-cycle policy (PyTorch OneCycleLR, or fastai's fit_one_cycle).

    With initial = max_lr / div_factor, the lr anneals initial → max_lr → final while the
    momentum goes max_momentum → base_momentum → max_momentum.
    anneal(a, b, p) = b + (a − b)(1 + cos πp)/2 ("cos") or a + (b − a)p ("linear").

    convention="pytorch" (pct_start 0.3, final = initial / final_div_factor, 1e4): N = total_steps,
    phase 1 ends at step pct_start·N − 1 and phase 2 at N − 1 (PyTorch's −1 offsets); with
    ``three_phase`` the lr goes initial → max → initial → final, phases ending at pct·N − 1,
    2·pct·N − 2 and N − 1, the momentum staying at max_momentum in phase 3.

    convention="fastai" (pct_start 0.25, final = max_lr / final_div_factor, 1e5): pos = e / N;
    phase 1 for pos < pct_start with p = pos / pct_start, then p = (pos − pct)/(1 − pct).
    Defaults that differ between the conventions switch unless given explicitly.

    Steps from N on hold the value at N − 1 (PyTorch extrapolates one step, then raises).
    ``.momentum`` is the momentum (or Adam β1) schedule.
    """
    check_choice("convention", convention, ["pytorch", "fastai"])
    fastai = convention == "fastai"
    if pct_start is None:
        pct_start = 0.25 if fastai else 0.3
    if final_div_factor is None:
        final_div_factor = 1e5 if fastai else 1e4
    max_lr = _param(check_positive("max_lr", max_lr))
    total_steps = check_int("total_steps", total_steps, minimum=2)
    check_in_range("pct_start", pct_start, 0, 1, low_inclusive=False)
    pct_start = float(pct_start)
    check_choice("anneal_strategy", anneal_strategy, ["cos", "linear"])
    div_factor = _param(check_positive("div_factor", div_factor))
    final_div_factor = _param(check_positive("final_div_factor", final_div_factor))
    if not isinstance(three_phase, (bool, np.bool_)):
        raise TypeError(f"three_phase must be True or False, got {three_phase!r}")
    three_phase = bool(three_phase)
    if three_phase and fastai:
        raise ValueError("three_phase=True exists only with convention='pytorch'")
    base_momentum = _check_momentum("base_momentum", base_momentum)
    max_momentum = _check_momentum("max_momentum", max_momentum)

    initial = max_lr / div_factor
    # PyTorch divides the initial lr by final_div_factor, fastai divides max_lr by div_final.
    final = (max_lr if fastai else initial) / final_div_factor
    N = total_steps
    if fastai:
        # Phase boundaries in units of pos = e / N; fastai anneals with its own cosine form.
        anneal = _fastai_cos if anneal_strategy == "cos" else _anneal_linear
        ends = [pct_start, 1.0]
        unit = N
    else:
        anneal = _anneal_cos if anneal_strategy == "cos" else _anneal_linear
        ends = [float(pct_start * N) - 1, float(N - 1)]
        if three_phase:
            ends.insert(1, float(2 * pct_start * N) - 2)
        unit = 1.0
        if not all(b > a for a, b in zip([0.0] + ends, ends)):
            limit = "(total_steps + 1) / 2" if three_phase else "total_steps"
            raise ValueError(
                f"pct_start={pct_start} with total_steps={N} leaves a phase without steps; "
                f"pct_start * total_steps must be > 1 and < {limit}"
            )
    lrs = [initial, max_lr, initial, final] if three_phase else [initial, max_lr, final]
    moms = (
        [max_momentum, base_momentum, max_momentum, max_momentum]
        if three_phase
        else [max_momentum, base_momentum, max_momentum]
    )

    # At a phase boundary PyTorch stays in the earlier phase (e <= end), fastai moves on
    # (pos >= pct); both give the same value there, but each is reproduced as written.
    later = np.greater_equal if fastai else np.greater

    def piecewise(values):
        def value(e):
            position = np.minimum(e, N - 1) / unit
            out, start = None, 0.0
            for a, b, end in zip(values[:-1], values[1:], ends):
                phase = anneal(a, b, (position - start) / (end - start))
                out = phase if out is None else np.where(later(position, start), phase, out)
                start = end
            return out

        return value

    params = {
        "max_lr": max_lr,
        "total_steps": N,
        "pct_start": pct_start,
        "anneal_strategy": anneal_strategy,
        "div_factor": div_factor,
        "final_div_factor": final_div_factor,
        "three_phase": three_phase,
        "base_momentum": base_momentum,
        "max_momentum": max_momentum,
        "convention": convention,
    }
    momentum = Schedule("one_cycle.momentum", piecewise(moms), params)
    return Schedule("one_cycle", piecewise(lrs), params, momentum=momentum)
