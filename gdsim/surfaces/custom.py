"""Your own surface: a Surface from a vectorized function, with a numerical gradient if none is
given."""

from __future__ import annotations

import numpy as np

from gdsim.surfaces.base import _CBRT_EPS, Surface, _as_points, _check_bounds, _read_only


class _Custom(Surface):
    """A user's function of (..., 2) points; see :func:`custom`."""

    _cacheable = False

    def __init__(self, value, grad, bounds, minima, name):
        if not callable(value):
            raise TypeError(f"value must be a function of (..., 2) points, got {value!r}")
        if grad is not None and not callable(grad):
            raise TypeError(f"grad must be a function of (..., 2) points or None, got {grad!r}")
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        self.name, self.description = name, f"user-defined surface {name!r}"
        self.bounds = _check_bounds(bounds)
        self._user_value, self._user_grad = value, grad
        probe = np.zeros((3, 2))  # catch a non-vectorized function now, not deep in a run
        for what, fn, expected, wanted in (
            ("value", value, (3,), "(...)"),
            ("grad", grad, (3, 2), "(..., 2)"),
        ):
            shape = None if fn is None else np.shape(fn(probe))
            if shape is not None and shape != expected:
                raise ValueError(
                    f"{what} must map points of shape (..., 2) to shape {wanted}; "
                    f"points of shape (3, 2) gave shape {shape}"
                )
        super().__init__()
        if minima is not None:
            minima = _as_points(minima, "minima").reshape(-1, 2)
            self.minima = _read_only(minima)
            self.minima_values = _read_only(self.value(minima))

    def _value(self, x, y):
        return np.asarray(self._user_value(np.stack((x, y), axis=-1)), dtype=np.float64)

    def _grad(self, x, y):
        if self._user_grad is not None:
            g = np.asarray(self._user_grad(np.stack((x, y), axis=-1)), dtype=np.float64)
            return g[..., 0], g[..., 1]
        # central differences with a step scaled to each coordinate; dividing by the step that
        # was actually taken ((x + h) − (x − h), after rounding) removes most of its error
        h = _CBRT_EPS * np.maximum(1.0, np.abs(x))
        xp, xm = x + h, x - h
        gx = (self._value(xp, y) - self._value(xm, y)) / (xp - xm)
        h = _CBRT_EPS * np.maximum(1.0, np.abs(y))
        yp, ym = y + h, y - h
        gy = (self._value(x, yp) - self._value(x, ym)) / (yp - ym)
        return gx, gy


def custom(value, grad=None, bounds=((-5, 5), (-5, 5)), minima=None, name="custom"):
    """A Surface from your own vectorized function ``value(points) -> values``.

    ``points`` has shape (..., 2); ``value`` must return shape (...) and ``grad``, if given,
    shape (..., 2). Without ``grad`` the gradient is a central difference with step
    cbrt(eps)·max(1, |t|) per coordinate (about 8 correct digits). ``minima`` (k, 2) lists the
    minima in the order you want them indexed; without it they (and the saddles) are found
    numerically inside ``bounds``, as for the catalogue.

    >>> bowl = custom(lambda p: (p ** 2).sum(axis=-1), bounds=((-1, 1), (-1, 1)))
    """
    return _Custom(value, grad, bounds, minima, name)
