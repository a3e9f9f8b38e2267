"""Member k of a population records exactly what the same network records trained alone.

Exact equality is the contract here, not a tolerance: every reduction a member's numbers go
through (batch losses, epoch means, validation passes) is the same BLAS call, on arrays of the
same shape, as for a lone network, so the bits agree on any one machine.
"""

import numpy as np
import pytest

from gdsim.nn import MLP, fit
from gdsim.optimizers import SGD, Adam

CASES = {
    # layers, output, a validation set larger than one evaluation chunk (50_000 / width rows)
    "softmax": ([4, 60, 60, 5], "softmax", 2500),
    "sigmoid": ([4, 70, 2], "sigmoid", 1500),
    "linear": ([4, 30, 3], "linear", 2000),
}


def _data(layers, output, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, layers[0]))
    C = layers[-1]
    if output == "linear":
        return X, rng.standard_normal((n, C))
    if output == "sigmoid":
        return X, (rng.random((n, C)) > 0.5).astype(float)
    return X, rng.integers(0, C, n)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_every_record_of_a_member_equals_its_separate_fit(case, optimizer):
    layers, output, n_val = CASES[case]
    X, y = _data(layers, output, 300, 0)
    validation = _data(layers, output, n_val, 1)
    seeds, lrs = [11, 12, 13, 14, 15], [0.05, 0.02, 0.01, 0.005, 0.002]
    options = dict(epochs=2, batch_size=24, validation_data=validation, batch_loss=True, verbose=0)
    pop = MLP(layers, output=output, population=len(seeds), seed=seeds)
    h = fit(pop, optimizer(lr=lrs), X, y, **options)
    for k in (0, 2, 4):
        one = MLP(layers, output=output, seed=seeds[k])
        h1 = fit(one, optimizer(lr=lrs[k]), X, y, **options)
        for a, b in zip(pop.get_weights(), one.get_weights()):
            assert np.array_equal(a[k], b)
        assert sorted(h.keys()) == sorted(h1.keys())
        for name in h.keys():
            assert np.array_equal(h[name][:, k], h1[name]), name
        scores, alone = pop.evaluate(*validation), one.evaluate(*validation)
        assert scores["loss"][k] == alone["loss"] and scores["accuracy"][k] == alone["accuracy"]
        loss, grads = pop.loss_and_grads(X, y)
        loss1, grads1 = one.loss_and_grads(X, y)
        assert loss[k] == loss1
        assert all(np.array_equal(g[k], g1) for g, g1 in zip(grads, grads1))
