"""Optimizers: SGD (momentum, Nesterov), Adagrad, RMSprop, Adam, AdamW.

Each class holds hyperparameters; the state is an explicit record the caller owns:

    opt = gdsim.Adam(lr=0.01)
    state = opt.init(params)
    params, state = opt.update(params, grad, state)      # one step

PyTorch semantics and defaults by default, number for number (REFERENCE.md §1).
``convention="keras"`` switches to Keras 3 numerics (§2.1): momentum kept in parameter
units, Adam's "epsilon hat", epsilon inside the square root for Adagrad and RMSprop,
decoupled weight decay on every optimizer, and Keras's defaults for anything not given.

Every hyperparameter may be a number, an array that broadcasts against the runs (a sweep),
or a schedule (a callable of the 0-based step). ``opt.at(step)`` resolves them all; the caller
shapes per-run arrays so they broadcast against ``params`` and passes them as ``hp``.
``update`` is purely functional: it returns new arrays and never touches its inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import arguments

CONVENTIONS = ("pytorch", "keras")

# Defaults that differ between conventions; anything not listed is the same in both.
_DEFAULTS = {
    "pytorch": {
        "SGD": {"lr": 1e-3},
        "Adagrad": {"lr": 1e-2, "eps": 1e-10, "initial_accumulator_value": 0.0},
        "RMSprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8},
        "Adam": {"lr": 1e-3, "eps": 1e-8, "weight_decay": 0.0},
        "AdamW": {"lr": 1e-3, "eps": 1e-8, "weight_decay": 1e-2},
    },
    "keras": {
        "SGD": {"lr": 1e-2},
        "Adagrad": {"lr": 1e-3, "eps": 1e-7, "initial_accumulator_value": 0.1},
        "RMSprop": {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7},
        "Adam": {"lr": 1e-3, "eps": 1e-7, "weight_decay": 0.0},
        "AdamW": {"lr": 1e-3, "eps": 1e-7, "weight_decay": 4e-3},
    },
}


def _is_zero(value):
    """True for a hyperparameter that is exactly the number 0 (so its term can be skipped).

    Resolved scalars are Python floats (see ``Optimizer.at``), so a type check suffices; this
    runs on every update of every tensor.
    """
    return isinstance(value, (int, float)) and value == 0


def _any_nonzero(value):
    """True unless every element of a resolved hyperparameter is 0."""
    return bool(np.any(np.asarray(value) != 0))


class Optimizer:
    """Base class: hyperparameter storage, checking and resolution; subclasses give the maths.

    Subclasses list their hyperparameters in ``_hyper`` as ``name -> check`` where ``check`` is
    applied to numbers and arrays at construction and to schedule values when resolved.
    """

    _hyper: dict = {}

    def __init__(self, convention="pytorch", **hyperparameters):
        self.convention = arguments.check_choice("convention", convention, CONVENTIONS)
        defaults = _DEFAULTS[convention].get(type(self).__name__, {})
        for name, value in hyperparameters.items():
            if value is None:
                value = defaults[name]
            if not callable(value):
                value = self._check(name, value)
            setattr(self, name, value)

    # -- hyperparameters -------------------------------------------------------------------
    def _check(self, name, value):
        """Check a number or array for hyperparameter ``name``; return it as float or array."""
        if isinstance(value, (list, tuple)):
            value = np.asarray(value, dtype=float)
        self._hyper[name](name, value)
        return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)

    def hyperparameters(self):
        """Every hyperparameter by name: a number, an array or a schedule."""
        return {name: getattr(self, name) for name in self._hyper}

    def at(self, step):
        """Every hyperparameter resolved at the 0-based ``step`` (schedules evaluated and checked)."""
        resolved = {}
        for name, value in self.hyperparameters().items():
            if callable(value):
                value = np.asarray(value(step), dtype=float)
                # a schedule may reach lr = 0 (cosine to eta_min=0), never below
                check = arguments.check_nonnegative if name == "lr" else self._hyper[name]
                check(f"{name} (from its schedule at step {step})", value)
                value = float(value) if value.ndim == 0 else value
            resolved[name] = value
        return resolved

    def with_hyperparameters(self, **changes):
        """A copy with some hyperparameters replaced (checked like the constructor's)."""
        unknown = set(changes) - set(self._hyper)
        if unknown:
            raise arguments.unknown_name_error(f"{type(self).__name__} hyperparameter",
                                               sorted(unknown)[0], self._hyper)
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        for name, value in changes.items():
            setattr(copy, name, value if callable(value) else copy._check(name, value))
        copy._check_combination()
        return copy

    def _check_combination(self):
        """Checks that involve several hyperparameters; subclasses override."""

    def __repr__(self):
        def show(value):
            if callable(value):
                return repr(value)
            if np.ndim(value) == 0:
                return f"{value:g}"
            return f"array(shape={np.shape(value)})"

        parts = [f"{name}={show(value)}" for name, value in self.hyperparameters().items()]
        parts += [f"{flag}={getattr(self, flag)}" for flag in self._flags if getattr(self, flag)]
        if self.convention != "pytorch":
            parts.append(f"convention={self.convention!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    _flags: tuple = ()

    def label(self):
        """A short legend label: the class name and the hyperparameters that differ from defaults."""
        defaults = type(self)(convention=self.convention)
        parts = []
        for name, value in self.hyperparameters().items():
            default = getattr(defaults, name)
            if callable(value) or np.ndim(value) or value != default:
                parts.append(f"{name}={value:g}" if np.ndim(value) == 0 and not callable(value)
                             else f"{name}={type(value).__name__ if callable(value) else 'array'}")
        parts += [flag for flag in self._flags if getattr(self, flag)]
        return type(self).__name__ + (f" ({', '.join(parts)})" if parts else "")

    # -- the maths ---------------------------------------------------------------------------
    def init(self, params):
        raise NotImplementedError

    def update(self, params, grad, state, hp=None):
        raise NotImplementedError

    @staticmethod
    def _keras_decoupled_decay(params, lr, weight_decay):
        """Keras 3 applies weight decay to every optimizer, decoupled: θ ← θ − θ·λ·η."""
        if _is_zero(weight_decay):
            return params
        return params - params * weight_decay * lr


_lr = arguments.check_positive


def _unit_interval(name, value):
    arguments.check_in_range(name, value, 0.0, 1.0)


_nonnegative = arguments.check_nonnegative


class SGDState(NamedTuple):
    step: int
    momentum_buffer: np.ndarray | None


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and Nesterov momentum.

    PyTorch:  g ← g + λθ;  b ← g on the first step, then b ← μ·b + (1−τ)·g;
              θ ← θ − η·(g + μ·b) with Nesterov, else θ ← θ − η·b      (b in gradient units)
    Keras:    m ← μ·m − η·g;  θ ← θ + μ·m − η·g with Nesterov, else θ ← θ + m
              (m in parameter units; the two agree while η is constant)
    """

    _hyper = {"lr": _lr, "momentum": _unit_interval, "dampening": _nonnegative, "weight_decay": _nonnegative}

    def __init__(self, lr=None, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 *, convention="pytorch"):
        super().__init__(convention, lr=lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)
        self._check_combination()

    _flags = ("nesterov",)

    def _check_combination(self):
        if self.nesterov:
            momentum_zero = not callable(self.momentum) and np.any(np.asarray(self.momentum) == 0)
            dampening_set = callable(self.dampening) or _any_nonzero(self.dampening)
            if momentum_zero or dampening_set:
                raise ValueError("nesterov=True requires momentum > 0 and dampening = 0, "
                                 f"got momentum={self.momentum}, dampening={self.dampening}")

    @property
    def _uses_momentum(self):
        return not _is_zero(self.momentum)

    def init(self, params):
        params = np.asarray(params, dtype=float)
        buffer = np.zeros_like(params) if self._uses_momentum else None
        return SGDState(step=0, momentum_buffer=buffer)

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, momentum, weight_decay = hp["lr"], hp["momentum"], hp["weight_decay"]
        if self.convention == "keras":
            return self._update_keras(params, grad, state, lr, momentum, weight_decay)
        g = grad if _is_zero(weight_decay) else grad + weight_decay * params
        if not self._uses_momentum:
            return params - lr * g, SGDState(state.step + 1, None)
        if state.step == 0:
            buffer = g.copy()  # PyTorch's first step: the buffer is the raw gradient, no dampening
        else:
            buffer = momentum * state.momentum_buffer + (1 - hp["dampening"]) * g
        direction = g + momentum * buffer if self.nesterov else buffer
        if not _is_zero(hp["dampening"]) and np.any(np.asarray(momentum) == 0):
            # PyTorch skips the buffer entirely for a zero momentum; match it run by run
            direction = np.where(np.asarray(momentum) == 0, g, direction)
        return params - lr * direction, SGDState(state.step + 1, buffer)

    def _update_keras(self, params, grad, state, lr, momentum, weight_decay):
        params = self._keras_decoupled_decay(params, lr, weight_decay)
        if not self._uses_momentum:
            return params - lr * grad, SGDState(state.step + 1, None)
        velocity = momentum * state.momentum_buffer - lr * grad
        step = momentum * velocity - lr * grad if self.nesterov else velocity
        return params + step, SGDState(state.step + 1, velocity)


class AdagradState(NamedTuple):
    step: int
    sum: np.ndarray


class Adagrad(Optimizer):
    """Adagrad: per-coordinate steps shrink with the sum of squared gradients.

    PyTorch:  g ← g + λθ;  η_t = η / (1 + (t−1)·lr_decay);  s ← s + g²;  θ ← θ − η_t·g / (√s + ε)
    Keras:    s ← s + g²;  θ ← θ − η·g / √(s + ε)          (ε inside the root; s starts at 0.1)
    """

    _hyper = {"lr": _lr, "lr_decay": _nonnegative, "weight_decay": _nonnegative,
              "initial_accumulator_value": _nonnegative, "eps": _nonnegative}

    def __init__(self, lr=None, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=None,
                 eps=None, *, convention="pytorch"):
        super().__init__(convention, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)

    def init(self, params):
        params = np.asarray(params, dtype=float)
        initial = self.initial_accumulator_value
        # A per-run array or a schedule cannot be laid out against params here (the caller
        # shapes per-run values); the first update takes it from ``hp`` like every hyperparameter.
        initial = initial if np.ndim(initial) == 0 and not callable(initial) else 0.0
        return AdagradState(step=0, sum=np.full_like(params, initial))

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, eps, weight_decay = hp["lr"], hp["eps"], hp["weight_decay"]
        t = state.step + 1
        if state.step == 0:  # the accumulator starts at initial_accumulator_value, run by run
            state = state._replace(sum=np.zeros_like(state.sum) + hp["initial_accumulator_value"])
        if not _is_zero(hp["lr_decay"]):
            lr = lr / (1 + (t - 1) * hp["lr_decay"])
        if self.convention == "keras":
            params = self._keras_decoupled_decay(params, lr, weight_decay)
            accumulator = state.sum + grad * grad
            return params - lr * grad / np.sqrt(accumulator + eps), AdagradState(t, accumulator)
        g = grad if _is_zero(weight_decay) else grad + weight_decay * params
        accumulator = state.sum + g * g
        return params - lr * g / (np.sqrt(accumulator) + eps), AdagradState(t, accumulator)


class RMSpropState(NamedTuple):
    step: int
    square_avg: np.ndarray
    grad_avg: np.ndarray | None
    momentum_buffer: np.ndarray | None


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    PyTorch:  v ← α·v + (1−α)·g²;  D = √v + ε  (centered: ḡ ← α·ḡ + (1−α)·g, D = √(v − ḡ²) + ε)
              θ ← θ − η·g/D, or with momentum b ← μ·b + g/D, θ ← θ − η·b        (no bias correction)
    Keras:    D = √(v + ε) (centered √(v − ḡ² + ε));  inc = η·g/D;  M ← μ·M + inc;  θ ← θ − M
    """

    _hyper = {"lr": _lr, "alpha": _unit_interval, "eps": _nonnegative, "weight_decay": _nonnegative,
              "momentum": _unit_interval}

    def __init__(self, lr=None, alpha=None, eps=None, weight_decay=0.0, momentum=0.0, centered=False,
                 *, convention="pytorch"):
        super().__init__(convention, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum)
        if not isinstance(centered, (bool, np.bool_)):
            raise TypeError(f"centered must be True or False, got {centered!r}")
        self.centered = bool(centered)

    _flags = ("centered",)

    def init(self, params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return RMSpropState(step=0, square_avg=zeros,
                            grad_avg=zeros.copy() if self.centered else None,
                            momentum_buffer=zeros.copy() if not _is_zero(self.momentum) else None)

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, alpha, eps, momentum, weight_decay = (hp["lr"], hp["alpha"], hp["eps"], hp["momentum"],
                                                  hp["weight_decay"])
        keras = self.convention == "keras"
        if keras:
            params = self._keras_decoupled_decay(params, lr, weight_decay)
            g = grad
        else:
            g = grad if _is_zero(weight_decay) else grad + weight_decay * params
        square_avg = alpha * state.square_avg + (1 - alpha) * g * g
        grad_avg = alpha * state.grad_avg + (1 - alpha) * g if self.centered else None
        variance = square_avg - grad_avg * grad_avg if self.centered else square_avg
        if keras:
            increment = lr * g / np.sqrt(variance + eps)
            if state.momentum_buffer is None:
                return params - increment, RMSpropState(state.step + 1, square_avg, grad_avg, None)
            buffer = momentum * state.momentum_buffer + increment
            return params - buffer, RMSpropState(state.step + 1, square_avg, grad_avg, buffer)
        scaled = g / (np.sqrt(variance) + eps)
        if state.momentum_buffer is None:
            return params - lr * scaled, RMSpropState(state.step + 1, square_avg, grad_avg, None)
        buffer = momentum * state.momentum_buffer + scaled
        return params - lr * buffer, RMSpropState(state.step + 1, square_avg, grad_avg, buffer)


class AdamState(NamedTuple):
    step: int
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray | None


class Adam(Optimizer):
    """Adam: momentum on the gradient, divided by a running RMS, both bias-corrected.

    PyTorch:  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  m̂ = m/(1−β1^t);  v̂ = v/(1−β2^t)
              θ ← θ − η·m̂ / (√v̂ + ε)        (ε after the bias correction; amsgrad uses max v)
              weight decay: g ← g + λθ (Adam) or θ ← θ·(1 − ηλ) first (AdamW, decoupled)
    Keras:    θ ← θ − η·√(1−β2^t)/(1−β1^t) · m / (√v + ε)   ("epsilon hat", on the uncorrected √v)
    """

    _hyper = {"lr": _lr, "beta1": _unit_interval, "beta2": _unit_interval, "eps": _nonnegative,
              "weight_decay": _nonnegative}
    _decoupled = False

    def __init__(self, lr=None, betas=(0.9, 0.999), eps=None, weight_decay=None, amsgrad=False,
                 *, convention="pytorch"):
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        super().__init__(convention, lr=lr, beta1=betas[0], beta2=betas[1], eps=eps,
                         weight_decay=weight_decay)
        if not isinstance(amsgrad, (bool, np.bool_)):
            raise TypeError(f"amsgrad must be True or False, got {amsgrad!r}")
        self.amsgrad = bool(amsgrad)

    _flags = ("amsgrad",)

    @property
    def betas(self):
        return (self.beta1, self.beta2)

    def init(self, params):
        zeros = np.zeros_like(np.asarray(params, dtype=float))
        return AdamState(step=0, exp_avg=zeros, exp_avg_sq=zeros.copy(),
                         max_exp_avg_sq=zeros.copy() if self.amsgrad else None)

    def update(self, params, grad, state, hp=None):
        hp = self.at(state.step) if hp is None else hp
        lr, beta1, beta2, eps, weight_decay = (hp["lr"], hp["beta1"], hp["beta2"], hp["eps"],
                                               hp["weight_decay"])
        t = state.step + 1
        g = grad
        if self.convention == "keras":
            params = self._keras_decoupled_decay(params, lr, weight_decay)
        elif self._decoupled:
            params = params if _is_zero(weight_decay) else params * (1 - lr * weight_decay)
        elif not _is_zero(weight_decay):
            g = grad + weight_decay * params
        exp_avg = beta1 * state.exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g * g
        max_exp_avg_sq = None
        second_moment = exp_avg_sq
        if self.amsgrad:
            max_exp_avg_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq)
            second_moment = max_exp_avg_sq
        # np.power even for a float: Python's pow and NumPy's differ in the last bit, and a
        # per-run array of betas must give the same numbers as separate runs
        bias_correction1 = 1 - np.power(np.asarray(beta1, dtype=float), t)
        bias_correction2 = 1 - np.power(np.asarray(beta2, dtype=float), t)
        if self.convention == "keras":
            step_size = lr * np.sqrt(bias_correction2) / bias_correction1
            new_params = params - step_size * exp_avg / (np.sqrt(second_moment) + eps)
        else:
            denom = np.sqrt(second_moment) / np.sqrt(bias_correction2) + eps
            new_params = params - (lr / bias_correction1) * exp_avg / denom
        return new_params, AdamState(t, exp_avg, exp_avg_sq, max_exp_avg_sq)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, θ ← θ·(1 − η·λ) before the Adam step.

    Same update as :class:`Adam`; only the default ``weight_decay`` (1e-2, Keras 4e-3) and
    its decoupling differ.
    """

    _decoupled = True


REGISTRY = {
    "sgd": (SGD, "stochastic gradient descent, optionally with momentum or Nesterov momentum"),
    "adagrad": (Adagrad, "per-coordinate steps shrinking with the sum of squared gradients"),
    "rmsprop": (RMSprop, "gradient divided by a running RMS of recent gradients"),
    "adam": (Adam, "bias-corrected momentum divided by a running RMS (Kingma & Ba)"),
    "adamw": (AdamW, "Adam with decoupled weight decay (Loshchilov & Hutter)"),
}


def names():
    """The registered optimizer names."""
    return list(REGISTRY)


def describe():
    """``{name: one-line description}`` for every optimizer."""
    return {name: description for name, (_, description) in REGISTRY.items()}


def get(name, **hyperparameters):
    """Build an optimizer by name: ``get("adam", lr=0.01)``."""
    key = str(name).lower()
    if key not in REGISTRY:
        raise arguments.unknown_name_error("optimizer", name, REGISTRY)
    return REGISTRY[key][0](**hyperparameters)
