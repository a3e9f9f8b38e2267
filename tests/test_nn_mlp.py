import numpy as np
import pytest
from torch_oracle import recorded_keys, torch_reference

from gdsim.nn import MLP
from gdsim.nn.mlp import ACTIVATIONS, INITS


def data(n=7, d=3, C=3, kind="labels", seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if kind == "labels":
        y = rng.integers(0, max(C, 2), n)
    else:
        y = rng.normal(size=(n, C))
    return X, y


def numerical_grads(model, X, y, h=1e-6):
    """Central differences of each member's mean loss, one parameter entry at a time."""
    weights = model.get_weights()
    grads = []
    for i, w in enumerate(weights):
        g = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            values = []
            for sign in (1, -1):
                trial = [v.copy() for v in weights]
                trial[i][idx] += sign * h
                model.set_weights(trial)
                values.append(np.atleast_1d(model.evaluate(X, y)["loss"])[idx[0]])
            g[idx] = (values[0] - values[1]) / (2 * h)
        grads.append(g)
    model.set_weights(weights)
    return grads


HEADS = [
    ("softmax", None, 3),
    ("softmax", "mse", 3),
    ("sigmoid", None, 1),
    ("sigmoid", None, 3),
    ("sigmoid", "mse", 1),
    ("sigmoid", "mse", 3),
    ("linear", None, 1),
    ("linear", None, 2),
]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("output, loss, C", HEADS)
def test_gradients_match_central_differences(activation, output, loss, C):
    model = MLP(
        [3, 5, 4, C], activation=activation, output=output, loss=loss, population=2, seed=[1, 2]
    )
    X, y = data(C=C, kind="values" if output == "linear" else "labels")
    if output == "sigmoid" and C == 3:
        y = (np.random.default_rng(1).random((7, 3)) > 0.5).astype(float)  # multi-label targets
    loss_value, grads = model.loss_and_grads(X, y)
    assert loss_value.shape == (2,)
    for analytic, numeric in zip(grads, numerical_grads(model, X, y)):
        scale = np.abs(numeric).max() + 1e-8
        assert np.abs(analytic - numeric).max() / scale < 1e-6


TORCH_ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]
TORCH_HEADS = [
    ("softmax", "categorical_crossentropy"),
    ("sigmoid", "binary_crossentropy"),
    ("linear", "mse"),
]
WEIGHT_NAMES = ("W0", "b0", "W1", "b1")


@pytest.mark.parametrize("activation", TORCH_ACTIVATIONS)
@pytest.mark.parametrize("output, loss", TORCH_HEADS)
def test_loss_and_gradients_match_torch(activation, output, loss):
    C = 3
    model = MLP([2, 6, C], activation=activation, output=output, population=None, seed=3)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(10, 2))
    y = rng.integers(0, C, 10) if output != "linear" else rng.normal(size=(10, C))
    if output == "sigmoid":
        y = (rng.random((10, C)) > 0.5).astype(float)

    def compute(torch):
        W0, b0, W1, b1 = (torch.tensor(w, requires_grad=True) for w in model.get_weights())
        act = {
            "relu": torch.relu,
            "tanh": torch.tanh,
            "sigmoid": torch.sigmoid,
            "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
            "linear": lambda t: t,
        }[activation]
        z = act(torch.tensor(X) @ W0 + b0) @ W1 + b1
        if output == "softmax":
            reference = torch.nn.functional.cross_entropy(z, torch.tensor(y))
        elif output == "sigmoid":
            reference = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y))
        else:
            reference = torch.nn.functional.mse_loss(z, torch.tensor(y))
        reference.backward()
        grads = (W0.grad, b0.grad, W1.grad, b1.grad)
        return {"loss": reference.item(), **dict(zip(WEIGHT_NAMES, grads))}

    inputs = {"X": X, "y": y, **dict(zip(WEIGHT_NAMES, model.get_weights()))}
    reference = torch_reference(f"nn/mlp/{activation}/{output}", compute, inputs=inputs)
    value, grads = model.loss_and_grads(X, y)
    assert abs(value - reference["loss"].item()) < 1e-12
    for ours, theirs in zip(grads, (reference[name] for name in WEIGHT_NAMES)):
        assert np.allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_every_torch_record_is_used():
    expected = {
        f"nn/mlp/{activation}/{output}"
        for activation in TORCH_ACTIVATIONS
        for output, _ in TORCH_HEADS
    }
    assert recorded_keys("nn/mlp/") == expected


def test_population_equals_separate_models():
    X, y = data(n=20, d=2, C=3)
    seeds = [4, 9, 11]
    pop = MLP([2, 8, 5, 3], activation="tanh", population=3, seed=seeds)
    pop_loss, pop_grads = pop.loss_and_grads(X, y)
    pop_proba = pop.predict_proba(X)
    for k, s in enumerate(seeds):
        one = MLP([2, 8, 5, 3], activation="tanh", seed=s)
        for w_pop, w_one in zip(pop.get_weights(), one.get_weights()):
            assert np.array_equal(w_pop[k], w_one)
        loss, grads = one.loss_and_grads(X, y)
        assert abs(pop_loss[k] - loss) <= 1e-12
        assert np.abs(pop_proba[k] - one.predict_proba(X)).max() <= 1e-12
        for g_pop, g_one in zip(pop_grads, grads):
            assert np.abs(g_pop[k] - g_one).max() <= 1e-12


def test_seed_rules():
    a = MLP([2, 4, 3], population=3, seed=7)
    W = a.get_weights()[0]
    assert np.array_equal(W[0], W[1]) and np.array_equal(W[1], W[2])  # an int seed is shared
    b = MLP([2, 4, 3], seed=[1, 2])
    assert b.population == 2 and not b.single
    assert not np.array_equal(b.get_weights()[0][0], b.get_weights()[0][1])
    c = MLP([2, 4, 3], population=2)
    assert not np.array_equal(c.get_weights()[0][0], c.get_weights()[0][1])
    assert np.array_equal(
        MLP([2, 4, 3], seed=5).get_weights()[0], MLP([2, 4, 3], seed=5).get_weights()[0]
    )
    with pytest.raises(ValueError, match="one seed per model"):
        MLP([2, 4, 3], population=3, seed=[1, 2])


def test_keras_default_initializers():
    model = MLP([2, 50, 3], population=40, seed=list(range(40)))
    W0, b0, W1, b1 = model.get_weights()
    assert W0.shape == (40, 2, 50) and W1.shape == (40, 50, 3)
    assert np.all(b0 == 0) and np.all(b1 == 0)
    he, glorot = np.sqrt(6 / 2), np.sqrt(6 / 53)
    assert np.abs(W0).max() <= he and np.abs(W0).max() > 0.99 * he
    assert np.abs(W1).max() <= glorot and np.abs(W1).max() > 0.98 * glorot
    assert np.var(W0) == pytest.approx(2 / 2, rel=0.05)  # he: 2 / fan_in
    assert np.var(W1) == pytest.approx(2 / 53, rel=0.05)  # glorot: 2 / (fan_in + fan_out)


@pytest.mark.parametrize(
    "init, variance",
    [
        ("he_normal", 2 / 100),
        ("glorot_normal", 2 / 300),
        ("lecun_normal", 1 / 100),
        ("lecun_uniform", 1 / 100),
    ],
)
def test_normal_initializers_have_the_named_variance(init, variance):
    W = MLP([100, 200, 2], init=init, seed=0).get_weights()[0]
    assert np.var(W) == pytest.approx(variance, rel=0.03)
    if init.endswith("normal"):  # truncated at two standard deviations
        assert np.abs(W).max() <= 2 * np.sqrt(variance) / 0.87962566103423978


def test_zeros_init_and_all_inits_build():
    for init in INITS:
        MLP([2, 3, 2], init=init, output_init=init, seed=0)
    W = MLP([2, 3, 2], init="zeros", seed=0).get_weights()[0]
    assert np.all(W == 0)


def test_cross_entropy_is_stable_for_huge_logits():
    model = MLP([1, 2], population=None, seed=0)
    model.set_weights([np.array([[1e4, -1e4]]), np.zeros(2)])
    X = np.array([[1.0], [-1.0], [3.0]])
    loss = model.evaluate(X, [1, 1, 0])["loss"]
    # rows: logits (1e4, -1e4) label 1 -> 2e4; (-1e4, 1e4) label 1 -> 0; (3e4, -3e4) label 0 -> 0
    assert loss == pytest.approx(2e4 / 3, rel=1e-12)
    value, grads = model.loss_and_grads(X, [1, 1, 0])
    assert all(np.all(np.isfinite(g)) for g in grads)
    bce = MLP([1, 1], output="sigmoid", seed=0)
    bce.set_weights([np.array([[1e4]]), np.zeros(1)])
    assert bce.evaluate(np.array([[1.0], [-1.0]]), [0, 0])["loss"] == pytest.approx(5e3)


def test_weights_roundtrip_and_broadcast(tmp_path):
    model = MLP([2, 4, 3], population=3, seed=[1, 2, 3])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 2, 4), (3, 4), (3, 4, 3), (3, 3)]
    weights[0][0, 0, 0] = 123.0
    assert model.get_weights()[0][0, 0, 0] != 123.0  # get_weights returns copies
    path = tmp_path / "w.npz"
    model.save_weights(path)
    other = MLP([2, 4, 3], population=3, seed=9)
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        assert np.array_equal(a, b)
    rebuilt = MLP.load(path)
    assert rebuilt.population == 3 and rebuilt.layers == [2, 4, 3]
    for a, b in zip(model.get_weights(), rebuilt.get_weights()):
        assert np.array_equal(a, b)
    with np.load(path, allow_pickle=False) as stored:  # nothing pickled
        assert len(stored.files) > 4
    single = MLP([2, 4, 3], seed=1)
    other.set_weights(single.get_weights())  # one network copied into every member
    assert np.array_equal(other.get_weights()[2][1], single.get_weights()[2])
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape"):
        model.set_weights([weights[0], np.zeros(5), weights[2], weights[3]])
    with pytest.raises(ValueError, match="expects 4 arrays"):
        model.set_weights(weights[:2])
    with pytest.raises(ValueError, match="layers"):
        MLP([2, 5, 3], population=3).load_weights(path)


def test_single_and_population_outputs():
    X, y = data(n=9, d=2, C=3)
    single = MLP([2, 4, 3], seed=0)
    assert single.predict_proba(X).shape == (9, 3)
    assert single.predict(X).shape == (9,)
    assert np.ndim(single.evaluate(X, y)["loss"]) == 0
    assert single.get_weights()[0].shape == (2, 4)
    pop = MLP([2, 4, 3], population=2, seed=0)
    proba = pop.predict_proba(X)
    assert proba.shape == (2, 9, 3) and np.allclose(proba.sum(-1), 1)
    assert np.array_equal(pop.predict(X), proba.argmax(-1))
    scores = pop.evaluate(X, y)
    assert scores["accuracy"].shape == (2,)
    assert np.allclose(scores["accuracy"], (pop.predict(X) == y).mean(-1))
    one_hot = np.eye(3)[y]
    assert np.allclose(pop.evaluate(X, one_hot)["loss"], scores["loss"])
    binary = MLP([2, 3, 1], output="sigmoid", seed=0)
    assert set(np.unique(binary.predict(X))) <= {0, 1}
    regression = MLP([2, 3, 2], output="linear", seed=0)
    assert regression.predict(X).shape == (9, 2) and regression.predict(X).dtype == np.float64


def test_non_finite_member_is_recorded_not_raised():
    X, y = data(n=9, d=2, C=3)
    model = MLP([2, 4, 3], population=2, seed=0)
    weights = model.get_weights()
    weights[0][1] = np.nan
    model.set_weights(weights)
    scores = model.evaluate(X, y)  # pytest turns any RuntimeWarning into an error
    assert np.isfinite(scores["loss"][0]) and not np.isfinite(scores["loss"][1])
    assert scores["accuracy"][1] == 0.0


def test_bad_input():
    X, y = data(n=9, d=2, C=3)
    model = MLP([2, 4, 3], seed=0)
    with pytest.raises(ValueError, match="same length"):
        model.evaluate(X, y[:-1])
    with pytest.raises(ValueError, match=r"labels in y must be in \[0, 3\), got 3"):
        model.evaluate(X, np.r_[y[:-1], 3])
    with pytest.raises(ValueError, match=r"labels in y must be in \[0, 3\), got -1"):
        model.evaluate(X, np.r_[y[:-1], -1])
    with pytest.raises(ValueError, match="X must have shape"):
        model.evaluate(X[:, :1], y)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must not be NaN"):
        model.predict(bad)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="X must be finite"):
        model.predict(bad)
    with pytest.raises(ValueError, match=r"layer size layers\[1\] must be >= 1, got 0"):
        MLP([2, 0, 3])
    with pytest.raises(ValueError, match="at least 2"):
        MLP([2])
    with pytest.raises(ValueError, match="unknown activation 'rleu'; did you mean 'relu'"):
        MLP([2, 3], activation="rleu")
    with pytest.raises(ValueError, match="unknown init 'he_unifrom'; did you mean 'he_uniform'"):
        MLP([2, 3], init="he_unifrom")
    with pytest.raises(ValueError, match="unknown loss"):
        MLP([2, 3], loss="hinge")
    with pytest.raises(ValueError, match="unknown output"):
        MLP([2, 3], output="relu")
    with pytest.raises(ValueError, match="needs output='softmax'"):
        MLP([2, 3], output="linear", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="probabilities summing to 1"):
        model.evaluate(X, np.full((9, 3), 0.5))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MLP([2, 1], output="sigmoid").evaluate(X, np.full(9, 2.0))
