"""Lesson 1's gallery figures say what their data shows (the lint of every registered figure is
in tests/test_gallery.py)."""

import re

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pytest

import gdsim
from gdsim.sim.maps import DIVERGED_CLASS
from gdsim.teach import gallery
from gdsim.teach.gallery import lesson01

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def run():
    return lesson01.regime_runs(40)


def _claims(title):
    """[(lr, word)] from "lr = 0.02 crawls, 0.1 converges, ..."."""
    first = title.split(":")[0].removeprefix("lr = ")
    found = re.findall(r"([\d.e-]+) (crawls|converges|zig-zags in|zig-zags out|diverges)", first)
    return [(float(lr), word) for lr, word in found]


def _steep(run, i):
    """The path's y (the steep axis of the bowl) for lr cell i."""
    return run.positions[:, i, 0, 1]


def test_every_regime_the_title_names_holds_on_its_run(run):
    title = lesson01.regimes_title(run)
    claims = _claims(title)
    assert [lr for lr, _ in claims] == list(lesson01.REGIME_LRS)
    for i, (lr, word) in enumerate(claims):
        losses, y = run.losses[:, i, 0], _steep(run, i)
        flips = (y[1:] * y[:-1] < -1e-18).mean()
        if word in ("diverges", "zig-zags out"):
            assert losses[-1] > losses[0], (lr, word)
        else:
            assert losses[-1] < losses[0], (lr, word)
        if word == "crawls":
            assert losses[-1] > lesson01.CRAWL * losses[0]
        if word in ("converges", "zig-zags in"):
            assert losses[-1] < lesson01.CRAWL * losses[0]
        assert (flips > 0.5) == word.startswith("zig-zags"), (lr, word, flips)
    # the lesson's four pictures: too small, just right, bouncing in, bouncing out
    assert [w for _, w in claims] == ["crawls", "converges", "zig-zags in", "zig-zags out"]


def test_the_cliff_claim_holds_and_is_dropped_when_a_run_contradicts_it(run):
    title = lesson01.regimes_title(run)
    assert "every lr above 2/L = 0.2 diverges, none below it does" in title
    limit = 2 / run.surface.lipschitz
    for i, lr in enumerate(lesson01.REGIME_LRS):
        assert (run.losses[-1, i, 0] > run.losses[0, i, 0]) == (lr > limit)
    # a budget too short for 0.205 to climb back above its start: the claim must go
    short = gdsim.sweep(lesson01.bowl(), gdsim.SGD, lesson01.START, 1, lr=[0.1, 0.2001])
    assert short.losses[-1, 1, 0] < short.losses[0, 1, 0]
    assert "none below it" not in lesson01.regimes_title(short)


def test_regime_figures_label_each_lr_with_its_factor_and_own_colour(run):
    movie = lesson01.lr_regimes_movie(run, frames=3)
    try:
        titles = [ax.get_title() for ax in movie.figure.axes[:4]]
        assert movie.figure.gdsim_figure == "lr-regimes-movie"
        assert movie.figure._suptitle.get_text() == lesson01.regimes_title(run)
    finally:
        movie.close()
    figure = lesson01.lr_regimes_losses(run)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for lr, title in zip(lesson01.REGIME_LRS, titles):
        rho = max(abs(1 - lr * 1.0), abs(1 - lr * 10.0))
        label = f"lr={lr:g}, ρ = {rho:.3g}"
        assert title == label and label in labels
    curves = [line for line in ax.get_lines() if line.get_label().startswith("lr=")]
    assert len({mcolors.to_hex(line.get_color()) for line in curves}) == len(curves) == 4
    start = [line for line in ax.get_lines() if line.get_label().startswith("starting loss")]
    np.testing.assert_allclose(start[0].get_ydata()[0], run.losses[0].max(), rtol=1e-12)
    assert figure._suptitle.get_text() == lesson01.regimes_title(run)


@pytest.fixture(scope="module")
def scan():
    return lesson01.fastest_scan(steps=300, n=60)


def test_fastest_lr_title_names_the_fastest_run_just_under_the_cliff(scan):
    title = lesson01.fastest_title(scan)
    lr, steps = re.search(r"fastest lr, ([\d.]+) \((\d+) steps", title).groups()
    below = scan.losses[:, :, 0] < lesson01.SOLVED
    needed = np.where(below.any(axis=0), below.argmax(axis=0), np.inf)
    best = int(np.argmin(needed))
    lrs = np.asarray(scan.coords["lr"], dtype=float)
    assert f"{lrs[best]:.2g}" == lr and int(steps) == needed[best]
    assert "just under the cliff 2/L = 0.2" in title
    assert 0.8 * 0.2 < lrs[best] < 0.2
    assert "where the theory puts it: 2/(L + μ) = 0.182" in title
    assert abs(lrs[best] - 2 / 11) < 0.05 * 2 / 11


def test_fastest_lr_draws_both_limits_at_their_lrs(scan):
    figure = lesson01.fastest_lr(scan)
    ax = figure.axes[0]
    lines = {line.get_label().split(":")[0]: line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["2/L = 0.2"].get_xdata()[0], 0.2)
    np.testing.assert_allclose(lines["2/(L+μ) = 0.182"].get_xdata()[0], 2 / 11)
    assert figure._suptitle.get_text() == lesson01.fastest_title(scan)


@pytest.fixture(scope="module")
def cliff_map():
    return lesson01.cliff_map(steps=100, n_lr=60, n_starts=6)


def test_cliff_title_holds_on_every_start(cliff_map):
    title = lesson01.cliff_title(cliff_map)
    assert title.startswith("The cliff does not depend on the start")
    claimed = float(re.search(r"first diverging lr is ([\d.]+)", title).group(1))
    x = np.asarray(cliff_map.x, dtype=float)
    for row in cliff_map.classes:
        first = int(np.argmax(row == DIVERGED_CLASS))
        assert (row == DIVERGED_CLASS).any() and f"{x[first]:.3g}" == f"{claimed:.3g}"
        assert x[first - 1] <= 0.2 < x[first]  # the first lr tried past 2/L
    figure = lesson01.cliff_by_start(cliff_map)
    assert figure._suptitle.get_text() == title


def test_bowl_title_reads_the_curvatures_off_the_surface():
    title = lesson01.bowl_title(gdsim.surfaces.get("quadratic", condition=25))
    assert "curvature 1)" in title and "L = 25" in title and "2/L = 0.08" in title
    figure = lesson01.bowl_curvatures(resolution=40)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert any(t.startswith("curvature 10") for t in texts)
    assert any(t.startswith("curvature 1\n") for t in texts)


def test_lr_sweep_title_holds_on_the_experiment():
    sweep = gdsim.experiments.learning_rate_sweep(seeds=1, epochs=60)
    title = gallery.headline.lr_sweep_title(sweep)
    final = sweep.final("val_accuracy")
    jumps = gallery.headline._jumps(sweep)
    labels = [label.removeprefix("lr=") for label in sweep.labels]
    parts = title.split(": ", 1)[1].replace("\n", " ").split("; ")
    assert parts
    for part in parts:
        words = part.removeprefix("lr ").split(" ")
        verb = next(
            i for i, w in enumerate(words) if w in ("learn", "learns", "bounces", "stay", "stays")
        )
        names = [n.rstrip(",") for n in words[:verb] if n not in ("and",)]
        indices = [labels.index(n) for n in names]
        if words[verb].startswith("learn"):
            assert all(final[i] >= 0.7 for i in indices), part
        elif words[verb] == "bounces":
            assert indices == [int(np.argmax(jumps))] and final[indices[0]] < 0.7, part
        else:
            assert all(final[i] < 1 / 3 + 0.1 for i in indices), part
    figure = gallery.experiment_figure("lr-sweep", experiment=sweep)
    assert figure._suptitle.get_text() == title and figure.gdsim_figure == "lr-sweep"
