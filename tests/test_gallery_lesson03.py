"""Lesson 3's gallery figures say what their data shows (the lint of every registered figure is
in tests/test_gallery.py)."""

import re

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pytest

import gdsim
from gdsim.sim.maps import DIVERGED_CLASS
from gdsim.teach import gallery
from gdsim.teach.gallery import lesson03

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _gentle_and_steep(run_positions, surface):
    """Each path's coordinates along the gentle and the steep direction, from the minimum."""
    _, vectors = np.linalg.eigh(surface.hessian(surface.minima[:1])[0])
    shifted = run_positions - surface.minima[0]
    return shifted @ vectors[:, 0], shifted @ vectors[:, 1]


def _crossings(coordinate):
    signs = np.sign(coordinate)
    return int(((signs[1:] * signs[:-1]) < 0).sum())


def test_ravine_title_holds_on_plain_gd():
    run = lesson03.sgd_run(100)
    title = lesson03.ravine_title(run)
    _, steep = _gentle_and_steep(run.positions[:, 0], run.surface)
    assert "bounces from wall to wall" in title
    assert _crossings(steep) > 0.5 * 100  # it crosses the floor at most steps
    assert "|1 − lr·L| = 0.75" in title and "|1 − lr·1| = 0.965" in title
    assert "lr = 0.035 (< 2/L = 0.04)" in title
    # with a step that does not overshoot the floor (lr·L < 1) the claim goes
    assert "does not bounce" in lesson03.ravine_title(lesson03.sgd_run(100, lr=0.01))
    figure = lesson03.ravine_sgd(run)
    assert figure._suptitle.get_text() == title
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["SGD (lr=0.035)"]


@pytest.fixture(scope="module")
def race():
    return lesson03.ravine_race(100)


def test_race_is_fair_each_at_its_best_lr_inside_the_grid(race):
    assert list(race) == list(lesson03.RACE)
    limits = lesson03.limits(lesson03.ravine())
    for name, tuned in race.items():
        chosen = int(np.flatnonzero(tuned.lrs == tuned.lr)[0])
        assert tuned.eligible[chosen], name
        # the best of the eligible lrs tried, and not at either edge of the grid
        assert tuned.scores[chosen] == tuned.scores[tuned.eligible].min(), name
        assert 0 < chosen < len(tuned.lrs) - 1 and not tuned.eligible[-1], name
        np.testing.assert_allclose(tuned.lrs, lesson03.RACE_LRS)
        assert tuned.lr < limits[name], name
        # no contender diverges or climbs above its starting loss
        losses = tuned.run.losses[:, 0]
        assert not tuned.run.diverged.any() and (losses <= losses[0] + 1e-12).all(), name
        assert tuned.label == f"{name}, lr={tuned.lr:.2g} (best of {len(tuned.lrs)})"
    # SGD's best sits just under its limit 2/L = 0.04, where the sweep title says it does
    assert 0.8 * limits["SGD"] <= race["SGD"].lr < limits["SGD"]


def _short(name):
    return name.split(" (")[0]


def test_race_title_orders_the_tuned_losses_and_counts_the_overshoots(race):
    title = lesson03.race_title(race)
    first, second = title.split(";\n")
    assert first.startswith("Each at its best lr, worst of its last 10 steps: ")
    named = re.findall(r"(SGD|momentum|Nesterov)(?: at loss)? ([\d.]+e[-+]\d+)", first)
    # ranked as the race was scored: the highest loss over the last tenth, not one lucky step
    ends = {
        name.split(" (")[0]: float(t.run.losses[-10:, 0].max() - t.run.surface.minima_values[0])
        for name, t in race.items()
    }
    assert [n for n, _ in named] == sorted(ends, key=ends.get)
    for name, value in named:
        assert f"{ends[name]:.1e}" == value
    for name, tuned in race.items():  # that is also what picked each lr
        np.testing.assert_allclose(tuned.scores[tuned.lrs == tuned.lr][0], ends[_short(name)])
    counts = {
        name.split(" (")[0]: _crossings(_gentle_and_steep(t.run.positions[:, 0], t.run.surface)[0])
        for name, t in race.items()
    }
    assert counts["SGD"] == 0
    times = re.search(r"overshoot the minimum \((\d+) and (\d+) times\)", second).groups()
    assert [int(t) for t in times] == [counts["momentum"], counts["Nesterov"]]
    assert all(int(t) > 0 for t in times)
    assert "swings out" not in title


def test_race_movie_states_the_lrs_and_tells_the_ends_apart(race):
    movie = lesson03.ravine_momentum_movie(race, frames=3)
    try:
        figure = movie.figure
        assert figure._suptitle.get_text() == lesson03.race_title(race)
        legend = figure.legends[0]
        assert [t.get_text() for t in legend.get_texts()] == [t.label for t in race.values()]
        colours = {mcolors.to_hex(h.get_color()) for h in legend.legend_handles}
        assert len(colours) == len(race)
        # the three runs end within 2% of the picture's diagonal of each other: a note says so
        ends = np.array([t.run.final.reshape(2) for t in race.values()])
        spread = np.hypot(*(ends[:, None] - ends[None]).transpose(2, 0, 1)).max()
        assert spread < 0.02 * np.hypot(4, 4)
        assert "all 3 end on top of each other" in figure.axes[0].get_title()
    finally:
        movie.close()


def test_sweep_figure_shows_every_lr_tried_and_says_where_the_picks_sit(race):
    title = lesson03.sweep_title(race)
    assert title.startswith("The race's lrs, each the best of 24 after 100 steps")
    assert f"SGD's, {race['SGD'].lr:.2g}, sits just under its limit 2/L = 0.04" in title
    assert "well below their limits" in title
    limits = lesson03.limits(lesson03.ravine())
    for name in list(race)[1:]:
        assert race[name].lr < 0.8 * limits[name]
    figure = lesson03.ravine_momentum_sweep(race)
    assert figure.gdsim_figure == "ravine-momentum-sweep"
    assert figure._suptitle.get_text() == title
    texts = [t.get_text() for t in figure.legends[0].get_texts()]
    assert texts[: len(race)] == [t.label for t in race.values()]
    lines = figure.axes[0].get_lines()
    for k, tuned in enumerate(race.values()):  # the curve, its ▲ on its own row, its ○
        curve, triangles, ring = lines[3 * k : 3 * k + 3]
        np.testing.assert_allclose(curve.get_xdata(), tuned.lrs)
        np.testing.assert_allclose(triangles.get_xdata(), tuned.lrs[~tuned.eligible])
        assert ring.get_xdata()[0] == tuned.lr
    rows = {float(lines[3 * k + 1].get_ydata()[0]) for k in range(len(race))}
    assert len(rows) == len(race)


def test_step_table_matches_what_the_lesson_says(race):
    # the lesson's table: steps to a loss below 1e-6 at the race's lrs, and the textbook heavy ball
    def steps(optimizer):
        losses = gdsim.simulate(lesson03.ravine(), optimizer, lesson03.START, 1000).losses[:, 0]
        return int(np.argmax(losses < 1e-6))

    counts = [steps(t.optimizer) for t in race.values()]
    kappa = 50
    mu = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    counts.append(steps(gdsim.SGD(lr=4 / (np.sqrt(kappa) + 1) ** 2, momentum=mu)))
    assert counts == [177, 132, 91, 48]  # "about a quarter fewer", "about half", "under a third"
    assert 0.22 < 1 - counts[1] / counts[0] < 0.28 and 0.45 < 1 - counts[2] / counts[0] < 0.55
    assert counts[3] / counts[0] < 1 / 3


def test_overshoot_title_holds_on_the_three_momenta():
    run = lesson03.spiral_runs(150)
    title = lesson03.overshoot_title(run)
    assert title.startswith("Too much momentum overshoots")
    positions = run.positions.reshape(run.positions.shape[0], -1, 2)
    losses = run.losses.reshape(run.losses.shape[0], -1)
    crossings, rising = {}, {}
    for c, mu in enumerate(lesson03.SPIRAL_MOMENTA):
        crossings[mu] = _crossings(_gentle_and_steep(positions[:, c], run.surface)[0])
        rising[mu] = (np.diff(losses[:, c]) > 0).mean()
    wild = re.search(r"μ = ([\d. and]+?) pass the minimum ([\d and]+) times", title)
    mus = [float(m) for m in wild.group(1).split(" and ")]
    times = [int(t) for t in wild.group(2).split(" and ")]
    for mu, n in zip(mus, times):
        assert crossings[mu] == n > 0 and rising[mu] > lesson03.RISING
    calm = re.search(r"μ = ([\d.]+) never passes it", title)
    assert calm and crossings[float(calm.group(1))] == 0
    figure = lesson03.momentum_overshoot(run)
    assert figure._suptitle.get_text() == title
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == [f"lr=0.01, momentum={mu:g}" for mu in lesson03.SPIRAL_MOMENTA]


def test_stability_title_holds_on_the_lessons_map():
    bowl = gdsim.surfaces.get("quadratic", condition=10)
    momenta = np.linspace(0, 0.99, 12)
    smap = gdsim.stability(
        bowl, gdsim.SGD, steps=300, lr=np.geomspace(1e-3, 1, 60), momentum=momenta
    )
    title = gallery.headline.stability_title(smap)
    assert title == "Momentum lets larger steps stay stable, up to lr = 2(1 + μ)/L"
    x = np.asarray(smap.x)
    firsts, near = [], []
    for mu, row in zip(momenta, smap.classes):
        first = int(np.argmax(row == DIVERGED_CLASS))
        limit = 2 * (1 + mu) / 10
        assert (row == DIVERGED_CLASS).any()
        assert x[first] >= limit * 0.999, mu  # never diverges below its limit
        firsts.append(x[first])
        near.append(x[first - 1] <= limit * 1.001)  # ... and mostly right past it
    assert np.mean(near) >= 0.9
    assert firsts[-1] > firsts[0]
    figure = gallery.stability_map(smap)
    assert figure._suptitle.get_text() == title


def test_momentum_title_holds_on_the_experiment():
    experiment = gdsim.experiments.momentum_sweep(seeds=1, epochs=60)
    title = gallery.headline.momentum_title(experiment)
    train = experiment.mean("accuracy")

    def epoch(c):
        hit = np.flatnonzero(train[:, c] >= 0.78)
        return int(hit[0]) + 1 if hit.size else None

    if title.startswith("Momentum buys speed"):
        without = re.search(r"at (epoch (\d+)|not in \d+ epochs) without it", title)
        plain = epoch(experiment.values.index(0.0))
        assert (plain is None) if without.group(2) is None else plain == int(without.group(2))
        fastest, label = re.search(r"at epoch (\d+) with (\S+)", title).groups()
        c = experiment.labels.index(label.rstrip(";"))
        assert epoch(c) == int(fastest) and (plain is None or epoch(c) < plain)
    else:
        assert "does not reach" in title or title.startswith("No momentum")
    if "all end within" in title:
        gap = float(re.search(r"within ([\d.]+)", title).group(1))
        final = experiment.final("val_accuracy")
        assert final.max() - final.min() <= gap
    figure = gallery.experiment_figure("momentum", experiment=experiment)
    assert figure._suptitle.get_text() == title and figure.gdsim_figure == "momentum"
