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
    if value is None or isinstance(value, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    array = as_real_array(name, value, what="a number or an array of numbers")
    if np.isnan(array).any():
        raise ValueError(f"{name} must not be NaN, got {_show(value)}")
    return array


def as_real_array(name, value, what="an array of numbers"):
    """``value`` as a float64 array, or a TypeError naming ``name``: strings, objects and
    complex numbers are refused (NumPy would drop an imaginary part with only a warning)."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise TypeError(f"{name} must be {what}, got {_short(value)}") from None
    if raw.dtype.kind == "c":
        raise TypeError(f"{name} must be real, not complex, got {_show(raw)}")
    if raw.dtype.kind == "O":  # numbers held as objects convert; None, strings, complex do not
        try:
            return raw.astype(float)
        except (TypeError, ValueError):
            pass
    if raw.dtype.kind not in "biuf":
        shown = _short(value) if raw.dtype.kind in "OUS" and raw.size <= 6 else f"dtype {raw.dtype}"
        raise TypeError(f"{name} must be {what}, got {shown}")
    return raw.astype(float, copy=False)


def _short(value):
    """``repr(value)`` cut to one readable line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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


def check_positive(name, value, finite=True):
    """``value > 0`` element-wise, and finite unless ``finite=False`` (an lr of inf never
    means anything a user wants; a schedule that overflows is another matter)."""
    array = _as_checked_array(name, value)
    bad = ~(array > 0)
    if bad.any():
        raise ValueError(f"{name} must be > 0, got {_offender(array, bad):g}")
    if finite:
        _check_not_infinite(name, array, "> 0")
    return value


def check_nonnegative(name, value, finite=True):
    """``value >= 0`` element-wise, and finite unless ``finite=False``."""
    array = _as_checked_array(name, value)
    bad = ~(array >= 0)
    if bad.any():
        raise ValueError(f"{name} must be >= 0, got {_offender(array, bad):g}")
    if finite:
        _check_not_infinite(name, array, ">= 0")
    return value


def _check_not_infinite(name, array, allowed):
    bad = np.isinf(array)
    if bad.any():
        raise ValueError(f"{name} must be finite ({allowed}), got {_offender(array, bad):g}")


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
        interval = (
            ("[" if low_inclusive else "(")
            + f"{low:g}, {high:g}"
            + ("]" if high_inclusive else ")")
        )
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
    """The ValueError for an unknown name, with a did-you-mean when one is close (the allowed
    values may be strings or other values, such as ``verbose``'s 0, 1, 2)."""
    allowed = list(allowed)
    spelled = {str(a): a for a in allowed}
    close = difflib.get_close_matches(str(name), list(spelled), n=1)
    hint = f"; did you mean {spelled[close[0]]!r}?" if close else "."
    return ValueError(f"unknown {kind} {name!r}{hint} Allowed: {', '.join(map(repr, allowed))}")


def check_choice(name, value, allowed):
    """``value`` is one of ``allowed`` (strings, or other values such as ``verbose``'s 0, 1, 2);
    otherwise a did-you-mean ValueError."""
    allowed = list(allowed)
    try:
        found = any(bool(value == a) for a in allowed)
    except (TypeError, ValueError):  # an array, which has no single truth value
        found = False
    if not found:
        if not any(isinstance(a, str) for a in allowed):  # numbers: no name to misspell
            raise ValueError(
                f"{name} must be one of {', '.join(map(repr, allowed))}, got {_short(value)}"
            )
        raise unknown_name_error(name, value, allowed)
    return value


def check_bool(name, value):
    """``True`` or ``False`` (NumPy's bools too); a TypeError for anything else, so that
    ``shuffle="no"`` is not silently taken as true."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_short(value)}")
    return bool(value)


def check_str(name, value):
    """A string (a metric name, a title, a file name)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {_short(value)}")
    return value


def check_seed(name, seed):
    """A seed as an int >= 0 or None. A ``np.random.Generator`` stands for one integer drawn
    from it, so the same generator state gives the same result and a generator used twice
    gives two draws, as NumPy users expect."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer >= 0, a np.random.Generator or None, got {_short(seed)}"
        )
    return check_int(name, seed, minimum=0)


def as_list(value):
    """One item or a list (tuple) of items as a list: ``callbacks=rule`` is ``callbacks=[rule]``."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def check_optimizer(name, value):
    """A gdsim optimizer instance (anything with ``hyperparameters``, ``init`` and ``update``,
    so optimizers written outside gdsim work too); the class itself gets a hint to call it."""
    if isinstance(value, type) and all(hasattr(value, a) for a in ("hyperparameters", "update")):
        raise TypeError(
            f"{name} must be an optimizer such as gdsim.{value.__name__}(...), got the "
            f"class {value.__name__} itself: call it, e.g. {value.__name__}(lr=0.01)"
        )
    if isinstance(value, type) or not all(
        hasattr(value, a) for a in ("hyperparameters", "init", "update")
    ):
        raise TypeError(
            f"{name} must be a gdsim optimizer such as gdsim.SGD(lr=0.1), got {_short(value)}"
        )
    return value


def check_bounds(name, bounds):
    """A box ``((xmin, xmax), (ymin, ymax))`` with finite ``xmin < xmax`` and ``ymin < ymax``,
    returned as floats."""
    if isinstance(bounds, (str, bytes)) or not np.iterable(bounds):
        raise TypeError(f"{name} must be ((xmin, xmax), (ymin, ymax)), got {_short(bounds)}")
    box = as_real_array(name, bounds, what="((xmin, xmax), (ymin, ymax))")
    if box.shape != (2, 2):
        raise ValueError(f"{name} must be ((xmin, xmax), (ymin, ymax)), got {_short(bounds)}")
    check_finite(name, box)
    for axis, (low, high) in zip("xy", box):
        if not low < high:
            raise ValueError(
                f"{name} must have {axis}min < {axis}max (low < high), got {_short(bounds)}"
            )
    return tuple((float(low), float(high)) for low, high in box)


def broadcast_shapes(
    named_shapes, advice="give a number, or an array shaped to broadcast (one value per run)"
):
    """The shape that ``{name: shape}`` broadcast to, or a ValueError naming the first entry that
    does not fit the ones before it, e.g. ``lr has shape (3,), which does not broadcast against
    shape (2,) of starts``."""
    shape, seen = (), []
    for name, other in named_shapes.items():
        try:
            shape = np.broadcast_shapes(shape, tuple(other))
        except ValueError:
            raise ValueError(
                f"{name} has shape {tuple(other)}, which does not broadcast against "
                f"shape {shape} of {' and '.join(seen)}: {advice}"
            ) from None
        if tuple(other):
            seen.append(name)
    return shape
