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
    return lesson04.ravine_race(80)


def _fair(race, grid):
    """Each contender at the best eligible lr of ``grid``, inside it (the grid runs past where
    it breaks), neither diverging nor climbing above its start, its lr in its label."""
    for name, tuned in race.items():
        np.testing.assert_allclose(tuned.lrs, grid)
        chosen = int(np.flatnonzero(tuned.lrs == tuned.lr)[0])
        assert tuned.eligible[chosen], name
        assert tuned.scores[chosen] == tuned.scores[tuned.eligible].min(), name
        assert 0 < chosen < len(tuned.lrs) - 1 and not tuned.eligible[-1], name
        losses = tuned.run.losses.reshape(len(tuned.run.losses), -1)
        assert not tuned.run.diverged.any(), name
        assert (losses <= losses[0] * (1 + 1e-12) + 1e-12).all(), name
        assert tuned.label == f"{name}, lr={tuned.lr:.2g} (best of {len(tuned.lrs)})"


def test_ravine_race_is_fair(race):
    assert list(race) == list(lesson04.RAVINE_RACE)
    _fair(race, lesson04.RAVINE_LRS)
    assert race["SGD"].lr < 2 / 50  # SGD's best sits under its limit


def test_ravine_title_says_who_reaches_the_loss_and_when(race):
    title = lesson04.ravine_title(race)
    assert title.startswith("Each at its best lr on the axis-aligned ravine")
    there, _, missing = title.partition(";")
    claimed = re.findall(r"(\w+) \(step (\d+)\)", there)
    assert claimed, title
    assert [int(k) for _, k in claimed] == sorted(int(k) for _, k in claimed)  # fastest first
    claimed = dict(claimed)
    for name, tuned in race.items():
        losses = tuned.run.losses[:, 0]
        if name in claimed:
            step = int(claimed[name])
            assert losses[step] < lesson04.SOLVED <= losses[step - 1], name
        else:
            assert name in missing and (losses >= lesson04.SOLVED).all(), name
    # the lesson's story, at the tuned lrs: Adagrad and RMSprop get there in a few steps, SGD not
    assert {"Adagrad", "RMSprop"} <= set(claimed) and "SGD" not in claimed
    assert max(int(claimed[n]) for n in ("Adagrad", "RMSprop")) < 10


def test_ravine_movie_marks_the_threshold_and_sgd_against_its_limit(race):
    movie = lesson04.ravine_race_movie(race, frames=3)
    try:
        assert movie.figure.gdsim_figure == "ravine-race-movie"
        loss = movie.figure.axes[1]
        assert any(np.allclose(line.get_ydata(), lesson04.SOLVED) for line in loss.get_lines())
        legend = [t.get_text() for t in movie.figure.legends[0].get_texts()]
        sgd = race["SGD"]
        assert legend[0] == f"{sgd.label}, < 2/L = 0.04"
        assert legend[1:] == [t.label for n, t in race.items() if n != "SGD"]
        assert movie.figure._suptitle.get_text() == lesson04.ravine_title(race)
        # the runs that end on top of each other are named in a note
        note = lesson04.ends_note(race)
        ends = {n: t.run.final.reshape(2) for n, t in race.items()}
        for name in ("Adagrad", "RMSprop", "Adam"):
            assert name in note
            assert np.hypot(*(ends[name] - ends["Adagrad"])) < 0.02 * np.hypot(4, 4)
        assert "SGD" not in note and note in movie.figure.axes[0].get_title()
    finally:
        movie.close()


def test_ravine_sweep_figure_says_where_the_picks_sit(race):
    title = lesson04.ravine_sweep_title(race)
    assert f"SGD's, {race['SGD'].lr:.2g}, sits under its limit 2/L = 0.04" in title
    assert "all above it" in title and all(race[n].lr > 0.04 for n in race if n != "SGD")
    figure = lesson04.ravine_race_sweep(race)
    assert figure.gdsim_figure == "ravine-race-sweep" and figure._suptitle.get_text() == title
    texts = [t.get_text() for t in figure.legends[0].get_texts()]
    assert texts[: len(race)] == [t.label for t in race.values()]
    lines = figure.axes[0].get_lines()
    for k, tuned in enumerate(race.values()):
        np.testing.assert_allclose(lines[3 * k].get_xdata(), tuned.lrs)
        assert lines[3 * k + 2].get_xdata()[0] == tuned.lr


def test_the_axis_table_races_are_fair_and_the_tilt_costs_the_adaptive_methods():
    steps = {}
    for angle in (0, 30):
        tuned = lesson04.ravine_race(300, angle=angle)
        _fair(tuned, lesson04.RAVINE_LRS)
        steps[angle] = {name: lesson04.steps_to(t.run) for name, t in tuned.items()}
    # what the lesson's markdown says of the table
    assert steps[0] == {"SGD": 151, "Adagrad": 6, "RMSprop": 14, "Adam": 91}
    assert steps[30] == {"SGD": 135, "Adagrad": 112, "RMSprop": 103, "Adam": 101}
    for name in ("Adagrad", "RMSprop"):  # the alignment is what they exploit
        assert steps[0][name] < 20 and 100 < steps[30][name] < steps[30]["SGD"], name


# -- the plateau ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plateau():
    return lesson04.plateau_race(200)


def test_plateau_race_is_fair(plateau):
    assert list(plateau) == list(lesson04.PLATEAU)
    _fair(plateau, lesson04.PLATEAU_LRS)


def test_plateau_title_names_who_crosses_and_who_stalls(plateau):
    title = lesson04.plateau_title(plateau)
    assert "each at its best lr, in 200 steps" in title
    head, _, body = title.partition("\n")
    reached, crossed, stalled = body.replace("\n", " ").split("; ")
    fates = lesson04.plateau_fates(plateau)
    for name, tuned in plateau.items():
        short = name.split(" (")[0]
        losses = tuned.run.losses[:, 0]
        if fates[name] == "reached":
            assert (tuned.run.reached >= 0).all() and short in reached, name
        elif fates[name] == "crossed":
            assert (losses < lesson04.OFF_THE_SHELF).any() and short in crossed, name
            assert not (tuned.run.reached >= 0).all()
        else:
            assert (losses >= lesson04.OFF_THE_SHELF).all() and short in stalled, name
    assert fates == {
        "SGD": "stalled",
        "momentum (μ=0.9)": "crossed",
        "Adagrad": "reached",
        "RMSprop": "reached",
        "Adam": "reached",
    }
    first = next(iter(plateau.values())).run
    slope = abs(first.surface.grad(np.array(lesson04.PLATEAU_START[0]))[0])
    assert f"slope {slope:.0e}".replace("e-0", "e-") in head


def test_plateau_labels_note_exactly_the_covered_paths(plateau):
    runs = [t.run for t in plateau.values()]
    labels = [t.label for t in plateau.values()]
    noted = lesson04.hidden_paths(runs, labels)
    assert noted[0] == f"{labels[0]}; under momentum's path"
    assert noted[1:] == labels[1:]
    # the note's claim, measured: every point of SGD's path is close to momentum's path
    gap = lambda p, q: np.hypot(*(p[:, None] - q[None]).transpose(2, 0, 1)).min(axis=1).max()  # noqa: E731
    paths = [r.positions[:, 0] for r in runs]
    near = 0.02 * np.hypot(8, 4)
    assert gap(paths[0], paths[1]) < near
    assert all(gap(paths[i], paths[j]) >= near for i in range(1, 5) for j in range(i + 1, 5))


def test_plateau_figure_draws_the_paths_and_the_sweep(plateau):
    fig = lesson04.plateau_crossing(plateau)
    assert fig.gdsim_figure == "plateau-crossing"
    assert fig._suptitle.get_text() == lesson04.plateau_title(plateau)
    runs = [t.run for t in plateau.values()]
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == lesson04.hidden_paths(runs, [t.label for t in plateau.values()])
    colours = {h.get_color() for h in fig.legends[0].legend_handles}
    assert len(colours) == len(runs)
    # SGD's and momentum's sweep curves lie on top of each other (both stay on the shelf at
    # most lrs): the panel says so
    sgd, momentum = plateau["SGD"], plateau["momentum (μ=0.9)"]
    both = sgd.eligible & momentum.eligible
    close = np.abs(np.log(sgd.scores[both] / momentum.scores[both])) < np.log(1.25)
    assert close.mean() > 0.5
    assert "SGD's curve (broad) runs\nunder momentum's" in fig.axes[1].get_title()
    sweep = fig.axes[1].get_lines()
    for k, tuned in enumerate(plateau.values()):
        np.testing.assert_allclose(sweep[3 * k].get_xdata(), tuned.lrs)
        assert sweep[3 * k + 2].get_xdata()[0] == tuned.lr


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
