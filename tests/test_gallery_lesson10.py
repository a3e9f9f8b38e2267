"""Lesson 10's gallery figures say what their data show: the grid search's flat top, the random
search's shifted hills, how far the best lr moves, the saddle's escape times and the plateau's
crossings."""

import re

import matplotlib
import numpy as np
import pytest

from gdsim.teach.gallery import lesson10

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# -- grid search ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid():
    return lesson10.grid_run()  # the lesson's own search: 9 lrs x 3 seeds, 50 epochs (~1 s)


def test_hill_title_states_the_flat_top_of_the_data(grid):
    title = lesson10.hill_title(grid)
    low, high, best = map(
        float, re.search(r"from ([\d.e-]+) to ([\d.e-]+).*lr = ([\d.e-]+)", title).groups()
    )
    assert best == grid.best["lr"]
    mean = grid.mean()
    top = mean[grid.best_index]
    for candidate, score in zip(grid.candidates, mean):
        inside = low <= candidate["lr"] <= high
        assert (score >= top - lesson10.TOLERANCE) == inside, (candidate, score, top)
    assert low < high  # "a broad hill": more than one lr on top


def test_hill_figure_shades_the_top_and_names_the_edges(grid):
    fig = lesson10.grid_search_hill(grid)
    assert fig.gdsim_figure == "grid-search-hill"
    assert fig._suptitle.get_text() == lesson10.hill_title(grid)
    ax = fig.axes[0]
    close = lesson10.near_best(grid)
    band = [p for p in ax.patches if p.get_label().startswith("within")]
    assert len(band) == 1
    x0, x1 = band[0].get_x(), band[0].get_x() + band[0].get_width()
    assert x0 < min(close) and max(close) < x1
    # no lr outside the top lies in the band
    others = [c["lr"] for c in grid.candidates if c["lr"] not in close]
    assert not any(x0 <= lr <= x1 for lr in others)
    level = [line for line in ax.get_lines() if line.get_label().startswith("best −")]
    np.testing.assert_allclose(level[0].get_ydata()[0], grid.mean().max() - lesson10.TOLERANCE)
    labels = lesson10.diagnoses(grid)
    assert sorted(t.get_text() for t in ax.texts) == sorted(x for x in labels if x != "healthy")


def test_a_sharp_peak_is_not_called_a_broad_hill():
    class Sharp:
        metric = "val_accuracy"
        candidates = [{"lr": 1.0}, {"lr": 0.1}, {"lr": 0.01}]
        best_index = 1
        best = {"lr": 0.1}

        def mean(self):
            return np.array([0.5, 0.9, 0.6])

    assert lesson10.hill_title(Sharp()).startswith("A sharp peak: only lr = 0.1")


# -- random search -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rand():
    return lesson10.random_run()


def test_random_title_ratio_is_the_best_lrs_ratio(rand):
    title = lesson10.random_title(rand)
    n = len(rand.candidates)
    assert f"{n} candidates try {len({c['lr'] for c in rand.candidates})} distinct lrs" in title
    mean = rand.mean()
    best = {}
    for mu in (0.0, 0.9):
        members = [k for k, c in enumerate(rand.candidates) if c["momentum"] == mu]
        best[mu] = rand.candidates[max(members, key=lambda k: mean[k])]["lr"]
    assert lesson10.best_by_momentum(rand) == pytest.approx(best)
    ratio = float(re.search(r"best lr is (\d+)× smaller", title).group(1))
    assert ratio == round(best[0.0] / best[0.9])
    assert ratio > 1  # momentum's hill is to the left


def test_random_figure_draws_the_momentum_shift(rand):
    fig = lesson10.random_search_hills(rand)
    assert fig._suptitle.get_text() == lesson10.random_title(rand)
    ax = fig.axes[0]
    best = lesson10.best_by_momentum(rand)
    shift = [line for line in ax.get_lines() if "(1 − 0.9)" in line.get_label()]
    assert len(shift) == 1
    np.testing.assert_allclose(shift[0].get_xdata()[0], best[0.0] * 0.1)


# -- the best lr depends --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def depends():
    return lesson10.depends_runs(epochs=10, seeds=1, lrs=(1e-3, 1e-2, 0.1, 1.0))


def test_depends_title_is_the_largest_ratio_within_a_panel(depends):
    title = lesson10.depends_title(depends)
    ratios = {
        q: max(r.best["lr"] for r in s.values()) / min(r.best["lr"] for r in s.values())
        for q, s in depends.items()
    }
    assert lesson10.spread(depends) == pytest.approx(ratios)
    if max(ratios.values()) > 1.5:
        assert f"by up to {max(ratios.values()):.0f}×" in title
        for question, ratio in ratios.items():
            assert (question.split(" (")[0] in title.split(" moves")[0]) == (ratio > 1.5)


def test_depends_figure_marks_each_best_in_its_own_colour(depends):
    fig = lesson10.best_lr_depends(depends)
    for ax, searches in zip(fig.axes, depends.values()):
        stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
        assert len(stars) == len(searches)
        assert len({line.get_color() for line in stars}) == len(searches)
        for star, result in zip(stars, searches.values()):
            assert star.get_xdata()[0] == result.best["lr"]
            assert star.get_ydata()[0] == result.mean()[result.best_index]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert len(labels) == len(searches)
        for label, result in zip(labels, searches.values()):
            assert f"best lr {result.best['lr']:.2g}" in label


# -- saddle and plateau ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saddle_runs():
    return lesson10.saddle_runs()


def test_saddle_escapes_follow_the_prediction_and_the_title(saddle_runs):
    steps = [lesson10.escape_step(r) for r in saddle_runs]
    for x0, step in zip(lesson10.OFFSETS, steps):
        assert abs(step - lesson10.predicted_escape(x0, lesson10.SADDLE_LR)) < 4, (x0, step)
    title = lesson10.saddle_title(saddle_runs)
    claimed = float(re.search(r"stalls ~(\d+) steps longer", title).group(1))
    assert np.diff(steps) == pytest.approx(claimed, abs=2)  # the offsets are 100x apart
    predicted = float(re.search(r"log\(1 \+ lr\) = (\d+)", title).group(1))
    assert predicted == round(np.log(100) / np.log(1.1))


def test_saddle_movie_marks_each_predicted_escape(saddle_runs):
    anim = lesson10.saddle_escape(saddle_runs, frames=3)
    try:
        assert anim.figure.gdsim_figure == "saddle-escape"
        loss = anim.scene.sides["loss"]
        dashed = sorted(
            line.get_xdata()[0] for line in loss.get_lines() if line.get_linestyle() == "--"
        )
        expected = [lesson10.predicted_escape(x0, lesson10.SADDLE_LR) for x0 in lesson10.OFFSETS]
        np.testing.assert_allclose(dashed, sorted(expected))
        labels = [t.get_text() for legend in anim.figure.legends for t in legend.get_texts()]
        for run, label in zip(saddle_runs, labels):
            assert f"leaves at step {lesson10.escape_step(run)}" in label
    finally:
        anim.close()


def test_saddle_title_does_not_claim_escapes_that_did_not_happen():
    runs = lesson10.saddle_runs(steps=30)
    assert "1 of 5 leave within 30 steps" in lesson10.saddle_title(runs)


@pytest.fixture(scope="module")
def plateau():
    rates = lesson10.plateau_rates()
    return lesson10.plateau_runs(rates=rates), rates


def test_plateau_title_holds_on_the_runs(plateau):
    runs, rates = plateau
    title = lesson10.plateau_title(runs, rates)
    cross = [lesson10.crossing_step(r) for r in runs]
    ok = [lesson10.settled(r) for r in runs]
    changing = [k for k, v in enumerate(rates.values()) if callable(v)]
    fastest = min((k for k in range(len(runs)) if cross[k] is not None), key=lambda k: cross[k])
    assert not callable(list(rates.values())[fastest]) and not ok[fastest]
    assert f"first (step {cross[fastest]})" in title
    assert all(ok[k] for k in changing)
    assert " and ".join(str(cross[k]) for k in sorted(changing, key=lambda k: cross[k])) in title


def test_plateau_title_without_schedules_claims_no_schedule(plateau):
    runs, rates = plateau
    constants = {name: v for name, v in rates.items() if not callable(v)}
    chosen = [r for r, v in zip(runs, rates.values()) if not callable(v)]
    title = lesson10.plateau_title(chosen, constants)
    settled = sum(lesson10.settled(r) for r in chosen)
    assert "schedules" not in title and f"{settled} of {len(chosen)} lrs settle" in title


def test_plateau_movie_names_each_runs_fate(plateau):
    runs, rates = plateau
    anim = lesson10.plateau_lr_schedules(runs, rates, frames=3)
    try:
        assert anim.figure.gdsim_figure == "plateau-lr-schedules"
        labels = [t.get_text() for legend in anim.figure.legends for t in legend.get_texts()]
        for run, label in zip(runs, labels):
            c = lesson10.crossing_step(run)
            assert (f"across at step {c}" if c is not None else "never across") in label
            assert label.endswith("does not settle") != lesson10.settled(run)
        main = anim.scene.mains[0]
        xs = [list(line.get_xdata()) for line in main.get_lines()]
        assert [lesson10.CROSSED, lesson10.CROSSED] in xs
    finally:
        anim.close()
