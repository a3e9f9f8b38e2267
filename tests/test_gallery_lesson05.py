"""Lesson 5's figures say what their data show: schedules, noisy clouds, ReduceLROnPlateau."""

import re

import matplotlib
import numpy as np
import pytest

from gdsim import schedules as S
from gdsim.teach.gallery import lesson05
from gdsim.teach.gallery.base import short_e

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# -- the schedules --------------------------------------------------------------------------------


def test_schedules_title_reads_where_each_decay_ends():
    candidates = lesson05.candidates(200)
    title = lesson05.schedules_title(candidates, 200)
    ends = {name: float(s(np.array([199]))[0]) for name, s in candidates.items()}
    low, high = re.search(r"from (\S+) \(cosine\) to (\S+) \(time decay\)", title).groups()
    decaying = {k: v for k, v in ends.items() if not k.startswith("constant")}
    assert min(decaying, key=decaying.get).startswith("cosine")
    assert max(decaying, key=decaying.get).startswith("time decay")
    np.testing.assert_allclose(float(low), ends["cosine (T=200)"], rtol=0.1)
    np.testing.assert_allclose(float(high), ends["time decay (d=0.05)"], rtol=0.05)
    assert title.startswith("Four decays from 0.15") and "stays at 0.15" in title


def test_schedules_title_without_decay_says_so():
    assert "keeps its lr" in lesson05.schedules_title({"a": S.constant(0.1)}, 10)


def test_decay_schedules_figure_draws_each_schedule_on_a_log_axis():
    candidates = lesson05.candidates(200)
    fig = lesson05.decay_schedules(candidates)
    (ax,) = fig.axes
    assert fig.gdsim_figure == "decay-schedules" and ax.get_yscale() == "log"
    lines = ax.get_lines()
    assert len({line.get_color() for line in lines}) == len(candidates)
    for line, schedule in zip(lines, candidates.values()):
        np.testing.assert_allclose(line.get_ydata(), schedule(np.arange(200)))


# -- noisy clouds ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clouds():
    return lesson05.cloud_runs(30, 200)


def test_cloud_words_hold_on_the_final_positions(clouds):
    runs, labels = clouds
    words = lesson05.cloud_words(runs)
    assert words == [
        "bounces in a wide cloud",
        "has not arrived",
        "ends in a tight cloud at the minimum",
    ]
    (wide, off_wide), (slow, off_slow), (tight, off_tight) = map(lesson05.cloud, runs)
    assert off_slow > slow and off_wide <= wide and off_tight <= tight and wide > 2 * tight
    # the same story in the loss: the decaying lr ends far below both constants
    final = [run.final_loss.mean() for run in runs]
    assert final[2] < final[0] / 10 and final[2] < final[1] / 10
    title = lesson05.cloud_title(runs, labels)
    assert all(f"{label} {word}" in title for label, word in zip(labels, words))


def test_cloud_words_can_say_every_cloud_is_tight():
    class Fake:
        def __init__(self, final):
            self.final = np.array(final, dtype=float)
            self.surface = lesson05.bowl()

    same = [Fake([[0.1, 0.0], [-0.1, 0.0]]), Fake([[0.12, 0.0], [-0.12, 0.0]])]
    assert lesson05.cloud_words(same) == ["ends in a tight cloud at the minimum"] * 2


def test_noisy_clouds_movie_names_each_cloud_in_its_panel(clouds):
    runs, labels = clouds
    movie = lesson05.noisy_clouds_movie(runs, labels, frames=3)
    try:
        titles = [ax.get_title() for ax in movie.figure.axes if ax.get_title()]
        for label, title, (spread, offset) in zip(labels, titles, map(lesson05.cloud, runs)):
            assert title.startswith(label) and f"spread {spread:.2f}" in title
        assert movie.figure._suptitle.get_text() == lesson05.cloud_title(runs, labels)
        assert movie.figure.gdsim_figure == "noisy-clouds-movie"
    finally:
        movie.close()


# -- one run per schedule -------------------------------------------------------------------------


def test_single_title_factor_holds_on_the_runs():
    runs, labels = lesson05.single_runs()
    title = lesson05.single_title(runs, labels)
    factor = float(re.search(r"loss (\d+)× below", title).group(1))
    decaying = [lesson05._decays(run) for run in runs]
    assert decaying == [False, False, True, True]
    final = np.array([run.final_loss.max() for run in runs])
    assert final[2:].max() < final[:2].min()
    assert round(final[:2].min() / final[2:].max()) == factor


def test_single_title_does_not_claim_an_order_that_fails():
    class Fake:
        steps = 3

        def __init__(self, lrs, loss):
            self.lrs, self.final_loss = np.array(lrs, dtype=float), np.array([loss])

    runs = [Fake([0.1, 0.1, 0.1], 1e-3), Fake([0.1, 0.05, 0.01], 1e-2)]
    assert "not every decaying lr ends below" in lesson05.single_title(runs, ["c", "d"])


# -- ReduceLROnPlateau ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def patience():
    return lesson05.patience_runs(n=200)


def test_patience_title_holds_on_the_runs(patience):
    title = lesson05.patience_title(patience)
    losses = {p: run.final_loss.mean() for p, run in patience.items()}
    best = int(re.search(r"patience (\d+) ends lowest", title).group(1))
    assert best == min(losses, key=losses.get) == 20
    low_lr = float(re.search(r"patience 5 ends with the lr at (\S+),", title).group(1))
    np.testing.assert_allclose(low_lr, np.median(patience[5].lrs[-1]), rtol=0.5)
    kept = int(re.search(r"keeps 0.15 until step (\d+)", title).group(1))
    median = np.median(patience[60].lrs, axis=1)
    assert (median[:kept] == 0.15).all() and median[kept] < 0.15


def test_patience_figure_marks_each_first_drop_and_names_the_factor(patience):
    fig = lesson05.reduce_on_plateau(patience)
    ax_lr, ax_loss = fig.axes
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert [label.split(",")[0] for label in labels] == [f"patience {p}" for p in patience]
    assert all("factor 0.5" in label for label in labels)
    for (p, run), label in zip(patience.items(), labels):
        assert f"mean final loss {short_e(run.final_loss.mean())}" in label
    markers = [line for line in ax_lr.get_lines() if line.get_marker() == "o"]
    assert [int(m.get_xdata()[0]) for m in markers] == [
        lesson05.first_drop(r) for r in patience.values()
    ]
    assert fig._suptitle.get_text() == lesson05.patience_title(patience)


# -- Keras's decay -------------------------------------------------------------------------------


def test_keras_title_and_markers_read_the_schedules():
    keras = lesson05.keras_schedules()
    title = lesson05.keras_title(keras, 50)
    assert "decay=0.1 has cut the lr to 0.0017" in title and "decay=0.0001 only to 0.00995" in title
    np.testing.assert_allclose(0.01 / (1 + 0.1 * 50), 0.0017, rtol=0.02)
    fig = lesson05.keras_decay(keras)
    (ax,) = fig.axes
    markers = [line for line in ax.get_lines() if line.get_marker() == "o"]
    np.testing.assert_allclose(
        [m.get_ydata()[0] for m in markers], [0.01 / (1 + d * 50) for d in lesson05.KERAS_DECAYS]
    )
    assert fig.gdsim_figure == "keras-decay"


# -- the tutorial's experiments ---------------------------------------------------------------


@pytest.fixture(scope="module")
def decay_experiment():
    from gdsim import experiments

    return experiments.decay_sweep(seeds=1, epochs=60)


@pytest.fixture(scope="module")
def patience_experiment():
    from gdsim import experiments

    return experiments.plateau_patience_sweep(seeds=1, epochs=60)


def _percents(text):
    return [float(v) / 100 for v in re.findall(r"(\d+)(?:%|–)", text)]


def test_decay_title_groups_the_decays_by_final_accuracy(decay_experiment):
    e = decay_experiment
    title = lesson05.decay_title(e)
    final = dict(zip(e.labels, e.final("val_accuracy")))
    keep, _, behind = title.partition(";")
    for label, acc in final.items():
        ahead = acc >= max(final.values()) - lesson05.MARGIN
        assert (label in keep.split(": ")[1]) == ahead, (label, title)
        assert (label in behind) == (not ahead), (label, title)
    for part, group in ((keep, [a for a in final.values() if a >= max(final.values()) - 0.03]),):
        low, *high = _percents(part.split(" at ")[-1])
        assert low == pytest.approx(min(group), abs=0.006)
    if "too early" in behind:
        lr = np.asarray(e.history["lr"])[-1, :, 0]
        ahead = np.array([final[k] >= max(final.values()) - 0.03 for k in e.labels])
        assert lr[~ahead].max() < lr[ahead].min()


def test_patience_experiment_title_holds(patience_experiment):
    e = patience_experiment
    title = lesson05.patience_experiment_title(e)
    final = e.final("accuracy")
    best = e.labels[int(np.argmax(final))]
    assert f"{best} ends best ({final.max():.0%} train accuracy)" in title
    if "cuts the lr" in title:
        drops = lesson05.lr_drops(e)[0]
        n = int(re.search(r"cuts the lr (\d+)", title).group(1))
        assert n == drops.min()
        last = np.asarray(e.history["lr"])[-1, 0].max()
        assert f"to {short_e(last)} or below" in title
        assert ("stalls" in title) == (final[0] < final.max() - 0.05)
