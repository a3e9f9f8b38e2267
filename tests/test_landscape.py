import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gdsim import datasets
from gdsim.nn import MLP, fit
from gdsim.optimizers import SGD
from gdsim.toolkit.landscape import (
    Landscape,
    RecordWeights,
    animate_landscape,
    filter_normalized_directions,
    loss_landscape,
    pca_directions,
    plot_landscape,
)

LAYERS = [2, 8, 3]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def trained():
    """A small network trained for 15 epochs with its weights recorded every epoch."""
    X, y = datasets.blobs(200, centers=3, n_features=2, cluster_std=2, seed=2)
    model = MLP(LAYERS, seed=1)
    record = RecordWeights()
    fit(
        model,
        SGD(lr=0.05, momentum=0.9),
        X,
        y,
        epochs=15,
        batch_size=32,
        callbacks=[record],
        verbose=0,
    )
    return model, X, y, record


@pytest.fixture(scope="module")
def random_slice(trained):
    model, X, y, record = trained
    return loss_landscape(model, X, y, trajectory=record, resolution=7, seed=3)


@pytest.fixture(scope="module")
def pca_slice(trained):
    model, X, y, record = trained
    return loss_landscape(model, X, y, directions="pca", trajectory=record, resolution=7)


def flat_mask(weights):
    """1 for weight-matrix entries, 0 for biases ('biasbn')."""
    return np.concatenate([np.full(w.size, float(w.ndim > 1)) for w in weights])


def test_the_grid_centre_is_the_trained_model(trained, random_slice):
    model, X, y, record = trained
    loss = model.evaluate(X, y)["loss"]
    assert isinstance(random_slice, Landscape)
    assert random_slice.a[3] == 0 and random_slice.b[3] == 0
    assert random_slice.loss[3, 3] == pytest.approx(loss, rel=1e-12)
    assert random_slice.center_loss == pytest.approx(loss, rel=1e-12)
    assert random_slice.loss.shape == random_slice.accuracy.shape == (7, 7)


def test_vectorized_grid_equals_one_model_per_point(trained, random_slice):
    model, X, y, _ = trained
    dx, dy = random_slice.directions
    for i, j in [(0, 6), (1, 4), (6, 2)]:
        a, b = random_slice.a[i], random_slice.b[j]
        alone = MLP(LAYERS, seed=0)
        alone.set_weights([w + a * u + b * v for w, u, v in zip(model.get_weights(), dx, dy)])
        scores = alone.evaluate(X, y)
        assert random_slice.loss[j, i] == pytest.approx(scores["loss"], rel=1e-12)
        assert random_slice.accuracy[j, i] == scores["accuracy"]


def test_chunks_and_population_members_give_the_same_slice(trained, random_slice):
    model, X, y, record = trained
    one_by_one = loss_landscape(model, X, y, trajectory=record, resolution=7, seed=3, chunk=1)
    assert np.allclose(one_by_one.loss, random_slice.loss, rtol=1e-12, atol=0)
    population = MLP(LAYERS, population=2, seed=[5, 1])
    population.set_weights([np.stack([np.zeros_like(w), w]) for w in model.get_weights()])
    member = loss_landscape(population, X, y, member=1, resolution=7, seed=3, chunk=5)
    assert np.allclose(member.loss, random_slice.loss, rtol=1e-12, atol=0)


def test_filter_normalization_matches_each_filter_norm(trained):
    weights = trained[0].get_weights()
    dx, dy = filter_normalized_directions(weights, seed=0)
    for d in (dx, dy):
        for w, v in zip(weights, d):
            if w.ndim == 2:  # one filter = one output unit = one column of (fan_in, fan_out)
                assert np.allclose(np.linalg.norm(v, axis=0), np.linalg.norm(w, axis=0), rtol=1e-9)
            else:
                assert np.all(v == 0)  # ignore="biasbn"
    assert not np.allclose(dx[0], dy[0])
    keep, _ = filter_normalized_directions(weights, seed=0, ignore=None)
    assert all(np.array_equal(v, w) for v, w in zip(keep[1::2], weights[1::2]))
    layer, _ = filter_normalized_directions(weights, seed=0, norm="layer")
    assert np.isclose(np.linalg.norm(layer[0]), np.linalg.norm(weights[0]))
    again, _ = filter_normalized_directions(weights, seed=0)
    assert all(np.array_equal(u, v) for u, v in zip(dx, again))


def test_random_path_is_a_least_squares_projection(trained, random_slice):
    model, X, y, record = trained
    path, (dx, dy) = random_slice.path, random_slice.directions
    plane = np.stack(
        [np.concatenate([d.ravel() for d in dx]), np.concatenate([d.ravel() for d in dy])], 1
    )
    residual = (
        record.trajectory()
        - np.concatenate([w.ravel() for w in model.get_weights()])
        - path @ plane.T
    )
    assert np.allclose(plane.T @ residual.T, 0, atol=1e-9)  # what is left is off the plane
    assert np.allclose(path[-1], 0, atol=1e-12)
    assert random_slice.path_loss[-1] == pytest.approx(random_slice.center_loss, rel=1e-12)


def test_pca_coordinates_and_directions(trained, pca_slice):
    model, _, _, record = trained
    trajectory = record.trajectory()
    assert trajectory.shape == (16, model.n_params)  # the start and 15 epochs
    center = np.concatenate([w.ravel() for w in model.get_weights()])
    rows = (trajectory - center) * flat_mask(model.get_weights())
    components = np.stack([np.concatenate([d.ravel() for d in v]) for v in pca_slice.directions])
    assert np.allclose(components @ components.T, np.eye(2), atol=1e-12)
    assert np.allclose(pca_slice.path, rows @ components.T, atol=1e-12)  # plain projections
    assert np.allclose(pca_slice.path[-1], 0, atol=1e-12)  # θ* is the origin
    # numpy's SVD of the centred rows: the same components up to sign, the same ratios
    _, s, vt = np.linalg.svd(rows - rows.mean(0), full_matrices=False)
    assert np.allclose(np.abs(components), np.abs(vt[:2]), atol=1e-10)
    assert np.allclose(pca_slice.explained_variance_ratio, (s**2 / (s**2).sum())[:2])
    for c in components:  # svd_flip's sign convention
        assert c[np.argmax(np.abs(c))] > 0
    assert "% of the path's variance" in pca_slice.axis_labels()[0]
    b0, b1 = pca_slice.bounds
    assert b0[0] < pca_slice.path[:, 0].min() and b1[1] > pca_slice.path[:, 1].max()


def test_pca_matches_scikit_learn(trained, pca_slice):
    decomposition = pytest.importorskip("sklearn.decomposition")
    model, _, _, record = trained
    center = np.concatenate([w.ravel() for w in model.get_weights()])
    rows = (record.trajectory() - center) * flat_mask(model.get_weights())
    pca = decomposition.PCA(n_components=2, svd_solver="full").fit(rows)
    components, ratio = pca_directions(record.trajectory(), center, flat_mask(model.get_weights()))
    assert np.allclose(components, pca.components_, atol=1e-10)
    assert np.allclose(ratio, pca.explained_variance_ratio_, rtol=1e-10)


def test_trajectory_as_a_list_of_weight_lists(trained, pca_slice):
    model, X, y, record = trained
    weights = [list(snapshot) for snapshot in record.snapshots]  # get_weights() per epoch
    again = loss_landscape(model, X, y, directions="pca", trajectory=weights, resolution=7)
    assert np.allclose(again.loss, pca_slice.loss, rtol=1e-12)


def test_plot_and_animation(pca_slice):
    drawn = plot_landscape(pca_slice)
    assert np.array_equal(drawn.path.get_xdata(), pca_slice.path[:, 0])
    assert np.array_equal(drawn.path.get_ydata(), pca_slice.path[:, 1])
    assert drawn.background.filled is not None
    assert drawn.ax.get_xlabel().startswith("PC1")
    animation = animate_landscape(pca_slice, fps=20)

    class Count:
        def setup(self, animation):
            self.frames = 0

        def grab(self, rgb):
            self.frames += 1

        def finish(self, path):
            pass

    writer = Count()
    animation.save("unused.gif", writer=writer)
    assert writer.frames == len(pca_slice.path)


def test_bad_input(trained):
    model, X, y, record = trained
    with pytest.raises(ValueError, match="resolution must be >= 2"):
        loss_landscape(model, X, y, resolution=1)
    with pytest.raises(ValueError, match="did you mean 'pca'"):
        loss_landscape(model, X, y, directions="pcaa")
    with pytest.raises(ValueError, match="needs the trajectory"):
        loss_landscape(model, X, y, directions="pca")
    with pytest.raises(ValueError, match="member must be < the population size 1"):
        loss_landscape(model, X, y, member=1)
    with pytest.raises(ValueError, match="trajectory must be"):
        loss_landscape(model, X, y, trajectory=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="T >= 3"):
        loss_landscape(model, X, y, directions="pca", trajectory=record.trajectory()[:2])
    with pytest.raises(ValueError, match="never moved"):
        pca_directions(np.ones((4, 5)))
    with pytest.raises(ValueError, match="unknown norm"):
        filter_normalized_directions(model.get_weights(), norm="row")
    with pytest.raises(ValueError, match="low < high"):
        loss_landscape(model, X, y, extent=((1, -1), (-1, 1)))
    with pytest.raises(ValueError, match="extent must be > 0"):
        loss_landscape(model, X, y, extent=0)
    with pytest.raises(TypeError, match="gdsim.nn.MLP"):
        loss_landscape("model", X, y)
    with pytest.raises(ValueError, match="recorded nothing"):
        RecordWeights().trajectory()
    with pytest.raises(TypeError, match="Landscape"):
        plot_landscape(np.zeros((3, 3)))
