import numpy as np
import pytest

from gdsim import datasets
from gdsim.nn import MLP, History, fit
from gdsim.optimizers import SGD
from gdsim.toolkit import diagnosis
from gdsim.toolkit.diagnosis import LABELS, MIN_EPOCHS, THRESHOLDS, Diagnoses, Diagnosis, diagnose

T = np.arange(200)


def jitter(seed, size, scale):
    """Multiplicative noise: every curve below is a trend times (1 + scale·N(0, 1))."""
    return 1 + scale * np.random.default_rng(seed).standard_normal(size)


# name -> (loss, val_loss): the seed lecture's loss trends, drawn by hand
CURVES = {
    "healthy": (
        (0.3 + 2 * np.exp(-T / 8)) * jitter(0, 200, 0.01) * (1 - 0.0005 * T),
        (0.4 + 2 * np.exp(-T / 8)) * jitter(1, 200, 0.02) * (1 - 0.0005 * T),
    ),
    "too high": (
        np.r_[5.0, 0.9 * np.abs(jitter(2, 199, 0.2))],
        np.r_[3.0, 1.0 * np.abs(jitter(3, 199, 0.25))],
    ),
    "too low": (2.3 - 0.002 * T, 2.35 - 0.002 * T),
    "plateau": (0.5 + 2 * np.exp(-T / 5), 0.6 + 2 * np.exp(-T / 5)),
    "overfitting": (
        0.05 + 2 * np.exp(-T / 20),
        0.5 + 2 * np.exp(-T / 10) + 0.004 * np.maximum(T - 40, 0),
    ),
    "unstable validation": (
        (0.3 + 2 * np.exp(-T / 8)) * (1 - 0.0005 * T),
        (0.5 + 2 * np.exp(-T / 8)) * np.abs(jitter(4, 200, 0.3)),
    ),
    "diverged": (np.r_[np.linspace(2, 1, 30), np.full(170, np.nan)], None),
}


@pytest.mark.parametrize("label", list(CURVES))
def test_synthetic_curves_get_the_lecture_label(label):
    loss, val = CURVES[label]
    d = diagnose(loss, val)
    assert isinstance(d, Diagnosis)
    assert d.label == label, repr(d)
    assert d.advice == LABELS[label]


def test_every_label_is_tested_and_its_advice_is_one_sentence():
    assert set(CURVES) == set(LABELS)
    for advice in LABELS.values():
        assert advice.endswith(".") and ". " not in advice


def test_no_change_at_all_is_too_low_and_a_growing_loss_diverged():
    assert diagnose(np.full(50, 1.0986)).label == "too low"
    assert diagnose(np.exp(T[:60] / 20)).label == "diverged"
    assert diagnose(np.r_[np.ones(10), np.inf, np.ones(5)]).evidence["diverged_at"] == 10


def test_evidence_numbers_are_what_the_docstring_says():
    loss = 2.0 - 0.01 * np.arange(20)  # straight line, no noise
    ev = diagnose(loss).evidence
    assert ev["epochs"] == 20
    assert ev["decrease"] == pytest.approx((2.0 - loss[-1] - 0.0) / 2.0, abs=0.006)
    assert ev["noise"] == pytest.approx(0.01 / np.median(loss[10:]))
    assert ev["bounce"] == pytest.approx((np.median(loss[-5:]) - loss.min()) / np.median(loss[-5:]))
    assert ev["early_share"] == pytest.approx(0.1, abs=0.01)  # a line: a tenth in a tenth


def test_thresholds_can_be_overridden():
    loss, val = CURVES["healthy"]
    assert diagnose(loss, val, thresholds={"late_change": 0.5}).label == "plateau"
    with pytest.raises(ValueError, match="did you mean 'noise'"):
        diagnose(loss, thresholds={"noize": 0.1})
    with pytest.raises(ValueError, match="must be >= 0"):
        diagnose(loss, thresholds={"noise": -1})


def test_population_shapes_tables_and_indexing():
    loss = np.stack([CURVES[k][0] for k in ("healthy", "too low", "plateau")], axis=1)
    val = np.stack([CURVES[k][1] for k in ("healthy", "too low", "plateau")], axis=1)
    d = diagnose(np.stack([loss, loss], -1), np.stack([val, val], -1))  # (epochs, 3, 2)
    assert isinstance(d, Diagnoses) and d.shape == (3, 2) and len(d) == 6
    assert d.labels.tolist() == [["healthy"] * 2, ["too low"] * 2, ["plateau"] * 2]
    assert d[1, 0].label == "too low" and d[2].labels.tolist() == ["plateau"] * 2
    assert d.counts() == {"too low": 2, "plateau": 2, "healthy": 2}
    text = d.table()
    assert "(1, 0)  too low" in text and len(text.splitlines()) == 7
    assert d.table("markdown").startswith("| run | label |")
    assert "counts=" in repr(d) and "advice:" in repr(d[0, 0])


def test_a_history_of_a_population_and_a_stopped_member():
    loss = np.stack([CURVES["plateau"][0], CURVES["plateau"][0]], 1)
    loss[150:, 1] = np.nan  # member 1 stopped by a callback
    history = History(
        {"loss": loss, "val_loss": loss + 0.1},
        np.arange(200),
        np.array([-1, -1]),
        np.array([-1, 149]),
        {},
    )
    d = diagnose(history)
    assert d.labels.tolist() == ["plateau", "plateau"]
    assert d[1].evidence["epochs"] == 150
    diverged = History({"loss": loss}, np.arange(200), np.array([-1, 149]), np.array([-1, 149]), {})
    assert diagnose(diverged).labels.tolist() == ["plateau", "diverged"]
    assert diagnose({"loss": loss[:, 0]}).label == "plateau"  # a Keras-style dict


def test_bad_input():
    empty = History(
        {"loss": np.zeros((0, 2))}, np.arange(0), np.array([-1, -1]), np.array([-1, -1]), {}
    )
    with pytest.raises(ValueError, match="at least one epoch"):
        diagnose(empty)
    with pytest.raises(ValueError, match="at least one epoch"):
        diagnose([])
    with pytest.raises(ValueError, match=f"at least {MIN_EPOCHS} epochs"):
        diagnose([3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="val_loss must have the shape"):
        diagnose(np.ones(10), np.ones(9))
    with pytest.raises(TypeError, match="only with a plain loss array"):
        diagnose({"loss": np.ones(10)}, np.ones(10))
    with pytest.raises(ValueError, match="has no 'loss'"):
        diagnose({"acc": np.ones(10)})
    with pytest.raises(TypeError, match="history must be a History"):
        diagnose(["a", "b"])
    assert set(THRESHOLDS) >= {"noise", "bounce", "decrease"}


def test_a_fit_with_no_epochs_is_refused():
    X, y = datasets.blobs(40, seed=0)
    history = fit(MLP([2, 4, 3], population=2, seed=0), SGD(lr=0.1), X, y, epochs=0, verbose=0)
    with pytest.raises(ValueError, match="at least one epoch"):
        diagnose(history)


@pytest.fixture(scope="module")
def lr_sweep():
    """The seed tutorial's learning-rate sweep (REFERENCE.md §7): blobs, first 500 rows train,
    last 500 validation, MLP [2, 50, 3] (he_uniform / glorot_uniform), SGD, batch 32, 200 epochs;
    lr 1.0, 0.1 and 1e-6, two seeds each, as one population (about 0.6 s)."""
    X, y = datasets.blobs(1000, centers=3, n_features=2, cluster_std=2, seed=2)
    lrs = [1.0, 0.1, 1e-6]
    model = MLP([2, 50, 3], activation="relu", population=6, seed=[0, 0, 0, 1, 1, 1])
    history = fit(
        model,
        SGD(lr=lrs * 2),
        X[:500],
        y[:500],
        epochs=200,
        batch_size=32,
        validation_data=(X[500:], y[500:]),
        verbose=0,
    )
    # member k = seed·3 + lr: reshape to (seeds, lrs) and read the columns
    return diagnose(history.reshape(2, 3))


def test_the_tutorial_sweep_reads_as_the_article_says(lr_sweep):
    assert lr_sweep.labels.tolist() == [["too high", "healthy", "too low"]] * 2
    for seed in range(2):
        assert lr_sweep[seed, 0].evidence["noise"] > THRESHOLDS["noise"]  # big jumps
        assert lr_sweep[seed, 2].evidence["decrease"] < 0.5  # slow change


def test_printing_the_diagnoses_gives_the_advice():
    import gdsim
    from gdsim.nn import MLP, fit

    X, y = gdsim.datasets.blobs(200, centers=3, n_features=2, seed=2)
    history = fit(
        MLP([2, 8, 3], population=3, seed=1),
        gdsim.SGD(lr=np.array([5.0, 0.1, 1e-6])),
        X,
        y,
        epochs=30,
        verbose=0,
    )
    found = diagnose(history)
    printed = str(found)
    assert "advice:" in printed
    for label, advice in found.advice().items():
        assert label in printed and advice in printed
    assert set(found.advice()) == set(found.counts())


def test_the_reason_counts_epochs_from_one_as_the_curves_are_drawn():
    loss, val = CURVES["overfitting"]
    d = diagnose(loss, val)
    best = d.evidence["val_best_epoch"]  # an index into the history
    assert best == int(np.argmin(diagnosis._smooth(val)))
    assert f"(epoch {best + 1};" in d.reason
