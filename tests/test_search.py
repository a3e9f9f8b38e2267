import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gdsim import datasets, schedules
from gdsim.nn import MLP, fit
from gdsim.optimizers import SGD
from gdsim.toolkit.search import (
    SCHEDULES,
    SearchResult,
    grid_search,
    log_uniform,
    random_search,
    uniform,
)

LAYERS = [2, 8, 3]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


BUDGET = dict(layers=LAYERS, epochs=6, batch_size=25)


@pytest.fixture(scope="module")
def data():
    X, y = datasets.blobs(200, centers=3, n_features=2, cluster_std=2, seed=2)
    return X[:100], y[:100], (X[100:], y[100:])


@pytest.fixture(scope="module")
def grid(data):
    X, y, val = data
    return grid_search(
        SGD, X, y, val, seeds=[3, 4], lr=[0.3, 0.03, 0.003], momentum=[0.0, 0.9], **BUDGET
    )


def separate(data, seed, epochs=6, **hyperparameters):
    X, y, val = data
    model = MLP(LAYERS, seed=seed)
    return fit(
        model,
        SGD(**hyperparameters),
        X,
        y,
        epochs=epochs,
        batch_size=25,
        validation_data=val,
        verbose=0,
    )


def test_grid_is_the_product_and_one_population(grid):
    assert isinstance(grid, SearchResult)
    assert grid.candidates == [
        {"lr": lr, "momentum": m} for lr in (0.3, 0.03, 0.003) for m in (0.0, 0.9)
    ]
    assert grid.grid_shape == (3, 2) and grid.seeds == [3, 4]
    assert grid.history.val_accuracy.shape == (6, 6, 2)  # (epochs, candidates, seeds)
    assert grid.history.params["population"] == 12  # one fit call for everything
    assert [h.loss.shape for h in grid.histories] == [(6, 2)] * 6


def test_each_member_equals_a_separate_run_with_common_seeds(grid, data):
    for c, s in [(1, 0), (2, 1), (4, 1)]:
        alone = separate(data, grid.seeds[s], **grid.candidates[c])
        for name in ("loss", "val_loss", "val_accuracy"):
            assert np.allclose(grid.history[name][:, c, s], alone[name], rtol=1e-12, atol=1e-12)


def test_scores_means_spreads_and_the_best(grid):
    acc = grid.history.val_accuracy
    assert np.array_equal(grid.scores["val_accuracy"], acc[-1])
    assert np.allclose(grid.mean(), acc[-1].mean(1))
    assert np.allclose(grid.std("val_loss"), grid.history.val_loss[-1].std(1, ddof=1))
    assert grid.best_index == int(np.argmax(acc[-1].mean(1)))
    assert grid.best == grid.candidates[grid.best_index]


def test_best_epoch_scores(data):
    X, y, val = data
    r = grid_search(
        SGD, X, y, val, seeds=2, score="best", metric="val_loss", lr=[0.1, 0.01], **BUDGET
    )
    assert np.array_equal(r.scores["val_loss"], r.history.val_loss.min(0))
    assert np.array_equal(r.scores["val_accuracy"], r.history.val_accuracy.max(0))
    assert r.best_index == int(np.argmin(r.history.val_loss.min(0).mean(1)))


def test_table_says_which_score_and_marks_the_best(grid):
    text = grid.table()
    header, *rows = text.splitlines()
    assert "val_accuracy (final, mean ± std)" in header and "diagnosis" in header
    assert len(rows) == 6 and rows[grid.best_index].startswith(f"{grid.best_index}*")
    assert grid.table("markdown").startswith("| # | lr | momentum |")
    assert "grid: 6 candidates × 2 seeds, 6 epochs each" in repr(grid)


def test_plot_one_line_per_momentum(grid):
    drawn = grid.plot()
    assert drawn.ax.get_xscale() == "log"
    assert drawn.groups == ["momentum=0", "momentum=0.9"]
    mean = grid.mean().reshape(3, 2)
    for m, bars in enumerate(drawn.lines):
        line = bars.lines[0]
        assert np.allclose(line.get_xdata(), [0.003, 0.03, 0.3])
        assert np.allclose(line.get_ydata(), mean[::-1, m])
    b = grid.best_index
    assert drawn.best.get_xdata()[0] == grid.candidates[b]["lr"]
    assert drawn.best.get_ydata()[0] == pytest.approx(grid.mean()[b])


def test_schedules_are_searched_per_member(data):
    X, y, val = data
    cosine = SCHEDULES["cosine"]
    r = grid_search(
        SGD, X, y, val, seeds=1, lr=[0.1, 0.05], schedule=["constant", "cosine"], **BUDGET
    )
    assert [c["schedule"] for c in r.candidates] == ["constant", "cosine"] * 2
    steps = 6 * 4  # the budget: 6 epochs of 4 batches
    expected = cosine(0.05, steps)(np.arange(steps))[3::4]  # each epoch's last update
    assert np.allclose(r.history.lr[:, 3, 0], expected)
    assert np.all(r.history.lr[:, 0, 0] == 0.1)
    alone = separate(data, 0, lr=schedules.cosine(0.05, T_max=steps, clamp=True))
    assert np.allclose(r.history.val_loss[:, 3, 0], alone.val_loss, rtol=1e-12, atol=1e-12)


def test_random_search_samples_log_uniform_and_is_reproducible(data):
    X, y, val = data
    kw = dict(n_candidates=5, seeds=1, seed=7, **BUDGET)
    r = random_search(SGD, X, y, val, lr=(1e-3, 1.0), momentum=[0.0, 0.5, 0.9], **kw)
    again = random_search(SGD, X, y, val, lr=(1e-3, 1.0), momentum=[0.0, 0.5, 0.9], **kw)
    lrs = [c["lr"] for c in r.candidates]
    assert r.candidates == again.candidates and lrs == sorted(lrs)
    assert all(1e-3 <= lr < 1.0 for lr in lrs)
    assert {c["momentum"] for c in r.candidates} <= {0.0, 0.5, 0.9}
    rng = np.random.default_rng(7)  # the documented sampling, by hand
    assert np.allclose(sorted(np.exp(rng.uniform(np.log(1e-3), np.log(1.0), 5))), lrs)
    r = random_search(SGD, X, y, val, lr=log_uniform(0.01, 0.1), momentum=(0.5, 0.9), **kw)
    assert all(0.5 <= c["momentum"] < 0.9 for c in r.candidates)
    assert r.plot().points is not None  # continuous momentum: coloured points
    r = random_search(SGD, X, y, val, lr=[0.1, 0.01], weight_decay=uniform(0, 1e-3), **kw)
    assert {c["lr"] for c in r.candidates} <= {0.1, 0.01}


def test_bad_input(data):
    X, y, val = data
    with pytest.raises(ValueError, match="lr must list at least one value"):
        grid_search(SGD, X, y, val, lr=[], **BUDGET)
    with pytest.raises(ValueError, match="momentum must list at least one value"):
        grid_search(SGD, X, y, val, lr=[0.1], momentum=[], **BUDGET)
    with pytest.raises(ValueError, match="pass lr"):
        grid_search(SGD, X, y, val, momentum=[0.9], **BUDGET)
    with pytest.raises(ValueError, match="lr must be > 0"):
        grid_search(SGD, X, y, val, lr=[0.1, -1.0], **BUDGET)
    with pytest.raises(TypeError, match="momentum values must be a number"):
        grid_search(SGD, X, y, val, lr=[0.1], momentum=["high"], **BUDGET)
    with pytest.raises(ValueError, match="validation_data"):
        grid_search(SGD, X, y, None, lr=[0.1], **BUDGET)
    with pytest.raises(ValueError, match="did you mean 'cosine'"):
        grid_search(SGD, X, y, val, lr=[0.1], schedule=["cosin"], **BUDGET)
    with pytest.raises(ValueError, match="unknown metric"):
        grid_search(SGD, X, y, val, lr=[0.1], metric="acc", **BUDGET)
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        grid_search(SGD, X, y, val, lr=[0.1], seeds=0, **BUDGET)
    with pytest.raises(TypeError, match="make_optimizer must be callable"):
        grid_search("sgd", X, y, val, lr=[0.1], **BUDGET)
    with pytest.raises(ValueError, match="low < high"):
        random_search(SGD, X, y, val, n_candidates=3, lr=(1.0, 1e-3), **BUDGET)
    with pytest.raises(ValueError, match="low < high"):
        random_search(SGD, X, y, val, n_candidates=3, lr=(0.1, 0.1), **BUDGET)
    with pytest.raises(ValueError, match="must be > 0"):
        random_search(SGD, X, y, val, n_candidates=3, lr=(0.0, 1.0), **BUDGET)
    with pytest.raises(ValueError, match="must be > 0"):
        random_search(SGD, X, y, val, n_candidates=3, lr=(-1.0, 1.0), **BUDGET)
    with pytest.raises(ValueError, match=r"must be \(low, high\)"):
        random_search(SGD, X, y, val, n_candidates=3, lr=(1e-3, 1e-2, 1e-1), **BUDGET)
    with pytest.raises(ValueError, match="n_candidates must be >= 1"):
        random_search(SGD, X, y, val, n_candidates=0, lr=(1e-3, 1.0), **BUDGET)
    with pytest.raises(TypeError, match="n_candidates must be an integer"):
        random_search(SGD, X, y, val, n_candidates=2.5, lr=(1e-3, 1.0), **BUDGET)
    with pytest.raises(ValueError, match="pass lr"):
        random_search(SGD, X, y, val, n_candidates=2, momentum=(0, 1), **BUDGET)


def test_a_blowing_up_candidate_is_data_not_a_warning(data):
    X, y, val = data
    for score in ("final", "best"):
        r = grid_search(
            SGD,
            X,
            y,
            val,
            seeds=2,
            score=score,
            metric="val_loss",
            lr=[1e4, 0.1],
            momentum=[0.99],
            **BUDGET,
        )
        assert r.best == {"lr": 0.1, "momentum": 0.99}
        assert r.table().splitlines()[1].rstrip().endswith("diverged")
        r.plot()
