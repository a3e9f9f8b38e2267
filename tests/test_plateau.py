"""Tests for gdsim.plateau: ReduceLROnPlateau (Keras and PyTorch rules) and scikit-learn's
"adaptive" rule, as vectorized state machines; PyTorch (recorded in tests/reference/, checked
against live torch where installed) and scikit-learn as oracles."""

import warnings

import numpy as np
import pytest
from torch_oracle import recorded_keys, torch_reference

from gdsim.schedules.plateau import Adaptive, AdaptiveState, PlateauState, ReduceLROnPlateau


def trace(rule, lr, metrics):
    """The lr in force after each epoch, feeding ``metrics`` (epochs on the first axis)."""
    state = rule.init(lr)
    lrs = []
    for metric in metrics:
        state = rule.update(state, metric)
        lrs.append(state.lr)
    return np.array(lrs), state


def first_drop(lrs, lr0):
    """Index of the first epoch after which the lr is below ``lr0``."""
    return int(np.argmax(np.asarray(lrs) < lr0))


def drop_epochs(lrs, lr0):
    """Indices of the epochs after which the lr went down."""
    previous = np.concatenate([[lr0], lrs[:-1]])
    return list(np.flatnonzero(lrs < previous))


FLAT = np.full(12, 1.0)


# --------------------------------------------------------------------------------------------
# The plateau traces of REFERENCE.md §2.4, §3, §8


def test_flat_metric_keras_drops_after_epoch_2_torch_after_epoch_3():
    keras, _ = trace(ReduceLROnPlateau(patience=2), 0.1, FLAT)
    torch_rule, _ = trace(ReduceLROnPlateau(patience=2, convention="pytorch"), 0.1, FLAT)
    assert first_drop(keras, 0.1) == 2
    assert first_drop(torch_rule, 0.1) == 3
    np.testing.assert_allclose(keras[:4], [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1])
    # without cooldown both go on dropping every patience (Keras) / patience + 1 (torch) epochs
    assert drop_epochs(keras, 0.1) == [2, 4, 6, 8, 10]
    assert drop_epochs(torch_rule, 0.1) == [3, 6, 9]


def test_cooldown_one_mutes_nothing_in_keras_and_one_epoch_in_torch():
    keras0, _ = trace(ReduceLROnPlateau(patience=2, cooldown=0), 0.1, FLAT)
    keras1, _ = trace(ReduceLROnPlateau(patience=2, cooldown=1), 0.1, FLAT)
    keras2, _ = trace(ReduceLROnPlateau(patience=2, cooldown=2), 0.1, FLAT)
    np.testing.assert_array_equal(keras1, keras0)
    assert drop_epochs(keras2, 0.1) == [2, 5, 8, 11]  # cooldown 2 mutes one epoch
    torch0, _ = trace(ReduceLROnPlateau(patience=2, cooldown=0, convention="pytorch"), 0.1, FLAT)
    torch1, _ = trace(ReduceLROnPlateau(patience=2, cooldown=1, convention="pytorch"), 0.1, FLAT)
    assert drop_epochs(torch0, 0.1) == [3, 6, 9]
    assert drop_epochs(torch1, 0.1) == [3, 7, 11]


def test_keras_improvement_is_absolute_and_resets_wait():
    rule = ReduceLROnPlateau(patience=2, min_delta=0.1)
    # 1.0 (first: improves), 0.95 (not by 0.1), 0.85 (improves on 1.0 by 0.15), 0.8, 0.76
    lrs, state = trace(rule, 1.0, [1.0, 0.95, 0.85, 0.8, 0.76])
    np.testing.assert_allclose(lrs, [1.0, 1.0, 1.0, 1.0, 0.1])
    assert state.best == 0.85 and state.wait == 0 and state.cooldown == 0


def test_max_mode_and_auto_mode_from_the_monitor_name():
    rising = [0.5, 0.6, 0.6, 0.6]
    for rule in (
        ReduceLROnPlateau(monitor="val_accuracy", patience=2),
        ReduceLROnPlateau(monitor="loss", mode="max", patience=2),
    ):
        lrs, state = trace(rule, 1.0, rising)
        assert drop_epochs(lrs, 1.0) == [3] and state.best == 0.6
    # "val_loss" is minimized: the same rising trace drops at the 2nd bad epoch (index 2)
    lrs, _ = trace(ReduceLROnPlateau(monitor="val_loss", patience=2), 1.0, rising)
    assert drop_epochs(lrs, 1.0) == [2]


def test_min_lr_floor_keras_and_torch():
    keras, state = trace(
        ReduceLROnPlateau(patience=0, factor=0.5, min_lr=0.3), 1.0, [1.0] + [2.0] * 4
    )
    np.testing.assert_allclose(keras, [1.0, 0.5, 0.3, 0.3, 0.3])
    # at min_lr Keras no longer resets `wait`: it keeps counting
    assert state.wait == 2
    torch_rule, state = trace(
        ReduceLROnPlateau(patience=0, factor=0.5, min_lr=0.3, convention="pytorch"),
        1.0,
        [1.0] + [2.0] * 4,
    )
    np.testing.assert_allclose(torch_rule, [1.0, 0.5, 0.3, 0.3, 0.3])
    assert state.wait == 0


def test_torch_skips_drops_smaller_than_eps():
    rule = ReduceLROnPlateau(patience=0, factor=0.5, convention="pytorch", eps=1e-3)
    lrs, state = trace(rule, 0.01, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    # the drop 0.00125 -> 0.000625 would be smaller than eps, so it is skipped, counters reset
    np.testing.assert_allclose(lrs, [0.01, 0.005, 0.0025, 0.00125, 0.00125, 0.00125])
    assert state.wait == 0


def test_nan_metric_never_improves():
    for convention in ("keras", "pytorch"):
        rule = ReduceLROnPlateau(patience=1, convention=convention)
        lrs, state = trace(rule, 1.0, [np.nan, np.nan, np.nan])
        assert lrs[-1] < 1.0 and state.best == np.inf
        lrs, state = trace(rule, 1.0, [1.0, np.nan])
        assert state.best == 1.0 and state.wait == (0 if lrs[-1] < 1.0 else 1)


def test_per_run_state_is_vectorized_and_equals_one_at_a_time():
    rng = np.random.default_rng(0)
    epochs, runs = 40, 5
    # noisy plateaus of different lengths, one trace per run
    decay = np.linspace(1, 0.5, epochs)[:, None] ** np.array([1, 2, 5, 10, 40])
    metrics = decay + np.cumsum(rng.normal(0, 0.02, (epochs, runs)), axis=0)
    lr0 = np.array([0.1, 0.1, 0.05, 0.2, 0.1])
    for rule in (
        ReduceLROnPlateau(patience=3, cooldown=2, min_lr=1e-3),
        ReduceLROnPlateau(patience=3, cooldown=2, min_lr=1e-3, convention="pytorch"),
        Adaptive(n_iter_no_change=3, tol=1e-3),
    ):
        together, state = trace(rule, lr0, metrics)
        assert together.shape == (epochs, runs)
        for k in range(runs):
            alone, _ = trace(rule, lr0[k], metrics[:, k])
            np.testing.assert_array_equal(together[:, k], alone)
        assert len(set(together[-1])) > 2  # the runs really ended with different lrs


def test_two_runs_with_different_traces_get_different_lrs():
    rule = ReduceLROnPlateau(patience=2)
    metrics = np.array([[1.0, 1.0], [1.0, 0.9], [1.0, 0.8], [1.0, 0.7]])
    lrs, state = trace(rule, 0.1, metrics)
    np.testing.assert_allclose(lrs[-1], [0.01, 0.1])
    np.testing.assert_array_equal(state.wait, [1, 0])


def test_grid_shaped_runs_and_scalar_metric_broadcast():
    rule = ReduceLROnPlateau(patience=0, factor=np.array([0.5, 0.1]))
    state = rule.init(np.array([[1.0], [2.0], [3.0]]))
    assert state.lr.shape == (3, 2)
    state = rule.update(rule.update(state, 1.0), 2.0)  # one metric for every run
    np.testing.assert_allclose(state.lr, [[0.5, 0.1], [1.0, 0.2], [1.5, 0.3]])


def test_update_is_purely_functional():
    for rule in (
        ReduceLROnPlateau(patience=0),
        ReduceLROnPlateau(patience=0, convention="pytorch"),
        Adaptive(n_iter_no_change=1),
    ):
        state = rule.init(np.array([0.1, 0.2]))
        for metric in ([1.0, 1.0], [2.0, 0.5], [2.0, 0.4], [3.0, 0.3]):
            before = [field.copy() for field in state]
            new = rule.update(state, np.array(metric))
            for old_field, kept in zip(state, before):
                np.testing.assert_array_equal(old_field, kept)
            assert all(a is not b for a, b in zip(new, state))
            state = new
        assert isinstance(state, (PlateauState, AdaptiveState))
    lr = np.array([0.1, 0.2])
    state = ReduceLROnPlateau().init(lr)
    state.lr[0] = 9.0
    assert lr[0] == 0.1  # init copies


# --------------------------------------------------------------------------------------------
# PyTorch's ReduceLROnPlateau as an oracle


TORCH_PLATEAU = [
    dict(),
    dict(patience=3, cooldown=2),
    dict(patience=2, threshold_mode="abs", min_delta=0.01, factor=0.5, min_lr=1e-3),
    dict(patience=1, mode="max", factor=0.3, cooldown=1),
    dict(patience=0, factor=0.7, min_lr=0.02, eps=1e-3),
]


def plateau_key(options):
    return "plateau/" + (",".join(f"{k}={v}" for k, v in options.items()) or "defaults")


@pytest.mark.parametrize("options", TORCH_PLATEAU, ids=str)
def test_matches_torch_reduce_lr_on_plateau(options):
    options = dict(options)  # the parameter list stays intact for test_every_torch_record_is_used
    rng = np.random.default_rng(1)
    metrics = np.concatenate(
        [
            np.linspace(1.0, 0.6, 15),
            0.6 + rng.normal(0, 1e-3, 25),
            np.linspace(0.6, 0.3, 10),
            np.full(30, 0.3),
            [np.nan],
            np.full(19, 0.29),
        ]
    )
    if options.get("mode") == "max":
        metrics = -metrics
    translated = {("threshold" if k == "min_delta" else k): v for k, v in options.items()}

    def compute(torch):
        parameter = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = torch.optim.SGD([parameter], lr=0.1, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **translated)
        lrs = []
        for metric in metrics:
            optimizer.step()
            scheduler.step(float(metric))
            lrs.append(optimizer.param_groups[0]["lr"])
        return np.array(lrs)

    expected = torch_reference(plateau_key(options), compute, inputs={"metrics": metrics})
    mode = options.pop("mode", "min")
    ours, _ = trace(ReduceLROnPlateau(mode=mode, convention="pytorch", **options), 0.1, metrics)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=0)
    assert len(set(expected)) > 2  # the trace really exercises several drops


def test_every_torch_record_is_used():
    assert recorded_keys("plateau/") == {plateau_key(options) for options in TORCH_PLATEAU}


# --------------------------------------------------------------------------------------------
# scikit-learn's "adaptive"


def test_adaptive_divides_by_five_on_the_eleventh_failing_epoch():
    rule = Adaptive()
    lrs, state = trace(rule, 0.1, [1.0] + [1.0] * 10)
    assert (lrs == 0.1).all() and state.count == 10
    state = rule.update(state, 1.0)  # the 11th consecutive failing epoch
    assert state.lr == 0.1 / 5.0 and state.count == 0 and not state.stopped


def test_adaptive_improvement_must_beat_tol_and_resets_the_count():
    rule = Adaptive(tol=0.01, n_iter_no_change=2)
    # 0.995 is lower but not by tol: it fails and still becomes the best
    lrs, state = trace(rule, 1.0, [1.0, 0.995, 0.99, 0.975])
    assert state.count == 0 and state.best == 0.975 and (lrs == 1.0).all()
    lrs, state = trace(rule, 1.0, [1.0, 0.995, 0.99, 0.989])
    np.testing.assert_array_equal(lrs, [1.0, 1.0, 1.0, 0.2])


def test_adaptive_stops_at_min_lr_and_then_freezes():
    rule = Adaptive(n_iter_no_change=1, min_lr=1e-3)
    lrs, state = trace(rule, 0.1, [1.0] * 9)
    # triggers every 2 failing epochs: 0.1 -> 0.02 -> 0.004 -> 0.0008 (<= 1e-3) -> stop
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.02, 0.02, 0.004, 0.004, 0.0008, 0.0008, 0.0008])
    assert state.stopped
    stopped_at = None
    state = rule.init(0.1)
    for epoch in range(9):
        state = rule.update(state, 1.0)
        if state.stopped and stopped_at is None:
            stopped_at = epoch
    assert stopped_at == 8
    # a stopped run is frozen, whatever the metric does afterwards
    for metric in (0.0, 5.0):
        after = rule.update(state, metric)
        assert (after.lr, after.best, after.count, after.stopped) == (
            state.lr,
            state.best,
            state.count,
            True,
        )


def test_adaptive_nan_counts_as_failing():
    _, state = trace(Adaptive(), 0.1, [1.0, np.nan, np.nan])
    assert state.count == 2 and state.best == 1.0


def test_adaptive_matches_sklearn_on_a_real_fit():
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_blobs
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = make_blobs(n_samples=60, centers=3, cluster_std=3.0, random_state=0)
    clf = MLPClassifier(
        hidden_layer_sizes=(5,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.05,
        momentum=0.0,
        tol=1e-2,
        n_iter_no_change=3,
        max_iter=500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    rule = Adaptive(tol=1e-2, n_iter_no_change=3)
    state, stopped, lrs = rule.init(0.05), [], []
    for loss in clf.loss_curve_:
        state = rule.update(state, loss)
        stopped.append(bool(state.stopped))
        lrs.append(float(state.lr))
    assert len(clf.loss_curve_) < 500 and stopped.index(True) == len(clf.loss_curve_) - 1
    assert lrs[-1] == clf._optimizer.learning_rate  # bit-identical, the ÷5 included
    assert len(set(lrs)) >= 3


# --------------------------------------------------------------------------------------------
# Arguments, repr


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        (dict(factor=1.0), ValueError, "factor"),
        (dict(factor=1.5), ValueError, "factor"),
        (dict(factor=-0.1), ValueError, "factor"),
        (dict(patience=-1), ValueError, "patience"),
        (dict(patience=2.0), TypeError, "patience"),
        (dict(mode="minimum"), ValueError, "mode"),
        (dict(min_delta=-1e-4), ValueError, "min_delta"),
        (dict(cooldown=-1), ValueError, "cooldown"),
        (dict(cooldown=0.5), TypeError, "cooldown"),
        (dict(min_lr=-1.0), ValueError, "min_lr"),
        (dict(convention="torch"), ValueError, "convention"),
        (dict(threshold_mode="relative"), ValueError, "threshold_mode"),
        (dict(eps=-1.0), ValueError, "eps"),
        (dict(monitor=3), TypeError, "monitor"),
    ],
)
def test_reduce_lr_on_plateau_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=rf"(?<!\w){name}(?!\w)"):
        ReduceLROnPlateau(**kwargs)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        (dict(tol=-1.0), ValueError, "tol"),
        (dict(n_iter_no_change=0), ValueError, "n_iter_no_change"),
        (dict(n_iter_no_change=1.5), TypeError, "n_iter_no_change"),
        (dict(factor=0.0), ValueError, "factor"),
        (dict(factor=1.0), ValueError, "factor"),
        (dict(min_lr=-1e-6), ValueError, "min_lr"),
        (dict(monitor=None), TypeError, "monitor"),
    ],
)
def test_adaptive_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=rf"(?<!\w){name}(?!\w)"):
        Adaptive(**kwargs)


@pytest.mark.parametrize("rule", [ReduceLROnPlateau(), Adaptive()], ids=repr)
def test_bad_lr_and_metric(rule):
    with pytest.raises(ValueError, match="lr"):
        rule.init(0.0)
    with pytest.raises(ValueError, match="lr"):
        rule.init([0.1, -0.1])
    state = rule.init(np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="metric"):
        rule.update(state, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="metric"):
        rule.update(state, "low")


def test_monitor_and_repr():
    rule = ReduceLROnPlateau(monitor="val_accuracy", patience=2, convention="pytorch")
    assert rule.monitor == "val_accuracy"
    assert repr(rule) == (
        "ReduceLROnPlateau(monitor='val_accuracy', factor=0.1, patience=2, mode='auto', "
        "min_delta=0.0001, cooldown=0, min_lr=0.0, convention='pytorch', "
        "threshold_mode='rel', eps=1e-08)"
    )
    assert Adaptive().monitor == "loss"
    assert (
        repr(Adaptive())
        == "Adaptive(tol=0.0001, n_iter_no_change=10, factor=0.2, min_lr=1e-06, monitor='loss')"
    )
