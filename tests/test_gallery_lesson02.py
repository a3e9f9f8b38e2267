"""Lesson 2's gallery figures say what their data shows (the lint of every registered figure is
in tests/test_gallery.py)."""

import re

import matplotlib
import numpy as np
import pytest

import gdsim
from gdsim.sim.maps import minimum_curvatures
from gdsim.teach import gallery
from gdsim.teach.gallery import lesson02

matplotlib.use("Agg")

LESSON_LRS = [0.005, 0.016, 0.02, 0.023]


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_landscape_title_counts_what_the_surface_holds():
    himmelblau = gdsim.surfaces.get("himmelblau")
    title = lesson02.landscape_title(himmelblau)
    assert f"{len(himmelblau.minima)} equally good minima (all f = 0)" in title
    assert f"{len(himmelblau.saddles)} saddles" in title and "1 maximum" in title
    assert np.allclose(himmelblau.minima_values, 0, atol=1e-9)
    camel = lesson02.landscape_title(gdsim.surfaces.get("three_hump_camel"))
    assert "3 minima, one global (f = 0)" in camel and "equally" not in camel
    figure = lesson02.himmelblau_minima(resolution=40)
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert labels == ["f = 0"] * len(himmelblau.minima)


def test_random_starts_title_counts_the_minima_reached():
    run = lesson02.random_starts(n=30, steps=150)
    title = lesson02.starts_title(run)
    n = int(re.search(r"end in (\d+) different minima", title).group(1))
    reached = run.reached.reshape(-1)
    assert n == len(np.unique(reached[reached >= 0])) == 4
    assert ("settle in none" in title) == bool((reached < 0).any())
    short = lesson02.random_starts(n=30, steps=3)  # too few steps: some settle nowhere
    missed = int((short.reached < 0).sum())
    assert missed and f"{missed} of them settle in none within 3 steps" in lesson02.starts_title(
        short
    )
    movie = lesson02.random_starts_movie(run, frames=3)
    try:
        assert movie.figure._suptitle.get_text() == title
    finally:
        movie.close()


@pytest.fixture(scope="module")
def basin_map():
    return lesson02.basin_map(grid=40, steps=200)


def test_basin_map_title_holds_on_the_map(basin_map):
    title = lesson02.basin_map_title(basin_map)
    labels, _ = basin_map.cell(0)
    shares = [(labels == k).mean() for k in range(len(basin_map.surface.minima))]
    assert (labels >= 0).all() and "every start settles in one of 4 minima" in title
    low, high = re.search(r"\((\d+)%–(\d+)% each\)", title).groups()
    assert f"{min(shares):.0%}" == f"{low}%" and f"{max(shares):.0%}" == f"{high}%"
    limits = 2 / minimum_curvatures(basin_map.surface)
    assert (lesson02.LR < limits).all() and "below every minimum's limit 2/λ" in title
    figure = lesson02.basin_map_figure(basin_map, samples=0)
    assert figure._suptitle.get_text() == title.replace("; black lines: sample runs", "")
    # each minimum's limit is written beside it (plot_basins' mechanism)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert all(any(f"{limit:.3g}" in t for t in texts) for limit in limits)


def test_camel_title_gives_the_share_of_the_global_basin():
    camel_map = lesson02.camel_map(grid=40, steps=300)
    title = lesson02.camel_title(camel_map)
    p, best = map(float, re.findall(r"probability ([\d.]+)", title))
    labels, _ = camel_map.cell(0)
    share = (labels == int(np.argmin(camel_map.surface.minima_values))).mean()
    assert abs(p - share) <= 0.005 and abs(best - (1 - (1 - share) ** 5)) <= 0.005
    assert 0.2 < share < 0.9  # both kinds of basin are there to be found


def test_seeds_title_and_panels_name_the_best_and_worst_seed():
    model, history, data = lesson02.train_seeds(members=4, epochs=5)
    title = lesson02.seeds_title(history)
    loss, accuracy = np.asarray(history.loss)[-1], np.asarray(history.val_accuracy)[-1]
    best_loss, worst_loss = map(
        float, re.search(r"loss ([\d.]+) for the best.*?([\d.]+) for the worst", title).groups()
    )
    assert f"{loss.min():.2f}" == f"{best_loss:.2f}" and f"{loss.max():.2f}" == f"{worst_loss:.2f}"
    figure = lesson02.seeds_best_worst(model, history, data, resolution=30)
    best, worst = int(np.argmin(loss)), int(np.argmax(loss))
    titles = [ax.get_title() for ax in figure.axes[:2]]
    assert titles == [
        f"best seed ({best}): val accuracy {accuracy[best]:.3f}",
        f"worst seed ({worst}): val accuracy {accuracy[worst]:.3f}",
    ]
    # the accuracy shown is the member's own predictions on the validation set
    X_val, y_val = data[3], data[5]
    predicted = model.predict(X_val)
    np.testing.assert_allclose((predicted[best] == y_val).mean(), accuracy[best], atol=1e-9)


def test_which_minimum_title_holds_on_the_lessons_three_lrs():
    g = np.linspace(-4, 4, 5)
    starts = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    three = gdsim.sweep("himmelblau", gdsim.SGD, starts, 150, lr=[0.005, 0.016, 0.023])
    title = gallery.which_title(three)
    claims = re.findall(r"\((-?[\d.]+), (-?[\d.]+)\) from lr ([\d.]+)", title)
    assert claims, title
    reached = three.reached.reshape(3, -1)
    limits = 2 / minimum_curvatures(three.surface)
    for x, y, lr in claims:
        k = int(np.argmin(np.hypot(*(three.surface.minima - [float(x), float(y)]).T)))
        i = [0.005, 0.016, 0.023].index(float(lr))
        assert (reached[0] == k).any() and not (reached[i:] == k).any()
        assert float(lr) > limits[k]
    movie = gallery.which_minimum(three, frames=3)
    try:
        assert len([ax for ax in movie.figure.axes if ax.get_visible()]) == 3
        assert movie.figure._suptitle.get_text() == title
    finally:
        movie.close()


@pytest.fixture(scope="module")
def by_lr():
    return gdsim.basins("himmelblau", gdsim.SGD, grid=40, steps=200, lr=LESSON_LRS)


def test_basins_title_is_backed_by_the_lessons_map_and_withdrawn_when_not(by_lr):
    assert gallery.headline.basins_holds(by_lr)
    figure = gallery.basins_by_lr(by_lr, samples=0)
    assert figure._suptitle.get_text().startswith("A minimum keeps its basin only while lr < 2/λ")
    assert "sample runs" not in figure._suptitle.get_text()
    assert len([ax for ax in figure.axes if ax.get_visible()]) == len(LESSON_LRS)
    # a sharp minimum that still held starts past its limit would contradict the title
    limits = by_lr.limits(3)
    sharp = int(np.argmin(limits))
    assert LESSON_LRS[3] > limits[sharp]
    original = by_lr.labels.copy()
    try:
        by_lr.labels[3, :10, :10] = sharp
        assert not gallery.headline.basins_holds(by_lr)
        assert gallery.headline.basins_title(by_lr).startswith("Not every minimum")
    finally:
        by_lr.labels[:] = original
