"""A multilayer perceptron written out by hand: forward pass, backward pass, losses, no autograd.

A whole *population* of K independent networks lives in one set of arrays with a leading axis:
layer ``l`` has weights ``W_l (K, fan_in, fan_out)`` and biases ``b_l (K, fan_out)``, and one
``np.matmul`` pushes a batch through all K at once. Member ``k`` computes exactly what a lone
network with the same weights would.

Inside, each layer keeps its bias as one more row of its weight matrix, ``θ_l = [W_l; b_l]`` of
shape ``(K, fan_in + 1, fan_out)``: the bias is the weight of an input that is always 1. One
optimizer call updates a whole layer — the same numbers as separate tensors, because every
optimizer acts element by element — and the inputs, given a column of ones once per ``fit``, meet
the first layer in a single matmul ``[X, 1] θ_1``. (Hidden activations stay contiguous and add
their bias row explicitly: appending a column to them each step would cost more than it saves.)
``get_weights`` / ``set_weights`` speak Keras' separate ``[W0, b0, W1, b1, ...]``.

Forward, for inputs ``a_0 = X`` and layers ``l = 1..L``::

    z_l = a_{l-1} W_l + b_l          a_l = φ(z_l)   (hidden layers)      p = σ(z_L)   (output)

Backward, from ``δ_L = ∂ℓ/∂z_L`` (given by the loss, below) down to the inputs::

    ∂ℓ/∂W_l = a_{l-1}ᵀ δ_l        ∂ℓ/∂b_l = Σ_rows δ_l        δ_{l-1} = (δ_l W_lᵀ) ⊙ φ'(z_{l-1})

with ``φ'`` read off the stored activation: relu ``[a > 0]``, leaky relu ``1`` or ``0.01``,
tanh ``1 − a²``, sigmoid ``a(1 − a)``, linear ``1``. The loss ``ℓ`` of a batch is the mean of the
per-row losses ``ℓ_i`` over its ``n`` rows, so every ``δ_L`` carries a ``1/n``.

Losses, for one row with logits ``z``, target ``y`` and ``C`` outputs:

* categorical cross-entropy (softmax output), from the logits with log-sum-exp so that no logit
  overflows: ``ℓ_i = log Σ_c e^{z_c − m} − (y·z − m)`` with ``m = max_c z_c`` and ``Σ_c y_c = 1``;
  ``∂ℓ_i/∂z = softmax(z) − y``.
* binary cross-entropy (sigmoid output), per output, averaged over the ``C`` outputs:
  ``ℓ_i = mean_c [max(z, 0) − z·y + log(1 + e^{−|z|})]``; ``∂ℓ_i/∂z = (σ(z) − y)/C``.
* mean squared error (any output): ``ℓ_i = mean_c (p − y)²``; ``∂ℓ_i/∂p = 2(p − y)/C``, then
  through the output: sigmoid ``⊙ p(1 − p)``, linear ``⊙ 1``, softmax ``p ⊙ (g − Σ_c g_c p_c)``.

Defaults follow Keras where the seed tutorial relies on them: hidden layers ``he_uniform``, the
output layer ``glorot_uniform``, zero biases.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.nn import saving
from gdsim.nn.initializers import INITS, initialize, member_seeds, seed_streams
from gdsim.sim import resources

LEAKY_SLOPE = 0.01  # PyTorch's default negative slope (Keras' LeakyReLU layer uses 0.3)


def _sigmoid(z):
    # the tanh form never overflows, unlike 1 / (1 + exp(-z)) for large negative z
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def _sigmoid_into(z, out):
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _leaky_relu_into(z, out):
    np.copyto(out, np.where(z > 0, z, LEAKY_SLOPE * z))
    return out


# name -> (φ written into ``out`` and returned — linear returns z itself, out being z —, φ' in
# terms of the activation's output a). The forward pass passes out=z: z is a fresh (or buffered)
# array, and overwriting it saves an allocation.
ACTIVATIONS = {
    "relu": (lambda z, out: np.maximum(z, 0.0, out=out), lambda a: a > 0),
    "tanh": (lambda z, out: np.tanh(z, out=out), lambda a: 1.0 - a * a),
    "sigmoid": (_sigmoid_into, lambda a: a * (1.0 - a)),
    "leaky_relu": (_leaky_relu_into, lambda a: np.where(a > 0, 1.0, LEAKY_SLOPE)),
    "linear": (lambda z, out: z, lambda a: 1.0),
}

OUTPUTS = ("softmax", "sigmoid", "linear")

LOSSES = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid", "mse": None}
_LOSS_ALIASES = {"mean_squared_error": "mse", "crossentropy": "categorical_crossentropy"}
_DEFAULT_LOSS = {
    "softmax": "categorical_crossentropy",
    "sigmoid": "binary_crossentropy",
    "linear": "mse",
}


# NumPy's reductions over a short axis (3 classes; a batch of 32 rows) cost several times the
# arithmetic they do, and fit's inner loop is made of them. A product with a vector of ones is
# one BLAS call and about 4x faster; the maximum over a few classes is a chain of np.maximum.
def _ones(n, _cache={}):  # noqa: B006 - a deliberate cache of read-only vectors of ones
    if n not in _cache:
        _cache[n] = np.ones(n)
        _cache[n].flags.writeable = False
    return _cache[n]


def _row_sum(x):
    """Σ over the last axis, keeping it: ``(..., C) -> (..., 1)``."""
    return np.matmul(x, _ones(x.shape[-1]))[..., None]


def _member_sum(x):
    """Σ over the last axis of ``(K, n)``, one product per member: ``(K, n) -> (K,)``.

    BLAS sums a row of a matrix-vector product in an order that depends on how many rows the
    matrix has, so a product of the whole ``(K, n)`` block would give member k a sum that differs
    in the last bit from the same network's alone. Row by row, ``(1, n)`` each, it cannot."""
    return np.matmul(x[..., None, :], _ones(x.shape[-1]))[..., 0]


def _row_max(x):
    """max over the last axis, keeping it (NaN propagates)."""
    if x.shape[-1] > 8:
        return x.max(axis=-1, keepdims=True)
    m = x[..., 0]
    for c in range(1, x.shape[-1]):
        m = np.maximum(m, x[..., c])
    return m[..., None]


class MLP:
    """A fully connected network, or a population of K of them trained side by side.

    ``MLP([2, 50, 3])`` is the seed tutorial's model: 2 inputs, a hidden layer of 50 relu units
    (``he_uniform``), 3 softmax outputs (``glorot_uniform``), categorical cross-entropy.
    ``population=K`` builds K networks with a leading axis on every array; ``seed`` is an int
    (shared by all members), a sequence (one per member; it also sets K) or ``None``.
    ``population=None`` is a single network whose results carry no population axis.
    """

    def __init__(
        self,
        layers,
        activation="relu",
        output="softmax",
        loss=None,
        init="he_uniform",
        output_init="glorot_uniform",
        population=None,
        seed=None,
    ):
        if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__") or len(layers) < 2:
            raise ValueError(
                f"layers must list at least 2 sizes (inputs, ..., outputs), got {layers!r}"
            )
        self.layers = [
            arguments.check_int(f"layer size layers[{i}]", n, minimum=1)
            for i, n in enumerate(layers)
        ]
        self.activation = arguments.check_choice("activation", activation, ACTIVATIONS)
        self.output = arguments.check_choice("output", output, OUTPUTS)
        loss = _DEFAULT_LOSS[output] if loss is None else _LOSS_ALIASES.get(loss, loss)
        self.loss = arguments.check_choice("loss", loss, LOSSES)
        if LOSSES[self.loss] not in (None, self.output):
            raise ValueError(
                f"loss {self.loss!r} needs output={LOSSES[self.loss]!r}, got output={output!r}"
            )
        self.init = arguments.check_choice("init", init, INITS)
        self.output_init = arguments.check_choice("output_init", output_init, INITS)
        if population is None and seed is not None and np.ndim(seed) > 0:
            population = len(np.asarray(seed).reshape(-1))
        self.single = population is None
        self.population = (
            1 if population is None else arguments.check_int("population", population, minimum=1)
        )
        # look before allocating: every member's weights, then all of them stacked
        resources.check_memory(
            resources.population_bytes(self.layers, self.population),
            f"MLP({self.layers}, population={self.population})",
            "use a smaller population or fewer or narrower layers",
        )
        self.seeds = member_seeds(seed, self.population)
        self._phi, self._dphi = ACTIVATIONS[self.activation]
        self.theta = self._initial_theta()
        self.frozen = 0

    def shuffle_streams(self):
        """Each member's shuffle generator, derived from its seed; ``fit`` continues them across
        calls, so two fits of 5 epochs shuffle like one of 10."""
        if getattr(self, "_shuffle_rngs", None) is None:
            self._shuffle_rngs = [seed_streams(seed)[1] for seed in self.seeds]
        return self._shuffle_rngs

    def _initial_theta(self):
        members = []
        for seed in self.seeds:
            rng, _ = seed_streams(seed)
            layers = []
            for index, (fan_in, fan_out) in enumerate(zip(self.layers[:-1], self.layers[1:])):
                name = self.output_init if index == len(self.layers) - 2 else self.init
                layers.append(
                    np.vstack([initialize(name, rng, fan_in, fan_out), np.zeros(fan_out)])
                )
            members.append(layers)
        return [np.stack(layer) for layer in zip(*members)]

    def split(self, theta=None):
        """``[W0, b0, W1, b1, ...]`` (views, population axis kept) from per-layer ``θ``."""
        out = []
        for t in self.theta if theta is None else theta:
            out += [t[:, :-1, :], t[:, -1, :]]
        return out

    def join(self, weights):
        """Per-layer ``θ (K, fan_in + 1, fan_out)`` from ``[W0, b0, ...]`` (population axis
        kept)."""
        return [
            np.concatenate([W, b[:, None, :]], axis=1) for W, b in zip(weights[::2], weights[1::2])
        ]

    # -- introspection --------------------------------------------------------------------------
    @property
    def n_layers(self):
        return len(self.layers) - 1

    # -- freezing ------------------------------------------------------------------------------
    def freeze(self, n=-1):
        """Exclude the first ``n`` layers from training (fastai's ``freeze_to(n)``).

        ``fit`` then neither changes their ``θ`` nor gives them optimizer state, and the backward
        pass stops at the first trainable layer. ``n`` counts like a slice end: the default ``-1``
        freezes every layer but the last (the head, fastai's ``freeze()``); ``0`` unfreezes.
        Returns the model, so ``model.freeze().copy()`` chains.
        """
        L = self.n_layers
        n = arguments.check_int("n (layers to freeze)", n)
        if not -L <= n <= L:
            raise ValueError(f"n (layers to freeze) must be in [{-L}, {L}] for {L} layers, got {n}")
        self.frozen = n % L if n < 0 else n
        return self

    def unfreeze(self):
        """Train every layer again (``freeze(0)``)."""
        self.frozen = 0
        return self

    @property
    def trainable(self):
        """One bool per layer: does ``fit`` update it?"""
        return [layer >= getattr(self, "frozen", 0) for layer in range(self.n_layers)]

    @property
    def n_outputs(self):
        return self.layers[-1]

    @property
    def n_params(self):
        """Trainable numbers in one member."""
        return sum(t[0].size for t in self.theta)

    def __repr__(self):
        pop = "" if self.single else f", population={self.population}"
        return (
            f"MLP({self.layers}, activation={self.activation!r}, output={self.output!r}, "
            f"loss={self.loss!r}{pop})"
        )

    # -- weights -----------------------------------------------------------------------------------
    def _shapes(self, with_population=True):
        lead = (self.population,) if with_population else ()
        shapes = []
        for fan_in, fan_out in zip(self.layers[:-1], self.layers[1:]):
            shapes += [lead + (fan_in, fan_out), lead + (fan_out,)]
        return shapes

    def get_weights(self):
        """``[W0, b0, W1, b1, ...]`` as copies; ``W (K, fan_in, fan_out)``, ``b (K, fan_out)``
        (no K axis for a single network), as Keras lists them."""
        return [p[0].copy() if self.single else p.copy() for p in self.split()]

    def set_weights(self, weights):
        """Replace every parameter. An array without the population axis is given to every
        member."""
        weights = list(weights)
        if len(weights) != 2 * self.n_layers:
            raise ValueError(
                f"set_weights expects {2 * self.n_layers} arrays [W0, b0, ...], got {len(weights)}"
            )
        new = []
        for i, (w, shape) in enumerate(zip(weights, self._shapes())):
            w = np.asarray(w, dtype=float)
            if w.shape not in (shape, shape[1:]):
                raise ValueError(
                    f"weights[{i}] must have shape {shape} or {shape[1:]}, got {w.shape}"
                )
            new.append(np.array(np.broadcast_to(w, shape)))
        self.theta = self.join(new)

    def save_weights(self, path):
        """Write the whole model to the ``.npz`` file ``path`` (no pickle) and return ``path``.

        The file keeps everything needed to go on training as if it had never been saved: the
        architecture, the population, the frozen layers, each member's seed and the state of its
        shuffle stream, and the weights bit for bit (entries: :mod:`gdsim.nn.saving`)."""
        return saving.write(self, path)

    def load_weights(self, path):
        """Read the weights of a file written by :meth:`save_weights` into this model, exactly.

        Only the weights: the file must have this model's layer sizes and population (one
        network's file and a population of one fit each other). :meth:`MLP.load` rebuilds the
        whole model. A damaged file, or one that does not fit, is a ValueError naming it."""
        with saving.ModelFile(path) as file:
            weights = file.weights(self.layers, self.population, self.single)
        self.set_weights(weights)

    @classmethod
    def load(cls, path):
        """The model saved with :meth:`save_weights`, as it was: architecture, population, frozen
        layers, seeds, shuffle streams and weights."""
        with saving.ModelFile(path) as file:
            config = file.config()
            weights = file.weights()
            try:
                model = cls(
                    config["layers"],
                    **{name: config[name] for name in saving.NAMES},
                    population=None if config["single"] else config["population"],
                    seed=config["seeds"][0] if config["single"] else config["seeds"],
                )
                model.freeze(config["frozen"])
            except (TypeError, ValueError) as error:
                raise file.error(f"does not describe a valid model: {error}") from None
        model.set_weights(weights)
        model._shuffle_rngs = [saving.stream(words) for words in config["streams"]]
        return model

    def copy(self):
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.theta = [t.copy() for t in self.theta]
        clone._buffers = {}
        clone.seeds = list(self.seeds)
        clone._shuffle_rngs = None
        return clone

    # -- checking data -------------------------------------------------------------------------
    def check_X(self, X, name="X"):
        X = arguments.as_real_array(name, X, what=f"numbers of shape (n_samples, {self.layers[0]})")
        if X.ndim != 2 or X.shape[1] != self.layers[0]:
            raise ValueError(f"{name} must have shape (n_samples, {self.layers[0]}), got {X.shape}")
        arguments.check_finite(name, X)
        return X

    def targets(self, y, n_rows, name="y"):
        """Targets as float rows ``(n, C)`` plus integer class labels ``(n,)`` for accuracy.

        Integer labels are one-hot encoded; for cross-entropy they must lie in ``[0, C)``.
        With a single output the label is ``y > 0.5``."""
        C = self.n_outputs
        # numbers only: labels "0", "1" or "cat" are not silently parsed
        y = arguments.as_real_array(name, y, what=f"class labels (n,) or target rows (n, {C})")
        if y.ndim == 0 or len(y) != n_rows:
            raise ValueError(
                f"X and {name} must have the same length, got {n_rows} and "
                f"{len(y) if y.ndim else 'a single number'}"
            )
        arguments.check_finite(name, y)
        if y.ndim == 2 and y.shape[1] == C:
            Y = y.astype(float)
        elif y.ndim == 1 and C == 1:
            Y = y.astype(float)[:, None]
        elif y.ndim == 1:
            if not np.all(np.mod(y, 1) == 0):
                raise ValueError(f"{name} must hold integer class labels for {C} outputs")
            arguments.check_in_range(f"labels in {name}", y, 0, C)
            Y = np.zeros((n_rows, C))
            Y[np.arange(n_rows), y.astype(np.int64)] = 1.0
        else:
            raise ValueError(f"{name} must be labels (n,) or rows (n, {C}), got shape {y.shape}")
        if self.loss == "categorical_crossentropy" and (
            np.any(Y < 0) or not np.allclose(Y.sum(1), 1)
        ):
            raise ValueError(
                f"{name} rows must be one-hot or probabilities summing to 1 for cross-entropy"
            )
        if self.loss == "binary_crossentropy" and (np.any(Y < 0) or np.any(Y > 1)):
            raise ValueError(f"{name} must lie in [0, 1] for binary cross-entropy")
        labels = (Y[:, 0] > 0.5).astype(np.int64) if C == 1 else np.argmax(Y, axis=1)
        return Y, labels

    # -- the maths -----------------------------------------------------------------------------
    @staticmethod
    def with_ones(X):
        """``[X, 1]``: the inputs with the constant column that multiplies the biases."""
        return np.concatenate([X, np.ones(X.shape[:-1] + (1,))], axis=-1)

    def forward(self, A0, theta=None, reuse=False):
        """Activations ``[a_0, ..., a_{L-1}]`` and the logits ``z_L (K, n, C)``.

        ``A0 = with_ones(X)`` is ``(n, fan_in + 1)`` (shared by every member) or
        ``(K, n, fan_in + 1)`` (one batch per member). With ``reuse=True`` the hidden layers are
        computed in buffers kept from the previous call of the same shape (``fit`` and
        ``evaluate`` use them within one step), so the next such call overwrites them."""
        theta = self.theta if theta is None else theta
        acts = [A0]
        z = np.matmul(A0, theta[0], out=self._buffer(0, A0, theta[0]) if reuse else None)
        for layer, t in enumerate(theta[1:], start=1):
            a = self._phi(z, z)
            acts.append(a)
            z = np.matmul(
                a,
                t[:, :-1, :],
                out=self._buffer(layer, a, t) if reuse and layer < len(theta) - 1 else None,
            )
            z += t[:, -1:, :]
        return acts, z

    def _buffer(self, layer, a, t):
        # Fresh arrays of a few hundred kB come from the OS page by page, and the first write to
        # each page costs more than the arithmetic: on 8 members the evaluation pass ran 2-3x
        # faster once its hidden-layer buffers were kept.
        buffers = self.__dict__.setdefault("_buffers", {})
        key = (layer, a.shape, t.shape)
        if key not in buffers:
            if len(buffers) > 16:
                buffers.clear()
            buffers[key] = np.empty(
                np.broadcast_shapes(a.shape[:-2], t.shape[:-2]) + (a.shape[-2], t.shape[-1])
            )
        return buffers[key]

    def output_of(self, z):
        """σ: the output activation applied to the logits."""
        if self.output == "softmax":
            e = np.exp(z - _row_max(z))
            return e / _row_sum(e)
        return _sigmoid(z) if self.output == "sigmoid" else z

    def loss_head(self, z, Y, grad=True):
        """Per-row losses ``ℓ_i (K, n)`` and ``∂ℓ_i/∂z (K, n, C)`` (formulas in the module doc)."""
        C = z.shape[-1]
        if self.loss == "categorical_crossentropy":
            shifted = z - _row_max(z)
            e = np.exp(shifted)
            total = _row_sum(e)
            losses = np.log(total[..., 0]) - _row_sum(Y * shifted)[..., 0]
            if not grad:
                return losses, None
            e /= total
            e -= Y
            return losses, e
        if self.loss == "binary_crossentropy":
            losses = np.maximum(z, 0.0) - z * Y + np.log1p(np.exp(-np.abs(z)))
            return losses.mean(axis=-1), (_sigmoid(z) - Y) / C if grad else None
        p = self.output_of(z)
        residual = p - Y
        g = (2.0 / C) * residual
        if self.output == "sigmoid":
            g = g * p * (1.0 - p)
        elif self.output == "softmax":
            g = p * (g - _row_sum(g * p))
        return (residual * residual).mean(axis=-1), g

    def backward(self, acts, delta, theta=None, first=0):
        """Gradients per layer ``∂θ_l = [a_{l-1}ᵀ δ_l; Σ_rows δ_l]`` (rows: ``∂W_l``, then
        ``∂b_l``) from ``δ_L = ∂ℓ/∂z_L`` (already divided by n). For the first layer the column of
        ones in ``a_0`` makes that one product. Layers below ``first`` (frozen) get ``None``:
        the pass stops there, so a frozen body costs no backward work."""
        theta = self.theta if theta is None else theta
        grads = [None] * len(theta)
        for layer in reversed(range(first, len(theta))):
            a = acts[layer]
            a_t = a.T if a.ndim == 2 else a.transpose(0, 2, 1)
            if layer == 0:
                grads[0] = np.matmul(a_t, delta)
                break
            grad = np.empty(theta[layer].shape)
            np.matmul(a_t, delta, out=grad[:, :-1, :])
            np.matmul(_ones(delta.shape[-2]), delta, out=grad[:, -1, :])
            grads[layer] = grad
            if layer == first:
                break
            # a contiguous Wᵀ makes the product ~30% faster than a transposed view
            delta = np.matmul(
                delta, np.ascontiguousarray(theta[layer][:, :-1, :].transpose(0, 2, 1))
            )
            delta *= self._dphi(a)
        return grads

    def batch(self, A0, Y, labels, theta=None, first=0):
        """One training batch: summed row losses ``(K,)``, correct rows ``(K,)`` and the gradients
        ``∂θ_l`` of the batch's mean loss (``None`` below layer ``first``). This is ``fit``'s inner
        loop, so it checks nothing."""
        acts, z = self.forward(A0, theta, reuse=True)
        losses, delta = self.loss_head(z, Y)
        delta /= z.shape[-2]
        return (
            _member_sum(losses),
            _row_sum(self._correct(z, labels))[..., 0],
            self.backward(acts, delta, theta, first),
        )

    def _correct(self, z, labels):
        if z.shape[-1] == 1:
            threshold = 0.0 if self.output == "sigmoid" else 0.5  # σ(z) > 0.5 ⇔ z > 0
            return ((z[..., 0] > threshold) == (labels == 1)).astype(float)
        # a member whose logits went non-finite is wrong, not "right by argmax of NaN"
        correct = np.argmax(z, axis=-1) == labels
        correct &= np.isfinite(_row_sum(z)[..., 0])
        return correct.astype(float)

    # -- public predictions --------------------------------------------------------------------
    def _out(self, value):
        return value[0] if self.single else value

    def loss_and_grads(self, X, y):
        """Mean loss ``(K,)`` and its gradients ``[∂W0, ∂b0, ...]`` on data ``(X, y)``."""
        X = self.check_X(X)
        Y, labels = self.targets(y, len(X))
        with np.errstate(all="ignore"):
            total, _, grads = self.batch(self.with_ones(X), Y, labels)
        return self._out(total / len(X)), [self._out(g) for g in self.split(grads)]

    def _logits(self, X):
        return self.forward(self.with_ones(self.check_X(X)))[1]

    def logits(self, X):
        with np.errstate(all="ignore"):
            return self._out(self._logits(X))

    def predict_proba(self, X):
        """Outputs after the output activation, ``(K, n, C)`` (``(n, C)`` for a single network)."""
        with np.errstate(all="ignore"):
            return self._out(self.output_of(self._logits(X)))

    def predict(self, X):
        """Class labels ``(K, n)``: argmax of the outputs, or ``output > 0.5`` for a single sigmoid
        output. A linear output (regression) returns its raw outputs ``(K, n, C)`` instead."""
        with np.errstate(all="ignore"):
            z = self._logits(X)
            if self.output == "linear":
                return self._out(z)
            if self.n_outputs == 1:
                return self._out((z[..., 0] > 0.0).astype(np.int64))  # σ(z) > 0.5 ⇔ z > 0
            return self._out(np.argmax(z, axis=-1))

    def evaluate(self, X, y, name="X"):
        """``{"loss": (K,), "accuracy": (K,)}``: mean loss and accuracy over all rows, with the
        current weights (a full forward pass, no training)."""
        X = self.check_X(X, name)
        Y, labels = self.targets(y, len(X), name="y" if name == "X" else f"y of {name}")
        loss, accuracy = self.evaluate_checked(self.with_ones(X), Y, labels)
        return {"loss": self._out(loss), "accuracy": self._out(accuracy)}

    def evaluate_checked(self, A0, Y, labels, theta=None):
        """``evaluate`` on inputs already checked and given their column of ones.

        The rows go through in chunks of ``_CHUNK / widest layer`` rows and the members in
        groups of about ``_PASS`` activations, so a large data set never needs ``(K, n, width)``
        arrays at once; the chunks' buffers are kept between epochs. The chunk's row count must
        not depend on the population: BLAS orders a product's sums by the matrices' sizes, and
        member k has to get the bits a lone network gets. Each member's row losses are summed
        in one piece at the end, for the same reason."""
        theta = self.theta if theta is None else theta
        K, n, width = theta[0].shape[0], len(A0), max(self.layers)
        rows = max(32, _CHUNK // width)
        group = max(1, _PASS // (rows * width))
        losses, correct = np.empty((K, n)), np.zeros(K)
        with np.errstate(all="ignore"):
            for first in range(0, K, group):
                members = slice(first, first + group)
                part_theta = [t[members] for t in theta]
                for start in range(0, n, rows):
                    part = slice(start, start + rows)
                    _, z = self.forward(A0[part], part_theta, reuse=True)
                    losses[members, part] = self.loss_head(z, Y[part], grad=False)[0]
                    correct[members] += _row_sum(self._correct(z, labels[part]))[..., 0]
            return _member_sum(losses) / n, correct / n


_CHUNK = 50_000  # activation elements per member in an evaluation chunk (400 kB, cache-sized)
_PASS = 2_000_000  # activation elements per evaluation pass over a group of members (16 MB)
