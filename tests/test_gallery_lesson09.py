"""Lesson 9's figures say what their data show: the tasks' sizes, which way of learning task B
wins and how much smaller the body's updates are, the range test after unfreezing, and what a
fine-tuning path does to the test loss."""

import re

import matplotlib
import numpy as np
import pytest

from gdsim.teach.gallery import lesson07, lesson09

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _renderer(figure):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


@pytest.fixture(scope="module")
def pair():
    return lesson09.tasks()


def test_tasks_title_counts_the_data_and_the_centres_show_the_shift(pair):
    (X_a, y_a), (X_b, y_b), (X_test, _) = pair
    title = lesson09.tasks_title(pair)
    assert f"Task A: {len(X_a)} points in 8 classes" in title
    assert f"into 2 classes, only {len(X_b)} labelled points" in title and len(X_b) == 40
    assert f"{len(X_test)} to test on" in title
    figure = lesson09.transfer_tasks(pair)
    right = figure.axes[1]
    crosses = next(line for line in right.get_lines() if "cluster centres" in line.get_label())
    np.testing.assert_allclose(crosses.get_xydata(), lesson09.class_centres(X_a, y_a))
    renderer = _renderer(figure)
    legend = right.get_legend().get_window_extent(renderer)
    assert legend.x0 >= right.get_window_extent(renderer).x1  # beside the points, not on them


@pytest.fixture(scope="module")
def result():
    return lesson09.experiment(seeds=1, epochs=30, pretrain_epochs=10)


def test_conditions_title_ranks_the_conditions_and_reads_the_update_sizes(result):
    title = lesson09.conditions_title(result)
    final = dict(zip(result.conditions, result.final()))
    ranked = re.findall(r"(scratch|full|head|discriminative) ([\d.]+)", title.split("\n")[0])
    assert [name for name, _ in ranked] == sorted(final, key=final.get, reverse=True)
    for name, value in ranked:
        assert float(value) == pytest.approx(final[name], abs=5e-4)
    kept = min(final["head"], final["discriminative"]) > max(final["scratch"], final["full"])
    assert kept == title.startswith("Keeping the pretrained body wins")
    c = result.conditions.index("discriminative")
    ratios = result.ratios[:, :, c].mean(axis=(0, -1))
    for layer, factor in re.findall(r"layer (\d)'s (\d+)×", title):
        assert float(factor) == pytest.approx(ratios[-1] / ratios[int(layer) - 1], abs=0.51)
    # the mechanism: slower rates towards the input move the input layers less
    assert ratios[0] < ratios[1] < ratios[2]


def test_conditions_figure_has_one_legend_per_meaning_outside_the_panels(result):
    figure = lesson09.transfer_conditions(result)
    renderer = _renderer(figure)
    top = figure.axes[0]
    assert len(top.get_lines()) == len(result.conditions)
    assert top.get_legend().get_window_extent(renderer).x0 >= top.get_window_extent(renderer).x1
    assert len(figure.legends) == 1  # the layers, once, under the ratio panels


@pytest.fixture(scope="module")
def model(pair):
    return lesson09.head_trained(pair)


def test_range_test_after_unfreezing_shows_the_blow_up(model, pair):
    found = lesson09.unfrozen_finder(model.copy(), pair)
    assert found.lengths < found.num_it  # the sweep stopped: the loss blew up
    title = lesson07.network_title(found, "x")
    lowest = lesson07.lowest_point(found)
    assert f"lowest at lr {lowest:.2g}" in title
    for name in ("valley", "slide", "minimum", "steep"):
        assert (found.suggestions[name] < lowest) == (
            f"{name} {found.suggestions[name]:.2g}" in title.split("right of it")[0]
        )
    figure = lesson09.range_test_unfrozen(found)
    assert figure.gdsim_figure == "range-test-unfrozen"
    curve = next(line for line in figure.axes[0].get_lines() if line.get_label() == "smoothed loss")
    assert len(curve.get_xdata()) == found.lengths  # every point up to the stop


@pytest.fixture(scope="module")
def planes(model):
    return {
        name: lesson09.fine_tune_plane(name, epochs=40, resolution=6, model=model)
        for name in lesson09.CHOICES
    }


def test_path_titles_hold_on_the_paths(planes):
    for name, plane in planes.items():
        loss = plane.path_loss
        title = lesson09.path_title(plane, name)
        best = int(np.argmin(loss))
        assert f"lowest {loss[best]:.3f} at epoch {best}" in title
        assert ("climbs out of the valley" in title) == (loss[-1] > 1.25 * loss[best])
    # the lesson's reading: one large rate climbs out, discriminative rates stay in the valley
    one, slow = planes.values()
    assert one.path_loss[-1] > 1.25 * one.path_loss.min()
    assert slow.path_loss[-1] <= 1.25 * slow.path_loss.min()


def test_path_movie_titles_its_axes_and_takes_a_size(planes):
    name, plane = next(iter(planes.items()))
    movie = lesson09.fine_tune_path_movie(plane, name=name, figsize=(13.33, 7.5))
    try:
        assert movie.figure.axes[0].get_title() == lesson09.path_title(plane, name)
        np.testing.assert_allclose(movie.figure.get_size_inches(), (13.33, 7.5))
    finally:
        movie.close()
