"""The seed tutorial's findings (REFERENCE.md §7), read off gdsim's numbers averaged over 3 seeds.

Each experiment trains once per module (3 seeds x its grid as one population, ~1-2 s each)."""

import matplotlib
import numpy as np
import pytest

from gdsim import experiments

matplotlib.use("Agg")

SEEDS = 3


@pytest.fixture(scope="module")
def lr_sweep():
    return experiments.learning_rate_sweep(seeds=SEEDS)


@pytest.fixture(scope="module")
def momentum():
    return experiments.momentum_sweep(seeds=SEEDS)


@pytest.fixture(scope="module")
def decay():
    return experiments.decay_sweep(seeds=SEEDS)


@pytest.fixture(scope="module")
def plateau():
    return experiments.plateau_patience_sweep(seeds=SEEDS)


@pytest.fixture(scope="module")
def adaptive():
    return experiments.adaptive_optimizers(seeds=SEEDS)


def volatility(experiment, key, last=50):
    """Per condition: the std over the last epochs, averaged over seeds."""
    return experiment.history[key][-last:].std(axis=0).mean(axis=1)


def test_tutorial_data_and_shapes(lr_sweep):
    X_train, X_test, y_train, y_test = experiments.tutorial_data()
    assert X_train.shape == (500, 2) and X_test.shape == (500, 2)
    assert np.bincount(y_train).tolist() == [171, 162, 167]
    assert np.bincount(y_test).tolist() == [163, 171, 166]
    h = lr_sweep.history
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert h[key].shape == (200, 8, SEEDS)
    assert lr_sweep.labels[0] == "lr=1" and lr_sweep.labels[-1] == "lr=1e-07"
    assert h.params["steps"] == 16  # 15 batches of 32 and one of 20
    assert lr_sweep.mean("accuracy").shape == (200, 8)
    assert lr_sweep.final("val_accuracy").shape == (8,)
    assert np.allclose(h.lr[0, :, 0], 10.0 ** -np.arange(8))
    assert repr(lr_sweep).startswith("Experiment('lr-sweep': lr in [1.0, 0.1,")


def test_lr_sweep_findings(lr_sweep):
    acc, val = lr_sweep.final("accuracy"), lr_sweep.final("val_accuracy")
    i = {lr: lr_sweep.index(lr) for lr in lr_sweep.values}
    # lr 1.0 oscillates: far more volatile and far worse than 0.1
    assert volatility(lr_sweep, "accuracy")[i[1.0]] > 3 * volatility(lr_sweep, "accuracy")[i[0.1]]
    assert acc[i[1.0]] < acc[i[0.1]] - 0.15
    # 1e-6 and 1e-7 learn nothing: chance level (the largest class is 34%)
    for lr in (1e-6, 1e-7):
        assert acc[i[lr]] < 0.40 and val[i[lr]] < 0.40
    # 0.1 learns the problem well on train and test
    assert acc[i[0.1]] > 0.8 and val[i[0.1]] > 0.8
    # 0.1, 0.01, 0.001 learn, successively slower
    at_50 = lr_sweep.mean("accuracy")[49]
    assert at_50[i[0.1]] > at_50[i[0.01]] > at_50[i[0.001]] > 0.6


def test_momentum_findings(momentum):
    at_50 = momentum.mean("accuracy")[49]
    val_50 = momentum.mean("val_accuracy")[49]
    none = momentum.index(0.0)
    for m in (0.9, 0.99):
        k = momentum.index(m)
        assert at_50[k] > 0.8 and val_50[k] > 0.78  # good accuracy by epoch 50 ...
        assert at_50[k] > at_50[none] + 0.05  # ... which plain SGD lacks
    # without momentum it takes (about) all 200 epochs to get there
    assert momentum.final("accuracy")[none] > 0.8


def test_decay_findings(decay, lr_sweep):
    acc = decay.final("accuracy")
    slow = acc[decay.index(1e-4)]
    assert acc[decay.index(1e-1)] < slow - 0.1 and acc[decay.index(1e-2)] < slow - 0.05
    # decay 1e-4 behaves like no decay at all (the lr sweep's lr 0.01)
    assert abs(slow - lr_sweep.final("accuracy")[lr_sweep.index(0.01)]) < 0.03
    # the article's final learning rates after 3,200 updates (iteration 3199)
    lr = decay.history.lr[-1, :, 0]
    assert lr[decay.index(1e-1)] == pytest.approx(3.116e-5, rel=1e-3)
    assert lr[decay.index(1e-4)] == pytest.approx(7.576e-3, rel=1e-3)


def test_plateau_findings(plateau):
    acc = plateau.final("accuracy")
    p = {v: plateau.index(v) for v in plateau.values}
    lr = plateau.history.lr
    # patience 2 and 5 converge prematurely, to a worse model (article: ~65% and < 75%)
    assert acc[p[2]] < 0.72 and acc[p[5]] < 0.78
    assert acc[p[2]] < acc[p[15]] - 0.1 and acc[p[5]] < acc[p[15]] - 0.05
    assert volatility(plateau, "accuracy")[p[2]] < 0.002  # frozen: converged
    assert np.median(lr[100, p[2]]) < 1e-6  # the lr is gone by then
    # patience 15 drops the lr about once, late in the run
    drops = (np.diff(lr[:, p[15]], axis=0) < 0).sum(axis=0)
    first = np.argmax(np.diff(lr[:, p[15]], axis=0) < 0, axis=0) + 1
    assert np.median(drops) <= 2 and np.all(first >= 100)
    # every member used lr 0.01 until its first drop
    assert np.all(lr[0] == 0.01)


def test_adaptive_findings(adaptive):
    val_50, val_final = adaptive.mean("val_accuracy")[49], adaptive.final("val_accuracy")
    sgd = adaptive.index("sgd")
    for name in ("rmsprop", "adam"):
        k = adaptive.index(name)
        assert val_50[k] > 0.78 and val_final[k] - val_50[k] < 0.03  # learned by epoch 50
        assert val_50[k] > val_50[sgd] + 0.03  # SGD is not there yet
    # the adaptive methods are less volatile than SGD
    noise = volatility(adaptive, "val_accuracy", last=100)
    for name in ("rmsprop", "adagrad", "adam"):
        assert noise[adaptive.index(name)] < noise[sgd]
    assert adaptive.history.lr[0, :, 0].tolist() == [0.01, 0.001, 0.01, 0.001]


def test_plot_draws_train_blue_and_test_orange(lr_sweep):
    fig = experiments.plot(lr_sweep)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 8
    for c, ax in enumerate(axes):
        assert ax.get_title() == lr_sweep.labels[c]
        bold = [line for line in ax.lines if line.get_label() in ("train", "test")]
        train, test = bold
        assert matplotlib.colors.to_hex(train.get_color()) == experiments.TRAIN_COLOR
        assert matplotlib.colors.to_hex(test.get_color()) == experiments.TEST_COLOR
        assert np.allclose(train.get_ydata(), lr_sweep.mean("accuracy")[:, c])
        assert np.allclose(test.get_ydata(), lr_sweep.mean("val_accuracy")[:, c])
        assert len(ax.lines) == 2 * (SEEDS + 1)  # each seed thin, the mean bold
    matplotlib.pyplot.close(fig)


def test_plateau_figure_rows(plateau):
    fig = experiments.plot(plateau, "plateau")
    assert len(fig.axes) == 12
    lr_panel = fig.axes[0]
    assert lr_panel.get_yscale() == "log"
    # the bold line is the seeds' geometric mean: the honest centre on a log axis
    geometric = np.exp(np.log(plateau.history["lr"][:, 0, :]).mean(axis=1))
    assert np.allclose(lr_panel.lines[-1].get_ydata(), geometric)
    assert np.allclose(fig.axes[4].lines[-1].get_ydata(), plateau.mean("loss")[:, 0])
    assert np.allclose(fig.axes[8].lines[-1].get_ydata(), plateau.mean("accuracy")[:, 0])
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("name", list(experiments.FIGURES))
def test_write_figure(name, tmp_path):
    path = experiments.write_figure(name, tmp_path / f"{name}.png", seeds=1, epochs=2)
    assert path.exists() and path.stat().st_size > 1000


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown figure 'lr-swep'; did you mean 'lr-sweep'"):
        experiments.write_figure("lr-swep")
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        experiments.learning_rate_sweep(seeds=0)
    with pytest.raises(ValueError, match="unknown optimizer name"):
        experiments.adaptive_optimizers(names=("sgd", "adamw"), epochs=1)
