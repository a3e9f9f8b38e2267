"""Lesson 11's gallery figures say what their maps show: the edge at lesson 1's 2/L where the
input layer barely moves, ragged further on and at every zoom, two neighbours' opposite fates,
and box-counting dimensions between 1 and 2."""

import re

import matplotlib
import numpy as np
import pytest

from gdsim.nn.edge import TrainabilityMap, paper_setup
from gdsim.teach.gallery import lesson11

matplotlib.use("Agg")

# small but telling: the lesson's 200 steps, a coarser map and zoom (a few seconds)
STEPS, RESOLUTION, ZOOM = 200, 32, 16


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def maps():
    return lesson11.lesson_maps(STEPS, RESOLUTION, ZOOM)


def _map(converged):
    converged = np.asarray(converged, dtype=bool)
    ny, nx = converged.shape
    return TrainabilityMap(
        np.logspace(0, 1, nx),
        np.logspace(-1, 0, ny),
        converged,
        np.where(converged, -1, 3),
        np.ones(converged.shape),
        10,
    )


def test_the_output_layer_limit_is_lesson_1s_2_over_L():
    setup = paper_setup()
    W = setup.model.get_weights()[0]
    features = np.tanh(setup.X @ W)
    # the loss is quadratic in the output weights: its curvature along the top eigenvector
    _, vectors = np.linalg.eigh(features.T @ features)
    v = vectors[:, -1:]
    base = setup.model.get_weights()

    def loss(t):
        model = setup.model.copy()
        model.set_weights([base[0], base[1], base[2] + t * v, base[3]])
        return model.evaluate(setup.X, setup.y)["loss"]

    h = 1e-3
    curvature = (loss(h) - 2 * loss(0.0) + loss(-h)) / h**2
    assert lesson11.output_layer_limit(setup) == pytest.approx(2 / curvature, rel=1e-4)


def test_at_the_smallest_input_lr_the_edge_is_at_2_over_L(maps):
    tmap, _, _ = maps
    limit = lesson11.output_layer_limit()
    column = tmap.converged[:, 0]
    assert column[tmap.y < limit].all() and not column[tmap.y > limit].any()


def test_map_title_holds_on_the_map(maps):
    tmap, _, _ = maps
    limit = lesson11.output_layer_limit()
    title = lesson11.map_title(tmap, limit)
    assert title.startswith(f"{tmap.fraction_converged:.0%} of the lr pairs train in {STEPS}")
    assert "lesson 1's line lr = 2/L" in title
    counts = [
        sum(tmap.converged[r, j] != tmap.converged[r + 1, j] for r in range(tmap.shape[0] - 1))
        for j in range(tmap.shape[1])
    ]
    assert list(lesson11.switches(tmap)) == counts
    low, high = re.search(
        r"between input-layer lrs ([\d,.]+) and ([\d,.]+) it frays", title
    ).groups()
    ragged = [j for j, c in enumerate(counts) if c > 1]
    assert lesson11._lr(tmap.x[ragged[0]]) == low and lesson11._lr(tmap.x[ragged[-1]]) == high
    assert counts[0] == 1  # a clean line where the input layer barely moves


def test_map_titles_do_not_claim_what_a_map_lacks():
    assert "no edge" in lesson11.map_title(_map(np.ones((4, 4))), 0.5)
    clean = _map(np.arange(4)[:, None] < 2 + np.zeros((4, 4)))  # one straight edge
    title = lesson11.map_title(clean, 100.0)  # a limit nowhere near the edge
    assert "2/L" not in title and "frays" not in title
    assert "only" in lesson11.zoom_title([_map(np.eye(3)), _map(np.ones((3, 3)))], (10,))
    assert "fractal" not in lesson11.box_title([1.3, 2.1])
    assert "fractal" in lesson11.box_title([1.3, 1.9])


def test_map_figure_draws_the_limit(maps):
    tmap, _, _ = maps
    fig = lesson11.trainability_map(tmap)
    assert fig.gdsim_figure == "trainability-map"
    limit = lesson11.output_layer_limit()
    assert fig._suptitle.get_text() == lesson11.map_title(tmap, limit)
    lines = [line for line in fig.axes[0].get_lines() if "2/L" in line.get_label()]
    np.testing.assert_allclose(lines[0].get_ydata(), np.log10(limit))


def test_zoom_figure_boxes_each_next_view_and_the_title_holds(maps):
    tmap, _, path = maps
    fig = lesson11.trainability_zoom(tmap, path)
    chain = [tmap] + path
    assert all(lesson11.mixed(m) for m in chain)
    assert "still ragged" in fig._suptitle.get_text()
    for k, (ax, m) in enumerate(zip(fig.axes, chain)):
        assert f"{m.fraction_converged:.0%} train" in ax.get_title()
        boxes = ax.patches
        if k + 1 < len(chain):
            inner = chain[k + 1]
            x0 = np.log10(inner.x[0]) - np.diff(np.log10(inner.x[:2]))[0] / 2
            assert boxes and all(b.get_x() == pytest.approx(x0) for b in boxes)
            # the next view lies inside this one
            assert m.x[0] < inner.x[0] < inner.x[-1] < m.x[-1]
        else:
            assert not boxes


def test_zoom_movie_reuses_the_lessons_maps(maps):
    tmap, point, path = maps
    anim = lesson11.trainability_zoom_movie(tmap, point, zoom_resolution=ZOOM, frames_per_zoom=1)
    try:
        assert anim.figure.gdsim_figure == "trainability-zoom-movie"
        assert all(a is b for a, b in zip(anim.maps[1:], path))  # nothing trained twice
        assert anim.figure.axes[0].get_title() == lesson11.zoom_title(anim.maps, lesson11.FACTORS)
    finally:
        anim.close()


def test_hairs_breadth_shows_two_neighbours_with_opposite_fates(maps):
    _, _, path = maps
    deep = next(m for m in path[::-1] if lesson11.neighbours(m) is not None)
    i, j = lesson11.neighbours(deep)
    assert deep.converged[i, j] != deep.converged[i, j + 1]
    title = lesson11.breadth_title(deep, i, j)
    rel = float(re.search(r"lrs ([\d.e+-]+) apart", title).group(1))
    assert rel == pytest.approx(deep.x[j + 1] / deep.x[j] - 1, rel=0.05)
    assert "one trains, the other" in title or "the other trains" in title
    fig = lesson11.hairs_breadth(deep, (i, j))
    ax = fig.axes[0]
    assert fig._suptitle is None and ax.get_title() == title
    curves = [deep.loss_curve(i, c) for c in (j, j + 1)]
    for column, curve in zip((j, j + 1), curves):
        blown = deep.diverged_at[i, column]
        if blown >= 0:
            assert f"blows up at step {blown}" in title
            assert any(f"step {blown}" in t.get_text() for t in ax.texts)
            assert not np.isfinite(curve[blown + 1 :]).any()
    apart = lesson11.parting_step(*curves)
    assert any(f"step {apart}" in line.get_label() for line in ax.get_lines())


def test_parting_step_is_where_the_curves_differ_twofold():
    a = np.array([1.0, 1.0, 1.0, 1.0])
    assert lesson11.parting_step(a, np.array([1.0, 1.5, 2.5, 3.0])) == 2
    assert lesson11.parting_step(a, np.array([1.0, 1.1, np.nan, np.nan])) == 2
    assert lesson11.parting_step(a, a) is None


def test_box_counting_title_and_lines_hold(maps):
    tmap, _, path = maps
    chain = [tmap] + path
    dims = [m.boundary_dimension().dimension for m in chain]
    fig = lesson11.box_counting(tmap, path)
    assert fig._suptitle.get_text() == lesson11.box_title(dims)
    assert ("between 1 and 2" in fig._suptitle.get_text()) == all(1 < d < 2 for d in dims)
    lines = fig.axes[0].get_lines()
    for line, d in zip(lines, dims):
        assert line.get_label().endswith(f"D = {d:.2f}")
    assert len({line.get_color() for line in lines[: len(chain)]}) == len(chain)
    for line, slope in zip(lines[len(chain) :], (1, 2)):
        x, y = line.get_xdata(), line.get_ydata()
        assert -np.polyfit(np.log(x), np.log(y), 1)[0] == pytest.approx(slope)
