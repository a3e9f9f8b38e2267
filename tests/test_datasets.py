import numpy as np
import pytest

from gdsim import datasets

# -- blobs: the seed tutorial's data, number for number (REFERENCE.md §7) -------------------------


def tutorial_blobs():
    return datasets.blobs(1000, centers=3, n_features=2, cluster_std=2, seed=2)


def test_blobs_reproduces_reference_values():
    X, y = tutorial_blobs()
    assert X.shape == (1000, 2) and X.dtype == np.float64
    assert y.dtype == np.int64
    # quoted to 16 digits; the last bit of a Gaussian draw rests on the platform's log and FMA
    assert X[0].tolist() == pytest.approx([0.4871981127474787, -0.4316054814243375], rel=1e-15)
    assert y[:10].tolist() == [2, 2, 2, 0, 1, 0, 1, 1, 2, 2]
    assert np.bincount(y).tolist() == [334, 333, 333]
    assert np.bincount(y[:500]).tolist() == [171, 162, 167]
    assert np.bincount(y[500:]).tolist() == [163, 171, 166]


def test_blobs_centres_are_the_first_draws():
    rng = np.random.RandomState(2)
    centers = rng.uniform(-10, 10, size=(3, 2))
    np.testing.assert_allclose(
        centers,
        [
            [-1.2801019571599248, -9.481475363442174],
            [0.9932495575741829, -1.293552147634463],
            [-1.5926439582502194, -3.3933035799225175],
        ],
        rtol=1e-15,
    )
    X, y = tutorial_blobs()
    # each cluster's mean sits near its centre (std 2, ~333 points)
    for k in range(3):
        assert np.allclose(X[y == k].mean(axis=0), centers[k], atol=0.3)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_samples=1000, centers=3, n_features=2, cluster_std=2),
        dict(n_samples=101, centers=4, n_features=3, cluster_std=[1, 2, 3, 0.5]),
        dict(n_samples=7, centers=[[0, 0], [5, 5]]),
        dict(n_samples=50, centers=2, shuffle=False, center_box=(0, 1)),
    ],
)
@pytest.mark.parametrize("seed", [0, 2, 123])
def test_blobs_bit_identical_to_sklearn(kwargs, seed):
    sk = pytest.importorskip("sklearn.datasets")
    X, y = datasets.blobs(seed=seed, **kwargs)
    X_sk, y_sk = sk.make_blobs(random_state=seed, **kwargs)
    assert np.array_equal(X, X_sk) and np.array_equal(y, y_sk)


@pytest.mark.parametrize("seed", [0, 7])
def test_moons_and_circles_bit_identical_to_sklearn(seed):
    sk = pytest.importorskip("sklearn.datasets")
    for ours, theirs in [
        (datasets.moons(77, noise=0.1, seed=seed), sk.make_moons(77, noise=0.1, random_state=seed)),
        (datasets.moons(40, seed=seed), sk.make_moons(40, random_state=seed)),
        (
            datasets.circles(77, noise=0.1, factor=0.5, seed=seed),
            sk.make_circles(77, noise=0.1, factor=0.5, random_state=seed),
        ),
    ]:
        assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


@pytest.mark.parametrize(
    "make", [datasets.blobs, datasets.moons, datasets.circles, datasets.spirals, datasets.xor]
)
def test_generators_are_seeded_and_typed(make):
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    X3, _ = make(seed=4)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.dtype == np.float64 and X1.ndim == 2 and y1.dtype == np.int64
    assert len(X1) == len(y1)
    # a Generator works as the seed too
    Xg, _ = make(seed=np.random.default_rng(0))
    assert Xg.shape == X1.shape


def test_spirals_shape_and_balance():
    X, y = datasets.spirals(301, n_classes=4, seed=0)
    assert X.shape == (301, 2)
    assert np.bincount(y).tolist() == [76, 75, 75, 75]
    assert np.abs(X).max() < 2.0


def test_spirals_arms_are_spirals_without_noise():
    X, y = datasets.spirals(300, n_classes=3, noise=0.0, shuffle=False, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[:100], np.linspace(0, 1, 100))


def test_xor_labels():
    X, y = datasets.xor(500, seed=1)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.all(np.abs(X) <= 1)
    Xn, yn = datasets.xor(500, noise=0.3, seed=1)
    assert np.array_equal(yn, y)  # labels fixed before the noise moves the points
    assert not np.array_equal(Xn, X)


# -- split, one-hot, standardize -----------------------------------------------------------------


def test_tutorial_split_is_head_and_tail():
    X, y = tutorial_blobs()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.5, shuffle=False)
    assert np.array_equal(X_train, X[:500]) and np.array_equal(X_test, X[500:])
    assert np.array_equal(y_train, y[:500]) and np.array_equal(y_test, y[500:])


@pytest.mark.parametrize("test_size", [0.25, 0.3, 0.5, 17])
@pytest.mark.parametrize("shuffle", [True, False])
def test_split_matches_sklearn(test_size, shuffle):
    ms = pytest.importorskip("sklearn.model_selection")
    X, y = datasets.blobs(103, seed=0)
    ours = datasets.train_test_split(X, y, test_size=test_size, shuffle=shuffle, seed=5)
    theirs = ms.train_test_split(
        X, y, test_size=test_size, shuffle=shuffle, random_state=5 if shuffle else None
    )
    for a, b in zip(ours, theirs):
        assert np.array_equal(a, b)


def test_split_errors():
    X, y = datasets.blobs(10, seed=0)
    with pytest.raises(ValueError, match="same length"):
        datasets.train_test_split(X, y[:-1])
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(X, y, test_size=1.5)
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(X, y, test_size=10)


def test_one_hot():
    out = datasets.one_hot([2, 0, 1, 2])
    assert out.dtype == np.float64
    assert out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert datasets.one_hot([0, 1], n_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match=r"labels in y must be in \[0, 3\)"):
        datasets.one_hot([0, 3], n_classes=3)
    with pytest.raises(ValueError, match="labels in y"):
        datasets.one_hot([-1, 0])
    with pytest.raises(ValueError, match="integer"):
        datasets.one_hot([0.5, 1])
    with pytest.raises(ValueError, match="1-D"):
        datasets.one_hot([[0, 1]])


def test_standardize_uses_training_statistics():
    rng = np.random.default_rng(0)
    A = rng.normal([3, -2, 5], [2, 0.5, 1], size=(200, 3))
    B = rng.normal(size=(50, 3))
    A_scaled, B_scaled = datasets.standardize(A, B)
    assert np.allclose(A_scaled.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(A_scaled.std(axis=0), 1)
    assert np.allclose(B_scaled, (B - A.mean(axis=0)) / A.std(axis=0))
    assert np.allclose(datasets.standardize(A), A_scaled)
    constant = np.column_stack([np.ones(5), np.arange(5.0)])
    out = datasets.standardize(constant)
    assert np.all(out[:, 0] == 0) and np.all(np.isfinite(out))
    with pytest.raises(ValueError, match="columns"):
        datasets.standardize(A, B[:, :2])
    with pytest.raises(ValueError, match="finite"):
        datasets.standardize(np.array([[np.inf, 1.0]]))


def test_generator_argument_errors():
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        datasets.blobs(0)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        datasets.blobs(10.5)
    with pytest.raises(ValueError, match="cluster_std"):
        datasets.blobs(10, centers=2, cluster_std=[1, 2, 3])
    with pytest.raises(ValueError, match="cluster_std must be >= 0"):
        datasets.blobs(10, cluster_std=-1)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        datasets.moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="factor"):
        datasets.circles(10, factor=1.5)
    with pytest.raises(TypeError, match="seed"):
        datasets.spirals(seed="abc")
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        datasets.spirals(n_classes=0)


# -- counts per cluster (make_blobs' array n_samples) and (n_outer, n_inner) pairs --------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_samples=[500, 50]),  # imbalanced, centres drawn
        dict(n_samples=(20, 0, 7), n_features=3, cluster_std=[1.0, 2.0, 0.5]),
        dict(n_samples=[5, 9], centers=[[0.0, 0.0], [4.0, -1.0]], cluster_std=0.3),
        dict(n_samples=np.array([3, 4, 5, 6]), center_box=(0.0, 1.0), shuffle=False),
    ],
)
@pytest.mark.parametrize("seed", [0, 2])
def test_blobs_counts_per_centre_bit_identical_to_sklearn(kwargs, seed):
    sk = pytest.importorskip("sklearn.datasets")
    X, y = datasets.blobs(seed=seed, **kwargs)
    X_sk, y_sk = sk.make_blobs(random_state=seed, **kwargs)
    assert np.array_equal(X, X_sk) and np.array_equal(y, y_sk)
    assert np.bincount(y, minlength=len(kwargs["n_samples"])).tolist() == list(kwargs["n_samples"])


def test_blobs_counts_equal_to_the_even_split_give_the_same_data():
    X, y = tutorial_blobs()
    X2, y2 = datasets.blobs([334, 333, 333], n_features=2, cluster_std=2, seed=2)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    # a number of centres that matches the counts is the same as None
    X3, _ = datasets.blobs([334, 333, 333], centers=3, n_features=2, cluster_std=2, seed=2)
    assert np.array_equal(X, X3)


@pytest.mark.parametrize("pair", [(10, 3), (1, 1), [7, 12]])
@pytest.mark.parametrize("seed", [0, 5])
def test_moons_and_circles_pairs_bit_identical_to_sklearn(pair, seed):
    sk = pytest.importorskip("sklearn.datasets")
    for ours, theirs in [
        (
            datasets.moons(pair, noise=0.1, seed=seed),
            sk.make_moons(tuple(pair), noise=0.1, random_state=seed),
        ),
        (
            datasets.circles(pair, noise=0.05, factor=0.3, seed=seed),
            sk.make_circles(tuple(pair), noise=0.05, factor=0.3, random_state=seed),
        ),
        (
            datasets.moons(pair, shuffle=False, seed=seed),
            sk.make_moons(tuple(pair), shuffle=False, random_state=seed),
        ),
    ]:
        assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])
        assert np.bincount(ours[1]).tolist() == list(pair)


def test_a_pair_equal_to_the_even_split_gives_the_same_data():
    for make in (datasets.moons, datasets.circles):
        X, y = make(77, noise=0.2, seed=3)
        X2, y2 = make((38, 39), noise=0.2, seed=3)
        assert np.array_equal(X, X2) and np.array_equal(y, y2)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: datasets.blobs([5, 5], centers=3),
            ValueError,
            r"centers must be None or match the 2",
        ),
        (
            lambda: datasets.blobs([5, 5], centers=[[0, 0], [1, 1], [2, 2]]),
            ValueError,
            r"centers must be None or match the 2 counts in n_samples, got an array of 3 centres",
        ),
        (
            lambda: datasets.blobs([]),
            ValueError,
            r"n_samples must be an integer or a non-empty list",
        ),
        (lambda: datasets.blobs([[5, 5]]), ValueError, r"n_samples"),
        (lambda: datasets.blobs([0, 0]), ValueError, r"at least one sample"),
        (lambda: datasets.blobs([5, -1]), ValueError, r"n_samples\[1\] must be >= 0, got -1"),
        (lambda: datasets.blobs([5, 2.5]), TypeError, r"n_samples\[1\] must be an integer"),
        (lambda: datasets.moons((5, 5, 5)), ValueError, r"pair \(n_outer, n_inner\)"),
        (lambda: datasets.circles([5]), ValueError, r"pair \(n_outer, n_inner\)"),
        (lambda: datasets.moons((0, 5)), ValueError, r"n_samples\[0\] must be >= 1, got 0"),
        (lambda: datasets.circles((5, 1.5)), TypeError, r"n_samples\[1\] must be an integer"),
    ],
)
def test_counts_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
