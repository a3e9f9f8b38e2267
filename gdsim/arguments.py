"""Checking user arguments: one clear ValueError or TypeError naming the argument.

Every public function in gdsim checks what a user passes before any numerics run, so a
mistake surfaces as ``"lr must be > 0, got -0.1"`` instead of a NaN three cells later.
Numbers and arrays are checked element-wise; schedules (callables) are left to the code
that evaluates them.
"""

from __future__ import annotations

import difflib
import numbers

import numpy as np


def _as_checked_array(name, value):
    """Return ``value`` as a float array, or raise a TypeError naming ``name``."""
    if value is None or isinstance(value, (bool, np.bool_, str)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if np.isnan(array).any():
        raise ValueError(f"{name} must not be NaN, got {_show(value)}")
    return array


def _show(value):
    """A short rendering of a value for an error message."""
    array = np.asarray(value)
    if array.ndim == 0:
        return repr(value)
    if array.size <= 6:
        return np.array2string(array, separator=", ")
    return f"an array of shape {array.shape}"


def _offender(array, bad):
    """The first offending element, for the message."""
    return array.reshape(-1)[np.argmax(bad.reshape(-1))] if array.ndim else array[()]


def as_parameter(value):
    """A checked parameter as stored: a float, or a private read-only float array (one value
    per run, i.e. a sweep over this parameter)."""
    array = np.array(value, dtype=float)
    if array.ndim == 0:
        return float(array)
    array.flags.writeable = False
    return array


def check_positive(name, value):
    """``value > 0`` element-wise."""
    array = _as_checked_array(name, value)
    bad = ~(array > 0)
    if bad.any():
        raise ValueError(f"{name} must be > 0, got {_offender(array, bad):g}")
    return value


def check_nonnegative(name, value):
    """``value >= 0`` element-wise."""
    array = _as_checked_array(name, value)
    bad = ~(array >= 0)
    if bad.any():
        raise ValueError(f"{name} must be >= 0, got {_offender(array, bad):g}")
    return value


def check_finite(name, value):
    """Every element finite."""
    array = _as_checked_array(name, value)
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} must be finite, got {_offender(array, bad):g}")
    return value


def check_in_range(name, value, low, high, low_inclusive=True, high_inclusive=False):
    """``low <= value < high`` element-wise (inclusivity adjustable)."""
    array = _as_checked_array(name, value)
    above = array >= low if low_inclusive else array > low
    below = array <= high if high_inclusive else array < high
    bad = ~(above & below)
    if bad.any():
        interval = ("[" if low_inclusive else "(") + f"{low:g}, {high:g}" + ("]" if high_inclusive else ")")
        raise ValueError(f"{name} must be in {interval}, got {_offender(array, bad):g}")
    return value


def check_int(name, value, minimum=None):
    """A whole number (Python or NumPy integer), at least ``minimum`` when given."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def unknown_name_error(kind, name, allowed):
    """The ValueError for an unknown name, with a did-you-mean when one is close."""
    allowed = list(allowed)
    close = difflib.get_close_matches(str(name), allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return ValueError(f"unknown {kind} {name!r}{hint} Allowed: {', '.join(map(repr, allowed))}")


def check_choice(name, value, allowed):
    """``value`` is one of ``allowed`` (strings); otherwise a did-you-mean ValueError."""
    allowed = list(allowed)
    if value not in allowed:
        raise unknown_name_error(name, value, allowed)
    return value
