"""Exercise 4, the backward pass of a dense layer: :func:`check_dense_backward`, the reference
gradients taken from gdsim's own MLP, the usual wrong forms (φ', batch averaging,
transposes, the bias sum) and the seeded cases.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import _Exercise, _run, _Step


def _dense_reference(x, W, b, grad_out, activation):
    """(grad_x, grad_W, grad_b) of ``a = φ(x W + b)`` from gdsim's MLP.

    The layer is the hidden layer of a gdsim MLP([fan_in, fan_out, fan_out]) with an identity
    output layer and an MSE loss. The targets are chosen so that ∂loss/∂a equals grad_out, so
    the MLP's own backward pass gives grad_W and grad_b. gdsim does not expose the gradient
    with respect to the inputs. Instead, the bias gradient of each one-row batch is that row's
    δ = ∂loss/∂z, and grad_x = δ·Wᵀ.
    """
    from gdsim.nn import MLP  # the MLP is only needed here; keep `import gdsim.homework` light

    n, fan_out = grad_out.shape
    model = MLP([W.shape[0], fan_out, fan_out], activation=activation, output="linear", loss="mse",
                seed=0)
    model.set_weights([W, b, np.eye(fan_out), np.zeros(fan_out)])
    out = model.predict_proba(x)    # = φ(x W + b): the output layer is the identity

    def gradients(rows):
        # mse: ∂loss/∂p = 2(p − y)/(C·rows), so y = p − (C·rows/2)·grad_out makes it grad_out
        y = out[rows] - (fan_out * len(out[rows]) / 2) * grad_out[rows]
        return model.loss_and_grads(x[rows], y)[1]

    grad_W, grad_b = gradients(slice(None))[:2]
    delta = np.stack([gradients(slice(i, i + 1))[1] for i in range(n)])
    return delta @ W.T, grad_W, grad_b


_D_NO_DPHI = ("You skipped the activation's derivative: first δ = grad_out ⊙ φ'(z) (relu: 1 where "
              "z > 0, else 0; tanh: 1 − a²; sigmoid: a·(1 − a)), then use δ for all three gradients.")
_D_DPHI_OF_Z = ("You applied a derivative written in terms of the output a to the pre-activation z: "
                "tanh' = 1 − a² and sigmoid' = a·(1 − a) need a = φ(z), not z.")
_D_AVERAGED = ("You averaged over the batch (divided by n); sum over the rows instead: the loss is "
               "already a mean, so its 1/n is inside grad_out (gdsim's MLP convention).")
_D_TRANSPOSED = "Your grad_W is transposed: it has W's shape (fan_in, fan_out), grad_W = xᵀ·δ."
_D_W_NOT_T = "grad_x goes back through W transposed: grad_x = δ·Wᵀ, not δ·W."
_D_NOT_SUMMED = ("grad_b must be summed over the rows of the batch: grad_b = δ.sum(axis=0), shape "
                 "(fan_out,).")
_D_WRONG_AXIS = ("You summed over the wrong axis: grad_b = δ.sum(axis=0) (over the rows), shape "
                 "(fan_out,).")
_D_KEEPDIMS = "grad_b must be 1-D like b: sum without keepdims."
_D_DELTA = "grad_x must have x's shape (n, fan_in): multiply δ by Wᵀ."


def _dense_variants(x, W, b, grad_out, activation, reference):
    gx, gW, gb = reference
    n = len(x)
    z = x @ W + b
    out = [(_D_NO_DPHI, (grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0))),
           (_D_AVERAGED, (gx, gW / n, gb / n)),
           (_D_AVERAGED, (gx / n, gW / n, gb / n))]
    wrong_dphi = {"tanh": 1 - z * z, "sigmoid": z * (1 - z)}.get(activation)
    if wrong_dphi is not None:
        d = grad_out * wrong_dphi
        out.append((_D_DPHI_OF_Z, (d @ W.T, x.T @ d, d.sum(axis=0))))
    if W.shape[0] == W.shape[1]:
        delta = gx @ np.linalg.inv(W.T)   # recover δ only to build the δ·W variant
        out += [(_D_TRANSPOSED, (gx, gW.T, gb)), (_D_W_NOT_T, (delta @ W, gW, gb))]
    return out


def _dense_shape_hint(step, name, shape):
    x, W = step.inputs["x"], step.inputs["W"]
    (n, fan_in), fan_out = x.shape, W.shape[1]
    hints = {("grad_W", (fan_out, fan_in)): _D_TRANSPOSED,
             ("grad_b", (n, fan_out)): _D_NOT_SUMMED,
             ("grad_b", (n,)): _D_WRONG_AXIS,
             ("grad_b", (1, fan_out)): _D_KEEPDIMS,
             ("grad_x", (n, fan_out)): _D_DELTA}
    return hints.get((name, shape))


def check_dense_backward(dense_backward, seed=0):
    """Grade ``dense_backward(x, W, b, grad_out, activation) -> (grad_x, grad_W, grad_b)``.

    This is the backward pass of one dense layer ``a = φ(x W + b)`` in gdsim's MLP conventions:
    ``x (n, fan_in)``, ``W (fan_in, fan_out)``, ``b (fan_out,)``, and
    ``grad_out = ∂loss/∂a (n, fan_out)``. ``activation`` is one of "linear", "relu", "tanh"
    and "sigmoid"::

        z = x W + b,  a = φ(z),  δ = grad_out ⊙ φ'(z)
        grad_W = xᵀ δ  (fan_in, fan_out)    grad_b = Σ_rows δ  (fan_out,)    grad_x = δ Wᵀ  (n, fan_in)

    The gradients are summed over the batch rows. The loss is already a mean, so its 1/n is
    inside grad_out, as in gdsim's MLP.

    The grader runs 6 seeded cases, covering every activation, batches of 3–6 rows and square
    and non-square W. Each case is compared with the gradients of a gdsim MLP. It recognises
    these mistakes: a missing φ'; φ' applied to z instead of a; averaging over the batch; a
    transposed grad_W; δ·W instead of δ·Wᵀ; grad_b not summed, or summed over the wrong axis.
    """
    return _run(_dense_exercise(seed), dense_backward)


def _dense_exercise(seed):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_dense_backward", "dense_backward", ("grad_x", "grad_W", "grad_b"),
        ("array", "array", "array"),
        "the gradients of a gdsim MLP (gdsim.nn.MLP.loss_and_grads)",
        "z = x·W + b, a = φ(z);  δ = grad_out ⊙ φ'(z);  grad_W = xᵀ·δ,  grad_b = Σ_rows δ,  "
        "grad_x = δ·Wᵀ  (sums over the batch, no 1/n)",
        shape_hint=_dense_shape_hint)
    plans = [("linear", 4, 3, 2), ("relu", 5, 3, 4), ("tanh", 3, 4, 2), ("sigmoid", 4, 2, 3),
             ("tanh", 3, 3, 3), ("relu", 6, 3, 3)]
    for c, (activation, n, fan_in, fan_out) in enumerate(plans, 1):
        x = rng.normal(size=(n, fan_in))
        W = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        b = 0.5 * rng.normal(size=fan_out)
        grad_out = rng.normal(size=(n, fan_out)) / n
        reference = _dense_reference(x, W, b, grad_out, activation)
        inputs = dict(x=x, W=W, b=b, grad_out=grad_out, activation=activation)
        where = f"case {c} of {len(plans)} ({activation}, n={n}, fan_in={fan_in}, fan_out={fan_out})"
        exercise.cases.append([_Step(where, inputs, reference, lambda inputs=inputs, r=reference:
                                     _dense_variants(**inputs, reference=r))])
    return exercise
