"""Two-dimensional loss surfaces for watching optimizers move.

A :class:`Surface` is a function f(x, y) with its analytic gradient, plotting ``bounds`` and its
stationary points: ``minima`` (global first) with ``minima_values``, ``saddles`` and ``maxima``.

Each surface writes its maths once, in ``_value(x, y)`` and ``_grad(x, y)`` on arrays of one
shape. The engine calls them through ``value_xy`` / ``grad_xy`` on contiguous blocks of points
(structure of arrays); ``value`` / ``grad`` wrap the same maths for ``(..., 2)`` points.

Stationary points are not typed in by hand: when a surface is built, Newton's method runs from a
dense grid over its bounds and what it finds is classified by the Hessian's eigenvalues. Only
non-degenerate points are listed (one with a zero curvature, like the origin of x⁴ + y², is
left out). The tests check the results against the literature values and against a brute-force
grid search.

The :class:`Surface` base class lives in :mod:`gdsim.surfaces.base` and the stationary-point
search in :mod:`gdsim.surfaces.stationary`; this module is the catalogue, ``get`` and ``custom``.

>>> s = get("himmelblau")
>>> s.minima[0].tolist(), int(s.nearest_minimum([2.999, 2.001]))
([3.0, 2.0], 0)
"""

from __future__ import annotations

import difflib
import inspect

import numpy as np

from gdsim.arguments import check_finite, check_nonnegative, check_positive
from gdsim.registry import Registry
from gdsim.surfaces.base import Surface, _as_points, _read_only


def _number(name, value):
    """A single finite real number."""
    check_finite(name, value)
    if np.ndim(value) != 0:
        raise TypeError(f"{name} must be a single number, got an array of shape {np.shape(value)}")
    return float(value)


# --- the catalogue ------------------------------------------------------------------------


class Quadratic(Surface):
    """f(x, y) = ½ pᵀ H p  with  H = R(angle) diag(1, condition) R(angle)ᵀ,  p = (x, y).

    ``condition`` is the ratio of the two curvatures; at ``angle`` = 0 (degrees, anticlockwise)
    the valley runs along x and the steep direction is y. ``matrix`` is H (so ``hessian(p)`` is H
    everywhere) and ``lipschitz`` its largest eigenvalue max(1, condition): gradient descent
    converges for lr < 2 / lipschitz.
    """

    name = "quadratic"
    description = "an elongated bowl ½pᵀHp; condition number and rotation angle are parameters"
    bounds = ((-2.0, 2.0), (-2.0, 2.0))

    def __init__(self, condition=10.0, angle=0.0):
        condition, angle = _number("condition", condition), _number("angle", angle)
        check_positive("condition", condition)
        self.params = {"condition": condition, "angle": angle}
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        rotation = np.array([[c, -s], [s, c]])
        self.matrix = _read_only(rotation @ np.diag([1.0, condition]) @ rotation.T)
        self.lipschitz = max(1.0, condition)
        (self._a, self._b), (_, self._c) = self.matrix
        super().__init__()

    def hessian(self, points):
        """H at every point, exactly: shape (..., 2, 2)."""
        return np.broadcast_to(self.matrix, _as_points(points).shape[:-1] + (2, 2))

    def _value(self, x, y):
        return 0.5 * (self._a * x * x + 2 * self._b * x * y + self._c * y * y)

    def _grad(self, x, y):
        return self._a * x + self._b * y, self._b * x + self._c * y


class Saddle(Surface):
    """f(x, y) = x⁴/4 − x²/2 + y²/2.

    A saddle at the origin (downhill along x, uphill along y) and two minima at (±1, 0) with
    f = −1/4, so a run that escapes the saddle settles instead of running off forever.
    """

    name = "saddle"
    description = "a saddle at the origin between two minima at (±1, 0)"
    bounds = ((-2.0, 2.0), (-1.5, 1.5))

    def _value(self, x, y):
        x2 = x * x
        return 0.25 * x2 * x2 - 0.5 * x2 + 0.5 * y * y

    def _grad(self, x, y):
        return x * x * x - x, 1.0 * y  # 1.0 * y: a new array, never the caller's y


class Himmelblau(Surface):
    """f(x, y) = (x² + y − 11)² + (x + y² − 7)².

    Four minima with f = 0: (3, 2), (−2.805118, 3.131312), (−3.779310, −3.283186),
    (3.584428, −1.848126); a local maximum near (−0.27, −0.92) and four saddles.
    """

    name = "himmelblau"
    description = "four equal minima (f = 0), a local maximum and four saddles"
    bounds = ((-5.0, 5.0), (-5.0, 5.0))

    # The benchmark's hot path: in-place updates make one temporary per array, not per operation.
    @staticmethod
    def _terms(x, y):
        a = x * x
        a += y
        a -= 11.0  # a = x² + y − 11
        b = y * y
        b += x
        b -= 7.0  # b = x + y² − 7
        return a, b

    def _value(self, x, y):
        a, b = self._terms(x, y)
        a *= a
        b *= b
        a += b
        return a

    def _grad(self, x, y):
        a, b = self._terms(x, y)
        gx = x * a
        gx *= 2.0
        gx += b
        gx *= 2.0  # 4xa + 2b
        gy = y * b
        gy *= 2.0
        gy += a
        gy *= 2.0  # 4yb + 2a
        return gx, gy


class Rosenbrock(Surface):
    """f(x, y) = (a − x)² + b (y − x²)²; the minimum is (a, a²), f = 0.

    A long, curved, flat-bottomed valley: finding it is easy, following it is slow.
    """

    name = "rosenbrock"
    description = "a long curved banana-shaped valley; minimum at (a, a²) = (1, 1)"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a=1.0, b=100.0):
        a, b = _number("a", a), _number("b", b)
        check_positive("b", b)
        self.params = {"a": a, "b": b}
        # the classic picture for a = 1, widened when the minimum (a, a²) would fall outside it
        self.bounds = (
            (min(-2.0, a - 1), max(2.0, a + 1)),
            (min(-1.0, a * a - 1), max(3.0, a * a + 1)),
        )
        super().__init__()

    def _value(self, x, y):
        a, b = self.params["a"], self.params["b"]
        r = y - x * x
        return (a - x) ** 2 + b * r * r

    def _grad(self, x, y):
        a, b = self.params["a"], self.params["b"]
        r = y - x * x
        return 2.0 * (x - a) - 4.0 * b * x * r, 2.0 * b * r


class Beale(Surface):
    """f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; minimum (3, 0.5), f = 0.

    Steep walls and long flat arms; values span five decades, so plot it on a log scale.
    """

    name = "beale"
    description = "steep walls, flat arms and a sharp valley; minimum at (3, 0.5)"
    bounds = ((-4.5, 4.5), (-4.5, 4.5))

    def _value(self, x, y):
        y2 = y * y
        t1, t2, t3 = 1.5 + x * (y - 1), 2.25 + x * (y2 - 1), 2.625 + x * (y2 * y - 1)
        return t1 * t1 + t2 * t2 + t3 * t3

    def _grad(self, x, y):
        y2 = y * y
        t1, t2, t3 = 1.5 + x * (y - 1), 2.25 + x * (y2 - 1), 2.625 + x * (y2 * y - 1)
        gx = 2.0 * (t1 * (y - 1) + t2 * (y2 - 1) + t3 * (y2 * y - 1))
        gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
        return gx, gy


class Booth(Surface):
    """f(x, y) = (x + 2y − 7)² + (2x + y − 5)²; minimum (1, 3), f = 0 (a tilted quadratic bowl)."""

    name = "booth"
    description = "a tilted quadratic bowl; minimum at (1, 3)"
    bounds = ((-10.0, 10.0), (-10.0, 10.0))

    def _value(self, x, y):
        u, v = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return u * u + v * v

    def _grad(self, x, y):
        u, v = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return 2.0 * u + 4.0 * v, 4.0 * u + 2.0 * v


class ThreeHumpCamel(Surface):
    """f(x, y) = 2x² − 1.05x⁴ + x⁶/6 + xy + y².

    Global minimum at the origin, two shallower minima near (±1.748, ∓0.874), saddles between.
    """

    name = "three_hump_camel"
    description = "a global minimum at the origin flanked by two shallower minima"
    bounds = ((-2.0, 2.0), (-2.0, 2.0))

    def _value(self, x, y):
        x2 = x * x
        return x2 * (2.0 + x2 * (x2 / 6.0 - 1.05)) + x * y + y * y

    def _grad(self, x, y):
        x2 = x * x
        return x * (4.0 + x2 * (x2 - 4.2)) + y, x + 2.0 * y


class SixHumpCamel(Surface):
    """f(x, y) = (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y².

    Six minima: two global, f = −1.031628, at (0.0898, −0.7126) and (−0.0898, 0.7126); two at
    (±1.7036, ∓0.7961), f = −0.2155; two at (±1.6071, ±0.5687), f = 2.1043.
    """

    name = "six_hump_camel"
    description = "six minima: two global at (±0.0898, ∓0.7126) and four local ones"
    bounds = ((-2.0, 2.0), (-1.1, 1.1))

    def _value(self, x, y):
        x2, y2 = x * x, y * y
        return x2 * (4.0 + x2 * (x2 / 3.0 - 2.1)) + x * y + y2 * (4.0 * y2 - 4.0)

    def _grad(self, x, y):
        x2 = x * x
        return x * (8.0 + x2 * (2.0 * x2 - 8.4)) + y, x + y * (16.0 * y * y - 8.0)


class StyblinskiTang(Surface):
    """f(x, y) = ½ Σ (t⁴ − 16t² + 5t) over t in (x, y).

    Separable: each coordinate has minima at −2.903534 and 2.746803, so four minima; the global
    one is (−2.903534, −2.903534), f = −78.332.
    """

    name = "styblinski_tang"
    description = "a separable quartic with four minima; global at (-2.9035, -2.9035)"
    bounds = ((-5.0, 5.0), (-5.0, 5.0))

    def _value(self, x, y):
        x2, y2 = x * x, y * y
        return 0.5 * (x2 * (x2 - 16.0) + 5.0 * x + y2 * (y2 - 16.0) + 5.0 * y)

    def _grad(self, x, y):
        return x * (2.0 * x * x - 16.0) + 2.5, y * (2.0 * y * y - 16.0) + 2.5


class Rastrigin(Surface):
    """f(x, y) = 2a + x² − a cos(2πx) + y² − a cos(2πy), a = 10 by default.

    A bowl covered in ripples: a local minimum near every integer point (25 in view), global at
    the origin, f = 0.
    """

    name = "rastrigin"
    description = "a bowl covered in ripples: 25 local minima in view, global at the origin"
    bounds = ((-2.5, 2.5), (-2.5, 2.5))

    def __init__(self, a=10.0):
        a = _number("a", a)
        check_nonnegative("a", a)
        self.params = {"a": a}
        super().__init__()

    def _value(self, x, y):
        a = self.params["a"]
        return 2.0 * a + x * x + y * y - a * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y))

    def _grad(self, x, y):
        k = 2 * np.pi * self.params["a"]
        return 2.0 * x + k * np.sin(2 * np.pi * x), 2.0 * y + k * np.sin(2 * np.pi * y)


class Plateau(Surface):
    """f(x, y) = height (1 − exp(−(x − center)² / (2 width²))) + ½ curvature y².

    A shelf at f ≈ height whose gradient decays like a Gaussian tail (≈ 1e-7 at eight widths),
    then a drop into a trench with its minimum at (center, 0). The bounds show mostly shelf.
    """

    name = "plateau"
    description = "a nearly flat shelf (tiny gradients) before a drop into a clear minimum"

    def __init__(self, height=1.0, width=0.75, center=2.0, curvature=1.0):
        height, width = _number("height", height), _number("width", width)
        center, curvature = _number("center", center), _number("curvature", curvature)
        for name, value in (("height", height), ("width", width), ("curvature", curvature)):
            check_positive(name, value)
        self.params = {"height": height, "width": width, "center": center, "curvature": curvature}
        self.bounds = ((center - 8 * width, center + 8 * width / 3), (-2.0, 2.0))
        super().__init__()

    def _value(self, x, y):
        p = self.params
        d = (x - p["center"]) / p["width"]
        # -expm1 keeps 1 − exp(−u) accurate near the minimum, where f − f* is tiny
        return -p["height"] * np.expm1(-0.5 * d * d) + 0.5 * p["curvature"] * y * y

    def _grad(self, x, y):
        p = self.params
        d = (x - p["center"]) / p["width"]
        return (p["height"] / p["width"]) * d * np.exp(-0.5 * d * d), p["curvature"] * y


class GaussianWells(Surface):
    """f(p) = ½ bowl |p|² − Σᵢ depthᵢ exp(−|p − centerᵢ|² / (2 widthᵢ²)).

    The default is the sharp-versus-flat lesson: a deep narrow well at (1.5, 0) (the global
    minimum, curvature ≈ 22, a small basin) and a shallow wide well at (−1.5, 0) (curvature ≈ 1.1,
    a large basin), on a gentle bowl that keeps runs from wandering off. ``depths`` and
    ``widths`` may be single numbers shared by every well.
    """

    name = "gaussian_wells"
    description = (
        "a deep narrow well and a shallow wide well on a gentle bowl (sharp vs flat minima)"
    )

    def __init__(
        self, centers=((1.5, 0.0), (-1.5, 0.0)), depths=(2.0, 1.0), widths=(0.3, 1.0), bowl=0.1
    ):
        centers = _as_points(centers, "centers")
        if centers.ndim != 2 or len(centers) == 0:
            raise ValueError(
                f"centers must have shape (k, 2) with k >= 1, got shape {centers.shape}"
            )
        check_finite("centers", centers)
        k = len(centers)
        arrays = {}
        for name, value in (("depths", depths), ("widths", widths)):
            check_positive(name, value)
            array = np.asarray(value, dtype=np.float64)
            if array.ndim > 1 or array.size not in (1, k):
                raise ValueError(
                    f"{name} must be a number or one value per center ({k}), got {value!r}"
                )
            arrays[name] = np.broadcast_to(array, (k,))
        bowl = _number("bowl", bowl)
        check_nonnegative("bowl", bowl)
        self.params = {
            "centers": tuple(map(tuple, centers.tolist())),
            "depths": tuple(arrays["depths"].tolist()),
            "widths": tuple(arrays["widths"].tolist()),
            "bowl": bowl,
        }
        # show every well with room around it, and never less than the default picture
        reach = 2.5 * arrays["widths"]
        self.bounds = (
            (min(-4.0, (centers[:, 0] - reach).min()), max(4.0, (centers[:, 0] + reach).max())),
            (min(-3.0, (centers[:, 1] - reach).min()), max(3.0, (centers[:, 1] + reach).max())),
        )
        super().__init__()

    def _wells(self):
        p = self.params
        return zip(p["centers"], p["depths"], (-0.5 / w**2 for w in p["widths"]))

    def _value(self, x, y):
        f = (0.5 * self.params["bowl"]) * (x * x + y * y)
        for (cx, cy), depth, k in self._wells():
            dx, dy = x - cx, y - cy
            f -= depth * np.exp(k * (dx * dx + dy * dy))
        return f

    def _grad(self, x, y):
        bowl = self.params["bowl"]
        gx, gy = bowl * x, bowl * y
        for (cx, cy), depth, k in self._wells():
            dx, dy = x - cx, y - cy
            pull = (-2.0 * k * depth) * np.exp(k * (dx * dx + dy * dy))  # depth/w² · e
            gx += pull * dx
            gy += pull * dy
        return gx, gy


REGISTRY = Registry("surface")
register = REGISTRY.register
names = REGISTRY.names  # in teaching order
describe = REGISTRY.describe

for _cls in (
    Quadratic,
    Saddle,
    Himmelblau,
    Rosenbrock,
    Beale,
    Booth,
    ThreeHumpCamel,
    SixHumpCamel,
    StyblinskiTang,
    Rastrigin,
    Plateau,
    GaussianWells,
):
    register(_cls.name, _cls, _cls.description)
del _cls


def get(name, **params):
    """The surface called ``name`` built with ``params``, e.g. ``get("quadratic", condition=50)``.

    A Surface passes through unchanged. Unknown names raise a ValueError with a did-you-mean;
    unknown parameters a TypeError listing the allowed ones.
    """
    if isinstance(name, Surface):
        if params:
            raise TypeError(
                f"parameters {sorted(params)} cannot be applied to an existing surface {name!r}"
            )
        return name
    cls = REGISTRY.factory(name)
    allowed = [p for p in inspect.signature(cls).parameters]
    for key in params:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            takes = ", ".join(map(repr, allowed)) if allowed else "none"
            raise TypeError(
                f"surface {name!r} has no parameter {key!r}{hint} Its parameters: {takes}"
            )
    return cls(**params)


def as_surface(surface, gradient=True):
    """``surface`` itself if it is a Surface, the catalogue's surface if it is a name, else a
    TypeError. A Surface is anything with ``value_xy`` and ``bounds`` (enough to draw it) and,
    where ``gradient`` is needed to run on it, ``grad_xy``."""
    if isinstance(surface, str):
        return get(surface)
    needed = ("value_xy", "bounds") + (("grad_xy",) if gradient else ())
    if not all(hasattr(surface, a) for a in needed):
        raise TypeError(f"surface must be a gdsim Surface or a surface name, got {surface!r}")
    return surface
