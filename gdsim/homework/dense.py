"""Exercise 4, the backward pass of a dense layer: :func:`check_dense_backward`, the reference
gradients taken from gdsim's own MLP, the usual wrong forms (φ', batch averaging,
transposes, the bias sum) and the seeded cases.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import Mistake, _Exercise, _run, _Step
from gdsim.homework.sheet import Sheet


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
    model = MLP(
        [W.shape[0], fan_out, fan_out], activation=activation, output="linear", loss="mse", seed=0
    )
    model.set_weights([W, b, np.eye(fan_out), np.zeros(fan_out)])
    out = model.predict_proba(x)  # = φ(x W + b): the output layer is the identity

    def gradients(rows):
        # mse: ∂loss/∂p = 2(p − y)/(C·rows), so y = p − (C·rows/2)·grad_out makes it grad_out
        y = out[rows] - (fan_out * len(out[rows]) / 2) * grad_out[rows]
        return model.loss_and_grads(x[rows], y)[1]

    grad_W, grad_b = gradients(slice(None))[:2]
    delta = np.stack([gradients(slice(i, i + 1))[1] for i in range(n)])
    return delta @ W.T, grad_W, grad_b


_D_NO_DPHI = Mistake(
    "You skipped the activation's derivative.",
    "First δ = grad_out ⊙ φ'(z) (relu: 1 where z > 0, else 0; tanh: 1 − a²; "
    "sigmoid: a·(1 − a)), then use δ for all three gradients.",
)
_D_DPHI_OF_Z = Mistake(
    "You applied a derivative written in terms of the output a to the pre-activation z.",
    "tanh' = 1 − a² and sigmoid' = a·(1 − a) need a = φ(z), not z.",
)
_D_AVERAGED = Mistake(
    "You averaged over the batch (divided by n).",
    "Sum over the rows instead: the loss is already a mean, so its 1/n is "
    "inside grad_out (gdsim's MLP convention).",
)
_D_TRANSPOSED = Mistake(
    "Your grad_W is transposed.", "It has W's shape (fan_in, fan_out), grad_W = xᵀ·δ."
)
_D_W_NOT_T = Mistake(
    "Your grad_x goes back through W itself.",
    "grad_x goes back through W transposed: grad_x = δ·Wᵀ, not δ·W.",
)
_D_NOT_SUMMED = Mistake(
    "Your grad_b is not summed over the rows of the batch.",
    "grad_b = δ.sum(axis=0), shape (fan_out,).",
)
_D_WRONG_AXIS = Mistake(
    "You summed grad_b over the wrong axis.",
    "grad_b = δ.sum(axis=0) (over the rows), shape (fan_out,).",
)
_D_KEEPDIMS = Mistake(
    "Your grad_b kept the summed axis (keepdims).",
    "grad_b must be 1-D like b: sum without keepdims.",
)
_D_DELTA = Mistake(
    "Your grad_x has δ's shape (n, fan_out).",
    "grad_x must have x's shape (n, fan_in): multiply δ by Wᵀ.",
)


def _dense_variants(x, W, b, grad_out, activation, reference):
    gx, gW, gb = reference
    n = len(x)
    z = x @ W + b
    out = [
        (_D_NO_DPHI, (grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0))),
        (_D_AVERAGED, (gx, gW / n, gb / n)),
        (_D_AVERAGED, (gx / n, gW / n, gb / n)),
    ]
    wrong_dphi = {"tanh": 1 - z * z, "sigmoid": z * (1 - z)}.get(activation)
    if wrong_dphi is not None:
        d = grad_out * wrong_dphi
        out.append((_D_DPHI_OF_Z, (d @ W.T, x.T @ d, d.sum(axis=0))))
    if W.shape[0] == W.shape[1]:
        delta = gx @ np.linalg.inv(W.T)  # recover δ only to build the δ·W variant
        out += [(_D_TRANSPOSED, (gx, gW.T, gb)), (_D_W_NOT_T, (delta @ W, gW, gb))]
    return out


def _dense_shape_hint(step, name, shape):
    x, W = step.inputs["x"], step.inputs["W"]
    (n, fan_in), fan_out = x.shape, W.shape[1]
    hints = {
        ("grad_W", (fan_out, fan_in)): _D_TRANSPOSED,
        ("grad_b", (n, fan_out)): _D_NOT_SUMMED,
        ("grad_b", (n,)): _D_WRONG_AXIS,
        ("grad_b", (1, fan_out)): _D_KEEPDIMS,
        ("grad_x", (n, fan_out)): _D_DELTA,
    }
    return hints.get((name, shape))


def check_dense_backward(dense_backward, seed=0, hint=0, edge_cases=False):
    """Grade ``dense_backward(x, W, b, grad_out, activation) -> (grad_x, grad_W, grad_b)``.

    This is the backward pass of one dense layer ``a = φ(x W + b)`` in gdsim's MLP conventions:
    ``x (n, fan_in)``, ``W (fan_in, fan_out)``, ``b (fan_out,)``, and
    ``grad_out = ∂loss/∂a (n, fan_out)``. ``activation`` is one of "linear", "relu", "tanh"
    and "sigmoid"::

        z = x W + b,  a = φ(z),  δ = grad_out ⊙ φ'(z)
        grad_W = xᵀ δ  (fan_in, fan_out)    grad_b = Σ_rows δ  (fan_out,)
        grad_x = δ Wᵀ  (n, fan_in)

    The gradients are summed over the batch rows. The loss is already a mean, so its 1/n is
    inside grad_out, as in gdsim's MLP.

    The grader runs 6 seeded cases, covering every activation, batches of 3–6 rows and square
    and non-square W. Each case is compared with the gradients of a gdsim MLP. It recognises
    these mistakes: a missing φ'; φ' applied to z instead of a; averaging over the batch; a
    transposed grad_W; δ·W instead of δ·Wᵀ; grad_b not summed, or summed over the wrong axis.

    ``edge_cases=True`` runs 5 other cases instead: a batch of one row; relu with most units
    off; a saturated sigmoid (inputs ten times larger); linear with a square W; a single output
    unit. ``hint`` (0, 1 or 2) sets how much the report says: the mistake by name, how to fix
    it, the full rule.
    """
    return _run(
        _dense_exercise(seed, arguments.check_bool("edge_cases", edge_cases)), dense_backward, hint
    )


# (activation, n, fan_in, fan_out, scale of x, shift of b, what the case is about)
_DENSE_CASES = [
    ("linear", 4, 3, 2, 1.0, 0.0, ""),
    ("relu", 5, 3, 4, 1.0, 0.0, ""),
    ("tanh", 3, 4, 2, 1.0, 0.0, ""),
    ("sigmoid", 4, 2, 3, 1.0, 0.0, ""),
    ("tanh", 3, 3, 3, 1.0, 0.0, ""),
    ("relu", 6, 3, 3, 1.0, 0.0, ""),
]
_DENSE_EDGES = [
    ("tanh", 1, 3, 2, 1.0, 0.0, "one row"),
    ("relu", 5, 3, 3, 1.0, -1.0, "relu with most units off"),
    ("sigmoid", 4, 2, 3, 10.0, 0.0, "a saturated sigmoid"),
    ("linear", 3, 3, 3, 1.0, 0.0, "linear, square W"),
    ("relu", 6, 4, 1, 1.0, 0.0, "one output unit"),
]


def _dense_exercise(seed, edge_cases=False):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_dense_backward",
        "dense_backward",
        ("grad_x", "grad_W", "grad_b"),
        ("array", "array", "array"),
        "the gradients of a gdsim MLP (gdsim.nn.MLP.loss_and_grads)",
        "z = x·W + b, a = φ(z);  δ = grad_out ⊙ φ'(z);  grad_W = xᵀ·δ,  grad_b = Σ_rows δ,  "
        "grad_x = δ·Wᵀ  (sums over the batch, no 1/n)",
        shape_hint=_dense_shape_hint,
    )
    plans = _DENSE_EDGES if edge_cases else _DENSE_CASES
    for c, (activation, n, fan_in, fan_out, scale, shift, label) in enumerate(plans, 1):
        x = scale * rng.normal(size=(n, fan_in))
        W = rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        b = 0.5 * rng.normal(size=fan_out) + shift
        grad_out = rng.normal(size=(n, fan_out)) / n
        reference = _dense_reference(x, W, b, grad_out, activation)
        inputs = dict(x=x, W=W, b=b, grad_out=grad_out, activation=activation)
        shapes = f"{activation}, n={n}, fan_in={fan_in}, fan_out={fan_out}"
        where = (
            f"edge case {c} of {len(plans)} ({label}: {shapes})"
            if label
            else f"case {c} of {len(plans)} ({shapes})"
        )
        exercise.cases.append(
            [
                _Step(
                    where,
                    inputs,
                    reference,
                    lambda inputs=inputs, r=reference: _dense_variants(**inputs, reference=r),
                )
            ]
        )
    return exercise


SHEET = Sheet(
    number=4,
    slug="dense_backward",
    title="The backward pass of a dense layer",
    function="dense_backward",
    grader="check_dense_backward",
    intro=r"""
**What you will learn:** backpropagation through one layer: the chain rule, the activation's
derivative, which matrix gets transposed, and why gradients are summed over the batch.

**What you will do:** write `dense_backward`, check it with
`gdsim.homework.check_dense_backward`, then chain it through a two-layer network and compare
every gradient with gdsim's MLP.""",
    rule=r"""
## The rule

A dense layer takes a batch $x$ of $n$ rows, $x \in \mathbb{R}^{n \times \text{fan\_in}}$, and
computes

$$z = x W + b, \qquad a = \varphi(z), \qquad
W \in \mathbb{R}^{\text{fan\_in} \times \text{fan\_out}},\ b \in \mathbb{R}^{\text{fan\_out}} .$$

The backward pass receives $\partial L / \partial a$ (`grad_out`, the shape of $a$) from the
layer above and returns the gradients with respect to the layer's inputs and parameters:

$$\delta = \frac{\partial L}{\partial z} = \texttt{grad\_out} \odot \varphi'(z), \qquad
\frac{\partial L}{\partial W} = x^\top \delta, \qquad
\frac{\partial L}{\partial b} = \sum_{\text{rows}} \delta, \qquad
\frac{\partial L}{\partial x} = \delta\, W^\top .$$

| activation | $\varphi(z)$ | $\varphi'(z)$, also written with $a = \varphi(z)$ |
|---|---|---|
| `"linear"` | $z$ | $1$ |
| `"relu"` | $\max(z, 0)$ | $1$ if $z > 0$, else $0$ |
| `"tanh"` | $\tanh z$ | $1 - a^2$ |
| `"sigmoid"` | $1 / (1 + e^{-z})$ | $a\,(1 - a)$ |

* **Shapes are your check:** every gradient has the shape of what it is the gradient of.
* **Sum, don't average:** the loss $L$ is already the *mean* over the batch's rows, so its
  $1/n$ is inside `grad_out`. Each row adds its own contribution to $\partial L/\partial W$ and
  $\partial L/\partial b$. This is how gdsim's MLP does it.

## Your function

`dense_backward(x, W, b, grad_out, activation) -> (grad_x, grad_W, grad_b)`

| argument | shape |
|---|---|
| `x` | `(n, fan_in)` |
| `W` | `(fan_in, fan_out)` |
| `b` | `(fan_out,)` |
| `grad_out` | `(n, fan_out)`, $\partial L/\partial a$ |
| `activation` | one of `"linear"`, `"relu"`, `"tanh"`, `"sigmoid"` |

Recompute $z$ from `x`, `W` and `b` inside the function.""",
    imports=r"""
import numpy as np
import matplotlib.pyplot as plt

import gdsim
import gdsim.datasets
from gdsim.nn import MLP
from gdsim.homework import check_dense_backward""",
    signature=r'''
def dense_backward(x, W, b, grad_out, activation):
    """Gradients of a dense layer a = φ(x W + b). Returns (grad_x, grad_W, grad_b)."""''',
    todo=r"""
    # YOUR CODE HERE: recompute z, form δ = grad_out ⊙ φ'(z), then the three gradients.""",
    body=r"""
    z = x @ W + b
    if activation == "relu":
        dphi = (z > 0).astype(float)
    elif activation == "tanh":
        dphi = 1 - np.tanh(z) ** 2
    elif activation == "sigmoid":
        a = 1 / (1 + np.exp(-z))
        dphi = a * (1 - a)
    else:                                    # linear
        dphi = np.ones_like(z)
    delta = grad_out * dphi                  # ∂L/∂z, shape (n, fan_out)
    return delta @ W.T, x.T @ delta, delta.sum(axis=0)""",
    see_it=r"""
## See it

Backpropagation is your function applied layer by layer, from the top down. Below, a gdsim
`MLP([2, 8, 3])` (tanh hidden layer, linear output, mean squared error) on 60 points of the
blobs data set gives its weights. The forward pass is written out by hand, and your
`dense_backward` carries the loss gradient down through both layers. Every gradient should
land on the diagonal, where it equals the one gdsim's MLP computes. In the exercise
notebook this cell waits until the grader passes.""",
    picture=r"""
X, y = gdsim.datasets.blobs(60, centers=3, cluster_std=2.0, seed=2)
X, Y = gdsim.datasets.standardize(X), gdsim.datasets.one_hot(y)
model = MLP([2, 8, 3], activation="tanh", output="linear", loss="mse", seed=0)
W0, b0, W1, b1 = model.get_weights()

# forward by hand, then backward with your function, layer by layer from the top
a1 = np.tanh(X @ W0 + b0)                              # hidden layer
p = a1 @ W1 + b1                                       # output layer (linear)
grad_p = 2 * (p - Y) / (Y.shape[1] * len(X))           # ∂(mean squared error)/∂p
grad_a1, grad_W1, grad_b1 = dense_backward(a1, W1, b1, grad_p, "linear")
_, grad_W0, grad_b0 = dense_backward(X, W0, b0, grad_a1, "tanh")

loss, gdsim_grads = model.loss_and_grads(X, Y)
yours = np.concatenate([g.ravel() for g in (grad_W0, grad_b0, grad_W1, grad_b1)])
theirs = np.concatenate([g.ravel() for g in gdsim_grads])

fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.scatter(theirs, yours, s=14)
lim = 1.1 * np.abs(theirs).max()
ax.plot([-lim, lim], [-lim, lim], color="grey", lw=0.8, zorder=0)
ax.set_xlabel("gdsim MLP gradient")
ax.set_ylabel("your chained dense_backward")
ax.set_title(f"all {yours.size} gradients of MLP([2, 8, 3])")
plt.show()
difference = np.abs(yours - theirs).max()
print(f"largest difference: {difference:.1e}")""",
    picture_check=r"""
assert difference < 1e-12""",
    things_to_try=r"""
## Things to try

1. Switch the hidden layer to `"relu"`, both in the `MLP(...)` call and in your chain (forward
   `np.maximum(z, 0)`). Some hidden units may be dead on every row. What are their gradients?
2. Add a hidden layer, `MLP([2, 8, 8, 3])`, and chain three calls of `dense_backward`.
3. Train with your gradients: repeat the forward and backward pass, and feed the four gradients
   to `gdsim.SGD(lr=0.5)` (`opt.init`, `opt.update`) for 200 steps. Then compare the loss with
   `gdsim.nn.fit` on the same model.""",
)
