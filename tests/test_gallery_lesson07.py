"""Lesson 7's figures say what their data show: the range test on the bowl rises where the text
says (and the figure shows it), every marked lr has its own colour, and legends keep off the
blow-up."""

import re

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pytest

from gdsim.teach.gallery import lesson07

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


def _boxes_overlap(a, b):
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)


# -- the bowl ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finder():
    return lesson07.bowl_finder()


@pytest.fixture(scope="module")
def runs(finder):
    return lesson07.constant_runs(finder, 60)


def test_the_sweep_never_lands_on_an_inverse_curvature():
    # an lr of exactly 1/λ zeroes the error along that axis for good: the curve could not rise
    n = lesson07.BOWL_SWEEP["num_it"]
    lrs = 1e-3 * (10 / 1e-3) ** (np.arange(n) / n)
    for curvature in (1.0, 10.0):
        assert np.min(np.abs(lrs * curvature - 1)) > 1e-3


def test_bowl_title_holds_on_the_curve_and_the_runs(finder, runs):
    title = lesson07.bowl_title(finder, list(runs.values()))
    cliff = 2 / finder.surface.lipschitz
    lrs, losses = finder.curve()
    lowest = lrs[int(np.argmin(losses))]
    assert lowest > cliff  # the lag: the bottom is past the cliff
    assert f"bottoms out at lr {lowest:.2g}, {lowest / cliff:.1f}× past the cliff" in title
    picks = finder.marked_lrs()
    right = [label for label, lr in picks.items() if lr > cliff]
    left = [label for label, lr in picks.items() if lr <= cliff]
    assert right and left
    assert all(runs[label].diverged.all() for label in right)
    assert not any(runs[label].diverged.any() for label in left)
    assert f"{len(right)} of the {len(right)} marked lrs right of the cliff diverge" in title
    assert f"0 of the {len(left)} left of it" in title


@pytest.fixture(scope="module")
def bowl_figure(finder, runs):
    return lesson07.range_test_bowl(finder, runs=runs)


def test_bowl_figure_shows_the_rise(bowl_figure, finder):
    left = bowl_figure.axes[0]
    low, high = np.log10(left.get_ylim())
    lrs, losses = finder.curve()
    bottom = int(np.argmin(losses))
    # the recorded curve rises after its bottom, and both are in view
    assert losses[-1] > 4 * losses[bottom]
    assert low < np.log10(losses[bottom]) < np.log10(losses[-1]) < high
    # the dotted continuation (stop_div=False) shows the blow-up, within the axis
    rest = next(line for line in left.get_lines() if "had it not stopped" in line.get_label())
    y = rest.get_ydata()
    top = np.nanmax(y[np.isfinite(y)])
    assert top > 1e6 * losses[0] and np.log10(top) < high
    # the rise takes most of the axis, not a sliver at the bottom of 300 decades
    assert (np.log10(top) - np.log10(losses[bottom])) / (high - low) > 0.6
    assert high - low < 40


def test_bowl_marked_points_have_distinct_colours_matching_their_runs(bowl_figure, finder):
    left, right = bowl_figure.axes[:2]
    markers = [c for c in left.collections if c.get_label() and not c.get_label().startswith("_")]
    assert len(markers) == len(finder.marked_lrs())
    colours = [mcolors.to_rgb(c.get_facecolor()[0]) for c in markers]
    for i in range(len(colours)):
        for j in range(i + 1, len(colours)):
            distance = np.linalg.norm(np.subtract(colours[i], colours[j]))
            assert distance > 0.25, (markers[i].get_label(), markers[j].get_label())
    # each marked lr's constant run is drawn in its marker's colour
    paths = {mcolors.to_hex(line.get_color()) for line in right.get_lines()}
    assert {mcolors.to_hex(c) for c in colours} <= paths


def test_bowl_figure_draws_the_cliff_and_keeps_its_legend_off_the_curve(bowl_figure, finder):
    left = bowl_figure.axes[0]
    cliff = 2 / finder.surface.lipschitz
    vertical = [
        line
        for line in left.get_lines()
        if len(set(line.get_xdata())) == 1 and np.isclose(line.get_xdata()[0], cliff)
    ]
    assert vertical and "2/L" in vertical[0].get_label()
    renderer = _renderer(bowl_figure)
    legend = left.get_legend().get_window_extent(renderer)
    assert not _boxes_overlap(legend, left.get_window_extent(renderer))


# -- the sweep in motion -------------------------------------------------------------------------


def test_movie_title_holds_on_the_run():
    run = lesson07.bowl_sweep_run(90)
    title = lesson07.movie_title(run)
    cliff = 2 / run.surface.lipschitz
    lrs = run.lrs.reshape(-1)
    crossed = int(np.flatnonzero(lrs > cliff)[0])
    losses = run.losses[:, 0]
    lowest = int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))
    assert lowest > crossed  # the loss keeps falling for a while past the cliff
    assert f"falls until step {lowest} (lr {lrs[lowest]:.2g}, " in title
    assert f"{lrs[lowest] / cliff:.1f}× past 2/L" in title
    blew = int(run.diverged_at[0])
    assert blew > lowest and f"overflows at step {blew} (lr {lrs[blew]:.2g})" in title
    # the zig-zag: past 2/L the steep coordinate flips sign every step while it grows
    y = run.positions[crossed + 8 : blew, 0, 1]
    assert (np.sign(y[1:]) == -np.sign(y[:-1])).all() and abs(y[-1]) > 1e3 * abs(y[0])
    movie = lesson07.range_test_movie(run, frames=3)
    try:
        lr_panel = movie.scene.sides["lr"]
        assert lr_panel.get_yscale() == "log"
        assert any(
            np.allclose(line.get_ydata(), cliff)
            for line in lr_panel.get_lines()
            if len(line.get_ydata())
        )
        low, high = lr_panel.get_ylim()
        assert low < lrs.min() and high > lrs.max()
    finally:
        movie.close()


# -- the network ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def found():
    return lesson07.network_finder(300)


def test_network_title_places_each_suggestion_against_the_lowest_point(found):
    title = lesson07.network_title(found)
    lrs, losses = found.curve()
    window = slice(found.num_it // 10, len(lrs) - 5)  # where fastai reads the curve
    lowest = lrs[window][int(np.nanargmin(losses[window]))]
    assert f"lowest at lr {lowest:.2g}" in title
    head, _, tail = title.partition("left of it")
    for name in ("valley", "slide", "minimum", "steep"):
        value = found.suggestions[name]
        claim = f"{name} {value:.2g}"
        assert claim in title
        assert (claim in head) == (value < lowest), (name, title)
    assert found.slide > lowest and "slide" in tail  # the lesson's point: slide overshoots


def test_network_figure_marks_the_lowest_point_with_the_legend_outside(found):
    figure = lesson07.range_test_network(found)
    ax = figure.axes[0]
    lowest = lesson07.lowest_point(found)
    assert any(np.allclose(line.get_xdata(), lowest) for line in ax.get_lines())
    renderer = _renderer(figure)
    legend = ax.get_legend().get_window_extent(renderer)
    assert not _boxes_overlap(legend, ax.get_window_extent(renderer))


@pytest.fixture(scope="module")
def results():
    return lesson07.optimizer_finders(300, 5)


def test_optimizers_title_holds_on_the_curves(results):
    title = lesson07.optimizers_title(results)
    head, _, medians = title.partition("\n")
    up, _, never = head.partition("; ")
    for name, result in results.items():
        short = name.replace("SGD + momentum 0.9", "momentum")
        stopped = result.lengths < result.num_it
        if short in up.split(":")[-1]:
            assert stopped.all(), name
        else:
            assert short in never and not stopped.any(), name
        assert f"{short} {np.median(result.valley):.2g}" in medians
    lows, highs = re.search(r"at lr ([\d.]+)–([\d.]+)", up).groups()
    stops = [r.lrs[r.lengths - 1] for r in results.values() if (r.lengths < r.num_it).all()]
    assert float(lows) == pytest.approx(np.min(stops), rel=0.05)
    assert float(highs) == pytest.approx(np.max(stops), rel=0.05)


def test_optimizers_figure_draws_every_point_to_the_stop_one_colour_per_seed(results):
    figure = lesson07.range_test_optimizers(results)
    renderer = _renderer(figure)
    panels = figure.axes[: len(results)]
    low, high = panels[0].get_ylim()
    for ax, result in zip(panels, results.values()):
        assert ax.get_legend() is None  # one legend for the figure, outside every panel
        curves = [line for line in ax.get_lines() if line.get_label().startswith("member")]
        assert len(curves) == result.n_curves
        assert len({mcolors.to_hex(line.get_color()) for line in curves}) == result.n_curves
        for k, line in enumerate(curves):
            assert len(line.get_xdata()) == result.lengths[k]  # the blow-up is drawn
            lrs, losses = result.curve(k)
            assert low < np.nanmin(losses) < high  # the bottom in view
    legend = figure.legends[0].get_window_extent(renderer)
    for ax in panels:
        assert not _boxes_overlap(legend, ax.get_window_extent(renderer))
