"""Lesson 4's figures say what their data show: effective lrs, the ravine race, the plateau."""

import re

import matplotlib
import numpy as np
import pytest

from gdsim.teach.gallery import lesson04

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# -- effective lr ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def effective():
    return lesson04.effective_lrs(60)


def test_effective_lrs_are_the_optimizers_own_steps(effective):
    # the effective lr times the gradient is the step the optimizer takes (Adam: its first step,
    # where m̂ = g)
    surface = lesson04.ravine()
    for name, optimizer in lesson04.adaptive().items():
        theta = np.array(lesson04.START[0], dtype=float)
        state = optimizer.init(theta)
        gradient = surface.grad(theta)
        new, state = optimizer.update(theta, gradient, state)
        np.testing.assert_allclose(new - theta, -effective[name][0] * gradient, rtol=1e-6)


def test_effective_lr_title_holds_on_the_data(effective):
    title = lesson04.effective_title(effective)
    low, high = map(float, re.search(r"(\d+)–(\d+)× smaller", title).groups())
    values = np.array(list(effective.values()))
    ratios = values[..., 0] / values[..., 1]
    assert round(ratios.min()) == low and round(ratios.max()) == high
    limit = 2 / lesson04.curvatures(lesson04.ravine())[-1]
    assert "y's stays below 2/λ_y = 2/50, x's is above it" in title
    assert (values[..., 1] < limit).all() and (values[..., 0] > limit).all()


def test_effective_lr_title_does_not_claim_what_fails():
    flipped = {"A": np.array([[0.01, 0.2], [0.01, 0.2]])}
    assert "not always the smaller" in lesson04.effective_title(flipped)
    below = {"A": np.array([[0.03, 0.001], [0.03, 0.001]])}  # x below the limit too
    assert "2/λ_y" not in lesson04.effective_title(below)


def test_effective_lr_figure_draws_the_limit_and_one_colour_per_coordinate(effective):
    fig = lesson04.effective_lr(effective)
    assert fig.gdsim_figure == "effective-lr"
    assert fig._suptitle.get_text() == lesson04.effective_title(effective)
    assert len(fig.axes) == len(effective)
    for ax, per_step in zip(fig.axes, effective.values()):
        x, y, limit = ax.get_lines()
        np.testing.assert_allclose(x.get_ydata(), per_step[:, 0])
        np.testing.assert_allclose(y.get_ydata(), per_step[:, 1])
        np.testing.assert_allclose(limit.get_ydata(), [2 / 50, 2 / 50])
        assert len({x.get_color(), y.get_color(), limit.get_color()}) == 3


# -- the ravine race ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def race():
    return lesson04.ravine_runs(80)


def test_ravine_title_says_who_reaches_the_loss_and_when(race):
    runs, labels = race
    title = lesson04.ravine_title(runs, labels)
    there, _, missing = title.partition(";")
    claimed = dict(re.findall(r"(\w+) \(step (\d+)\)", there))
    assert claimed, title
    for run, label in zip(runs, labels):
        name = label.split(" (")[0]
        losses = run.losses[:, 0]
        if name in claimed:
            step = int(claimed[name])
            assert losses[step] < lesson04.SOLVED <= losses[step - 1], name
        else:
            assert name in missing and (losses >= lesson04.SOLVED).all(), name
    # the lesson's story: two adaptive methods get there, SGD does not
    assert {"Adagrad", "RMSprop"} <= set(claimed) and "SGD" not in claimed


def test_ravine_movie_marks_the_threshold_and_sgd_against_its_limit(race):
    runs, labels = race
    movie = lesson04.ravine_race_movie(runs, labels, frames=3)
    try:
        assert movie.figure.gdsim_figure == "ravine-race-movie"
        loss = movie.figure.axes[1]
        assert any(np.allclose(line.get_ydata(), lesson04.SOLVED) for line in loss.get_lines())
        limit = 2 / lesson04.curvatures(lesson04.ravine())[-1]
        legend = [t.get_text() for t in movie.figure.legends[0].get_texts()]
        sgd = [t for t in legend if t.startswith("SGD")]
        assert sgd == [f"SGD (lr=0.035), < 2/L = {limit:.2g}"] and 0.035 < limit
        assert movie.figure._suptitle.get_text() == lesson04.ravine_title(runs, labels)
    finally:
        movie.close()


# -- the plateau ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plateau():
    return lesson04.plateau_runs(200)


def test_plateau_title_names_who_crosses_and_who_stalls(plateau):
    runs, labels = plateau
    title = lesson04.plateau_title(runs, labels)
    crossed, _, stalled = title.partition("cross it to the minimum")
    for run, label in zip(runs, labels):
        name = label.split(" (")[0]
        if (run.reached >= 0).all():
            assert name in crossed and name not in stalled, name
        else:
            assert name in stalled, name
    assert "stall" in stalled
    slope = abs(runs[0].surface.grad(np.array(lesson04.PLATEAU_START[0]))[0])
    assert f"slope {slope:.0e}".replace("e-0", "e-") in title


def test_plateau_labels_note_exactly_the_covered_paths(plateau):
    runs, labels = plateau
    noted = lesson04.hidden_paths(runs, labels)
    assert noted[2] == "Adagrad (lr=0.5); under RMSprop's path"
    assert noted[4] == labels[4]  # Adam's path runs its own way
    # the note's claim, measured: every point of Adagrad's path is close to RMSprop's path
    a, b = (runs[i].positions[:, 0] for i in (2, 4))
    rms = runs[3].positions[:, 0]
    gap = lambda p, q: np.hypot(*(p[:, None] - q[None]).transpose(2, 0, 1)).min(axis=1).max()  # noqa: E731
    assert gap(a, rms) < 0.02 * np.hypot(8, 4) < gap(b, rms)


def test_plateau_figure_uses_the_noted_labels_one_colour_each(plateau):
    runs, labels = plateau
    fig = lesson04.plateau_crossing(runs, labels)
    assert fig.gdsim_figure == "plateau-crossing"
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == lesson04.hidden_paths(runs, labels)
    colours = {h.get_color() for h in fig.legends[0].legend_handles}
    assert len(colours) == len(runs)


# -- the tutorial's experiment ----------------------------------------------------------------


@pytest.fixture(scope="module")
def adaptive_experiment():
    from gdsim import experiments

    return experiments.adaptive_optimizers(seeds=1, epochs=100)


def test_adaptive_title_claims_hold_on_the_experiment(adaptive_experiment):
    e = adaptive_experiment
    title = lesson04.adaptive_title(e)
    epochs = dict(zip(e.labels, lesson04.epochs_to(e)))
    train = e.mean("accuracy")
    for c, label in enumerate(e.labels):  # epochs_to is the first epoch at the target
        if epochs[label] is not None:
            assert (
                train[epochs[label] - 1, c] >= lesson04.TARGET > train[: epochs[label] - 1, c].max()
            )
    speed = re.search(r"\n(.*) reach 78% train accuracy first \((.*?);", title)
    assert speed, title
    for name in re.split(r", | and ", speed.group(1)):
        key = name.lower()
        assert epochs[key] is not None
        assert epochs["sgd"] is None or epochs[key] < 0.8 * epochs["sgd"]
    jumps = dict(zip(e.labels, lesson04.accuracy_jumps(e)))
    low, high = map(float, re.search(r"jumps (\d+)–(\d+)× less", title).groups())
    ratios = [jumps["sgd"] / jumps[k] for k in e.labels if k != "sgd"]
    assert round(min(ratios)) == low and round(max(ratios)) == high and min(ratios) > 1


def test_adaptive_title_gives_up_the_calm_claim_when_it_fails(adaptive_experiment):
    import copy

    e = copy.copy(adaptive_experiment)
    history = dict(e.history)
    val = np.array(history["val_accuracy"], dtype=float)
    rng = np.random.default_rng(0)
    val[:, 1] += rng.normal(0, 0.2, val[:, 1].shape)  # rmsprop's test accuracy now jumps
    history["val_accuracy"] = val
    e.history = history
    assert "not every adaptive method's test accuracy is calmer" in lesson04.adaptive_title(e)
