"""A diverging member of an MLP population: frozen at its last finite weights, marked, and
invisible to the others, which train bit for bit as they would without it."""

import warnings

import numpy as np
import pytest

from gdsim import datasets
from gdsim.nn import MLP, Callback, fit
from gdsim.nn.training import _held
from gdsim.optimizers import SGD, Adam
from gdsim.optimizers.adam import AdamState


@pytest.fixture(scope="module")
def blobs():
    X, y = datasets.blobs(300, centers=3, n_features=2, cluster_std=2, seed=2)
    return datasets.train_test_split(X, y, test_size=0.5, shuffle=False)


class WeightsAfterEachBatch(Callback):
    def on_train_begin(self, run):
        self.theta = []

    def on_batch_end(self, iteration, logs, run):
        self.theta.append(run.weights())


def _train(seeds, lrs, blobs, optimizer=SGD, callbacks=(), **options):
    X, X_val, y, y_val = blobs
    model = MLP([2, 8, 3], activation="linear", population=len(seeds), seed=seeds)
    kind = {"momentum": 0.9} if optimizer is SGD else {}
    history = fit(
        model,
        optimizer(lr=lrs, **kind),
        X,
        y,
        epochs=12,
        batch_size=16,
        validation_data=(X_val, y_val),
        batch_loss=True,
        callbacks=callbacks,
        verbose=0,
        **options,
    )
    return model, history


def test_a_diverged_member_keeps_its_last_finite_weights(blobs):
    probe = WeightsAfterEachBatch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (nor any other) escapes
        model, h = _train([0, 1], [1e3, 0.1], blobs, callbacks=[probe])
        proba = model.predict_proba(blobs[0])
        model.evaluate(*blobs[1::2])
    assert h.diverged.tolist() == [True, False] and h.diverged_at[1] == -1
    assert all(np.isfinite(t).all() for t in model.theta)
    # the batch that blew up is the first whose loss is not finite; from then on nothing moves
    blown = int(np.argmax(~np.isfinite(h.batch_loss[:, 0])))
    assert blown // 10 == h.diverged_at[0]  # 150 rows in batches of 16: 10 per epoch
    assert not np.array_equal(probe.theta[blown - 1][0][0], probe.theta[blown - 2][0][0])
    for after in probe.theta[blown - 1 :]:
        for layer, final in zip(after, model.theta):
            assert np.array_equal(layer[0], final[0])
    assert np.isfinite(proba[1]).all()
    # the epoch it blew up in shows it; later epochs are NaN, as for a stopped member
    assert not np.isfinite(h.loss[h.diverged_at[0], 0])
    assert np.isnan(h.loss[h.diverged_at[0] + 1 :, 0]).all()
    assert np.isnan(h.val_loss[h.diverged_at[0] + 1 :, 0]).all()
    assert np.isfinite(h.loss[:, 1]).all() and h.accuracy[-1, 1] > 0.6


@pytest.mark.parametrize("optimizer, bad_lr", [(SGD, 1e3), (Adam, 1e200)])
def test_the_others_train_bit_for_bit_as_without_it(blobs, optimizer, bad_lr):
    # the same members in the same order, with and without a diverging one in the middle; the
    # population gives each member the same operations as a lone network, so bits must match
    with_it, h = _train([3, 0, 4], [0.05, bad_lr, 0.01], blobs, optimizer)
    without, h2 = _train([3, 4], [0.05, 0.01], blobs, optimizer)
    assert h.diverged.tolist() == [False, True, False]
    for a, b in zip(with_it.get_weights(), without.get_weights()):
        assert np.array_equal(a[[0, 2]], b)
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "batch_loss"):
        assert np.array_equal(h[name][:, [0, 2]], h2[name]), name


def test_a_diverged_member_equals_the_same_network_diverging_alone(blobs):
    pop, h = _train([0, 1], [1e3, 0.1], blobs)
    alone, h1 = _train([0], [1e3], blobs)
    assert h1.diverged.tolist() == [True] and h1.diverged_at[0] == h.diverged_at[0]
    for a, b in zip(pop.get_weights(), alone.get_weights()):
        assert np.array_equal(a[0], b[0])


def test_a_single_diverging_network_keeps_every_epoch_of_its_history(blobs):
    X, _, y, _ = blobs
    model = MLP([2, 8, 3], activation="linear", seed=0)
    h = fit(model, SGD(lr=1e3, momentum=0.9), X, y, epochs=30, verbose=0)
    assert h.diverged and 0 <= h.diverged_at < 29
    assert h.loss.shape == (30,) and np.isnan(h.loss[h.diverged_at + 1 :]).all()
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_an_update_that_overflows_is_divergence_even_with_a_finite_loss(blobs):
    X, _, y, _ = blobs
    model = MLP([2, 8, 3], population=2, seed=0)
    before = model.get_weights()
    h = fit(model, SGD(lr=[1e308, 0.1]), X, y, epochs=2, verbose=0, batch_loss=True)
    assert np.isfinite(h.batch_loss[0]).all()  # the first batch's loss was fine
    assert h.diverged.tolist() == [True, False] and h.diverged_at[0] == 0
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert not np.array_equal(model.get_weights()[0][1], before[0][1])


def test_held_members_keep_their_optimizer_state():
    shape = (3, 2, 2)
    old = AdamState(step=4, exp_avg=np.zeros(shape), exp_avg_sq=np.ones(shape), max_exp_avg_sq=None)
    new = AdamState(
        step=5, exp_avg=np.full(shape, 2.0), exp_avg_sq=np.full(shape, 3.0), max_exp_avg_sq=None
    )
    held = _held(new, old, np.array([False, True, False]))
    assert type(held) is AdamState and held.step == 5 and held.max_exp_avg_sq is None
    assert held.exp_avg[:, 0, 0].tolist() == [2.0, 0.0, 2.0]
    assert held.exp_avg_sq[:, 1, 1].tolist() == [3.0, 1.0, 3.0]
    plain = _held(
        {"v": np.full(shape, 7.0), "t": 1},
        {"v": np.zeros(shape), "t": 0},
        np.array([True, False, False]),
    )
    assert plain["v"][:, 0, 0].tolist() == [0.0, 7.0, 7.0] and plain["t"] == 1


def test_a_diverged_members_state_is_frozen_so_adam_moments_stay_finite(blobs):
    # observable through fit: a callback reads the members' weights, and the state decides the
    # next update; a frozen member's weights never change again, whatever its gradient does
    probe = WeightsAfterEachBatch()
    model, h = _train([0, 1], [1e200, 0.01], blobs, Adam, callbacks=[probe])
    assert h.diverged.tolist() == [True, False]
    blown = int(np.argmax(~np.isfinite(h.batch_loss[:, 0])))
    first = probe.theta[blown]
    assert all(np.array_equal(after[0][0], first[0][0]) for after in probe.theta[blown:])
    assert np.isfinite(first[0]).all()
