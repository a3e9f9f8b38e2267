import numpy as np
import pytest

from gdsim import datasets
from gdsim.nn import (
    MLP,
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    LRRule,
    ModelCheckpoint,
    TerminateOnNaN,
    fit,
)
from gdsim.optimizers import SGD
from gdsim.schedules import exponential, time_decay
from gdsim.schedules.plateau import Adaptive, ReduceLROnPlateau


@pytest.fixture(scope="module")
def blobs():
    X, y = datasets.blobs(200, centers=3, n_features=2, cluster_std=2, seed=2)
    return datasets.train_test_split(X, y, test_size=0.5, shuffle=False)


def population(K=4):
    return MLP([2, 8, 3], population=K, seed=list(range(K)))


def replay(rule, lr0, metric):
    """The lr each epoch used, by running the rule by hand on the recorded metric."""
    state = rule.init(lr0)
    used = []
    for row in metric:
        used.append(state.lr.copy())
        state = rule.update(state, row)
    return np.array(used)


def test_plateau_rule_acts_on_each_member(blobs):
    X, X_val, y, y_val = blobs
    rule = ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=2, min_delta=1e-7)
    h = fit(
        population(),
        SGD(lr=[0.5, 0.1, 0.01, 0.001]),
        X,
        y,
        epochs=40,
        validation_data=(X_val, y_val),
        callbacks=[rule],
        verbose=0,
    )
    expected = replay(rule, np.array([0.5, 0.1, 0.01, 0.001]), h.val_loss)
    assert np.allclose(h.lr, expected, rtol=1e-15)
    assert (h.lr[-1] < h.lr[0]).any()  # some members dropped ...
    assert len({tuple(col) for col in h.lr.T}) > 1  # ... each on its own clock


def test_adaptive_rule_on_training_loss(blobs):
    X, _, y, _ = blobs
    rule = Adaptive(n_iter_no_change=2, tol=1e-2)
    h = fit(population(3), SGD(lr=0.05), X, y, epochs=30, callbacks=[rule], verbose=0)
    assert np.allclose(h.lr, replay(rule, np.full(3, 0.05), h.loss))
    assert (h.lr[-1] < 0.05).all()


def test_lr_rules_need_their_metric_and_a_constant_lr(blobs):
    X, _, y, _ = blobs
    with pytest.raises(ValueError, match="'val_loss' is not recorded.*validation_data"):
        fit(population(), SGD(lr=0.1), X, y, callbacks=[ReduceLROnPlateau()], verbose=0)
    with pytest.raises(TypeError, match="constant lr"):
        fit(
            population(),
            SGD(lr=time_decay(0.1, 0.01)),
            X,
            y,
            callbacks=[LRRule(ReduceLROnPlateau(monitor="loss"))],
            verbose=0,
        )


def test_learning_rate_scheduler_keras_signature(blobs):
    X, _, y, _ = blobs
    lrs = np.array([0.1, 0.01])
    h = fit(
        population(2),
        SGD(lr=lrs),
        X,
        y,
        epochs=4,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5)],
    )
    assert np.allclose(h.lr, lrs * 0.5 ** np.arange(1, 5)[:, None])
    h = fit(
        population(2),
        SGD(lr=0.1),
        X,
        y,
        epochs=4,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda epoch: 0.1 / (1 + epoch))],
    )
    assert np.allclose(h.lr, 0.1 / (1 + np.arange(4))[:, None] * np.ones(2))
    schedule = exponential(0.2, 0.5)  # a gdsim schedule of the epoch
    h = fit(
        population(2),
        SGD(lr=0.1),
        X,
        y,
        epochs=3,
        verbose=0,
        callbacks=[LearningRateScheduler(schedule)],
    )
    assert np.allclose(h.lr[:, 0], [0.2, 0.1, 0.05])


def test_learning_rate_scheduler_matches_a_per_epoch_schedule(blobs):
    X, _, y, _ = blobs
    a, b = population(2), population(2)
    ha = fit(a, SGD(lr=exponential(0.1, 0.7)), X, y, epochs=3, schedule_per="epoch", verbose=0)
    hb = fit(
        b,
        SGD(lr=0.1),
        X,
        y,
        epochs=3,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda epoch: 0.1 * 0.7**epoch)],
    )
    assert np.allclose(ha.lr, hb.lr)
    assert np.allclose(a.get_weights()[0], b.get_weights()[0], atol=1e-14)


def test_early_stopping_per_member_with_restore(blobs):
    X, X_val, y, y_val = blobs
    model = population(3)
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    h = fit(
        model,
        SGD(lr=[2.0, 0.05, 1e-4]),
        X,
        y,
        epochs=60,
        validation_data=(X_val, y_val),
        callbacks=[stopper],
        verbose=0,
    )
    stopped = h.stopped_at >= 0
    assert stopped.any()
    for k in np.flatnonzero(stopped):
        e = h.stopped_at[k]
        assert np.all(np.isnan(h.val_loss[e + 1 :, k])) and np.isfinite(h.val_loss[e, k])
        best = int(np.nanargmin(h.val_loss[:, k]))
        assert stopper.best_epoch[k] == best and e - best == 3
        restored = model.evaluate(X_val, y_val)["loss"][k]
        assert restored == pytest.approx(h.val_loss[best, k], rel=1e-12)
    assert np.array_equal(stopper.stopped_epoch, h.stopped_at)


def test_training_ends_when_every_member_stopped(blobs):
    X, X_val, y, y_val = blobs
    h = fit(
        population(2),
        SGD(lr=1e-9),
        X,
        y,
        epochs=50,
        validation_data=(X_val, y_val),
        callbacks=[EarlyStopping(monitor="val_loss", min_delta=1e-3, patience=2)],
        verbose=0,
    )
    assert len(h.epoch) == 3 and h.loss.shape == (3, 2)
    assert h.stopped_at.tolist() == [2, 2]


def test_early_stopping_baseline_and_mode(blobs):
    X, X_val, y, y_val = blobs
    # accuracy is maximized; a baseline of 1.01 can never be beaten, so wait (which counts
    # from the first epoch, as in Keras) never resets: the stop comes at the first epoch >= 3
    # that does not improve on the best accuracy
    h = fit(
        population(2),
        SGD(lr=0.05),
        X,
        y,
        epochs=20,
        validation_data=(X_val, y_val),
        callbacks=[EarlyStopping(monitor="val_accuracy", patience=4, baseline=1.01)],
        verbose=0,
    )
    for k in range(2):
        e = h.stopped_at[k]
        assert e >= 3 and h.val_accuracy[e, k] <= np.max(h.val_accuracy[:e, k])
        assert all(h.val_accuracy[i, k] > np.max(h.val_accuracy[:i, k]) for i in range(3, e))
    h = fit(
        population(2),
        SGD(lr=0.05),
        X,
        y,
        epochs=20,
        validation_data=(X_val, y_val),
        callbacks=[EarlyStopping(monitor="val_accuracy", patience=4, mode="min")],
        verbose=0,
    )
    assert (h.stopped_at >= 0).all()  # minimizing an accuracy that rises stops early


def test_model_checkpoint_keeps_each_members_best(blobs, tmp_path):
    X, X_val, y, y_val = blobs
    model = population(3)
    path = tmp_path / "best.npz"
    checkpoint = ModelCheckpoint(path, monitor="val_loss", restore_best=True)
    h = fit(
        model,
        SGD(lr=[1.5, 0.05, 0.5]),
        X,
        y,
        epochs=25,
        validation_data=(X_val, y_val),
        callbacks=[checkpoint],
        verbose=0,
    )
    best = np.nanargmin(h.val_loss, axis=0)
    assert np.array_equal(checkpoint.best_epoch, best)
    assert np.allclose(checkpoint.best, h.val_loss[best, np.arange(3)])
    assert np.allclose(model.evaluate(X_val, y_val)["loss"], checkpoint.best, rtol=1e-12)
    saved = MLP.load(path)
    for a, b in zip(saved.get_weights(), checkpoint.best_weights):
        assert np.array_equal(a, b)


def test_model_checkpoint_every_epoch_with_epoch_in_name(blobs, tmp_path):
    X, _, y, _ = blobs
    fit(
        population(2),
        SGD(lr=0.1),
        X,
        y,
        epochs=3,
        verbose=0,
        callbacks=[
            ModelCheckpoint(tmp_path / "w{epoch:02d}.npz", monitor="loss", save_best_only=False)
        ],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w01.npz", "w02.npz", "w03.npz"]


def test_terminate_on_nan_stops_only_the_diverged(blobs):
    X, X_val, y, y_val = blobs
    model = MLP([2, 8, 3], activation="linear", population=2, seed=0)
    h = fit(
        model,
        SGD(lr=[1e4, 0.05], momentum=0.9),
        X,
        y,
        epochs=30,
        validation_data=(X_val, y_val),
        callbacks=[TerminateOnNaN()],
        verbose=0,
    )
    assert h.stopped_at[0] == h.diverged_at[0] >= 0
    assert h.stopped_at[1] == -1 and len(h.epoch) == 30
    assert np.all(np.isnan(h.loss[h.stopped_at[0] + 1 :, 0]))


def test_custom_callback_sees_every_hook(blobs):
    X, X_val, y, y_val = blobs
    calls = []

    class Spy(Callback):
        def on_train_begin(self, run):
            calls.append("begin")

        def on_epoch_begin(self, epoch, run):
            calls.append(f"epoch {epoch}")

        def on_epoch_end(self, epoch, logs, run):
            assert set(logs) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
            assert logs["loss"].shape == (2,)
            calls.append(f"end {epoch}")

        def on_train_end(self, run):
            calls.append("end")

    fit(
        population(2),
        SGD(lr=0.1),
        X,
        y,
        epochs=2,
        validation_data=(X_val, y_val),
        callbacks=[Spy()],
        verbose=0,
    )
    assert calls == ["begin", "epoch 0", "end 0", "epoch 1", "end 1", "end"]


def test_lr_rules_on_groups_of_members(blobs):
    X, X_val, y, y_val = blobs
    rules = [
        ReduceLROnPlateau(patience=1, min_delta=1e-7),
        ReduceLROnPlateau(patience=6, min_delta=1e-7),
    ]
    callbacks = [LRRule(rule, members=slice(2 * i, 2 * i + 2)) for i, rule in enumerate(rules)]
    h = fit(
        population(4),
        SGD(lr=0.1),
        X,
        y,
        epochs=25,
        validation_data=(X_val, y_val),
        callbacks=callbacks,
        verbose=0,
    )
    for i, rule in enumerate(rules):
        part = slice(2 * i, 2 * i + 2)
        assert np.allclose(h.lr[:, part], replay(rule, np.full(2, 0.1), h.val_loss[:, part]))
    assert (h.lr[-1, :2] < h.lr[-1, 2:]).all()


# -- EarlyStopping(restore_best_weights=True) as Keras 3 does it: at the end of training, however
#    training ends (keras/src/callbacks/early_stopping.py on_train_end; the cases below are those
#    of keras/src/callbacks/early_stopping_test.py, one population member per scenario)


class Scripted(Callback):
    """Keras' DummyModel, replayed through ``fit``: at each epoch's end every active member's
    weights become the epoch number and ``logs[monitor]`` the scripted value, so the weights
    that EarlyStopping restores name the epoch they were saved at."""

    def __init__(self, script, monitor="loss"):
        self.script = [np.asarray(row, dtype=float) for row in script]
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs, run):
        run.set_member_weights([np.full_like(t, epoch) for t in run.model.theta], run.active)
        logs[self.monitor] = self.script[epoch]


class StopAt(Callback):
    """Another callback that stops some members at one epoch's end."""

    def __init__(self, epoch, members):
        self.epoch, self.members = epoch, np.asarray(members)

    def on_epoch_end(self, epoch, logs, run):
        if epoch == self.epoch:
            run.stop(self.members)


def weights_epoch(model):
    """The epoch each member's weights come from (every entry of every layer holds it)."""
    out = []
    for k in range(model.population):
        values = np.unique(np.concatenate([t[k].ravel() for t in model.theta]))
        assert len(values) == 1, values
        out.append(int(values[0]))
    return out


def scripted_fit(columns, stopper, *extra, epochs=None):
    """``columns[k]`` is member k's monitored value per epoch (shorter ones are padded)."""
    epochs = epochs or max(len(c) for c in columns)
    script = np.array([[c[min(e, len(c) - 1)] for c in columns] for e in range(epochs)])
    model = population(len(columns))
    h = fit(
        model,
        SGD(lr=0.01),
        *blobs_xy(),
        epochs=epochs,
        verbose=0,
        callbacks=[Scripted(script), stopper, *extra],
    )
    return model, h


def blobs_xy():
    return datasets.blobs(40, centers=3, n_features=2, seed=0)


def test_restore_best_weights_when_it_stops_and_when_the_epochs_run_out():
    stopper = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    # member 0 is Keras' first case: best at epoch 2, stopped at epoch 4;
    # member 1 is still waiting (wait 1 < patience) when the 8 epochs run out: Keras restores
    # its best epoch 6 anyway
    model, h = scripted_fit(
        [[0.2, 0.15, 0.1, 0.11, 0.12], [1.0, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.51]],
        stopper,
        epochs=8,
    )
    assert h.stopped_at.tolist() == [4, -1] and len(h.epoch) == 8
    assert weights_epoch(model) == [2, 6]
    assert stopper.best_epoch.tolist() == [2, 6]
    for got, member in zip(stopper.best_weights, model.get_weights()):
        assert np.array_equal(got, member)


def test_restore_when_no_epoch_beats_the_baseline_and_when_another_callback_stops():
    stopper = EarlyStopping(monitor="loss", patience=5, baseline=0.5, restore_best_weights=True)
    losses = [0.9, 0.8, 0.7, 0.71, 0.72, 0.73]
    # member 0: nothing beats the baseline, so wait never resets: 5 epochs, then epoch 2 back;
    # member 1: the same values, but another callback stops it at epoch 3 (Keras' third case)
    model, h = scripted_fit([losses, losses], stopper, StopAt(3, [False, True]), epochs=6)
    assert h.stopped_at.tolist() == [4, 3]
    assert stopper.stopped_epoch.tolist() == [4, -1]
    assert weights_epoch(model) == [2, 2]


def test_restore_with_start_from_epoch():
    # epochs before start_from_epoch are not monitored: the best of epochs 3.. is epoch 4
    stopper = EarlyStopping(
        monitor="loss", patience=10, start_from_epoch=3, restore_best_weights=True
    )
    model, h = scripted_fit([[0.1, 0.2, 0.3, 0.9, 0.8, 0.85]], stopper)
    assert h.stopped_at.tolist() == [-1] and weights_epoch(model) == [4]
    # training that ends before start_from_epoch restores nothing (Keras: best_weights is None)
    stopper = EarlyStopping(monitor="loss", start_from_epoch=9, restore_best_weights=True)
    model, _ = scripted_fit([[0.1, 0.2, 0.3]], stopper)
    assert weights_epoch(model) == [2] and stopper.best_weights is None


def test_a_member_that_never_improves_gets_the_first_monitored_epoch():
    # Keras: "if best weights were never set, then the current weights are the best"
    stopper = EarlyStopping(
        monitor="loss", patience=3, start_from_epoch=1, restore_best_weights=True
    )
    model, h = scripted_fit(
        [[0.5, np.nan, np.nan, np.nan, np.nan, np.nan], [0.5, 0.4, 0.3, 0.2, 0.1, 0.05]], stopper
    )
    assert h.stopped_at.tolist() == [3, -1]  # wait reaches 3 at epoch 3
    assert weights_epoch(model) == [1, 5] and stopper.best_epoch.tolist() == [1, 5]
    # without restore_best_weights the final weights stay, and best_epoch says "never"
    plain = EarlyStopping(monitor="loss", patience=3, start_from_epoch=1)
    model, _ = scripted_fit([[0.5, np.nan, np.nan, np.nan, np.nan, np.nan]], plain)
    assert weights_epoch(model) == [3] and plain.best_epoch.tolist() == [-1]


@pytest.mark.parametrize("patience", [0, 1, 2, 3])
def test_keras_patience_case(patience):
    # keras early_stopping_test.py test_early_stopping_patience: stopped_epoch = max(p, 1) + 2
    stopper = EarlyStopping(monitor="loss", patience=patience)
    scripted_fit([[10.0, 9.0, 8.0, 9.0, 8.9, 8.8, 8.7, 8.6, 8.5]], stopper)
    assert stopper.stopped_epoch.tolist() == [max(patience, 1) + 2]


def test_restore_best_weights_in_real_training(blobs):
    X, X_val, y, y_val = blobs
    model = population(3)
    # no member stops (patience 100); a diverging member is stopped by TerminateOnNaN
    stopper = EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
    h = fit(
        model,
        SGD(lr=[3.0, 0.3, 1e4], momentum=0.9),
        X,
        y,
        epochs=25,
        validation_data=(X_val, y_val),
        callbacks=[stopper, TerminateOnNaN()],
        verbose=0,
    )
    assert h.stopped_at[:2].tolist() == [-1, -1] and h.stopped_at[2] >= 0
    best = np.nanargmin(h.val_loss, axis=0)
    assert np.array_equal(stopper.best_epoch, best)
    assert (best < len(h.epoch) - 1).any()  # some member's last epoch was not its best
    restored = model.evaluate(X_val, y_val)["loss"]
    np.testing.assert_allclose(restored, h.val_loss[best, np.arange(3)], rtol=1e-12)
    assert all(np.isfinite(t).all() for t in model.theta)  # the diverged member is back too
