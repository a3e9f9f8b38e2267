import numpy as np
import pytest

from gdsim import datasets
from gdsim.nn import MLP, fit
from gdsim.nn.callbacks import Callback
from gdsim.optimizers import SGD
from gdsim.toolkit.ensembles import Ensemble, SnapshotEnsemble, snapshot_experiment, tutorial_data


@pytest.fixture(scope="module")
def blobs():
    X, y = datasets.blobs(200, centers=3, n_features=2, cluster_std=2, seed=2)
    return datasets.standardize(X), y


class _Used(Callback):
    """What each update really used (``run.lr`` after the hooks) and each epoch's final weights."""

    def on_train_begin(self, run):
        self.lrs, self.weights = [], []

    def on_batch_end(self, iteration, logs, run):
        self.lrs.append(run.lr.copy())

    def on_epoch_end(self, epoch, logs, run):
        self.weights.append(run.weights())


@pytest.mark.parametrize("per", ["batch", "epoch"])
def test_each_snapshot_is_taken_at_its_cycles_lowest_lr(blobs, per):
    X, y = blobs
    model = MLP([2, 6, 3], population=2, seed=[1, 2])
    snapshots, used = SnapshotEnsemble(n_cycles=3, lr_max=0.1, per=per), _Used()
    fit(
        model,
        SGD(lr=0.5, momentum=0.9),
        X,
        y,
        epochs=9,
        batch_size=50,
        callbacks=[snapshots, used],
        verbose=0,
    )
    lrs = np.array(used.lrs)[:, 0]  # (36,): 4 updates per epoch
    assert np.array_equal(lrs, snapshots.lrs)
    assert snapshots.snapshot_epochs == [2, 5, 8]
    for c, epoch in enumerate(snapshots.snapshot_epochs):
        cycle = lrs[c * 12 : (c + 1) * 12]
        last = (epoch + 1) * 4 - 1  # the snapshot's last update
        assert lrs[last] == cycle.min() and cycle[0] == 0.1
        assert all(
            np.array_equal(a, b) for a, b in zip(snapshots.snapshots[c], used.weights[epoch])
        )
    if per == "batch":  # the paper: cosine over the cycle's updates
        assert np.allclose(lrs[:12], 0.05 * (np.cos(np.pi * np.arange(12) / 12) + 1), rtol=1e-15)
    else:  # MLM: lr_max/2 (cos(π (e mod c)/c) + 1)
        epochs = np.arange(36) // 4
        assert np.allclose(lrs, 0.05 * (np.cos(np.pi * (epochs % 3) / 3) + 1), rtol=1e-15)


def test_the_last_cycle_takes_the_remaining_epochs(blobs):
    X, y = blobs
    snapshots = SnapshotEnsemble(n_cycles=3, lr_max=0.1, per="epoch")
    fit(
        MLP([2, 4, 3], seed=0),
        SGD(lr=0.1),
        X,
        y,
        epochs=11,
        batch_size=200,
        callbacks=[snapshots],
        verbose=0,
    )
    assert snapshots.cycle_lengths == [3, 3, 5] and snapshots.snapshot_epochs == [2, 5, 10]
    last = snapshots.lrs[6:]  # restarts at its own start, 5 epochs long
    assert np.allclose(last, 0.05 * (np.cos(np.pi * np.arange(5) / 5) + 1), rtol=1e-15)


def test_ensemble_averages_the_softmax_outputs(blobs):
    X, y = blobs
    snapshots = SnapshotEnsemble(n_cycles=4, lr_max=0.2)
    model = MLP([2, 6, 3], population=3, seed=[3, 4, 5])
    fit(model, SGD(lr=0.2, momentum=0.9), X, y, epochs=8, callbacks=[snapshots], verbose=0)
    models = snapshots.models()
    assert len(models) == 4 and all(m.population == 3 for m in models)
    assert np.array_equal(models[-1].get_weights()[0], model.get_weights()[0])  # last = final
    ensemble = snapshots.ensemble(last=3)
    probabilities = np.mean([m.predict_proba(X) for m in models[-3:]], axis=0)
    assert np.allclose(ensemble.predict_proba(X), probabilities, rtol=1e-15)
    # summing (official code, MLM) and averaging pick the same class
    assert np.array_equal(
        ensemble.predict(X),
        np.argmax(np.sum([m.predict_proba(X) for m in models[-3:]], axis=0), -1),
    )
    assert np.allclose(ensemble.accuracy(X, y), (ensemble.predict(X) == y).mean(axis=1))
    assert np.allclose(ensemble.accuracy(X, datasets.one_hot(y)), ensemble.accuracy(X, y))
    # member k of the ensemble is the ensemble of member k's snapshots
    singles = []
    for m in models[-3:]:
        one = MLP([2, 6, 3], seed=4)
        one.set_weights([w[1] for w in m.get_weights()])
        singles.append(one)
    assert np.allclose(Ensemble(singles).predict_proba(X), ensemble.predict_proba(X)[1], rtol=1e-15)
    assert isinstance(Ensemble(singles).accuracy(X, y), float)
    assert len(snapshots.ensemble()) == 4


def test_the_snapshot_tutorial(blobs):
    X_train, X_test, y_train, y_test = tutorial_data()
    assert X_train.shape == (100, 2) and X_test.shape == (1000, 2)
    result = snapshot_experiment()  # the full setup: 500 epochs, 10 cycles
    assert result.snapshot_epochs == list(range(49, 500, 50))
    assert result.single.shape == (10, 1) and result.ensemble.shape == (10, 1)
    assert result.ensemble[0, 0] == result.single[-1, 0]  # the ensemble of 1 is the latest
    # the tutorial: singles 0.809 ± 0.008, ensembles of the latest n between 0.813 and 0.822
    assert 0.78 <= result.single.mean() <= 0.83
    assert np.all(result.ensemble[2:] >= result.single.mean())
    assert "ensemble=" in result.table()
    import matplotlib.pyplot as plt

    drawn = result.plot()
    assert np.allclose(drawn.single.get_ydata(), result.single[::-1, 0])
    assert np.allclose(drawn.ensemble.get_ydata(), result.ensemble[:, 0])
    assert len(drawn.snapshots.get_xdata()) == 10
    plt.close("all")
    small = snapshot_experiment(seeds=[0, 1], epochs=20, n_cycles=4, per="batch")
    assert small.single.shape == (4, 2) and small.history.loss.shape == (20, 2)


def test_bad_input(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="n_cycles must be >= 1, got 0"):
        SnapshotEnsemble(0, 0.1)
    with pytest.raises(ValueError, match="lr_max must be > 0"):
        SnapshotEnsemble(2, -0.1)
    with pytest.raises(ValueError, match="unknown per 'step'"):
        SnapshotEnsemble(2, 0.1, per="step")
    with pytest.raises(
        ValueError, match="n_cycles must be <= epochs, got n_cycles=5 with epochs=3"
    ):
        fit(
            MLP([2, 4, 3], seed=0),
            SGD(lr=0.1),
            X,
            y,
            epochs=3,
            callbacks=[SnapshotEnsemble(5, 0.1)],
            verbose=0,
        )
    snapshots = SnapshotEnsemble(2, 0.1)
    fit(MLP([2, 4, 3], seed=0), SGD(lr=0.1), X, y, epochs=2, callbacks=[snapshots], verbose=0)
    with pytest.raises(ValueError, match="last must be <= the number of snapshots"):
        snapshots.ensemble(last=3)
    with pytest.raises(ValueError, match="at least one model"):
        Ensemble([])
    with pytest.raises(ValueError, match="share layers"):
        Ensemble([MLP([2, 4, 3]), MLP([2, 5, 3])])
    with pytest.raises(TypeError, match="gdsim MLPs"):
        Ensemble(["model"])
