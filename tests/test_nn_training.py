import numpy as np
import pytest

from gdsim import datasets
from gdsim.nn import MLP, fit
from gdsim.optimizers import SGD, Adagrad, Adam, RMSprop
from gdsim.schedules import time_decay


@pytest.fixture(scope="module")
def blobs():
    X, y = datasets.blobs(300, centers=3, n_features=2, cluster_std=2, seed=2)
    return datasets.train_test_split(X, y, test_size=0.5, shuffle=False)


def test_population_equals_separate_models(blobs):
    X, X_val, y, y_val = blobs
    seeds, lrs, momenta = [3, 4, 5], [0.1, 0.05, 0.01], [0.0, 0.9, 0.5]
    pop = MLP([2, 8, 3], population=3, seed=seeds)
    h = fit(pop, SGD(lr=lrs, momentum=momenta), X, y, epochs=3, batch_size=16,
            validation_data=(X_val, y_val), verbose=0)
    for k in range(3):
        one = MLP([2, 8, 3], seed=seeds[k])
        h1 = fit(one, SGD(lr=lrs[k], momentum=momenta[k]), X, y, epochs=3, batch_size=16,
                 validation_data=(X_val, y_val), verbose=0)
        for w_pop, w_one in zip(pop.get_weights(), one.get_weights()):
            assert np.abs(w_pop[k] - w_one).max() <= 1e-12
        for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            assert np.abs(h[name][:, k] - h1[name]).max() <= 1e-12


@pytest.mark.parametrize("make", [
    lambda torch, p: (SGD(lr=0.05, momentum=0.9), torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    lambda torch, p: (Adam(lr=0.01), torch.optim.Adam(p, lr=0.01)),
    lambda torch, p: (RMSprop(lr=0.01), torch.optim.RMSprop(p, lr=0.01)),
    lambda torch, p: (Adagrad(lr=0.05), torch.optim.Adagrad(p, lr=0.05)),
])
def test_training_loop_matches_torch(blobs, make):
    torch = pytest.importorskip("torch")
    X, _, y, _ = blobs
    model = MLP([2, 10, 3], seed=0)
    tensors = [torch.tensor(w, requires_grad=True) for w in model.get_weights()]
    ours, theirs = make(torch, tensors)
    history = fit(model, ours, X, y, epochs=4, batch_size=32, shuffle=False, verbose=0, batch_loss=True)
    W0, b0, W1, b1 = tensors
    losses = []
    for _ in range(4):
        for start in range(0, len(X), 32):
            xb, yb = torch.tensor(X[start:start + 32]), torch.tensor(y[start:start + 32])
            theirs.zero_grad()
            loss = torch.nn.functional.cross_entropy(torch.relu(xb @ W0 + b0) @ W1 + b1, yb)
            loss.backward()
            theirs.step()
            losses.append(loss.item())
    assert np.allclose(history.batch_loss, losses, rtol=1e-10, atol=1e-12)
    for w, t in zip(model.get_weights(), tensors):
        assert np.allclose(w, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_history_shapes_and_running_metrics(blobs):
    X, X_val, y, y_val = blobs
    model = MLP([2, 8, 3], population=4, seed=[0, 1, 2, 3])
    h = fit(model, SGD(lr=0.05), X, y, epochs=5, batch_size=32, validation_data=(X_val, y_val),
            verbose=0, batch_loss=True)
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert h[name].shape == (5, 4) and getattr(h, name) is h[name]
    assert h.batch_loss.shape == (5 * 5, 4)        # 150 rows: 4 batches of 32 and one of 22
    sizes = np.array([32, 32, 32, 32, 22])
    weighted = (h.batch_loss.reshape(5, 5, 4) * sizes[None, :, None]).sum(1) / 150
    assert np.allclose(h.loss, weighted)          # Keras: mean over batches weighted by size
    assert np.array_equal(h.epoch, np.arange(5))
    assert h.params["steps"] == 5 and h.shape == (4,)
    assert not h.diverged.any()
    assert set(h.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "batch_loss"}
    with pytest.raises(AttributeError, match="no 'val_acc'"):
        h.val_acc
    split = h.reshape(2, 2)
    assert split.loss.shape == (5, 2, 2) and split.diverged_at.shape == (2, 2)
    assert np.array_equal(split.loss[:, 1, 0], h.loss[:, 2])


def test_train_metrics_are_those_before_each_update(blobs):
    X, X_val, y, y_val = blobs
    model = MLP([2, 8, 3], population=2, seed=[0, 1])
    before = model.evaluate(X, y)
    h = fit(model, SGD(lr=0.1), X, y, epochs=2, batch_size=len(X), validation_data=(X_val, y_val),
            verbose=0)
    assert np.allclose(h.loss[0], before["loss"], rtol=1e-13)
    assert np.allclose(h.accuracy[0], before["accuracy"])
    after = model.evaluate(X_val, y_val)
    assert np.allclose(h.val_loss[-1], after["loss"], rtol=1e-13)   # val: full pass at epoch end


def test_single_model_history_has_no_population_axis(blobs):
    X, _, y, _ = blobs
    h = fit(MLP([2, 4, 3], seed=0), SGD(lr=0.1), X, y, epochs=3, verbose=0)
    assert h.loss.shape == (3,) and h.lr.shape == (3,) and "val_loss" not in h.keys()
    assert np.ndim(h.diverged_at) == 0


def test_one_hot_targets_equal_labels(blobs):
    X, _, y, _ = blobs
    a, b = MLP([2, 4, 3], seed=0), MLP([2, 4, 3], seed=0)
    ha = fit(a, SGD(lr=0.1), X, y, epochs=2, verbose=0)
    hb = fit(b, SGD(lr=0.1), X, datasets.one_hot(y), epochs=2, verbose=0)
    assert np.array_equal(ha.loss, hb.loss)
    assert np.array_equal(a.get_weights()[0], b.get_weights()[0])


@pytest.mark.parametrize("schedule_per", ["batch", "epoch"])
def test_schedules_step_per_batch_or_epoch(blobs, schedule_per):
    X, _, y, _ = blobs
    decays = np.array([1e-1, 1e-2, 1e-3])
    model = MLP([2, 4, 3], population=3, seed=0)
    h = fit(model, SGD(lr=time_decay(0.01, decays)), X, y, epochs=4, batch_size=32,
            schedule_per=schedule_per, verbose=0)
    epochs = np.arange(4)[:, None]
    last_step = epochs * 5 + 4 if schedule_per == "batch" else epochs
    assert np.allclose(h.lr, 0.01 / (1 + decays * last_step), rtol=1e-14)


def test_per_member_schedule_equals_separate_runs(blobs):
    X, _, y, _ = blobs
    decays = [1e-1, 1e-3]
    pop = MLP([2, 4, 3], population=2, seed=[7, 8])
    fit(pop, SGD(lr=time_decay(0.05, np.array(decays)), momentum=0.5), X, y, epochs=3, verbose=0)
    for k, decay in enumerate(decays):
        one = MLP([2, 4, 3], seed=[7, 8][k])
        fit(one, SGD(lr=time_decay(0.05, decay), momentum=0.5), X, y, epochs=3, verbose=0)
        assert np.abs(pop.get_weights()[2][k] - one.get_weights()[2]).max() <= 1e-12


def test_adam_betas_per_member(blobs):
    X, _, y, _ = blobs
    pop = MLP([2, 4, 3], population=2, seed=1)
    fit(pop, Adam(lr=0.01, betas=([0.9, 0.5], 0.999), convention="keras"), X, y, epochs=2, verbose=0)
    one = MLP([2, 4, 3], seed=1)
    fit(one, Adam(lr=0.01, betas=(0.5, 0.999), convention="keras"), X, y, epochs=2, verbose=0)
    assert np.abs(pop.get_weights()[0][1] - one.get_weights()[0]).max() <= 1e-12


def test_shuffling_is_seeded_and_continues_across_calls(blobs):
    X, _, y, _ = blobs
    a, b, c = (MLP([2, 4, 3], seed=3) for _ in range(3))
    fit(a, SGD(lr=0.1), X, y, epochs=4, verbose=0)
    fit(b, SGD(lr=0.1), X, y, epochs=2, verbose=0)
    fit(b, SGD(lr=0.1), X, y, epochs=2, verbose=0)
    assert np.array_equal(a.get_weights()[0], b.get_weights()[0])    # plain SGD has no state
    fit(c, SGD(lr=0.1), X, y, epochs=4, verbose=0, seed=99)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])
    d = MLP([2, 4, 3], seed=3)
    fit(d, SGD(lr=0.1), X, y, epochs=4, verbose=0, seed=99)
    assert np.array_equal(c.get_weights()[0], d.get_weights()[0])
    e = MLP([2, 4, 3], seed=3)
    fit(e, SGD(lr=0.1), X, y, epochs=1, shuffle=False, verbose=0)
    f = MLP([2, 4, 3], seed=3)
    fit(f, SGD(lr=0.1), X, y, epochs=1, shuffle=False, verbose=0, seed=5)
    assert np.array_equal(e.get_weights()[0], f.get_weights()[0])


def test_shuffle_of_a_member_does_not_depend_on_population_size(blobs):
    X, _, y, _ = blobs
    small = MLP([2, 4, 3], population=2, seed=[10, 11])
    large = MLP([2, 4, 3], population=5, seed=[10, 11, 12, 13, 14])
    fit(small, SGD(lr=0.1), X, y, epochs=2, verbose=0)
    fit(large, SGD(lr=0.1), X, y, epochs=2, verbose=0)
    assert np.abs(small.get_weights()[0] - large.get_weights()[0][:2]).max() <= 1e-12


def test_divergence_is_recorded_and_the_rest_train_on(blobs):
    X, X_val, y, y_val = blobs
    model = MLP([2, 8, 3], activation="linear", population=3, seed=0)
    h = fit(model, SGD(lr=[1e3, 0.1, 1e4], momentum=0.9), X, y, epochs=20,
            validation_data=(X_val, y_val), verbose=0)
    assert h.diverged.tolist() == [True, False, True]
    assert h.diverged_at[0] >= 0 and h.diverged_at[1] == -1
    assert np.all(np.isfinite(h.loss[:, 1])) and h.accuracy[-1, 1] > 0.6
    assert not np.isfinite(h.loss[-1, 0])


def test_zero_epochs(blobs):
    X, _, y, _ = blobs
    model = MLP([2, 4, 3], population=2, seed=0)
    before = model.get_weights()
    h = fit(model, SGD(lr=0.1), X, y, epochs=0, verbose=0)
    assert h.loss.shape == (0, 2)
    assert np.array_equal(before[0], model.get_weights()[0])


def test_progress_output(blobs, capsys):
    X, _, y, _ = blobs
    fit(MLP([2, 4, 3], seed=0), SGD(lr=0.1), X, y, epochs=2, verbose=2)
    assert "epoch 2/2" in capsys.readouterr().out
    fit(MLP([2, 4, 3], seed=0), SGD(lr=0.1), X, y, epochs=2, verbose=1)
    fit(MLP([2, 4, 3], seed=0), SGD(lr=0.1), X, y, epochs=2, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == ""


def test_bad_input(blobs):
    X, X_val, y, y_val = blobs
    model = MLP([2, 4, 3], population=2, seed=0)
    sgd = SGD(lr=0.1)
    with pytest.raises(ValueError, match="same length"):
        fit(model, sgd, X, y[:-1], verbose=0)
    with pytest.raises(ValueError, match=r"labels in y must be in \[0, 3\), got 5"):
        fit(model, sgd, X, np.r_[y[:-1], 5], verbose=0)
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="X must be finite"):
        fit(model, sgd, bad, y, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        fit(model, sgd, X, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="epochs must be >= 0, got -1"):
        fit(model, sgd, X, y, epochs=-1, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data X_val must have shape \(n_samples, 2\)"):
        fit(model, sgd, X, y, validation_data=(X_val[:, :1], y_val), verbose=0)
    with pytest.raises(ValueError, match="validation_data y_val"):
        fit(model, sgd, X, y, validation_data=(X_val, y_val[:-2]), verbose=0)
    with pytest.raises(TypeError, match="pair"):
        fit(model, sgd, X, y, validation_data=X_val, verbose=0)
    with pytest.raises(ValueError, match=r"'lr' has shape \(3,\).*population=3"):
        fit(model, SGD(lr=[0.1, 0.2, 0.3]), X, y, verbose=0)
    with pytest.raises(ValueError, match="unknown schedule_per"):
        fit(model, sgd, X, y, schedule_per="step", verbose=0)
    with pytest.raises(TypeError, match="callbacks"):
        fit(model, sgd, X, y, callbacks=[print], verbose=0)


def test_a_list_of_optimizers_trains_groups_of_members(blobs):
    X, X_val, y, y_val = blobs
    optimizers = [SGD(lr=0.01, momentum=0.9, convention="keras"), Adam(lr=0.01, convention="keras"),
                  RMSprop(lr=0.001, alpha=0.9, eps=1e-7)]
    pop = MLP([2, 6, 3], population=6, seed=[1, 2] * 3)
    h = fit(pop, optimizers, X, y, epochs=3, validation_data=(X_val, y_val), verbose=0)
    for g, optimizer in enumerate(optimizers):
        for s, seed in enumerate([1, 2]):
            one = MLP([2, 6, 3], seed=seed)
            h1 = fit(one, optimizer, X, y, epochs=3, validation_data=(X_val, y_val), verbose=0)
            k = 2 * g + s
            assert np.abs(pop.get_weights()[0][k] - one.get_weights()[0]).max() <= 1e-12
            assert np.abs(h.val_loss[:, k] - h1.val_loss).max() <= 1e-12
    assert np.allclose(h.lr[0], [0.01, 0.01, 0.01, 0.01, 0.001, 0.001])
    with pytest.raises(ValueError, match="divisible by 4"):
        fit(pop, optimizers + [SGD(lr=0.1)], X, y, verbose=0)
    with pytest.raises(TypeError, match="gdsim optimizer"):
        fit(pop, "adam", X, y, verbose=0)
