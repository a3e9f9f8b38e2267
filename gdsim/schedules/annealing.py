"""Cosine annealing and SGDR warm restarts (Loshchilov & Hutter), as closed forms of the step."""

from __future__ import annotations

import numpy as np

from gdsim.arguments import check_int, check_nonnegative, check_positive
from gdsim.schedules.base import Schedule, _param


def _cosine(lr, eta_min, position):
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * position)) / 2


def cosine(lr, T_max, eta_min=0.0, clamp=False):
    """Cosine annealing (PyTorch CosineAnnealingLR): lr(e) = η_min + (lr − η_min)(1 + cos(πe/T))/2.

    T = T_max. PyTorch does not clamp after T_max: the lr climbs back to ``lr`` at 2·T_max and
    keeps oscillating with period 2·T_max. gdsim matches PyTorch number for number by default;
    ``clamp=True`` holds ``eta_min`` from step T_max on, which is usually what is meant.
    """
    lr = _param(check_positive("lr", lr))
    T_max = check_int("T_max", T_max, minimum=1)
    eta_min = _param(check_nonnegative("eta_min", eta_min))
    if not isinstance(clamp, (bool, np.bool_)):
        raise TypeError(f"clamp must be True or False, got {clamp!r}")
    clamp = bool(clamp)

    def value(e):
        if clamp:
            e = np.minimum(e, T_max)
        return _cosine(lr, eta_min, e / T_max)

    return Schedule("cosine", value, {"lr": lr, "T_max": T_max, "eta_min": eta_min, "clamp": clamp})


def _restart_position(e, T_0, T_mult):
    """(steps since the last restart, length of the current period) for SGDR."""
    if T_mult == 1:
        return e % T_0, np.full(e.shape, T_0, dtype=np.int64)
    # Restart n begins at T_0 (T_mult^n − 1) / (T_mult − 1). The log gives n up to rounding,
    # and rounding exactly at a restart would shift a whole period, so fix n with integers.
    n = np.floor(np.log1p(e * (T_mult - 1) / T_0) / np.log(T_mult)).astype(np.int64)

    def start(k):
        return T_0 * (T_mult**k - 1) // (T_mult - 1)

    n = n - (e < start(n)) + (e >= start(n + 1))
    return e - start(n), T_0 * T_mult**n


def sgdr(lr, T_0, T_mult=1, eta_min=0.0):
    """Cosine with warm restarts (PyTorch CosineAnnealingWarmRestarts, SGDR):
    lr(e) = η_min + (lr − η_min)(1 + cos(π T_cur / T_i)) / 2.

    T_cur = steps since the last restart; the first period lasts T_0 steps and each next one
    T_mult times longer (T_mult an int >= 1). η_min itself is never reached.
    """
    lr = _param(check_positive("lr", lr))
    T_0 = check_int("T_0", T_0, minimum=1)
    T_mult = check_int("T_mult", T_mult, minimum=1)
    eta_min = _param(check_nonnegative("eta_min", eta_min))

    def value(e):
        T_cur, T_i = _restart_position(e, T_0, T_mult)
        return _cosine(lr, eta_min, T_cur / T_i)

    return Schedule("sgdr", value, {"lr": lr, "T_0": T_0, "T_mult": T_mult, "eta_min": eta_min})
