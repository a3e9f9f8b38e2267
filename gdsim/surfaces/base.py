"""What a surface is: the :class:`Surface` base class that every surface in the catalogue (and
every ``custom`` one) builds on, with the input checks they share.

A Surface writes its maths once, in ``_value(x, y)`` and ``_grad(x, y)``; this class gives it
the fast structure-of-arrays path (``value_xy`` / ``grad_xy``), the ``(..., 2)`` path
(``value`` / ``grad``), ``nearest_minimum``, ``grid``, a finite-difference Hessian, and its
stationary points, found once per (class, parameters) by :mod:`gdsim.surfaces.stationary`. The
catalogue itself is :mod:`gdsim.surfaces`, which re-exports :class:`Surface`.
"""

from __future__ import annotations

import numpy as np

from gdsim.arguments import check_int, check_nonnegative
from gdsim.surfaces.stationary import _stationary_points

_CBRT_EPS = np.finfo(np.float64).eps ** (1 / 3)


def _as_points(points, name="points"):
    """``points`` as a float64 array of shape (..., 2)."""
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers of shape (..., 2), got {points!r}") from None
    if array.ndim == 0 or array.shape[-1] != 2:
        raise ValueError(f"{name} must have shape (..., 2), got shape {array.shape}")
    return array


def _check_bounds(bounds):
    """((xmin, xmax), (ymin, ymax)) as floats, with xmin < xmax and ymin < ymax."""
    try:
        b = np.asarray(bounds, dtype=np.float64)
    except (TypeError, ValueError):
        b = None
    if b is None or b.shape != (2, 2) or not np.isfinite(b).all() or not (b[:, 0] < b[:, 1]).all():
        raise ValueError(
            "bounds must be ((xmin, xmax), (ymin, ymax)) with finite xmin < xmax "
            f"and ymin < ymax, got {bounds!r}"
        )
    return tuple((float(lo), float(hi)) for lo, hi in b)


def _read_only(array):
    array = np.array(array, dtype=np.float64)
    array.flags.writeable = False
    return array


class Surface:
    """A function f(x, y) with its gradient, plotting bounds and stationary points.

    Attributes: ``name``, ``params`` (the keywords it was built with), ``description`` (one line),
    ``bounds`` ((xmin, xmax), (ymin, ymax)), ``minima`` (k, 2) global first, ``minima_values``
    (k,), ``saddles`` (s, 2), ``maxima`` (m, 2), and ``default_tol``: how close a point must be to
    a minimum to count as having reached it, 1e-3 of the bounds' diagonal.

    ``value_xy`` / ``grad_xy`` are the fast path: arrays in, new arrays out, no shape checks.

    A new surface subclasses this, sets ``name``, ``description`` and ``bounds``, writes
    ``_value(x, y)`` and ``_grad(x, y)`` (returning new arrays; they may be modified in place),
    and is registered with ``gdsim.surfaces.register``; a surface with parameters stores
    ``self.params`` before ``super().__init__()``, which finds the stationary points.
    """

    name = "surface"
    description = "a function of two variables"
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    _cacheable = True  # stationary points depend only on (class, params): find them once

    def __init__(self):
        if "params" not in vars(self):  # a subclass with parameters stores them before calling us
            self.params = {}
        self.bounds = _check_bounds(self.bounds)
        (x0, x1), (y0, y1) = self.bounds
        self.default_tol = 1e-3 * float(np.hypot(x1 - x0, y1 - y0))
        key = (type(self), repr(self.params))
        found = _STATIONARY.get(key) if self._cacheable else None
        if found is None:
            found = tuple(_read_only(points) for points in _stationary_points(self))
            if self._cacheable:
                _STATIONARY[key] = found
        self.minima, self.saddles, self.maxima = found
        self.minima_values = _read_only(self.value(self.minima))

    def _value(self, x, y):
        raise NotImplementedError

    def _grad(self, x, y):
        raise NotImplementedError

    def value_xy(self, x, y):
        """f at points given as two same-shape arrays of x and y coordinates."""
        return self._value(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))

    def grad_xy(self, x, y):
        """(df/dx, df/dy) at points given as two same-shape arrays; fresh arrays."""
        return self._grad(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))

    def value(self, points):
        """f at ``points`` of shape (..., 2); returns shape (...)."""
        p = _as_points(points)
        return self._value(p[..., 0], p[..., 1])

    def grad(self, points):
        """The gradient at ``points`` of shape (..., 2); returns shape (..., 2)."""
        p = _as_points(points)
        return np.stack(self._grad(p[..., 0], p[..., 1]), axis=-1)

    def nearest_minimum(self, points, tol=None):
        """Index into ``minima`` of the minimum within ``tol`` of each point, else -1.

        ``tol`` is a distance (default ``default_tol``); NaN points give -1. Returns shape (...).
        """
        p = _as_points(points)
        tol = self.default_tol if tol is None else check_nonnegative("tol", tol)
        best = np.full(p.shape[:-1], np.inf)
        index = np.full(p.shape[:-1], -1, dtype=np.intp)
        for i, (mx, my) in enumerate(self.minima):
            distance = np.hypot(p[..., 0] - mx, p[..., 1] - my)  # hypot: no overflow far away
            closer = distance < best
            best = np.where(closer, distance, best)
            index = np.where(closer, i, index)
        return np.where(best <= tol, index, -1)[()]

    def grid(self, n=200):
        """(X, Y, Z) on an n x n grid over ``bounds``, ready for ``contour(X, Y, Z)``."""
        n = check_int("n", n, minimum=2)
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return X, Y, self._value(X, Y)

    def hessian(self, points):
        """The 2 x 2 Hessian at ``points`` (..., 2) -> (..., 2, 2), by central differences of the
        analytic gradient (relative error ~1e-8). Its largest eigenvalue λ at a minimum sets the
        largest stable lr there, 2/λ, for plain gradient descent."""
        p = _as_points(points)
        hxx, hxy, hyy = self._hessian_xy(p[..., 0], p[..., 1])
        return np.stack([np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1)], axis=-2)

    def _hessian_xy(self, x, y):
        """(hxx, hxy, hyy) by central differences of the analytic gradient."""
        hx = _CBRT_EPS * np.maximum(1.0, np.abs(x))
        hy = _CBRT_EPS * np.maximum(1.0, np.abs(y))
        gxp, gyp = self._grad(x + hx, y)
        gxm, gym = self._grad(x - hx, y)
        hxx, hyx = (gxp - gxm) / (2 * hx), (gyp - gym) / (2 * hx)
        gxp, gyp = self._grad(x, y + hy)
        gxm, gym = self._grad(x, y - hy)
        hxy, hyy = (gxp - gxm) / (2 * hy), (gyp - gym) / (2 * hy)
        return hxx, 0.5 * (hxy + hyx), hyy

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        k, s = len(self.minima), len(self.saddles)
        return (
            f"<Surface {self.name}({args}): {k} minim{'um' if k == 1 else 'a'}, "
            f"{s} saddle{'' if s == 1 else 's'}, bounds {self.bounds}>"
        )


_STATIONARY = {}
