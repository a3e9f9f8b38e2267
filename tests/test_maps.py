"""Basin and stability maps: the labels must say where each run really went."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gdsim import DIVERGED, NOT_CONVERGED, optimizers, plotting, surfaces
from gdsim.plotting import maps as drawn_maps
from gdsim.sim import maps
from gdsim.teach import gallery


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def pixel_of(basin_map, point):
    return np.argmin(np.abs(basin_map.y - point[1])), np.argmin(np.abs(basin_map.x - point[0]))


@pytest.mark.parametrize("name", ["himmelblau", "six_hump_camel", "saddle"])
def test_starts_at_each_minimum_are_labelled_with_it(name):
    surface = surfaces.get(name)
    # a grid whose pixel centres fall exactly on the minima would be luck; instead the pixel
    # containing each minimum must end there
    basin_map = maps.basins(surface, optimizers.SGD(lr=0.01), 41, 300)
    for k, point in enumerate(surface.minima):
        assert basin_map.labels[pixel_of(basin_map, point)] == k


def test_labels_match_the_runs_and_diverged_starts_are_marked():
    surface = surfaces.get("quadratic", condition=10)
    # lr above 2/L = 0.2: every start off the valley floor diverges
    basin_map = maps.basins(surface, optimizers.SGD(lr=0.25), (6, 8), 400)
    assert basin_map.shape == (6, 8)
    off_axis = np.abs(basin_map.y) > 1e-9
    assert (basin_map.labels[off_axis] == DIVERGED).all()
    stable = maps.basins(surface, optimizers.SGD(lr=0.1), (6, 8), 400)
    assert (stable.labels == 0).all() and (stable.settled_at > 0).all()
    short = maps.basins(surface, optimizers.SGD(lr=1e-4), (4, 4), 5)
    assert (short.labels == NOT_CONVERGED).all() and (short.settled_at == -1).all()


def test_lr_sweep_gives_one_panel_per_value_and_pixel_centres():
    surface = surfaces.get("himmelblau")
    basin_map = maps.basins(
        surface, optimizers.SGD(lr=0.01, momentum=0.5), 16, 60, lr=[0.005, 0.05]
    )
    assert basin_map.labels.shape == (2, 16, 16)
    assert basin_map.cell_labels == ["lr=0.005", "lr=0.05"]
    np.testing.assert_allclose(basin_map.x[[0, -1]], [-5 + 10 / 32, 5 - 10 / 32])
    assert basin_map.optimizer(1).lr == 0.05 and basin_map.optimizer(1).momentum == 0.5
    assert (basin_map.cell(1)[0] == DIVERGED).sum() > (basin_map.cell(0)[0] == DIVERGED).sum()
    drawn = plotting.basins(basin_map, samples=4)
    assert len(drawn.images) == 2 and len(drawn.trajectories[0]) == 4
    np.testing.assert_array_equal(drawn.images[1].get_array(), basin_map.labels[1])
    names = [t.get_text() for t in drawn.legend.get_texts()]
    assert "diverged" in names and "minimum (3.00, 2.00)" in names
    fractions = basin_map.fractions()
    np.testing.assert_allclose(sum(fractions.values()), [1, 1])


def test_class_factory_and_adam_beta2_sweep():
    basin_map = maps.basins(
        "three_hump_camel", optimizers.Adam, 8, 30, lr=[0.05], beta2=[0.9, 0.999]
    )
    assert basin_map.labels.shape == (1, 2, 8, 8)
    assert basin_map.optimizer(1).beta2 == 0.999


def test_stability_classes_on_the_quadratic_follow_the_theory():
    q = surfaces.get("quadratic", condition=10)  # L = 10, so gradient descent needs lr < 0.2
    lrs = np.array([1e-4, 0.05, 0.15, 0.19, 0.21, 0.3])
    m = maps.stability(q, optimizers.SGD, 300, lr=lrs)
    np.testing.assert_array_equal(
        m.classes[0],
        [
            maps.SLOW,
            maps.CONVERGED,
            maps.CONVERGED,
            maps.CONVERGED,
            maps.DIVERGED_CLASS,
            maps.DIVERGED_CLASS,
        ],
    )
    drawn = m.plot()
    np.testing.assert_allclose(
        drawn.limit.get_xdata(), [3.5, 3.5]
    )  # categorical axis: between 0.19 and 0.21
    two = maps.stability(
        q, optimizers.SGD, 200, lr=np.geomspace(0.05, 0.6, 12), momentum=np.linspace(0, 0.9, 4)
    )
    assert two.classes.shape == (4, 12)
    limit = 2 * (1 + two.y[:, None]) / 10
    assert (two.classes[two.x[None, :] > limit * 1.1] == maps.DIVERGED_CLASS).all()
    assert (two.classes[two.x[None, :] < limit * 0.9] != maps.DIVERGED_CLASS).all()
    drawn = two.plot()
    np.testing.assert_array_equal(drawn.mesh.get_array().reshape(two.classes.shape), two.classes)
    np.testing.assert_allclose(drawn.limit.get_xdata(), 2 * (1 + drawn.limit.get_ydata()) / 10)


def test_oscillating_is_bounded_and_not_settling():
    # Rastrigin's ripples keep a large-lr run bouncing between wells without escaping the bowl
    m = maps.stability("rastrigin", optimizers.SGD, 200, start=(0.3, 0.3), lr=[1e-3, 0.02])
    assert m.classes[0, 1] == maps.OSCILLATING
    # its 25 minima share one curvature 2 + 40π², so they share one limit line
    (line,) = drawn_maps.limit_lines(m)
    assert "at 25 minima" in line[2] and f"{2 / (2 + 40 * np.pi**2):.3g}" in line[2]


def test_each_minimum_has_its_own_limit_on_a_stability_map():
    """On a surface with several minima every minimum's 2/λ (or 2(1+μ)/λ) is drawn, and the
    runs started around one minimum turn unstable at that minimum's own limit."""
    himmelblau = surfaces.get("himmelblau")
    curvatures = maps.minimum_curvatures(himmelblau)
    around = np.linspace(0.05, 0.5, 6)[:, None] * np.array([[0.6, 0.8]]) + [3.0, 2.0]
    lrs = np.geomspace(1e-3, 0.1, 60)
    m = maps.stability(himmelblau, optimizers.SGD, 300, lr=lrs, starts=around)
    drawn = m.plot()
    assert len(drawn.limits) == 4 and drawn.limit is drawn.limits[0]
    xs = sorted(line.get_xdata()[0] for line in drawn.limits)
    np.testing.assert_allclose(xs, np.sort(2 / curvatures))
    labels = [t.get_text() for t in drawn.legend.get_texts()]
    k = int(np.argmin(np.hypot(*(himmelblau.minima - [3.0, 2.0]).T)))
    own = 2 / curvatures[k]
    assert any(f"at minimum (3.00, 2.00) = {own:.3g}" in text for text in labels)
    assert (m.classes[:, lrs < own * 0.9] == maps.CONVERGED).all()
    assert (m.classes[:, lrs > own * 1.1] != maps.CONVERGED).all()
    assert not plotting.lint(drawn.ax.figure)

    heavy = maps.stability(
        himmelblau, optimizers.SGD, 60, start=(3.3, 2.3), lr=lrs, momentum=[0.0, 0.45, 0.9]
    )
    lines = drawn_maps.limit_lines(heavy)
    assert len(lines) == 4 and all("2(1+μ)/λ" in label for _, _, label in lines)
    for xs, ys, _ in lines:  # each one 2(1 + μ)/λ of its own minimum
        assert np.isclose(xs[:, None] * curvatures / (2 * (1 + ys[:, None])), 1).all(axis=0).any()
    nesterov = maps.stability(
        himmelblau, optimizers.SGD(momentum=0.9, nesterov=True), 40, lr=lrs, start=(3.3, 2.3)
    )
    assert "2(1+μ)/((1+2μ)λ)" in drawn_maps.limit_lines(nesterov)[0][2]
    assert drawn_maps.limit_lines(maps.stability(himmelblau, optimizers.Adam, 40, lr=lrs)) == []


def test_stability_over_starts_and_bad_input():
    q = surfaces.get("quadratic")
    starts = np.linspace(0.2, 1.5, 5)[:, None] * np.ones(2)
    m = maps.stability(q, optimizers.SGD(lr=0.1), 50, starts=starts, lr=[0.05, 0.25])
    assert m.classes.shape == (5, 2)
    np.testing.assert_allclose(m.y, np.hypot(*starts.T))
    with pytest.raises(ValueError, match="one or two"):
        maps.stability(q, optimizers.SGD, 50)
    with pytest.raises(TypeError, match="grid"):
        maps.basins(q, optimizers.SGD(lr=0.1), "big")
    with pytest.raises(TypeError, match="factory"):
        maps.basins(q, optimizers.SGD, 4, 10)
    with pytest.raises(ValueError, match="ax"):
        maps.basins(q, optimizers.SGD(lr=0.1), 4, 5, lr=[0.1, 0.2]).plot(ax=plt.gca())


def test_tour_figures(tmp_path):
    basins_png = gallery.save(
        gallery.basins_by_lr(grid=24, steps=30, samples=0), tmp_path / "basins.png"
    )
    stability_png = gallery.save(
        gallery.stability_map(steps=40, resolution=(12, 6)), tmp_path / "stability.png"
    )
    assert basins_png.stat().st_size > 10_000 and stability_png.stat().st_size > 5_000


def test_stability_over_starts_orders_rows_by_distance():
    surface = surfaces.get("himmelblau")
    starts = np.array([[-4.0, 4.0], [3.2, 2.1], [0.0, 0.0]])  # far, near, middle
    result = maps.stability(surface, "sgd", steps=20, lr=[0.001, 0.01], starts=starts)
    assert np.all(np.diff(result.y) > 0)
    np.testing.assert_array_equal(result.run.positions[0, 0, :, :], starts[[1, 2, 0]])
