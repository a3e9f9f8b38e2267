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

import numpy as np

from gdsim import arguments

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
