"""Tests for gdsim.surfaces: gradients, stationary points, shapes, registry and custom surfaces.

Every catalogue surface is covered through ``surfaces.names()``; the checks on stationary points
use finite differences of ``value`` and a brute-force grid, never the code that found them.
"""

import numpy as np
import pytest

from gdsim import surfaces

NAMES = surfaces.names()

# how many non-degenerate minima and saddles each surface has inside its bounds (literature /
# by hand: e.g. Rastrigin has 5 minima and 4 maxima per coordinate in [-2.5, 2.5], so 5·5
# minima and 2·5·4 saddles); a new surface adds one entry here
COUNTS = {
    "quadratic": (1, 0),
    "saddle": (2, 1),
    "himmelblau": (4, 4),
    "rosenbrock": (1, 0),
    "beale": (1, 2),
    "booth": (1, 0),
    "three_hump_camel": (3, 2),
    "six_hump_camel": (6, 7),
    "styblinski_tang": (4, 4),
    "rastrigin": (25, 40),
    "plateau": (1, 0),
    "gaussian_wells": (2, 1),
}


def fd_grad(f, p, h=1e-3):
    """Five-point central differences of f at points p (n, 2), step scaled per coordinate."""
    g = np.empty_like(p)
    for i in range(2):
        e = np.zeros(2)
        e[i] = 1.0
        s = (h * np.maximum(1.0, np.abs(p[:, i])))[:, None]
        g[:, i] = (-f(p + 2 * s * e) + 8 * f(p + s * e) - 8 * f(p - s * e) + f(p - 2 * s * e)) / (
            12 * s[:, 0]
        )
    return g


def fd_hessian(f, p, h=1e-4):
    """Second differences of f (values only) at one point p (2,)."""
    h = h * max(1.0, np.abs(p).max())
    e = np.eye(2) * h
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            H[i, j] = (
                f(p + e[i] + e[j]) - f(p + e[i] - e[j]) - f(p - e[i] + e[j]) + f(p - e[i] - e[j])
            ) / (4 * h * h)
    return H


def random_points(surface, n, seed=0):
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    return np.column_stack((rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)))


@pytest.fixture(params=NAMES)
def surface(request):
    return surfaces.get(request.param)


def test_counts_table_covers_catalogue():
    assert set(COUNTS) == set(NAMES)


# --- gradients ------------------------------------------------------------------------------


def test_gradient_matches_finite_differences(surface):
    p = random_points(surface, 500)
    g = surface.grad(p)
    fd = fd_grad(surface.value, p)
    scale = np.abs(g).max(axis=1, keepdims=True) + 1.0
    np.testing.assert_array_less(np.abs(g - fd) / scale, 1e-6)


def test_xy_path_agrees_with_points_path(surface):
    p = random_points(surface, 64, seed=1)
    x, y = p[:, 0].copy(), p[:, 1].copy()
    np.testing.assert_array_equal(surface.value_xy(x, y), surface.value(p))
    gx, gy = surface.grad_xy(x, y)
    np.testing.assert_array_equal(np.stack((gx, gy), axis=-1), surface.grad(p))
    np.testing.assert_array_equal(x, p[:, 0])  # inputs untouched by the in-place maths
    np.testing.assert_array_equal(y, p[:, 1])


def test_grad_xy_returns_fresh_arrays(surface):
    x, y = np.linspace(-1, 1, 5), np.linspace(1, -1, 5)
    gx, gy = surface.grad_xy(x, y)
    assert not np.shares_memory(gx, x) and not np.shares_memory(gy, y)
    assert not np.shares_memory(gx, y) and not np.shares_memory(gy, x)


# --- stationary points ----------------------------------------------------------------------


def test_expected_numbers_of_minima_and_saddles(surface):
    assert (len(surface.minima), len(surface.saddles)) == COUNTS[surface.name]


def test_minima_are_stationary_local_minima_inside_bounds(surface):
    (x0, x1), (y0, y1) = surface.bounds
    assert surface.minima.shape == (len(surface.minima), 2) and len(surface.minima) >= 1
    for point in surface.minima:
        assert x0 <= point[0] <= x1 and y0 <= point[1] <= y1
        np.testing.assert_allclose(surface.grad(point), 0, atol=1e-8)
        eigenvalues = np.linalg.eigvalsh(fd_hessian(surface.value, point))
        assert eigenvalues.min() > 1e-5 * max(1.0, eigenvalues.max()), (point, eigenvalues)


def test_minima_values_and_global_first(surface):
    np.testing.assert_array_equal(surface.minima_values, surface.value(surface.minima))
    assert surface.minima_values.shape == (len(surface.minima),)
    assert np.all(surface.minima_values[0] <= surface.minima_values + 1e-12)
    # nothing on a fine grid over the bounds is lower than the global minimum
    _, _, Z = surface.grid(801)
    assert Z.min() >= surface.minima_values[0] - 1e-9


def compass_search(f, p, step, inside):
    """Derivative-free descent from each point of p (m, 2): try 8 directions, double the step on
    success, halve it on failure. A point stops when its step is tiny or it leaves ``inside``."""
    directions = np.array(
        [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)], dtype=float
    )
    p, fp, step = p.copy(), f(p), np.full(len(p), step)
    for _ in range(100_000):
        active = (step > 1e-10) & inside(p)
        if not active.any():
            break
        trial = p[active, None, :] + step[active, None, None] * directions
        ft = f(trial)
        k = np.argmin(ft, axis=1)
        best = ft[np.arange(len(k)), k]
        better = best < fp[active]
        moved = np.flatnonzero(active)[better]
        p[moved], fp[moved] = trial[better, k[better]], best[better]
        step[active] *= np.where(better, 2.0, 0.5)
    return p


def test_grid_search_finds_no_unlisted_minimum(surface):
    """Descending from every strict local minimum of a fine grid ends at a listed minimum.

    (A descent that leaves the bounds followed a valley out of the picture: no minimum inside.)
    """
    n = 397  # an odd spacing, so symmetric neighbours do not tie
    X, Y, Z = surface.grid(n)
    centre = Z[1:-1, 1:-1]
    lower = np.ones_like(centre, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                lower &= centre < Z[1 + dy : n - 1 + dy, 1 + dx : n - 1 + dx]
    found = np.column_stack((X[1:-1, 1:-1][lower], Y[1:-1, 1:-1][lower]))
    assert len(found) >= 1
    cell = X[0, 1] - X[0, 0]
    (x0, x1), (y0, y1) = surface.bounds

    def inside(p):
        return (x0 <= p[:, 0]) & (p[:, 0] <= x1) & (y0 <= p[:, 1]) & (p[:, 1] <= y1)

    ends = compass_search(surface.value, found, cell, inside)
    reached = set()
    for start, end in zip(found[inside(ends)], ends[inside(ends)]):
        distance = np.hypot(*(surface.minima - end).T)
        assert distance.min() < 1e-5, (start, end)
        reached.add(int(np.argmin(distance)))
    assert reached == set(range(len(surface.minima)))  # and the grid sees every listed one


def test_saddles_are_stationary_and_indefinite(surface):
    assert surface.saddles.shape == (len(surface.saddles), 2)
    for point in surface.saddles:
        np.testing.assert_allclose(surface.grad(point), 0, atol=1e-8)
        eigenvalues = np.linalg.eigvalsh(fd_hessian(surface.value, point))
        assert eigenvalues.min() < -1e-6 < 1e-6 < eigenvalues.max(), (point, eigenvalues)


def test_maxima_are_stationary_local_maxima(surface):
    for point in surface.maxima:
        np.testing.assert_allclose(surface.grad(point), 0, atol=1e-8)
        assert np.linalg.eigvalsh(fd_hessian(surface.value, point)).max() < 0


def test_stationary_arrays_are_read_only(surface):
    with pytest.raises(ValueError):
        surface.minima[0, 0] = 1.0


KNOWN_MINIMA = {
    "himmelblau": [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
    "six_hump_camel": [
        (0.0898, -0.7126),
        (-0.0898, 0.7126),
        (1.7036, -0.7961),
        (-1.7036, 0.7961),
        (1.6071, 0.5687),
        (-1.6071, -0.5687),
    ],
    "styblinski_tang": [
        (-2.903534, -2.903534),
        (2.746803, -2.903534),
        (-2.903534, 2.746803),
        (2.746803, 2.746803),
    ],
    "beale": [(3, 0.5)],
    "booth": [(1, 3)],
    "rosenbrock": [(1, 1)],
    "quadratic": [(0, 0)],
    "saddle": [(1, 0), (-1, 0)],
    "three_hump_camel": [(0, 0), (1.747552, -0.873776), (-1.747552, 0.873776)],
    "plateau": [(2, 0)],
    "rastrigin": [(0, 0)],
    # on y = 0 by symmetry; roots of
    # 0.1x + 2(x - 1.5)/0.09·e^(-(x-1.5)²/0.18) + (x + 1.5)·e^(-(x+1.5)²/2)
    # found by bracketing (scipy.optimize.brentq), independent of gdsim's Newton search
    "gaussian_wells": [(1.491750991, 0), (-1.362459248, 0)],
}


@pytest.mark.parametrize("name", sorted(KNOWN_MINIMA))
def test_literature_minima(name):
    s = surfaces.get(name)
    expected = np.array(KNOWN_MINIMA[name], dtype=float)
    np.testing.assert_allclose(s.minima[0], expected[0], atol=1e-4)  # the global one comes first
    for point in expected:
        assert np.hypot(*(s.minima - point).T).min() < 1e-4, point


def test_literature_values():
    np.testing.assert_allclose(
        surfaces.get("six_hump_camel").minima_values[:2], -1.0316284535, atol=1e-9
    )
    np.testing.assert_allclose(
        surfaces.get("styblinski_tang").minima_values[0], -78.33233140754, atol=1e-9
    )
    np.testing.assert_allclose(
        surfaces.get("himmelblau").maxima, [[-0.270845, -0.923039]], atol=1e-6
    )
    np.testing.assert_allclose(surfaces.get("saddle").saddles, [[0, 0]], atol=1e-12)


def test_rastrigin_minima_near_every_integer_point():
    s = surfaces.get("rastrigin")
    assert s.minima_values[0] == 0 and np.all(s.minima[0] == 0)
    integers = np.stack(np.meshgrid(np.arange(-2, 3), np.arange(-2, 3)), axis=-1).reshape(-1, 2)
    distance = np.hypot(*(s.minima[:, None, :] - integers[None]).T)
    assert np.all(distance.min(axis=0) < 0.02)


def test_gaussian_wells_default_is_deep_narrow_versus_shallow_wide():
    s = surfaces.get("gaussian_wells")
    deep, shallow = s.minima
    assert deep[0] > 1 > -1 > shallow[0]  # the narrow well at x = 1.5 is the global minimum
    curvature = [np.linalg.eigvalsh(fd_hessian(s.value, p)).min() for p in s.minima]
    assert curvature[0] > 10 * curvature[1]


def test_plateau_shelf_is_nearly_flat_then_drops():
    s = surfaces.get("plateau")
    (x0, _), _ = s.bounds
    shelf = np.column_stack((np.linspace(x0, x0 + 2, 50), np.zeros(50)))
    g = s.grad(shelf)
    assert np.abs(g).max() < 1e-4 and np.all(g[:, 0] <= 0)  # tiny, and pointing toward the drop
    drop = s.grad([s.minima[0, 0] - s.params["width"], 0.0])
    assert abs(drop[0]) > 0.5
    assert s.value(shelf).min() > s.minima_values[0] + 0.9 * s.params["height"]


# --- shapes and plumbing --------------------------------------------------------------------


def test_shapes(surface):
    assert np.shape(surface.value([0.5, 0.25])) == ()
    assert surface.grad([0.5, 0.25]).shape == (2,)
    p = random_points(surface, 7)
    assert surface.value(p).shape == (7,) and surface.grad(p).shape == (7, 2)
    X, Y, Z = surface.grid(30)
    assert X.shape == Y.shape == Z.shape == (30, 30)
    stacked = np.stack((X, Y), axis=-1)
    np.testing.assert_array_equal(surface.value(stacked), Z)
    assert surface.grad(stacked).shape == (30, 30, 2)
    (x0, x1), (y0, y1) = surface.bounds
    assert (X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0]) == (x0, x1, y0, y1)
    assert surface.value(stacked).dtype == np.float64


def test_lists_and_integers_are_accepted():
    s = surfaces.get("booth")
    assert s.value([[1, 3], [0, 0]]).dtype == np.float64
    np.testing.assert_array_equal(s.value([[1, 3], [0, 0]]), [0.0, 74.0])
    gx, gy = s.grad_xy([0, 1], [0, 3])
    np.testing.assert_array_equal(gx, [-34.0, 0.0])


@pytest.mark.parametrize("bad", [[1, 2, 3], [[1, 2, 3]], 5.0])
def test_points_must_end_in_two(bad):
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        surfaces.get("himmelblau").value(bad)


def test_non_numeric_points_are_a_type_error():
    with pytest.raises(TypeError, match="points"):
        surfaces.get("himmelblau").grad([["a", "b"]])


def test_no_warnings_far_outside_bounds(surface):
    # pytest turns RuntimeWarnings into errors (pyproject), so this also checks for warnings
    far = (
        1e3
        * np.array([[1.0, 1.0], [-1.0, 0.5], [0.0, -1.0]])
        * np.hypot(*np.ptp(surface.bounds, axis=1))
    )
    assert np.isfinite(surface.value(far)).all() and np.isfinite(surface.grad(far)).all()


def test_nearest_minimum(surface):
    rng = np.random.default_rng(3)
    tol = surface.default_tol
    (x0, x1), (y0, y1) = surface.bounds
    assert tol == pytest.approx(1e-3 * np.hypot(x1 - x0, y1 - y0))
    offsets = rng.normal(size=surface.minima.shape)
    offsets *= 0.5 * tol / np.linalg.norm(offsets, axis=1, keepdims=True)
    near = surface.minima + offsets
    np.testing.assert_array_equal(surface.nearest_minimum(near), np.arange(len(surface.minima)))
    outside = surface.minima + 3 * offsets  # 1.5 tol away
    np.testing.assert_array_equal(surface.nearest_minimum(outside), -1)
    np.testing.assert_array_equal(
        surface.nearest_minimum(outside, tol=2 * tol), np.arange(len(surface.minima))
    )
    grid = np.broadcast_to(near[0], (3, 4, 2))
    assert surface.nearest_minimum(grid).shape == (3, 4) and np.all(
        surface.nearest_minimum(grid) == 0
    )
    assert surface.nearest_minimum([np.nan, 0.0]) == -1
    assert surface.nearest_minimum([1e300, -1e300]) == -1


def test_nearest_minimum_bad_tol():
    with pytest.raises(ValueError, match="tol must be >= 0"):
        surfaces.get("himmelblau").nearest_minimum([3, 2], tol=-1)


def test_repr_names_surface_and_params():
    text = repr(surfaces.get("quadratic", condition=4, angle=30))
    assert (
        "quadratic" in text
        and "condition=4.0" in text
        and "angle=30.0" in text
        and "1 minimum" in text
    )
    assert "4 minima" in repr(surfaces.get("himmelblau"))


def test_grid_bad_n():
    with pytest.raises(ValueError, match="n must be >= 2"):
        surfaces.get("booth").grid(1)


# --- registry -------------------------------------------------------------------------------


def test_names_and_describe():
    described = surfaces.describe()
    assert list(described) == NAMES and len(NAMES) == len(set(NAMES)) >= 12
    for name, line in described.items():
        assert line and "\n" not in line and surfaces.get(name).description == line
        assert surfaces.get(name).name == name


def test_unknown_surface_did_you_mean():
    with pytest.raises(
        ValueError, match=r"unknown surface 'himmelblua'; did you mean 'himmelblau'\?"
    ):
        surfaces.get("himmelblua")


def test_get_passes_a_surface_through():
    s = surfaces.get("booth")
    assert surfaces.get(s) is s
    with pytest.raises(TypeError):
        surfaces.get(s, a=1)


def test_unknown_parameter_is_a_type_error():
    with pytest.raises(TypeError, match=r"'conditon'; did you mean 'condition'\?"):
        surfaces.get("quadratic", conditon=3)
    with pytest.raises(TypeError, match=r"'himmelblau' has no parameter 'a'.*none"):
        surfaces.get("himmelblau", a=3)


@pytest.mark.parametrize(
    "name, params, error, message",
    [
        ("quadratic", {"condition": 0}, ValueError, "condition must be > 0, got 0"),
        ("quadratic", {"condition": -3}, ValueError, "condition must be > 0"),
        ("quadratic", {"condition": np.nan}, ValueError, "condition must not be NaN"),
        ("quadratic", {"angle": "left"}, TypeError, "angle"),
        ("quadratic", {"condition": [1, 2]}, TypeError, "condition must be a single number"),
        ("rosenbrock", {"b": 0}, ValueError, "b must be > 0"),
        ("rastrigin", {"a": -1}, ValueError, "a must be >= 0"),
        ("plateau", {"width": 0}, ValueError, "width must be > 0"),
        ("gaussian_wells", {"depths": (1, 2, 3)}, ValueError, "one value per center"),
        ("gaussian_wells", {"widths": (0.5, -1)}, ValueError, "widths must be > 0"),
        ("gaussian_wells", {"centers": (1, 2, 3)}, ValueError, "centers must have shape"),
        ("gaussian_wells", {"bowl": -0.1}, ValueError, "bowl must be >= 0"),
    ],
)
def test_bad_parameters(name, params, error, message):
    with pytest.raises(error, match=message):
        surfaces.get(name, **params)


def test_parameters_change_the_surface():
    s = surfaces.get("rosenbrock", a=2.0, b=10.0)
    np.testing.assert_allclose(s.minima, [[2.0, 4.0]], atol=1e-9)
    assert s.params == {"a": 2.0, "b": 10.0}
    w = surfaces.get("gaussian_wells", centers=[(0, 5)], depths=3, widths=0.5, bowl=0.0)
    np.testing.assert_allclose(w.minima, [[0, 5]], atol=1e-9)
    assert w.bounds[1][1] >= 5 + 2.5 * 0.5 and w.params["depths"] == (3.0,)
    assert len(surfaces.get("rastrigin", a=0).minima) == 1  # no ripples: a plain bowl


# --- quadratic ------------------------------------------------------------------------------


@pytest.mark.parametrize("condition, angle", [(10, 0), (50, 30), (0.25, -70), (1, 45)])
def test_quadratic_hessian_and_lipschitz(condition, angle):
    s = surfaces.get("quadratic", condition=condition, angle=angle)
    eigenvalues = np.linalg.eigvalsh(s.matrix)
    np.testing.assert_allclose(sorted(eigenvalues), sorted([1.0, condition]))
    assert s.lipschitz == pytest.approx(eigenvalues.max())
    np.testing.assert_allclose(
        fd_hessian(s.value, np.array([0.3, -0.7])), s.hessian([0.3, -0.7]), rtol=1e-6, atol=1e-6
    )


def test_quadratic_rotation_turns_the_valley():
    flat = surfaces.get("quadratic", condition=20)
    turned = surfaces.get("quadratic", condition=20, angle=30)
    t = np.radians(30)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    p = random_points(flat, 20)
    np.testing.assert_allclose(turned.value(p @ rotation.T), flat.value(p), rtol=1e-12)
    np.testing.assert_allclose(
        surfaces.get("quadratic", condition=20, angle=90).matrix, np.diag([20.0, 1.0]), atol=1e-12
    )
    np.testing.assert_allclose(
        flat.value([[1, 0], [0, 1]]), [0.5, 10.0]
    )  # steep along y at angle 0


# --- custom ---------------------------------------------------------------------------------


def himmelblau_points(p):
    x, y = p[..., 0], p[..., 1]
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def test_custom_finite_difference_gradient_matches_analytic():
    reference = surfaces.get("himmelblau")
    s = surfaces.custom(himmelblau_points)
    p = random_points(reference, 300)
    g = reference.grad(p)
    np.testing.assert_allclose(s.grad(p), g, rtol=1e-7, atol=1e-7 * np.abs(g).max())
    gx, gy = s.grad_xy(p[:, 0], p[:, 1])
    np.testing.assert_array_equal(np.stack((gx, gy), -1), s.grad(p))
    # it finds the same stationary points numerically
    np.testing.assert_allclose(s.minima, reference.minima, atol=1e-6)
    assert len(s.saddles) == 4 and s.name == "custom" and s.params == {}


def test_custom_with_gradient_and_minima():
    def grad(p):
        return 2 * p * np.array([1.0, 4.0])

    s = surfaces.custom(
        lambda p: p[..., 0] ** 2 + 4 * p[..., 1] ** 2,
        grad=grad,
        bounds=((-1, 2), (-1, 1)),
        minima=[(0, 0)],
        name="ellipse",
    )
    np.testing.assert_array_equal(s.grad([[1.0, 1.0]]), [[2.0, 8.0]])
    np.testing.assert_array_equal(s.minima, [[0.0, 0.0]])
    np.testing.assert_array_equal(s.minima_values, [0.0])
    assert s.bounds == ((-1.0, 2.0), (-1.0, 1.0)) and s.name == "ellipse" and "ellipse" in repr(s)
    assert s.nearest_minimum([[1e-4, 0], [0.5, 0]]).tolist() == [0, -1]


def test_custom_minima_keep_the_users_order():
    s = surfaces.custom(
        lambda p: (p[..., 0] ** 2 - 1) ** 2 + p[..., 1] ** 2, minima=[(-1, 0), (1, 0)]
    )
    assert s.nearest_minimum([[1, 0], [-1, 0]]).tolist() == [1, 0]
    found = surfaces.custom(lambda p: (p[..., 0] ** 2 - 1) ** 2 + p[..., 1] ** 2)
    np.testing.assert_allclose(np.abs(found.minima), [[1, 0], [1, 0]], atol=1e-7)
    np.testing.assert_allclose(found.saddles, [[0, 0]], atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"value": 3}, TypeError, "value must be a function"),
        ({"value": himmelblau_points, "grad": "no"}, TypeError, "grad must be a function"),
        ({"value": lambda p: 1.0}, ValueError, r"value must map points .* gave shape \(\)"),
        ({"value": himmelblau_points, "grad": lambda p: p[..., 0]}, ValueError, "grad must map"),
        ({"value": himmelblau_points, "bounds": ((1, 0), (0, 1))}, ValueError, "bounds must be"),
        ({"value": himmelblau_points, "bounds": (0, 1)}, ValueError, "bounds must be"),
        ({"value": himmelblau_points, "minima": [1, 2, 3]}, ValueError, "minima must have shape"),
        ({"value": himmelblau_points, "name": ""}, TypeError, "name must be"),
    ],
)
def test_custom_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        surfaces.custom(**kwargs)


@pytest.mark.parametrize("name", surfaces.names())
def test_hessian_matches_finite_differences_of_the_value(name):
    s = surfaces.get(name)
    (x0, x1), (y0, y1) = s.bounds
    rng = np.random.default_rng(3)
    points = np.column_stack([rng.uniform(x0, x1, 4), rng.uniform(y0, y1, 4)])
    hessians = s.hessian(points)
    assert hessians.shape == (4, 2, 2)
    for point, hessian in zip(points, hessians):
        np.testing.assert_allclose(
            hessian, fd_hessian(s.value, point), rtol=1e-4, atol=1e-4 * (1 + np.abs(hessian).max())
        )
