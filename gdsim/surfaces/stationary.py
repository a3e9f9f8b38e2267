"""Where a surface is flat: its minima, saddles and maxima, found numerically.

Stationary points are not typed in by hand. When a :class:`gdsim.surfaces.Surface` is built,
Newton's method runs from a dense grid over its bounds, near-duplicates are merged, and what is
left is classified by the eigenvalues of the Hessian. Only non-degenerate points are listed (one
with a zero curvature, like the origin of x⁴ + y², is left out). Minima come global first.
"""

from __future__ import annotations

import numpy as np


def _stationary_points(surface, n=64, iterations=60):
    """(minima, saddles, maxima) inside the bounds: Newton's method from an n x n grid.

    Steps are capped at one grid cell so each start settles on a nearby stationary point rather
    than being flung across the picture; starts that wander off or never converge are dropped.
    """
    (x0, x1), (y0, y1) = surface.bounds
    diagonal = np.hypot(x1 - x0, y1 - y0)
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    x, y = X.ravel(), Y.ravel()

    def newton_step(x, y):
        gx, gy = surface._grad(x, y)
        hxx, hxy, hyy = surface._hessian_xy(x, y)
        det = hxx * hyy - hxy * hxy
        return (hyy * gx - hxy * gy) / det, (hxx * gy - hxy * gx) / det

    with np.errstate(all="ignore"):  # far-off or singular starts turn into NaN and are dropped
        for _ in range(iterations):
            dx, dy = newton_step(x, y)
            shrink = np.minimum(1.0, diagonal / n / np.hypot(dx, dy))
            x, y = x - shrink * dx, y - shrink * dy
        dx, dy = newton_step(x, y)
        x, y = x - dx, y - dy
        slack = 1e-9 * diagonal
        keep = (
            (np.hypot(dx, dy) <= 1e-9 * diagonal)
            & (x >= x0 - slack)
            & (x <= x1 + slack)
            & (y >= y0 - slack)
            & (y <= y1 + slack)
        )
        points = _distinct(np.column_stack((x[keep], y[keep])), 1e-6 * diagonal)
        hxx, hxy, hyy = surface._hessian_xy(points[:, 0], points[:, 1])
    mean, radius = (hxx + hyy) / 2, np.hypot((hxx - hyy) / 2, hxy)
    low, high = mean - radius, mean + radius
    flat = 1e-6 * np.maximum(np.abs(low), np.abs(high))  # an eigenvalue this small: degenerate
    minima, maxima = points[low > flat], points[high < -flat]
    saddles = points[(low < -flat) & (high > flat)]
    # global first; ties (Himmelblau's four zeros) by distance from the origin, then larger x
    values = np.round(surface._value(minima[:, 0], minima[:, 1]), 9)
    radii = np.round(np.hypot(minima[:, 0], minima[:, 1]), 9)
    minima = minima[np.lexsort((-minima[:, 0], radii, values))]
    return minima, saddles, maxima


def _distinct(points, tol):
    """The points with near-duplicates (closer than ``tol``) merged, sorted by x then y."""
    points = points[np.lexsort((points[:, 1], points[:, 0]))]
    kept = []
    for p in np.unique(np.round(points / tol), axis=0, return_index=True)[1]:
        if all(np.hypot(*(points[p] - q)) > tol for q in kept):
            kept.append(points[p])
    return np.array(kept).reshape(-1, 2)
