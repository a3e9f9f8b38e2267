import numpy as np
import pytest

import gdsim
from gdsim import datasets, surfaces
from gdsim.nn import MLP, fit
from gdsim.optimizers import SGD
from gdsim.teach.experiments import learning_rate_sweep, tutorial_data
from gdsim.toolkit.finder import (
    LRFinderResult,
    lr_find,
    minimum,
    slide,
    steep,
    suggest,
    sweep_lrs,
    valley,
)


@pytest.fixture(scope="module")
def blobs():
    X, y = datasets.blobs(320, centers=3, n_features=2, cluster_std=2, seed=2)
    return datasets.standardize(X), y


# -- the suggestion functions on hand-made curves (REFERENCE.md §5) --------------------------------


def _fastai_valley(lrs, losses):
    """fastai 2.8's ``valley`` as written: the O(n²) loop, updating the best inside it."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])


def test_valley_on_a_hand_made_curve():
    lrs = np.logspace(-6, 0, 13)
    losses = np.array([3, 3, 3, 3, 2.9, 2.5, 2.0, 1.5, 1.0, 0.8, 0.7, 1.5, 3])
    # longest strictly decreasing run: 3 (index 3) -> 0.7 (index 10), lds[10] = 8, so
    # start = 10 - 8 = 2, s = 8/3, idx = 2 + 2 + 1 = 5
    lr, (x, y) = valley(lrs, losses)
    assert lr == lrs[5] and (x, y) == (lrs[5], 2.5)
    # a curve that only rises: the first point
    assert valley(lrs, np.arange(13.0))[0] == lrs[0]
    # ties are not a descent
    assert valley(lrs[:4], np.array([1.0, 1.0, 1.0, 1.0]))[0] == lrs[0]


def test_valley_equals_fastais_loop_on_random_curves():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 30, 90):
        for _ in range(20):
            lrs = np.logspace(-7, 1, n)
            losses = np.cumsum(rng.normal(-0.1, 1.0, n))
            assert valley(lrs, losses)[0] == _fastai_valley(lrs, losses)


def test_slide_minimum_steep_on_hand_made_curves():
    lrs = np.logspace(-5, 0, 40)
    # flat, a linear descent, then a sharp rise
    losses = np.r_[np.full(10, 2.0), np.linspace(2.0, 0.5, 20), 0.5 + np.arange(1, 11) ** 2 * 0.1]
    grad = np.gradient(losses)
    right, left = -1, -16
    expected = lrs[left]
    while left >= -40 and abs(grad[right] - grad[left]) > 0.005:
        expected = lrs[left]
        right, left = right - 1, left - 1
    lr, (x, y) = slide(lrs, losses)
    assert lr == expected and np.isclose(y, np.interp(np.log10(lr), np.log10(lrs), losses))
    assert slide(lrs, losses, adjust_value=0.5)[0] == expected * 0.5
    assert np.isnan(slide(lrs[:10], losses[:10])[0])  # fewer than lr_diff + 1 points
    i = int(np.argmin(losses))
    assert minimum(lrs, losses) == (lrs[i] / 10, (lrs[i], losses[i]))
    slopes = np.diff(losses) / np.diff(np.log(lrs))
    j = int(np.argmin(slopes))
    assert steep(lrs, losses) == (lrs[j], (lrs[j], losses[j]))
    # steep with a linear sweep uses the same log-lr slopes
    lin = np.linspace(1e-3, 1.0, 40)
    slopes = np.diff(losses) / np.diff(np.log(lin))
    assert steep(lin, losses)[0] == lin[int(np.argmin(slopes))]


def test_suggest_drops_the_ends_and_cuts_at_the_first_nan():
    num_it = 100
    lrs = sweep_lrs(1e-7, 10, num_it)
    losses = np.r_[np.linspace(3, 1, 60), np.linspace(1, 5, 40)]
    got = suggest(lrs, losses, num_it)
    keep = slice(10, -5)
    for name, fn in [("valley", valley), ("slide", slide), ("minimum", minimum), ("steep", steep)]:
        assert got[name] == fn(lrs[keep], losses[keep])
    cut = losses.copy()
    cut[50] = np.nan
    got = suggest(lrs, cut, num_it)
    assert got["minimum"][0] == lrs[49] / 10 and got["valley"] == valley(lrs[10:50], losses[10:50])
    # nothing left to read: NaN, not an error
    assert all(np.isnan(v[0]) for v in suggest(lrs[:12], losses[:12], num_it).values())


# -- the sweep on an MLP ---------------------------------------------------------------------------


def _debiased(raw, beta=0.98):
    out, a = [], 0.0
    for k, loss in enumerate(raw, start=1):
        a = beta * a + (1 - beta) * loss
        out.append(a / (1 - beta**k))
    return np.array(out)


def test_lrs_and_smoothed_losses_follow_fastai(blobs):
    X, y = blobs
    result = lr_find(MLP([2, 8, 3], seed=1), SGD(), X, y, num_it=60, stop_div=False)
    i = np.arange(60)
    assert np.allclose(result.lrs, 1e-7 * (10 / 1e-7) ** (i / 60), rtol=1e-14, atol=0)
    assert result.lrs[-1] < 10 and result.lengths == 60
    assert np.allclose(result.smoothed, _debiased(result.losses), rtol=1e-13)
    linear = lr_find(
        MLP([2, 8, 3], seed=1),
        SGD(),
        X,
        y,
        start_lr=1e-3,
        end_lr=1.0,
        num_it=20,
        mode="linear",
        stop_div=False,
    )
    assert np.allclose(linear.lrs, 1e-3 + np.arange(20) / 20 * (1 - 1e-3), rtol=1e-14)
    # the raw losses are the losses of the batches fit trains on, with those lrs
    model = MLP([2, 8, 3], seed=1)
    rates = sweep_lrs(1e-7, 10, 60)
    h = fit(
        model,
        SGD(lr=gdsim.schedules.function(lambda e: rates[np.minimum(e, 59)])),
        X,
        y,
        epochs=6,
        batch_loss=True,
        verbose=0,
    )
    assert np.array_equal(result.losses, h.batch_loss[:60])


def test_the_sweep_stops_at_fourfold_the_best_smoothed_loss(blobs):
    X, y = blobs
    result = lr_find(MLP([2, 8, 3], seed=1), SGD(momentum=0.9), X, y, end_lr=1e4, num_it=200)
    n = result.lengths
    assert n < 200
    smoothed = result.smoothed
    best = np.minimum.accumulate(smoothed)
    assert smoothed[n - 1] > 4 * best[n - 1] or not np.isfinite(smoothed[n - 1])
    assert np.all(smoothed[: n - 1] <= 4 * best[: n - 1])
    assert len(result.lrs) == n


def test_the_model_is_exactly_as_before(blobs):
    X, y = blobs
    model = MLP([2, 8, 8, 3], activation="linear", population=3, seed=[4, 5, 6]).freeze(1)
    fit(model, SGD(lr=0.05), X, y, epochs=1, verbose=0)  # its shuffle streams have moved on
    twin = model.copy()
    twin._shuffle_rngs = [np.random.default_rng(0) for _ in range(3)]
    for rng, theirs in zip(twin._shuffle_rngs, model.shuffle_streams()):
        rng.bit_generator.state = theirs.bit_generator.state
    before = [t.copy() for t in model.theta]
    optimizer = SGD(lr=0.01, momentum=0.9, nesterov=True)
    hyper = dict(optimizer.hyperparameters())
    # end_lr 1e12 blows the weights up: NaN and inf during the sweep, none after it
    result = lr_find(model, optimizer, X, y, end_lr=1e12, num_it=100, stop_div=False)
    assert not np.all(
        np.isfinite([result.smoothed[n - 1, k] for k, n in enumerate(result.lengths)])
    )
    assert all(np.array_equal(a, b) for a, b in zip(model.theta, before))
    assert model.frozen == 1 and optimizer.hyperparameters() == hyper
    # the next fit shuffles as if the sweep had never run
    h1 = fit(model, SGD(lr=0.05), X, y, epochs=2, verbose=0)
    h2 = fit(twin, SGD(lr=0.05), X, y, epochs=2, verbose=0)
    assert np.array_equal(h1.loss, h2.loss)
    # and a model whose streams were never used keeps them unused
    fresh = MLP([2, 8, 3], seed=9)
    lr_find(fresh, SGD(), X, y, num_it=10)
    assert fresh._shuffle_rngs is None


def test_nan_ends_the_sweep_cleanly_without_warnings(blobs):
    X, y = blobs
    result = lr_find(
        MLP([2, 8, 3], activation="linear", seed=0),
        SGD(),
        X,
        y,
        end_lr=1e12,
        num_it=300,
        stop_div=False,
    )
    last = result.smoothed[result.lengths - 1]
    assert result.lengths < 300 and not np.isfinite(last)
    assert np.all(np.isfinite(result.smoothed[: result.lengths - 1]))
    assert np.isfinite(result.valley)


def test_a_population_gives_each_member_its_own_curve(blobs):
    X, y = blobs
    seeds = [3, 4]
    pop = lr_find(MLP([2, 8, 3], population=2, seed=seeds), SGD(momentum=0.9), X, y, end_lr=100.0)
    assert pop.losses.shape[1] == 2
    for k, seed in enumerate(seeds):
        one = lr_find(MLP([2, 8, 3], seed=seed), SGD(momentum=0.9), X, y, end_lr=100.0)
        assert pop.lengths[k] == one.lengths
        lrs, losses = pop.curve(k)
        assert np.allclose(losses, one.smoothed, rtol=1e-12)
        for name in ("valley", "slide", "minimum", "steep"):
            assert pop.suggestions[name][k] == one.suggestions[name]


def test_validation_curve_is_the_loss_after_each_update(blobs):
    X, y = blobs
    model = MLP([2, 8, 3], seed=2)
    result = lr_find(
        model, SGD(), X[:256], y[:256], num_it=8, validation_data=(X[256:], y[256:]), stop_div=False
    )
    one = model.copy()
    fit(
        one,
        SGD(lr=result.lrs[0]),
        X[:256],
        y[:256],
        epochs=1,
        batch_size=256,
        verbose=0,
        shuffle=False,
    )
    # batch 0 of the sweep trains on a shuffled batch of 32, so compare against the same batch
    first = model.copy()
    order = np.random.default_rng(np.random.SeedSequence(2).spawn(2)[1]).permutation(256)[:32]
    _, grads = first.loss_and_grads(X[order], y[order])
    first.set_weights([w - result.lrs[0] * g for w, g in zip(first.get_weights(), grads)])
    assert np.isclose(result.losses[0], first.evaluate(X[256:], y[256:])["loss"], rtol=1e-12)


def test_the_suggestion_lands_where_the_tutorial_sweep_trains(blobs):
    # seed 004's data and model; SGD without momentum as in the tutorial's lr sweep
    X_train, X_test, y_train, y_test = tutorial_data()
    sweep = learning_rate_sweep(seeds=2, epochs=100)
    accuracy = sweep.final("val_accuracy")
    working = [lr for lr, acc in zip(sweep.values, accuracy) if acc >= 0.7]
    assert min(working) <= 1e-3 and max(working) >= 1e-1  # the tutorial's finding
    model = MLP([2, 50, 3], population=6, seed=list(range(6)))
    result = lr_find(model, SGD(convention="keras"), X_train, y_train)
    assert np.all((result.valley >= min(working)) & (result.valley <= max(working)))
    h = fit(
        model,
        SGD(lr=result.valley, convention="keras"),
        X_train,
        y_train,
        epochs=100,
        validation_data=(X_test, y_test),
        verbose=0,
    )
    trained = h.val_accuracy[-10:].mean(axis=0)
    assert trained.min() >= 0.7 and trained.mean() >= accuracy.max() - 0.05


def test_plot_marks_the_suggestions(blobs):
    import matplotlib.pyplot as plt

    X, y = blobs
    result = lr_find(MLP([2, 8, 3], seed=1), SGD(), X, y, end_lr=100.0)
    drawn = result.plot(raw=True)
    line = drawn.lines[0]
    n = result.lengths - 5
    assert np.array_equal(line.get_xdata(), result.lrs[:n])
    assert np.array_equal(line.get_ydata(), result.smoothed[:n])
    for name in ("valley", "slide", "steep"):
        assert np.allclose(drawn.markers[name].get_offsets()[0], result.points[name])
    # fastai marks the lowest loss; (lr / 10) * 10 need not give back lr's last bit
    assert result.points["minimum"][0] == pytest.approx(result.minimum * 10, rel=1e-12)
    # the plot dots "minimum" at the lr it suggests, on the curve, not at the lowest point
    dot_lr, dot_loss = drawn.markers["minimum"].get_offsets()[0]
    assert dot_lr == pytest.approx(result.minimum, rel=1e-12)
    on_curve = np.interp(np.log10(dot_lr), np.log10(line.get_xdata()), line.get_ydata())
    assert dot_loss == pytest.approx(on_curve)
    pop = lr_find(MLP([2, 8, 3], population=3, seed=0), SGD(), X, y, end_lr=100.0)
    drawn = pop.plot()
    assert len(drawn.lines) == 3 and len(drawn.markers["valley"].get_offsets()) == 3
    assert len(pop.plot(member=1).lines) == 1
    assert "valley=" in repr(result)
    plt.close("all")


# -- on a surface ----------------------------------------------------------------------------------


def test_surface_finder_stops_past_the_stability_limit():
    # f = (x² + 10 y²)/2 rotated by 0: curvatures 1 and 10, plain GD diverges above lr = 2/10
    surface = surfaces.get("quadratic", condition=10.0)
    result = lr_find(surface, SGD(), [1.5, 1.2], end_lr=100.0, num_it=120)
    assert result.settings["smooth"] == 0.0 and result.lengths < 120
    last = result.lrs[result.lengths - 1]
    assert last > 2 / 10
    assert result.valley < 2 / 10 and result.minimum < 2 / 10
    # the raw loss is the surface's value at each step of the sweep
    run = gdsim.simulate(
        surface,
        SGD(lr=gdsim.schedules.function(lambda e: 1e-7 * (100 / 1e-7) ** (e / 120))),
        [1.5, 1.2],
        result.lengths,
    )
    assert np.allclose(result.losses[: result.lengths], run.losses[:-1], rtol=1e-12)
    several = lr_find(surface, SGD(), [[1.5, 1.2], [-1.0, 0.5]], end_lr=100.0, num_it=120)
    assert several.losses.shape[1] == 2 and several.valley.shape == (2,)
    noisy = lr_find(surface, SGD(), [1.5, 1.2], noise=0.5, seed=1)
    assert noisy.settings["smooth"] == 0.98


def test_surface_figure_links_the_curve_to_runs():
    import matplotlib.pyplot as plt

    surface = surfaces.get("himmelblau")
    result = lr_find(surface, SGD(), [0.0, 0.0])
    picks = result.marked_lrs()
    assert list(picks) == [
        "too small",
        "valley",
        "minimum (lowest / 10)",
        "lowest loss",
        "last before stop",
    ]
    drawn = result.plot_trajectories(steps=50)
    assert len(drawn.runs) == 5
    for run, lr, lines in zip(drawn.runs, picks.values(), drawn.trajectories.lines):
        assert run.steps == 50 and np.allclose(run.lrs, lr)
        drawn_x = lines[0].get_xdata()
        if bool(run.diverged):  # drawn until it leaves the picture, ending on the picture's edge
            (x0, x1), _ = surface.bounds
            assert np.allclose(drawn_x[:-1], run.positions[: len(drawn_x) - 1, 0])
            assert len(drawn_x) <= run.steps + 1 and x0 - 1e-9 <= drawn_x[-1] <= x1 + 1e-9
        else:
            assert np.allclose(drawn_x, run.positions[:, 0])
    for marker, lr in zip(drawn.markers, picks.values()):
        assert marker.get_offsets()[0][0] == lr
    result.plot_trajectories(lrs=[1e-3, 1e-2])
    plt.close("all")


def test_bad_input(blobs):
    X, y = blobs
    model = MLP([2, 4, 3], seed=0)
    with pytest.raises(ValueError, match="start_lr must be < end_lr, got start_lr=1 >= end_lr=0.1"):
        lr_find(model, SGD(), X, y, start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match="start_lr must be < end_lr"):
        lr_find(model, SGD(), X, y, start_lr=0.1, end_lr=0.1)
    with pytest.raises(ValueError, match="num_it must be >= 2, got 1"):
        lr_find(model, SGD(), X, y, num_it=1)
    with pytest.raises(ValueError, match="start_lr must be > 0"):
        lr_find(model, SGD(), X, y, start_lr=0.0)
    with pytest.raises(ValueError, match="unknown mode 'log'"):
        lr_find(model, SGD(), X, y, mode="log")
    with pytest.raises(ValueError, match=r"smooth must be in \[0, 1\)"):
        lr_find(model, SGD(), X, y, smooth=1.0)
    with pytest.raises(TypeError, match="needs the targets y"):
        lr_find(model, SGD(), X)
    with pytest.raises(TypeError, match="takes no y"):
        lr_find("himmelblau", SGD(), [0.0, 0.0], y)
    with pytest.raises(ValueError, match="starts must be"):
        lr_find("himmelblau", SGD(), np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="stop_div"):
        lr_find(model, SGD(), X, y, stop_div="yes")
    with pytest.raises(ValueError, match="suggestion"):
        lr_find(model, SGD(), X, y, num_it=20).plot(suggestions=("valey",))
    assert isinstance(lr_find(model, SGD(), X, y, num_it=20), LRFinderResult)
