import numpy as np
import pytest
from torch_oracle import recorded_keys, torch_reference

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
    h = fit(
        pop,
        SGD(lr=lrs, momentum=momenta),
        X,
        y,
        epochs=3,
        batch_size=16,
        validation_data=(X_val, y_val),
        verbose=0,
    )
    for k in range(3):
        one = MLP([2, 8, 3], seed=seeds[k])
        h1 = fit(
            one,
            SGD(lr=lrs[k], momentum=momenta[k]),
            X,
            y,
            epochs=3,
            batch_size=16,
            validation_data=(X_val, y_val),
            verbose=0,
        )
        # exact: member k goes through the same BLAS calls, of the same shapes, as the lone
        # network (per-member reductions, population-independent evaluation chunks)
        for w_pop, w_one in zip(pop.get_weights(), one.get_weights()):
            assert np.array_equal(w_pop[k], w_one)
        for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            assert np.array_equal(h[name][:, k], h1[name]), name


TORCH_TRAINING = {  # gdsim's optimizer and torch's, with the same hyperparameters
    "SGD": (
        lambda: SGD(lr=0.05, momentum=0.9),
        lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    ),
    "Adam": (lambda: Adam(lr=0.01), lambda torch, p: torch.optim.Adam(p, lr=0.01)),
    "RMSprop": (lambda: RMSprop(lr=0.01), lambda torch, p: torch.optim.RMSprop(p, lr=0.01)),
    "Adagrad": (lambda: Adagrad(lr=0.05), lambda torch, p: torch.optim.Adagrad(p, lr=0.05)),
}
WEIGHT_NAMES = ("W0", "b0", "W1", "b1")


@pytest.mark.parametrize("name", TORCH_TRAINING)
def test_training_loop_matches_torch(blobs, name):
    make_ours, make_theirs = TORCH_TRAINING[name]
    X, _, y, _ = blobs
    model = MLP([2, 10, 3], seed=0)
    initial = model.get_weights()

    def compute(torch):
        tensors = [torch.tensor(w, requires_grad=True) for w in initial]
        theirs = make_theirs(torch, tensors)
        W0, b0, W1, b1 = tensors
        losses = []
        for _ in range(4):
            for start in range(0, len(X), 32):
                xb, yb = torch.tensor(X[start : start + 32]), torch.tensor(y[start : start + 32])
                theirs.zero_grad()
                loss = torch.nn.functional.cross_entropy(torch.relu(xb @ W0 + b0) @ W1 + b1, yb)
                loss.backward()
                theirs.step()
                losses.append(loss.item())
        return {"batch_loss": np.array(losses), **dict(zip(WEIGHT_NAMES, tensors))}

    inputs = {"X": X, "y": y, **dict(zip(WEIGHT_NAMES, initial))}
    reference = torch_reference(f"nn/training/{name}", compute, inputs=inputs)
    history = fit(
        model, make_ours(), X, y, epochs=4, batch_size=32, shuffle=False, verbose=0, batch_loss=True
    )
    assert np.allclose(history.batch_loss, reference["batch_loss"], rtol=1e-10, atol=1e-12)
    for w, weight_name in zip(model.get_weights(), WEIGHT_NAMES):
        assert np.allclose(w, reference[weight_name], rtol=1e-10, atol=1e-12)


def test_every_torch_record_is_used():
    assert recorded_keys("nn/training/") == {f"nn/training/{name}" for name in TORCH_TRAINING}


def test_history_shapes_and_running_metrics(blobs):
    X, X_val, y, y_val = blobs
    model = MLP([2, 8, 3], population=4, seed=[0, 1, 2, 3])
    h = fit(
        model,
        SGD(lr=0.05),
        X,
        y,
        epochs=5,
        batch_size=32,
        validation_data=(X_val, y_val),
        verbose=0,
        batch_loss=True,
    )
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert h[name].shape == (5, 4) and getattr(h, name) is h[name]
    assert h.batch_loss.shape == (5 * 5, 4)  # 150 rows: 4 batches of 32 and one of 22
    sizes = np.array([32, 32, 32, 32, 22])
    weighted = (h.batch_loss.reshape(5, 5, 4) * sizes[None, :, None]).sum(1) / 150
    assert np.allclose(h.loss, weighted)  # Keras: mean over batches weighted by size
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
    h = fit(
        model,
        SGD(lr=0.1),
        X,
        y,
        epochs=2,
        batch_size=len(X),
        validation_data=(X_val, y_val),
        verbose=0,
    )
    assert np.allclose(h.loss[0], before["loss"], rtol=1e-13)
    assert np.allclose(h.accuracy[0], before["accuracy"])
    after = model.evaluate(X_val, y_val)
    assert np.allclose(h.val_loss[-1], after["loss"], rtol=1e-13)  # val: full pass at epoch end


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
    h = fit(
        model,
        SGD(lr=time_decay(0.01, decays)),
        X,
        y,
        epochs=4,
        batch_size=32,
        schedule_per=schedule_per,
        verbose=0,
    )
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
        assert np.array_equal(pop.get_weights()[2][k], one.get_weights()[2])


def test_adam_betas_per_member(blobs):
    X, _, y, _ = blobs
    pop = MLP([2, 4, 3], population=2, seed=1)
    fit(
        pop, Adam(lr=0.01, betas=([0.9, 0.5], 0.999), convention="keras"), X, y, epochs=2, verbose=0
    )
    one = MLP([2, 4, 3], seed=1)
    fit(one, Adam(lr=0.01, betas=(0.5, 0.999), convention="keras"), X, y, epochs=2, verbose=0)
    assert np.array_equal(pop.get_weights()[0][1], one.get_weights()[0])


def test_shuffling_is_seeded_and_continues_across_calls(blobs):
    X, _, y, _ = blobs
    a, b, c = (MLP([2, 4, 3], seed=3) for _ in range(3))
    fit(a, SGD(lr=0.1), X, y, epochs=4, verbose=0)
    fit(b, SGD(lr=0.1), X, y, epochs=2, verbose=0)
    fit(b, SGD(lr=0.1), X, y, epochs=2, verbose=0)
    assert np.array_equal(a.get_weights()[0], b.get_weights()[0])  # plain SGD has no state
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
    assert np.array_equal(small.get_weights()[0], large.get_weights()[0][:2])


def test_divergence_is_recorded_and_the_rest_train_on(blobs):
    X, X_val, y, y_val = blobs
    model = MLP([2, 8, 3], activation="linear", population=3, seed=0)
    h = fit(
        model,
        SGD(lr=[1e3, 0.1, 1e4], momentum=0.9),
        X,
        y,
        epochs=20,
        validation_data=(X_val, y_val),
        verbose=0,
    )
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
    optimizers = [
        SGD(lr=0.01, momentum=0.9, convention="keras"),
        Adam(lr=0.01, convention="keras"),
        RMSprop(lr=0.001, alpha=0.9, eps=1e-7),
    ]
    pop = MLP([2, 6, 3], population=6, seed=[1, 2] * 3)
    h = fit(pop, optimizers, X, y, epochs=3, validation_data=(X_val, y_val), verbose=0)
    for g, optimizer in enumerate(optimizers):
        for s, seed in enumerate([1, 2]):
            one = MLP([2, 6, 3], seed=seed)
            h1 = fit(one, optimizer, X, y, epochs=3, validation_data=(X_val, y_val), verbose=0)
            k = 2 * g + s
            assert np.array_equal(pop.get_weights()[0][k], one.get_weights()[0])
            assert np.array_equal(h.val_loss[:, k], h1.val_loss)
    assert np.allclose(h.lr[0], [0.01, 0.01, 0.01, 0.01, 0.001, 0.001])
    with pytest.raises(ValueError, match="divisible by 4"):
        fit(pop, optimizers + [SGD(lr=0.1)], X, y, verbose=0)
    with pytest.raises(TypeError, match="gdsim optimizer"):
        fit(pop, "adam", X, y, verbose=0)


# -- per-batch hooks, frozen layers, per-layer learning rates, cyclical schedules ----------------

from gdsim import schedules  # noqa: E402
from gdsim.nn.callbacks import Callback, UpdateRatios  # noqa: E402
from gdsim.nn.discriminative import even_mults, layer_lrs  # noqa: E402
from gdsim.nn.policies import fit_one_cycle, fit_sgdr, with_schedule  # noqa: E402
from gdsim.plotting.curves import plot_cycle  # noqa: E402


def _batches(X, y, batch_size, epochs):
    """The batches fit(shuffle=False) trains on, in order."""
    return [
        (X[s : s + batch_size], y[s : s + batch_size])
        for _ in range(epochs)
        for s in range(0, len(X), batch_size)
    ]


def _sgd_by_hand(model, batches, lr, momentum):
    """PyTorch SGD (b = g on the first step, then b = μ_t·b + g; θ -= η_t·b), μ_t and η_t
    given per step."""
    weights = model.get_weights()
    buffers = None
    for t, (Xb, yb) in enumerate(batches):
        probe = model.copy()
        probe.set_weights(weights)
        _, grads = probe.loss_and_grads(Xb, yb)
        buffers = grads if t == 0 else [momentum[t] * b + g for b, g in zip(buffers, grads)]
        weights = [w - lr[t] * b for w, b in zip(weights, buffers)]
    return weights


def _adamw_by_hand(model, batches, lr, beta1, beta2, eps, wd):
    """PyTorch AdamW with the β1 of each step: θ ← θ(1 − η_t λ); m ← β1_t m + (1 − β1_t) g;
    v ← β2 v + (1 − β2) g²; θ ← θ − η_t/(1 − β1_t^t) · m / (√v/√(1 − β2^t) + ε)."""
    weights = model.get_weights()
    m = [np.zeros_like(w) for w in weights]
    v = [np.zeros_like(w) for w in weights]
    for i, (Xb, yb) in enumerate(batches):
        t = i + 1
        probe = model.copy()
        probe.set_weights(weights)
        _, grads = probe.loss_and_grads(Xb, yb)
        b1 = beta1[i]
        weights = [w * (1 - lr[i] * wd) for w in weights]
        m = [b1 * a + (1 - b1) * g for a, g in zip(m, grads)]
        v = [beta2 * a + (1 - beta2) * g * g for a, g in zip(v, grads)]
        weights = [
            w - lr[i] / (1 - b1**t) * a / (np.sqrt(s) / np.sqrt(1 - beta2**t) + eps)
            for w, a, s in zip(weights, m, v)
        ]
    return weights


def _fastai_combined_cos(pct, start, middle, end, pos):
    """REFERENCE.md §5: sched_cos(a, b, p) = a + (1 + cos(π(1 − p)))(b − a)/2 on two phases."""

    def sched_cos(a, b, p):
        return a + (1 + np.cos(np.pi * (1 - p))) * (b - a) / 2

    return np.where(
        pos < pct,
        sched_cos(start, middle, pos / pct),
        sched_cos(middle, end, (pos - pct) / (1 - pct)),
    )


def _close(a_list, b_list, tol=1e-10):
    return (
        max(np.abs(a - b).max() / (np.abs(b).max() + 1e-300) for a, b in zip(a_list, b_list)) <= tol
    )


def test_fit_one_cycle_is_fastais_schedule_and_adam(blobs):
    X, _, y, _ = blobs
    X = X[:100]
    y = y[:100]
    epochs, bs = 4, 32  # 4 batches per epoch, 16 updates
    model = MLP([2, 5, 3], seed=4)
    start = model.copy()
    h = fit_one_cycle(model, X, y, epochs, lr_max=0.02, batch_size=bs, shuffle=False, verbose=0)
    N = epochs * 4
    pos = np.arange(N) / N
    lr = _fastai_combined_cos(0.25, 0.02 / 25, 0.02, 0.02 / 1e5, pos)
    mom = _fastai_combined_cos(0.25, 0.95, 0.85, 0.95, pos)
    assert np.allclose(h.batch_lr, lr, rtol=1e-7, atol=0)
    assert np.allclose(h.batch_momentum, mom, rtol=1e-7, atol=0)
    assert h.batch_loss.shape == (N,)
    # the lr and the β1 each batch really used: fastai's Adam (AdamW, β2 0.99, eps 1e-5, wd 0.01)
    expected = _adamw_by_hand(start, _batches(X, y, bs, epochs), lr, mom, 0.99, 1e-5, 0.01)
    assert _close(model.get_weights(), expected)


def test_one_cycle_momentum_drives_sgd_per_batch(blobs):
    X, _, y, _ = blobs
    X, y = X[:96], y[:96]
    model = MLP([2, 4, 3], population=2, seed=[1, 2])
    start = [MLP([2, 4, 3], seed=s) for s in (1, 2)]
    schedule = schedules.one_cycle(0.05, total_steps=9, pct_start=0.3)
    h = fit(
        model, with_schedule(SGD(momentum=0.9), schedule), X, y, epochs=3, shuffle=False, verbose=0
    )
    steps = np.arange(9)
    momentum = schedule.momentum(steps)
    assert np.ptp(momentum) > 0.05  # it does move
    for k in range(2):
        expected = _sgd_by_hand(start[k], _batches(X, y, 32, 3), schedule(steps), momentum)
        assert _close([w[k] for w in model.get_weights()], expected)
    assert np.allclose(h.lr, schedule(np.array([2, 5, 8]))[:, None], rtol=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda: schedules.cyclic(0.001, 0.05, step_size_up=3, step_size_down=2),
        lambda: schedules.sgdr(0.05, T_0=4, T_mult=2),
        lambda: schedules.one_cycle(0.05, total_steps=12, convention="fastai"),
    ],
)
def test_cyclical_schedules_advance_per_batch(blobs, make):
    X, _, y, _ = blobs
    X, y = X[:128], y[:128]
    schedule = make()
    model = MLP([2, 4, 3], seed=5)
    start = model.copy()
    cycled = with_schedule(SGD(momentum=0.5), schedule)
    fit(model, cycled, X, y, epochs=3, shuffle=False, verbose=0)
    steps = np.arange(12)
    momentum = schedule.momentum(steps) if schedule.momentum is not None else np.full(12, 0.5)
    expected = _sgd_by_hand(start, _batches(X, y, 32, 3), schedule(steps), momentum)
    assert _close(model.get_weights(), expected)


def test_with_schedule_follows_fastai_on_plain_sgd_and_uses_beta1_for_adam():
    oc = schedules.one_cycle(0.1, total_steps=10)
    assert with_schedule(SGD(lr=0.1), oc).momentum == 0.0  # no momentum stays none
    assert with_schedule(SGD(lr=0.1, momentum=0.9), oc).momentum is oc.momentum
    assert with_schedule(Adam(), oc).beta1 is oc.momentum
    assert with_schedule(Adam(), oc, cycle_momentum=False).beta1 == 0.9
    assert with_schedule(Adagrad(), oc).lr is oc
    with pytest.raises(TypeError, match="schedule"):
        with_schedule(SGD(), 0.1)


def test_fit_sgdr_cycles_per_batch_and_allows_cycle_mult_1(blobs):
    X, _, y, _ = blobs
    X, y = X[:64], y[:64]  # 2 batches per epoch
    h = fit_sgdr(
        MLP([2, 4, 3], seed=0), X, y, n_cycles=3, cycle_len=1, lr_max=0.01, cycle_mult=2, verbose=0
    )
    assert len(h.epoch) == 7 and len(h.batch_lr) == 14
    lengths = [2, 4, 8]
    expected = np.concatenate([0.01 * (1 + np.cos(np.pi * np.arange(T) / T)) / 2 for T in lengths])
    assert np.allclose(h.batch_lr, expected, rtol=1e-12)
    h1 = fit_sgdr(MLP([2, 4, 3], seed=0), X, y, n_cycles=3, cycle_len=2, cycle_mult=1, verbose=0)
    assert len(h1.epoch) == 6 and np.allclose(h1.batch_lr[[0, 4, 8]], 1e-3)


def test_fit_one_cycle_slice_gives_each_layer_its_peak(blobs):
    X, _, y, _ = blobs
    X, y = X[:32], y[:32]
    model = MLP([2, 4, 4, 3], seed=2)
    start = model.copy()
    fit_one_cycle(
        model,
        X,
        y,
        1,
        lr_max=slice(1e-4, 1e-2),
        optimizer=SGD(lr=0.1),
        moms=None,
        pct_start=0.5,
        verbose=0,
        shuffle=False,
    )
    peaks = even_mults(1e-4, 1e-2, 3)
    _, grads = start.loss_and_grads(X, y)
    for layer, peak in enumerate(peaks):  # one update at pos 0: lr = peak / div
        for j in (2 * layer, 2 * layer + 1):
            expected = start.get_weights()[j] - peak / 25 * grads[j]
            assert np.allclose(model.get_weights()[j], expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="moms"):
        fit_one_cycle(start.copy(), X, y, 1, moms=(0.95, 0.85, 0.9), verbose=0)


def test_plot_cycle_draws_lr_momentum_and_loss(blobs):
    X, _, y, _ = blobs
    h = fit_one_cycle(MLP([2, 4, 3], population=2, seed=0), X, y, 2, lr_max=0.01, verbose=0)
    drawn = plot_cycle({"one-cycle": h}, member=1)
    assert np.allclose(drawn.lr[0].get_ydata(), h.batch_lr[:, 1])
    assert np.allclose(drawn.momentum[0].get_ydata(), h.batch_momentum[:, 1])
    assert np.allclose(drawn.raw[0].get_ydata(), h.batch_loss[:, 1])
    import matplotlib.pyplot as plt

    plt.close("all")
    with pytest.raises(ValueError, match="batch_lr"):
        plot_cycle(fit(MLP([2, 4, 3], seed=0), SGD(lr=0.1), X, y, verbose=0))


class _Probe(Callback):
    """Sets an lr at the start of batch 2 and stops member 0 at the end of batch 3."""

    def __init__(self):
        self.losses = []

    def on_batch_begin(self, iteration, run):
        if iteration == 2:
            run.set_lr([0.0, 0.5])

    def on_batch_end(self, iteration, logs, run):
        self.losses.append(logs["loss"].copy())
        if iteration == 3:
            run.stop([True, False])


def test_batch_hooks_set_the_lr_of_this_batch_and_stop_members_mid_epoch(blobs):
    X, _, y, _ = blobs
    model = MLP([2, 4, 3], population=2, seed=1)
    probe = _Probe()
    h = fit(
        model,
        SGD(lr=0.1),
        X,
        y,
        epochs=2,
        shuffle=False,
        batch_loss=True,
        callbacks=[probe],
        verbose=0,
    )
    assert np.array_equal(np.array(probe.losses), h.batch_loss[: len(probe.losses)])
    assert h.stopped_at.tolist() == [0, -1]
    assert np.all(np.isnan(h.loss[:, 0])) and np.all(np.isfinite(h.loss[:, 1]))
    # member 0: lr 0.1 for batches 0-1, then 0 for batch 2, then 0 for batch 3 too; stopped after
    one = MLP([2, 4, 3], seed=1)
    fit(one, SGD(lr=0.1), X[:64], y[:64], batch_size=32, shuffle=False, verbose=0)
    assert np.array_equal(model.get_weights()[0][0], one.get_weights()[0])


def test_frozen_layers_keep_their_weights_and_equal_a_zero_lr(blobs):
    X, _, y, _ = blobs
    frozen = MLP([2, 6, 5, 3], seed=3).freeze(2)
    assert frozen.trainable == [False, False, True]
    before = frozen.get_weights()
    fit(frozen, Adam(lr=0.01), X, y, epochs=2, verbose=0)
    after = frozen.get_weights()
    for j in range(4):
        assert np.array_equal(before[j], after[j])
    assert not np.array_equal(before[4], after[4])
    zero = MLP([2, 6, 5, 3], seed=3)
    fit(zero, Adam(lr=0.5), X, y, epochs=2, verbose=0, layer_lrs=[0.0, 0.0, 0.01])
    assert all(np.array_equal(a, b) for a, b in zip(after, zero.get_weights()))
    # freezing does not change the gradients a user asks for
    _, grads = frozen.loss_and_grads(X, y)
    assert all(g is not None for g in grads)
    assert MLP([2, 3, 3, 3]).freeze().frozen == 2 and MLP([2, 3, 3, 3]).freeze(-3).frozen == 0
    assert MLP([2, 3, 3]).freeze(1).unfreeze().trainable == [True, True]
    with pytest.raises(ValueError, match=r"n \(layers to freeze\) must be in \[-2, 2\]"):
        MLP([2, 3, 3]).freeze(3)


def test_layer_lrs_and_lr_mult(blobs):
    X, _, y, _ = blobs
    assert np.allclose(layer_lrs(slice(1e-5, 1e-3), 3), [1e-5, 1e-4, 1e-3], rtol=1e-14)
    assert np.allclose(layer_lrs(slice(1e-3), 3), [1e-4, 1e-4, 1e-3])
    assert np.allclose(layer_lrs(slice(1e-5, 1e-3), [2, 1]), [1e-5, 1e-5, 1e-3])
    assert np.allclose(layer_lrs(0.1, 2), [0.1, 0.1])
    assert np.allclose(layer_lrs(slice(1e-5, 1e-3), 1), [1e-3])
    # absolute per-layer lrs, or multipliers of a number: the same training
    a, b = MLP([2, 5, 3], seed=1), MLP([2, 5, 3], seed=1)
    ha = fit(a, SGD(lr=1.0, momentum=0.9), X, y, epochs=2, verbose=0, layer_lrs=slice(1e-3, 1e-1))
    hb = fit(b, SGD(lr=0.1, momentum=0.9), X, y, epochs=2, verbose=0, lr_mult=[0.01, 1.0])
    assert _close(a.get_weights(), b.get_weights(), 1e-12)
    assert np.allclose(ha.lr, 0.1) and np.allclose(hb.lr, 0.1)  # history.lr: the top layer's
    # one row per layer and a column per member equals separate runs
    pop = MLP([2, 5, 3], population=2, seed=[1, 2])
    fit(pop, SGD(lr=0.1), X, y, epochs=1, verbose=0, layer_lrs=[[0.01, 0.05], [0.1, 0.02]])
    for k, lrs in enumerate([[0.01, 0.1], [0.05, 0.02]]):
        one = MLP([2, 5, 3], seed=[1, 2][k])
        fit(one, SGD(lr=0.3), X, y, epochs=1, verbose=0, layer_lrs=lrs)
        assert all(np.array_equal(w[k], w1) for w, w1 in zip(pop.get_weights(), one.get_weights()))
    # a schedule can be spread with lr_mult, not replaced by layer_lrs
    cos = schedules.cosine(0.1, T_max=10)
    fit(MLP([2, 5, 3], seed=1), SGD(lr=cos), X, y, verbose=0, lr_mult=slice(0.1, 1))
    with pytest.raises(TypeError, match="lr_mult"):
        fit(MLP([2, 5, 3], seed=1), SGD(lr=cos), X, y, verbose=0, layer_lrs=[0.1, 0.1])
    with pytest.raises(ValueError, match=r"layer_lrs must give one value per layer \(2\), got 3"):
        fit(MLP([2, 5, 3], seed=1), SGD(lr=0.1), X, y, verbose=0, layer_lrs=[0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="not both"):
        fit(
            MLP([2, 5, 3], seed=1),
            SGD(lr=0.1),
            X,
            y,
            verbose=0,
            layer_lrs=[0.1, 0.1],
            lr_mult=[1, 1],
        )
    with pytest.raises(ValueError, match="lr > 0"):
        fit(MLP([2, 5, 3], seed=1), SGD(lr=0.1), X, y, verbose=0, layer_lrs=[0.0, 0.0])
    with pytest.raises(ValueError, match="must be >= 0"):
        layer_lrs([0.1, -1.0], 2)
    with pytest.raises(ValueError, match=r"one value per layer group \(2\), got 3"):
        layer_lrs([0.1, 0.2, 0.3], [2, 1])
    with pytest.raises(ValueError, match=r"slice\(lo, hi\)"):
        layer_lrs(slice(1e-5, 1e-3, 2), 3)


def test_update_ratios_measure_each_layer(blobs):
    X, _, y, _ = blobs
    model = MLP([2, 5, 3], seed=0).freeze(1)
    start = model.copy()
    recorder = UpdateRatios()
    fit(
        model, SGD(lr=0.1), X[:32], y[:32], epochs=1, verbose=0, callbacks=[recorder], shuffle=False
    )
    ratios = recorder.ratios
    assert ratios.shape == (1, 2, 1) and ratios[0, 0, 0] == 0.0
    step = model.theta[1] - start.theta[1]
    assert np.isclose(ratios[0, 1, 0], np.linalg.norm(step) / np.linalg.norm(start.theta[1]))
    assert recorder.per_epoch().shape == (1, 2, 1)
