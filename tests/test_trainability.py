"""Trainability maps (gdsim.trainability): the paper's map has both outcomes and a boundary that
stays mixed under zoom; a pixel is exactly the run gdsim.nn.fit makes; the numbers do not
depend on chunks, workers or a Dask cluster; box counting measures what it should; the
picture and the zoom animation show what the map holds; bad arguments are named."""

import math
import warnings

import matplotlib
import numpy as np
import pytest

import gdsim
from gdsim.nn import MLP, fit
from gdsim.nn.edge import BoxCount, TrainabilityMap, paper_setup

matplotlib.use("Agg")

SETUP = paper_setup()
LR = ((3.0, 3e4), (0.05, 0.5))  # input-layer and output-layer lrs around the paper's boundary
PAPER = dict(steps=80, lr=LR, train_biases=False, progress=False)


def paper_map(resolution=14, **options):
    return gdsim.trainability(
        SETUP.model, SETUP.X, SETUP.y, **{**PAPER, "resolution": resolution, **options}
    )


@pytest.fixture(scope="module")
def small():
    return paper_map()


def same(a, b):
    """Bit for bit: every outcome and every loss, to the last bit."""
    assert np.array_equal(a.converged, b.converged)
    assert np.array_equal(a.diverged_at, b.diverged_at)
    assert a.loss.tobytes() == b.loss.tobytes()


# -- what a map holds ---------------------------------------------------------------------------


def test_the_papers_map_shows_both_outcomes_and_a_boundary(small):
    assert small.shape == (14, 14)
    assert 0.2 < small.fraction_converged < 0.9
    assert small.boundary.any()
    np.testing.assert_allclose(small.x[[0, -1]], LR[0])
    np.testing.assert_allclose(small.y[[0, -1]], LR[1])
    assert np.allclose(np.diff(np.log(small.x)), np.log(small.x[1] / small.x[0]))
    # divergence is data: a step, never a crash; converged members never blew up
    assert small.diverged.any() and not (small.converged & small.diverged).any()
    assert ((small.diverged_at >= -1) & (small.diverged_at < PAPER["steps"])).all()
    assert np.isfinite(small.loss).all()
    # small lrs on both layers train; the largest output-layer lrs blow up
    assert small.converged[0, 0] and small.diverged[-1].all()


def test_outcomes_follow_the_papers_rule_from_fits_history():
    """A pixel is fit's run with the same per-layer lrs, full batch, no shuffling: its mean loss
    (summed in step order) and its outcome follow from fit's history, bit for bit."""
    model = MLP([16, 16, 1], activation="tanh", output="linear", loss="mse", seed=3)
    steps, window = 40, 20
    m = gdsim.trainability(
        model,
        SETUP.X,
        SETUP.y,
        steps=steps,
        lr=((1.0, 300.0), (0.02, 2.0)),
        resolution=4,
        threshold=np.inf,
        progress=False,
    )
    assert m.converged.any() and (~m.converged).any()
    for i in range(4):
        for j in range(4):
            one = model.copy()
            history = fit(
                one,
                gdsim.SGD(),
                SETUP.X,
                SETUP.y,
                epochs=steps,
                batch_size=len(SETUP.X),
                shuffle=False,
                verbose=0,
                layer_lrs=[m.x[j], m.y[i]],
            )
            losses = history.loss
            good = [v for v in losses if np.isfinite(v)]
            total = 0.0
            for v in good:
                total += v
            assert m.loss[i, j] == total / len(good)
            assert m.diverged_at[i, j] == history.diverged_at
            recent = 0.0
            for v in losses[-window:]:
                recent += v
            assert m.converged[i, j] == (history.diverged_at < 0 and recent / window < losses[0])


def test_a_pixels_loss_curve_is_the_run_the_map_made(small):
    diverged = tuple(np.argwhere(small.diverged)[0])
    converged = tuple(np.argwhere(small.converged)[-1])
    for i, j in (diverged, converged):
        curve = small.loss_curve(i, j)
        assert curve.shape == (small.steps,)
        t = small.diverged_at[i, j]
        good = curve[:t] if t >= 0 else curve
        assert np.isfinite(good).all()
        total = 0.0
        for v in good:
            total += v
        assert small.loss[i, j] == total / len(good)
        if t >= 0:
            assert np.isnan(curve[t + 1 :]).all()
            assert not curve[t] <= small.threshold * curve[0]
        else:
            assert curve[-small.window :].mean() < curve[0]
    with pytest.raises(ValueError, match="index the map"):
        small.loss_curve(small.shape[0], 0)


def test_a_member_alone_equals_the_same_member_in_a_bigger_map():
    corners = paper_map(resolution=2)
    bigger = paper_map(resolution=3)
    for name in ("converged", "diverged_at", "loss"):
        assert getattr(corners, name).tobytes() == getattr(bigger, name)[::2, ::2].tobytes()


def test_the_numbers_do_not_depend_on_chunks_or_workers(small):
    same(small, paper_map(chunk_size=5, workers=1))
    same(small, paper_map(chunk_size=3, workers=1))
    same(small, paper_map(chunk_size=16, workers=2))


def test_a_deeper_model_trains_only_the_layers_of_its_groups():
    """groups=(0, 2) leaves layer 1 as it is: fit with lr 0 on layer 1 makes the same runs."""
    model = MLP([4, 6, 6, 1], activation="tanh", output="linear", loss="mse", seed=1)
    X = np.random.default_rng(0).standard_normal((10, 4))
    y = np.random.default_rng(1).standard_normal((10, 1))
    m = gdsim.trainability(
        model,
        X,
        y,
        steps=15,
        lr=((0.01, 1.0), (0.01, 1.0)),
        resolution=2,
        groups=(0, 2),
        threshold=np.inf,
        progress=False,
    )
    assert m.groups == [[0], [2]]
    for i in range(2):
        for j in range(2):
            history = fit(
                model.copy(),
                gdsim.SGD(),
                X,
                y,
                epochs=15,
                batch_size=10,
                shuffle=False,
                verbose=0,
                layer_lrs=[m.x[j], 0.0, m.y[i]],
            )
            good = [v for v in history.loss.tolist() if math.isfinite(v)]
            assert m.loss[i, j] == sum(good) / len(good)
    default = gdsim.trainability(
        model, X, y, steps=3, lr=((0.01, 1.0), (0.01, 1.0)), resolution=2, progress=False
    )
    assert default.groups == [[0, 1], [2]]


def _mean_field_losses(setup, lr_input, lr_output, steps):
    """The paper's network in its own parameterization, trained by plain gradient descent:
    f(x) = v·tanh(√2 W x / √n) / n, no biases, W and v at N(0, 1) scale."""
    n = setup.X.shape[1]
    W0, _, v0, _ = setup.model.get_weights()
    W, v = W0 / math.sqrt(2.0 / n), v0 * n
    X, Y = setup.X, setup.y
    losses = []
    for _ in range(steps):
        z = X @ W * (math.sqrt(2.0) / math.sqrt(n))
        h = np.tanh(z)
        residual = h @ v / n - Y
        losses.append(float(np.mean(residual**2)))
        g = 2 * residual / len(X)
        grad_v = h.T @ g / n
        grad_W = X.T @ ((g @ v.T / n) * (1 - h**2)) * (math.sqrt(2.0) / math.sqrt(n))
        W, v = W - lr_input * grad_W, v - lr_output * grad_v
    return losses


def test_paper_setup_is_the_papers_mean_field_network():
    """With lr_scale, the map's pixel is the paper's run in the paper's own parameterization."""
    steps = 30
    paper_lrs = (40.0, 30.0)  # small enough to converge smoothly (not near the boundary)
    lr0, lr1 = (p * s for p, s in zip(paper_lrs, SETUP.lr_scale))
    m = gdsim.trainability(
        SETUP.model,
        SETUP.X,
        SETUP.y,
        steps=steps,
        resolution=2,
        lr=((lr0, lr0 * 2), (lr1, lr1 * 2)),
        train_biases=False,
        progress=False,
    )
    expected = _mean_field_losses(SETUP, *paper_lrs, steps)
    assert expected[-1] < expected[0] / 2 and m.converged[0, 0]
    assert math.isclose(m.loss[0, 0], np.mean(expected), rel_tol=1e-9)
    # the biases stayed at zero: with them trained the runs differ
    trained = gdsim.trainability(
        SETUP.model,
        SETUP.X,
        SETUP.y,
        steps=steps,
        resolution=2,
        lr=((lr0, lr0 * 2), (lr1, lr1 * 2)),
        progress=False,
    )
    assert not math.isclose(trained.loss[0, 0], np.mean(expected), rel_tol=1e-6)


def test_other_optimizers_and_their_hyperparameters():
    adam = gdsim.trainability(
        SETUP.model,
        SETUP.X,
        SETUP.y,
        steps=20,
        resolution=3,
        lr=((1e-3, 1.0), (1e-3, 1.0)),
        optimizer=gdsim.Adam,
        progress=False,
    )
    momentum = gdsim.trainability(
        SETUP.model,
        SETUP.X,
        SETUP.y,
        steps=20,
        resolution=3,
        lr=((1e-3, 1.0), (1e-3, 1.0)),
        optimizer=gdsim.SGD(momentum=0.9),
        progress=False,
    )
    assert adam.converged.any() and momentum.converged.any()
    assert not np.array_equal(adam.loss, momentum.loss)


def test_no_runtime_warning_however_hard_it_blows_up():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = gdsim.trainability(
            SETUP.model,
            SETUP.X,
            SETUP.y,
            steps=30,
            resolution=3,
            lr=((1e3, 1e9), (1e2, 1e8)),
            threshold=np.inf,
            progress=False,
        )
    assert m.diverged.any() and not m.converged.any() and np.isfinite(m.loss).all()


def test_a_map_too_big_for_memory_is_refused_before_it_starts():
    with pytest.raises(ValueError, match="memory"):
        paper_map(resolution=10**7)


# -- zooming ------------------------------------------------------------------------------------


def test_zoom_narrows_the_log_ranges_around_the_center(small):
    point = small.boundary_point()
    zoomed = small.zoom(point, 10, resolution=6)
    assert zoomed.shape == (6, 6) and zoomed.steps == small.steps
    for big, near, c in zip((small.x, small.y), (zoomed.x, zoomed.y), point):
        width = math.log10(big[-1] / big[0])
        assert math.isclose(math.log10(near[-1] / near[0]), width / 10, rel_tol=1e-9)
        assert math.isclose(math.log10(near[0] * near[-1]) / 2, math.log10(c), rel_tol=1e-9)
    assert small.zoom(point, 10, resolution=6) is zoomed  # kept, not recomputed
    assert small.zoom(point, 10).shape == small.shape


def test_the_boundary_stays_mixed_a_hundred_times_closer(small):
    path = small.zoom_path(small.boundary_point(), (10, 100), resolution=24)
    assert [len(m.x) for m in path] == [24, 24]
    for m in path:
        assert 0 < m.fraction_converged < 1 and m.boundary.any()
    assert path[-1].boundary_dimension().dimension > 1.05


def test_boundary_point_is_on_the_boundary(small):
    x, y = small.boundary_point(near=(small.x[3], small.y[5]))
    j = np.searchsorted(small.x, x) - 1
    i = np.searchsorted(small.y, y) - 1
    assert small.boundary[i, j]
    everywhere = TrainabilityMap(
        [1, 2], [1, 2], np.ones((2, 2), bool), -np.ones((2, 2), int), np.ones((2, 2)), 10
    )
    with pytest.raises(ValueError, match="no boundary"):
        everywhere.boundary_point()
    with pytest.raises(ValueError, match="cannot compute a zoom"):
        everywhere.zoom((1.5, 1.5), 2)


# -- box counting -------------------------------------------------------------------------------


def synthetic(converged):
    n = converged.shape[0]
    return TrainabilityMap(
        np.logspace(0, 1, n),
        np.logspace(0, 1, n),
        converged,
        np.where(converged, -1, 3),
        np.ones(converged.shape),
        10,
    )


def test_box_counting_gives_one_for_a_line_and_two_for_noise():
    n = 256
    rows, cols = np.mgrid[:n, :n]
    line = synthetic(rows < 0.4 * cols + 50).boundary_dimension()
    assert isinstance(line, BoxCount) and abs(line.dimension - 1.0) < 0.05
    assert line.fit_range == (2, 32) and list(line.sizes) == [2, 4, 8, 16, 32]
    assert (np.diff(line.counts) < 0).all()
    circle = synthetic((rows - 128) ** 2 + (cols - 128) ** 2 < 90**2).boundary_dimension()
    assert abs(circle.dimension - 1.0) < 0.1
    noise = synthetic(np.random.default_rng(0).random((n, n)) < 0.5).boundary_dimension()
    assert abs(noise.dimension - 2.0) < 0.05
    empty = synthetic(np.ones((n, n), bool)).boundary_dimension()
    assert math.isnan(empty.dimension) and not empty.counts.any()
    chosen = synthetic(rows < cols).boundary_dimension(sizes=[1, 4, 16])
    assert chosen.fit_range == (1, 16) and abs(chosen.dimension - 1.0) < 0.1


def test_box_counting_checks_its_sizes():
    m = synthetic(np.eye(8, dtype=bool))
    for sizes, error in (
        ([2], ValueError),
        ([2, 2], ValueError),
        ([0, 2], ValueError),
        ([1.5, 2], TypeError),
    ):
        with pytest.raises(error, match="sizes"):
            m.boundary_dimension(sizes=sizes)


# -- pictures -----------------------------------------------------------------------------------


def _texts(figure):
    return [t for t in figure.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def test_the_picture_shows_what_the_map_holds(small):
    import matplotlib.pyplot as plt

    drawn = small.plot()
    blue, red = drawn.converged.get_array(), drawn.diverged.get_array()
    assert np.array_equal(blue.mask, ~small.converged) and np.array_equal(red.mask, small.converged)
    np.testing.assert_array_equal(blue[small.converged], small.loss[small.converged])
    steps = np.where(small.diverged_at >= 0, small.diverged_at, small.steps)
    np.testing.assert_array_equal(red[~small.converged], steps[~small.converged])
    labels = [bar.ax.get_ylabel() for bar in drawn.colorbars]
    assert any("mean training loss" in t for t in labels)
    assert any("steps until the loss blew up" in t for t in labels)
    assert drawn.ax.get_xlabel() == "input-layer learning rate"
    figure = drawn.ax.figure
    figure.canvas.draw()
    width_pt = figure.get_figwidth() * 72
    for text in _texts(figure):
        assert text.get_fontsize() >= width_pt / 90, text.get_text()
    tick_labels = [t.get_text() for t in drawn.ax.get_xticklabels()]
    assert "$10^{2}$" in tick_labels
    plt.close(figure)


def test_zoomed_ticks_tell_their_neighbours_apart(small):
    import matplotlib.pyplot as plt

    deep = small.zoom(small.boundary_point(), 1000, resolution=3)
    drawn = deep.plot()
    drawn.ax.figure.canvas.draw()
    for labels in (drawn.ax.get_xticklabels(), drawn.ax.get_yticklabels()):
        texts = [t.get_text() for t in labels if t.get_text()]
        assert len(texts) >= 2 and len(set(texts)) == len(texts)
        values = [float(t) for t in texts]
        assert all(a < b for a, b in zip(values, values[1:]))
    plt.close(drawn.ax.figure)


class CountingWriter:
    def setup(self, animation):
        self.frames = 0

    def grab(self, rgb):
        self.frames += 1
        self.shape = rgb.shape

    def finish(self, path):
        pass


def test_the_zoom_animation_flies_through_every_map(small):
    point = small.boundary_point()
    anim = small.animate_zoom(point, (10, 100), resolution=6, frames_per_zoom=4)
    assert isinstance(anim, gdsim.Animation)
    assert len(anim.maps) == 3 and anim.maps[0] is small
    assert len(anim) == 2 * 4 + 1
    writer = CountingWriter()
    anim.save("zoom.gif", writer=writer)
    assert writer.frames == len(anim) and writer.shape[2] == 3
    anim.close()


# -- beyond one machine -------------------------------------------------------------------------


def test_a_dask_cluster_gives_the_same_map_bit_for_bit(small):
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's own start-up chatter is not ours
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
    try:
        remote = paper_map(client=client)
        same(small, remote)
        assert remote.zoom(remote.boundary_point(), 10, resolution=4).shape == (4, 4)
    finally:
        client.close()
        cluster.close()


# -- bad arguments ------------------------------------------------------------------------------

GOOD = dict(model=SETUP.model, X=SETUP.X, y=SETUP.y, steps=5, lr=LR, resolution=3, progress=False)


@pytest.mark.parametrize(
    "changes, error, words",
    [
        ({"lr": ((-1.0, 3.0), (0.1, 1.0))}, ValueError, ["lr", "positive", "lo0"]),
        ({"lr": ((0.0, 3.0), (0.1, 1.0))}, ValueError, ["lr", "positive"]),
        ({"lr": ((3.0, 1.0), (0.1, 1.0))}, ValueError, ["lr", "lo < hi", "lo0 = 3"]),
        ({"lr": ((1.0, 3.0), (1.0, 1.0))}, ValueError, ["lr", "lo1 = 1", "hi1 = 1"]),
        ({"lr": (1.0, 3.0)}, ValueError, ["lr", "((lo0, hi0), (lo1, hi1))"]),
        ({"lr": ((1.0, np.inf), (0.1, 1.0))}, ValueError, ["lr"]),
        ({"lr": 0.1}, TypeError, ["lr"]),
        ({"lr": (("a", "b"), (0.1, 1.0))}, TypeError, ["lr"]),
        ({"resolution": 1}, ValueError, ["resolution", ">= 2", "1"]),
        ({"resolution": (5, 1)}, ValueError, ["resolution"]),
        ({"resolution": 2.5}, TypeError, ["resolution"]),
        ({"resolution": (2, 3, 4)}, ValueError, ["resolution"]),
        ({"steps": 0}, ValueError, ["steps", ">= 1"]),
        ({"steps": 2.0}, TypeError, ["steps"]),
        (
            {"model": MLP([16, 1], output="linear", loss="mse")},
            ValueError,
            ["model", "at least two layers"],
        ),
        ({"model": "mlp"}, TypeError, ["model", "gdsim.nn.MLP"]),
        (
            {"model": MLP([16, 4, 1], output="linear", population=2)},
            ValueError,
            ["model", "population"],
        ),
        ({"y": SETUP.y[:-1]}, ValueError, ["X and y", "same length", "16", "15"]),
        ({"X": SETUP.X[:, :3]}, ValueError, ["X", "shape"]),
        ({"X": np.zeros((0, 16)), "y": np.zeros((0, 1))}, ValueError, ["X", "at least one"]),
        ({"optimizer": "sgd"}, TypeError, ["optimizer"]),
        (
            {"optimizer": gdsim.SGD(lr=gdsim.schedules.cosine(0.1, 10))},
            TypeError,
            ["optimizer", "lr schedule"],
        ),
        ({"optimizer": gdsim.SGD(momentum=np.array([0.1, 0.9]))}, ValueError, ["momentum"]),
        ({"groups": (0,)}, TypeError, ["groups"]),
        ({"groups": (0, 0)}, ValueError, ["groups", "layer 0", "both"]),
        ({"groups": (0, 5)}, ValueError, ["groups[1]", "layer 5"]),
        ({"groups": (slice(0, 0), 1)}, ValueError, ["groups[0]", "no layer"]),
        ({"groups": (0, "head")}, TypeError, ["groups[1]"]),
        ({"train_biases": "no"}, TypeError, ["train_biases"]),
        ({"threshold": 0.5}, ValueError, ["threshold", "> 1"]),
        ({"threshold": -1.0}, ValueError, ["threshold"]),
        ({"window": 0}, ValueError, ["window", ">= 1"]),
        ({"workers": 0}, ValueError, ["workers", ">= 1"]),
        ({"workers": "all"}, TypeError, ["workers"]),
        ({"client": "tcp://scheduler:8786"}, TypeError, ["client", "dask.distributed.Client"]),
        ({"chunk_size": 0}, ValueError, ["chunk_size", ">= 1"]),
        ({"progress": "yes"}, TypeError, ["progress"]),
    ],
)
def test_bad_arguments_are_named(changes, error, words):
    with pytest.raises(error) as raised:
        gdsim.trainability(**{**GOOD, **changes})
    for word in words:
        assert word in str(raised.value), f"{word!r} not in: {raised.value}"


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda m: m.zoom((0.0, 0.2), 10), ValueError, ["center", "> 0"]),
        (lambda m: m.zoom((1.0,), 10), ValueError, ["center", "(lr0, lr1)"]),
        (lambda m: m.zoom((10.0, 0.2), 0), ValueError, ["factor", "> 0"]),
        (lambda m: m.zoom((10.0, 0.2), 10, resolution=1), ValueError, ["resolution"]),
        (lambda m: m.zoom_path((10.0, 0.2), (100, 10)), ValueError, ["factors", "increasing"]),
        (lambda m: m.boundary_point(near=(-1.0, 1.0)), ValueError, ["near"]),
        (
            lambda m: m.animate_zoom((10.0, 0.2), (10,), frames_per_zoom=0),
            ValueError,
            ["frames_per_zoom"],
        ),
    ],
)
def test_bad_zoom_arguments_are_named(small, call, error, words):
    with pytest.raises(error) as raised:
        call(small)
    for word in words:
        assert word in str(raised.value), f"{word!r} not in: {raised.value}"


def test_a_map_built_from_arrays_checks_their_shapes():
    with pytest.raises(ValueError, match="loss must have shape"):
        TrainabilityMap(
            [1, 2, 3], [1, 2], np.ones((2, 3), bool), np.zeros((2, 3)), np.ones((3, 2)), 10
        )
