"""The Schedule object: a learning rate (or momentum) as a named, closed-form, vectorized
function of the step, and the checks that every schedule in :mod:`gdsim.schedules` and
:mod:`gdsim.schedules.cyclical` shares (steps, parameters that may be arrays, user functions that
may not be vectorized).
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.arguments import as_parameter as _param
from gdsim.arguments import check_in_range


def _check_steps(step):
    """``step`` as an int64 array, or a TypeError / ValueError naming it."""
    if isinstance(step, (bool, np.bool_)):
        raise TypeError(f"step must be an integer or an array of integers, got {step!r}")
    array = np.asarray(step)
    if array.dtype.kind not in "iu":
        shown = repr(step) if array.ndim == 0 else f"an array of dtype {array.dtype}"
        raise TypeError(f"step must be an integer or an array of integers, got {shown}")
    if array.size and array.min() < 0:
        raise ValueError(f"step must be >= 0, got {array.min()}")
    return array.astype(np.int64, copy=False)


def _show(value):
    """How a parameter appears in a repr."""
    if isinstance(value, np.ndarray):
        return (
            f"np.array({value.tolist()})" if value.size <= 12 else f"<array of shape {value.shape}>"
        )
    if callable(value) and not isinstance(value, Schedule):
        return getattr(value, "__qualname__", None) or repr(value)
    return repr(value)


def _parameter_shape(value):
    """The runs' shape a parameter carries: an array's, a wrapped schedule's, or () for a
    number, a flag, a name or a function."""
    if isinstance(value, np.ndarray):
        return value.shape
    if isinstance(value, Schedule):
        return value._shape
    if isinstance(value, (list, tuple)) and all(isinstance(v, Schedule) for v in value):
        return np.broadcast_shapes(*[v._shape for v in value]) if value else ()
    return ()


class Schedule:
    """A learning rate (or momentum) as a closed-form function of the step.

    ``Schedule(name, fn, params)`` wraps ``fn``, which receives the validated steps as an int64
    array and returns the values (any shape that broadcasts with the steps). Subclasses may
    override ``_value`` instead. ``params`` is what ``repr`` shows.

    ``schedule(step)`` returns a float for a scalar step (when every parameter is a scalar)
    and a float64 array of shape ``broadcast(step.shape, parameter shapes)`` otherwise.
    """

    def __init__(self, name, fn=None, params=None, momentum=None):
        self.name = name
        self.params = dict(params or {})
        self._fn = fn
        # cyclic and one_cycle also move the momentum; optimizers read it from here.
        self.momentum = momentum
        # array parameters (a sweep) must broadcast together, or every call would fail in NumPy
        self._shape = arguments.broadcast_shapes(
            {key: _parameter_shape(value) for key, value in self.params.items()}
        )

    def _value(self, e):
        return self._fn(e)

    def __call__(self, step):
        e = _check_steps(step)
        if self._shape:
            arguments.broadcast_shapes(
                {"the parameters": self._shape, "step": e.shape},
                advice="shape the steps to broadcast against the "
                "parameters, e.g. np.arange(n)[:, None]",
            )
        # A schedule may legitimately overflow (exponential with gamma > 1); the result is
        # data (inf), not a warning.
        with np.errstate(all="ignore"):
            out = np.asarray(self._value(e), dtype=float)
        shape = np.broadcast_shapes(out.shape, e.shape)
        if out.shape != shape:
            out = np.broadcast_to(out, shape).copy()
        return float(out) if out.ndim == 0 else out

    def __repr__(self):
        inside = ", ".join(f"{key}={_show(value)}" for key, value in self.params.items())
        return f"{self.name}({inside})"


def _evaluate(fn, x, what):
    """``fn(x)`` for an int array ``x``: one vectorized call if ``fn`` accepts arrays and
    returns ``x``'s shape, otherwise one call per element (with Python ints)."""
    try:
        out = np.asarray(fn(x), dtype=float)
        if out.shape == x.shape:
            return out
    # A function written for scalars fails on arrays in arbitrary ways (ambiguous truth
    # value, math.* on arrays, indexing...). Any failure here just means "not vectorized".
    except Exception:  # noqa: BLE001
        pass
    values = [fn(int(v)) for v in x.flat]
    try:
        out = np.array(values, dtype=float)
    except (TypeError, ValueError):
        out = None
    if out is None or out.shape != (x.size,):
        raise TypeError(f"{what} must return one number per step, got {values[0]!r}")
    return out.reshape(x.shape)


def _check_callable(name, fn):
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {fn!r}")
    return fn


def _check_schedule(name, value):
    if not isinstance(value, Schedule):
        raise TypeError(
            f"{name} must be a Schedule (e.g. gdsim.schedules.cosine(...)), got {value!r}"
        )
    return value


def _check_momentum(name, value):
    return _param(check_in_range(name, value, 0, 1))


def _check_flag(name, value):
    """A switch parameter (``staircase``, ``cycle``): True or False, nothing truthy."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
