"""Toy datasets for classification experiments, and the three chores around them.

Generators return ``(X, y)``: ``X`` float64 ``(n_samples, n_features)``, ``y`` int64 labels
``(n_samples,)``. ``blobs``, ``moons`` and ``circles`` replay scikit-learn's ``make_blobs``,
``make_moons`` and ``make_circles`` draw for draw: with an integer ``seed`` they use the legacy
``np.random.RandomState(seed)`` exactly as ``random_state=seed`` does, so a student following a
tutorial that calls ``make_blobs(..., random_state=2)`` gets the very same points. ``spirals`` and
``xor`` have no scikit-learn twin and use ``np.random.default_rng(seed)``. Any generator also
accepts a ready ``np.random.Generator`` (or ``RandomState``) as ``seed``.

``train_test_split`` (scikit-learn's order of outputs and its shuffled split, bit for bit, or a
plain head/tail split with ``shuffle=False``), ``one_hot`` and ``standardize`` complete the set.
"""

from __future__ import annotations

import numbers

import numpy as np

from gdsim import arguments

__all__ = [
    "blobs",
    "moons",
    "circles",
    "spirals",
    "xor",
    "train_test_split",
    "one_hot",
    "standardize",
]


def _legacy_rng(seed):
    """scikit-learn's ``check_random_state``: the RNG whose draws ``random_state=seed`` makes."""
    if (
        seed is None
        or isinstance(seed, (numbers.Integral, np.integer))
        and not isinstance(seed, bool)
    ):
        return np.random.RandomState(seed)
    if isinstance(seed, (np.random.RandomState, np.random.Generator)):
        return seed
    raise TypeError(f"seed must be None, an integer or a numpy random generator, got {seed!r}")


def _rng(seed):
    """A modern ``np.random.Generator`` for the generators with no scikit-learn twin."""
    if isinstance(seed, (np.random.Generator, np.random.RandomState)):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be None, an integer or a numpy random generator, got {seed!r}")
    return np.random.default_rng(seed)


def _shuffle(rng, X, y):
    """Shuffle rows as ``sklearn.utils.shuffle`` does: permute an index vector in place."""
    index = np.arange(len(X))
    rng.shuffle(index)
    return X[index], y[index]


def _split_counts(n_samples, n_groups):
    """``n // k`` per group, the first ``n % k`` groups one more (scikit-learn's rule)."""
    counts = [n_samples // n_groups] * n_groups
    for i in range(n_samples % n_groups):
        counts[i] += 1
    return counts


def _counts(n_samples):
    """``n_samples`` given as counts (a list, tuple or 1-D array of ints), or None for a total."""
    if not isinstance(n_samples, (list, tuple, np.ndarray)):
        return None
    if np.ndim(n_samples) != 1 or len(n_samples) == 0:
        raise ValueError(
            f"n_samples must be an integer or a non-empty list of counts, got {n_samples!r}"
        )
    counts = [arguments.check_int(f"n_samples[{i}]", n, minimum=0) for i, n in enumerate(n_samples)]
    if sum(counts) == 0:
        raise ValueError(f"n_samples must hold at least one sample, got {n_samples!r}")
    return counts


def _outer_inner(n_samples):
    """(n_outer, n_inner): a total split in two (the inner class gets the odd one), or a pair
    given as scikit-learn's ``make_moons`` / ``make_circles`` take it."""
    if isinstance(n_samples, (list, tuple, np.ndarray)):
        if np.ndim(n_samples) != 1 or len(n_samples) != 2:
            raise ValueError(
                f"n_samples must be an integer or a pair (n_outer, n_inner), got {n_samples!r}"
            )
        return tuple(
            arguments.check_int(f"n_samples[{i}]", n, minimum=1) for i, n in enumerate(n_samples)
        )
    n_samples = arguments.check_int("n_samples", n_samples, minimum=2)
    return n_samples // 2, n_samples - n_samples // 2


def _check_noise(noise):
    if noise is not None:
        arguments.check_nonnegative("noise", noise)
        arguments.check_finite("noise", noise)


def blobs(
    n_samples=100,
    centers=None,
    n_features=2,
    cluster_std=1.0,
    center_box=(-10.0, 10.0),
    shuffle=True,
    seed=None,
):
    """Isotropic Gaussian clusters, identical to scikit-learn's ``make_blobs``.

    ``centers`` is a number of clusters (default 3, drawn uniformly in ``center_box``) or an array
    ``(k, n_features)`` of fixed centres; ``cluster_std`` a number or one per cluster. The draw
    order is scikit-learn's: centres ``uniform(low, high, (k, n_features))``; then per cluster ``i``
    ``normal(centers[i], std_i, (n_i, n_features))`` with ``n_i = n // k`` (+1 for the first
    ``n % k``); then one shuffle of the rows. The seed tutorial's data is
    ``blobs(1000, centers=3, n_features=2, cluster_std=2, seed=2)``.

    ``n_samples`` may also be a list (or tuple) of counts, one per cluster, as in scikit-learn:
    ``centers`` is then None (one centre drawn per count), that number of centres, or an array
    with one row per count; ``blobs([500, 50], seed=0)`` makes an imbalanced pair of classes.
    """
    counts = _counts(n_samples)
    if counts is None:
        n_samples = arguments.check_int("n_samples", n_samples, minimum=1)
    shuffle = arguments.check_bool("shuffle", shuffle)
    rng = _legacy_rng(seed)
    if centers is None:
        centers = 3 if counts is None else len(counts)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        n_centers = arguments.check_int("centers", centers, minimum=1)
        _check_one_centre_per_count(counts, n_centers, centers)
        n_features = arguments.check_int("n_features", n_features, minimum=1)
        low, high = (float(v) for v in center_box)
        arguments.check_finite("center_box", np.array([low, high]))
        if not low <= high:
            raise ValueError(f"center_box must be (low, high) with low <= high, got {center_box!r}")
        centers = rng.uniform(low, high, size=(n_centers, n_features))
    else:
        centers = np.asarray(centers, dtype=float)
        if centers.ndim != 2 or len(centers) == 0:
            raise ValueError(
                f"centers must be an integer or an array (k, n_features), got shape {centers.shape}"
            )
        arguments.check_finite("centers", centers)
        n_centers = len(centers)
        _check_one_centre_per_count(counts, n_centers, f"an array of {n_centers} centres")
    stds = (
        np.broadcast_to(np.asarray(cluster_std, dtype=float), (n_centers,))
        if np.ndim(cluster_std) == 0
        else np.asarray(cluster_std, dtype=float)
    )
    if stds.shape != (n_centers,):
        raise ValueError(
            f"cluster_std must be a number or one value per center ({n_centers}), "
            f"got {len(stds)} values"
        )
    arguments.check_nonnegative("cluster_std", stds)
    if counts is None:
        counts = _split_counts(n_samples, n_centers)
    X = np.concatenate(
        [
            rng.normal(loc=centers[i], scale=stds[i], size=(n, centers.shape[1]))
            for i, n in enumerate(counts)
        ]
    )
    y = np.repeat(np.arange(n_centers, dtype=np.int64), counts)
    return _shuffle(rng, X, y) if shuffle else (X, y)


def _check_one_centre_per_count(counts, n_centers, shown):
    if counts is not None and n_centers != len(counts):
        raise ValueError(
            f"centers must be None or match the {len(counts)} counts in n_samples, got {shown}"
        )


def _two_classes(rng, X, n_first, shuffle, noise):
    """Label the first ``n_first`` rows 0 and the rest 1, then shuffle and add noise in
    scikit-learn's order (shuffle first), so the random stream matches it draw for draw."""
    y = np.hstack([np.zeros(n_first, dtype=np.int64), np.ones(len(X) - n_first, dtype=np.int64)])
    if arguments.check_bool("shuffle", shuffle):
        X, y = _shuffle(rng, X, y)
    if noise is not None:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y


def moons(n_samples=100, noise=None, shuffle=True, seed=None):
    """Two interleaving half circles, identical to scikit-learn's ``make_moons``.

    Outer moon ``(cos t, sin t)``, inner moon ``(1 − cos t, 0.5 − sin t)``, ``t`` evenly spaced in
    ``[0, π]``; rows shuffled, then Gaussian ``noise`` (a standard deviation) added.
    ``n_samples`` is a total (the inner moon gets the odd point) or a pair ``(n_outer, n_inner)``.
    """
    n_out, n_in = _outer_inner(n_samples)
    _check_noise(noise)
    rng = _legacy_rng(seed)
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.append(np.cos(t_out), 1 - np.cos(t_in)),
            np.append(np.sin(t_out), 1 - np.sin(t_in) - 0.5),
        ]
    ).T
    return _two_classes(rng, X, n_out, shuffle, noise)


def circles(n_samples=100, noise=None, factor=0.8, shuffle=True, seed=None):
    """A small circle inside a large one, identical to scikit-learn's ``make_circles``.

    Outer ``(cos t, sin t)``, inner ``factor·(cos t, sin t)``, ``t`` evenly spaced in ``[0, 2π)``.
    ``n_samples`` is a total (the inner circle gets the odd point) or a pair
    ``(n_outer, n_inner)``.
    """
    n_out, n_in = _outer_inner(n_samples)
    _check_noise(noise)
    arguments.check_in_range("factor", factor, 0.0, 1.0)
    rng = _legacy_rng(seed)
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.append(np.cos(t_out), factor * np.cos(t_in)),
            np.append(np.sin(t_out), factor * np.sin(t_in)),
        ]
    ).T
    return _two_classes(rng, X, n_out, shuffle, noise)


def spirals(n_samples=300, n_classes=3, noise=0.2, turns=0.65, shuffle=True, seed=None):
    """Interleaved spiral arms, one per class (the CS231n toy problem).

    Arm ``j`` has points at radius ``r`` evenly spaced in ``[0, 1]`` and angle
    ``θ = 2π·turns·r + 2πj/k + noise·N(0, 1)``; ``X = r·(sin θ, cos θ)``. With the defaults the
    arms are not linearly separable (a linear classifier gets about half right, an MLP nearly all).
    """
    n_samples = arguments.check_int("n_samples", n_samples, minimum=1)
    n_classes = arguments.check_int("n_classes", n_classes, minimum=1)
    shuffle = arguments.check_bool("shuffle", shuffle)
    _check_noise(noise)
    arguments.check_finite("turns", turns)
    rng = _rng(seed)
    parts = []
    for j, n in enumerate(_split_counts(n_samples, n_classes)):
        r = np.linspace(0.0, 1.0, n)
        theta = 2 * np.pi * (turns * r + j / n_classes) + noise * rng.standard_normal(n)
        parts.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
    X = np.concatenate(parts)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), _split_counts(n_samples, n_classes))
    return _shuffle(rng, X, y) if shuffle else (X, y)


def xor(n_samples=200, noise=0.0, seed=None):
    """Points uniform in the square ``[−1, 1]²``, class 1 where exactly one coordinate is positive.

    The label is fixed from the clean point, then Gaussian ``noise`` moves the point, so noise
    blurs the quadrant boundaries. No straight line separates the classes.
    """
    n_samples = arguments.check_int("n_samples", n_samples, minimum=1)
    _check_noise(noise)
    rng = _rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    if noise:
        X = X + noise * rng.standard_normal(X.shape)
    return X, y


def train_test_split(X, y, test_size=0.25, shuffle=True, seed=None):
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) or a number of rows; the test set has
    ``ceil(test_size·n)`` rows. With ``shuffle=False`` the train set is the head and the test set
    the tail: the seed tutorial's split is ``train_test_split(X, y, test_size=0.5, shuffle=False)``.
    With ``shuffle=True`` and an integer ``seed`` the rows are exactly scikit-learn's
    (``ShuffleSplit``: one ``RandomState(seed).permutation``, test rows first).
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    n = len(X)
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = arguments.check_int("test_size", test_size, minimum=1)
        if n_test >= n:
            raise ValueError(f"test_size must be < the number of samples ({n}), got {n_test}")
    else:
        arguments.check_in_range("test_size", test_size, 0.0, 1.0, low_inclusive=False)
        n_test = int(np.ceil(test_size * n))
    n_train = n - n_test
    if n_train < 1 or n_test < 1:
        raise ValueError(f"test_size={test_size} leaves an empty train or test set for {n} samples")
    if not arguments.check_bool("shuffle", shuffle):
        return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
    order = _legacy_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test : n_test + n_train]
    return X[train], X[test], y[train], y[test]


def one_hot(y, n_classes=None):
    """Integer labels ``(n,)`` -> float64 indicator rows ``(n, n_classes)`` (Keras'
    ``to_categorical``)."""
    y = arguments.as_real_array("y", y, what="integer class labels (n,)")
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of integer labels, got shape {y.shape}")
    if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError("y must hold integer labels")
    labels = y.astype(np.int64)
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    n_classes = arguments.check_int("n_classes", n_classes, minimum=1 if labels.size else 0)
    if labels.size and labels.max() >= n_classes:
        raise ValueError(
            f"labels in y must be in [0, {n_classes}) for n_classes={n_classes}, got {labels.max()}"
        )
    if labels.size:
        arguments.check_in_range("labels in y", labels, 0, n_classes)
    out = np.zeros((len(labels), n_classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def standardize(X, *others):
    """Centre and scale each column to mean 0, standard deviation 1, using ``X``'s statistics.

    ``standardize(X)`` returns the scaled ``X``; ``standardize(X_train, X_test)`` scales both with
    the training statistics (as a fitted ``StandardScaler`` would) and returns a tuple. Constant
    columns are only centred (their scale is taken as 1).
    """
    X = arguments.as_real_array("X", X, what="numbers (n_samples, n_features)")
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(
            f"X must be a non-empty 2-D array (n_samples, n_features), got shape {X.shape}"
        )
    arguments.check_finite("X", X)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    scaled = []
    for i, A in enumerate((X,) + others):
        name = "X" if i == 0 else f"others[{i - 1}]"
        A = arguments.as_real_array(name, A, what="numbers (n_samples, n_features)")
        if A.ndim != 2 or A.shape[1] != X.shape[1]:
            raise ValueError(f"{name} must have {X.shape[1]} columns like X, got shape {A.shape}")
        scaled.append((A - mean) / std)
    return scaled[0] if not others else tuple(scaled)
