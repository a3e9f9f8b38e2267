"""The optimizer protocol: :class:`Optimizer` stores, checks and resolves hyperparameters;
each algorithm gives ``init`` and ``update``.

Writing your own takes a constructor and two methods, and then it works everywhere in gdsim
(``simulate``, ``sweep``, ``basins``, ``stability``, ``animate``, ``fit``, ``lr_find``)::

    class Lion(gdsim.Optimizer):
        \"\"\"Lion: c = b1*m + (1-b1)*g;  theta <- theta - lr*(sign(c) + wd*theta);
        m <- b2*m + (1-b2)*g\"\"\"
        def __init__(self, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
            super().__init__(lr=lr, beta1=betas[0], beta2=betas[1], weight_decay=weight_decay)
        def init(self, params):
            return {"exp_avg": np.zeros_like(params)}
        def update(self, params, grad, state, hp):
            c = hp["beta1"] * state["exp_avg"] + (1 - hp["beta1"]) * grad
            new_params = params - hp["lr"] * (np.sign(c) + hp["weight_decay"] * params)
            exp_avg = hp["beta2"] * state["exp_avg"] + (1 - hp["beta2"]) * grad
            return new_params, {"exp_avg": exp_avg}

- ``super().__init__(**hyperparameters)`` stores each one as an attribute and checks it: finite,
  ``lr > 0`` and the others ``>= 0``; a class declares stricter checks in ``checks``
  (``{"beta1": unit_interval}``). A value may be a number, an array with one value per run
  (a sweep) or a schedule (a callable of the 0-based step), checked when it is evaluated.
- ``init(params)`` returns the state: any record of arrays shaped like ``params`` (a dict or a
  NamedTuple; ``None`` entries and plain numbers are allowed).
- ``update(params, grad, state, hp)`` returns ``(new_params, new_state)`` and never changes its
  inputs. ``hp`` holds this step's value of every hyperparameter, shaped to broadcast against
  ``params``; the caller (the engine, ``fit``) resolves it once per step with the one resolver
  here, :meth:`Optimizer.resolve`.

``convention="keras"`` (for the classes that accept it) switches to Keras 3 numerics, and every
hyperparameter the caller did not pass takes the class's ``keras_defaults`` instead of the
signature's (PyTorch's) default.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from gdsim import arguments

CONVENTIONS = ("pytorch", "keras")


def positive(name, value):
    """The default check of ``lr``: > 0."""
    arguments.check_positive(name, value)


def nonnegative(name, value):
    """The default check of every other hyperparameter: >= 0."""
    arguments.check_nonnegative(name, value)


def unit_interval(name, value):
    """For decay rates (momentum, betas, alpha): 0 <= value < 1."""
    arguments.check_in_range(name, value, 0.0, 1.0)


def is_zero(value):
    """True for a hyperparameter that is exactly the number 0 (so its term can be skipped).

    Resolved constants are Python floats (see :class:`Hyperparameter`), so a type check
    suffices; this runs on every update of every tensor.
    """
    return isinstance(value, (int, float)) and value == 0


def any_nonzero(value):
    """True unless every element of a resolved hyperparameter is 0."""
    return bool(np.any(np.asarray(value) != 0))


def _strip_leading_ones(shape):
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape


class Hyperparameter:
    """One hyperparameter resolved over ``steps`` steps, checked: what the engine and ``fit`` read.

    ``table`` is ``(steps, *shape)`` for a schedule, or ``shape`` for a constant, where ``shape``
    (leading ones dropped) broadcasts against the runs; ``per_run`` says whether it differs
    between runs. A constant that is one number is kept as a Python float.
    """

    _PAD = 16  # trailing axes given to a schedule's step array, so array parameters broadcast

    def __init__(self, name, value, steps, check):
        self.name = name
        self.scheduled = callable(value)
        if self.scheduled:
            # steps=0 still needs the shape (one value per run?): read it off step 0
            rows = max(steps, 1)
            step_index = np.arange(rows).reshape((rows,) + (1,) * self._PAD)
            table = evaluate_schedule(name, value, step_index, check)[:steps]
            table = table.reshape((steps,) + _strip_leading_ones(table.shape[1:]))
            self.shape = table.shape[1:]
        else:
            table = np.asarray(value, dtype=float)
            self.shape = _strip_leading_ones(table.shape)
            table = table.reshape(self.shape)
        self.table = table
        self.per_run = bool(self.shape) and int(np.prod(self.shape)) > 1

    def at(self, step):
        """The value in force during ``step``: a float, or an array of ``shape``."""
        value = self.table[step] if self.scheduled else self.table
        return float(value.reshape(-1)[0]) if not self.per_run else value


def evaluate_schedule(name, schedule, step, check):
    """``schedule(step)`` as a float array broadcast against ``step``, checked with ``check``.

    A schedule may reach 0 (cosine down to ``eta_min=0``) but never go below it, so ``lr``'s
    schedule values are checked for >= 0 rather than > 0.
    """
    values = np.asarray(schedule(step), dtype=float)
    values = np.broadcast_to(values, np.broadcast_shapes(values.shape, np.shape(step)))
    if values.size:
        arguments.check_finite(f"{name} (from its schedule)", values)
        (nonnegative if check is positive else check)(f"{name} (from its schedule)", values)
    return values


def _record_given_arguments(init):
    """Wrap a subclass's ``__init__`` so the instance knows which arguments the caller passed
    (only the outermost constructor records): the Keras convention replaces the others by
    Keras's defaults, and ``label`` shows what was chosen."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapped(self, *args, **kwargs):
        if "_given" not in self.__dict__:
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError:
                bound = None  # let the real call raise Python's own message
            self._given = set(bound.arguments) - {"self"} if bound else set()
            self._init_signature = signature
        init(self, *args, **kwargs)

    return wrapped


class Optimizer:
    """Base class: hyperparameter storage, checks and resolution; subclasses give the maths.

    ``checks`` maps a hyperparameter name to a stricter check than the default (``lr > 0``,
    others ``>= 0``); ``flags`` names boolean options shown by ``repr`` and ``label``;
    ``keras_defaults`` maps names to Keras's defaults for ``convention="keras"``; ``explored``
    names what the interactive explorer shows sliders for (None: every hyperparameter but lr,
    and every flag).
    """

    checks: dict = {}
    flags: tuple = ()
    keras_defaults: dict = {}
    explored: tuple | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _record_given_arguments(cls.__dict__["__init__"])

    def __init__(self, convention="pytorch", **hyperparameters):
        self.convention = arguments.check_choice("convention", convention, CONVENTIONS)
        if convention == "keras":
            given = self.__dict__.get("_given", set(hyperparameters))
            for name, default in self.keras_defaults.items():
                if name in hyperparameters and name not in given:
                    hyperparameters[name] = default
        self._names = tuple(hyperparameters)
        for name, value in hyperparameters.items():
            setattr(self, name, value if callable(value) else self._check(name, value))
        self._check_shapes()

    # -- hyperparameters -------------------------------------------------------------------
    def check_for(self, name):
        """The check applied to hyperparameter ``name``."""
        return self.checks.get(name, positive if name == "lr" else nonnegative)

    def _check(self, name, value):
        """Check a number or array for hyperparameter ``name``; return it as float or array."""
        if isinstance(value, (list, tuple)):
            value = arguments.as_real_array(name, value)
        if np.iscomplexobj(value):
            raise TypeError(f"{name} must be a real number, not complex, got {value!r}")
        arguments.check_finite(name, value)
        self.check_for(name)(name, value)
        return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)

    def hyperparameters(self):
        """Every hyperparameter by name, in the order given: a number, an array or a schedule."""
        return {name: getattr(self, name) for name in self._names}

    def resolve(self, steps):
        """Every hyperparameter over steps ``0 .. steps-1``, checked: ``{name: Hyperparameter}``.

        This is the one place where schedules are evaluated for a run; the engine and ``fit``
        read their per-step, per-run values from it."""
        return {
            name: Hyperparameter(name, value, steps, self.check_for(name))
            for name, value in self.hyperparameters().items()
        }

    def at(self, step):
        """Every hyperparameter at the 0-based ``step`` (schedules evaluated and checked)."""
        resolved = {}
        for name, value in self.hyperparameters().items():
            if callable(value):
                value = evaluate_schedule(name, value, np.asarray(step), self.check_for(name))
                value = float(value) if value.ndim == 0 else value
            resolved[name] = value
        return resolved

    def with_hyperparameters(self, **changes):
        """A copy with some hyperparameters replaced (checked like the constructor's)."""
        unknown = set(changes) - set(self._names)
        if unknown:
            raise arguments.unknown_name_error(
                f"{type(self).__name__} hyperparameter", sorted(unknown)[0], self._names
            )
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        for name, value in changes.items():
            setattr(copy, name, value if callable(value) else copy._check(name, value))
        copy._check_shapes()
        copy._check_combination()
        return copy

    def _check_combination(self):
        """Checks that involve several hyperparameters; subclasses override."""

    def _check_shapes(self):
        """Per-run arrays must broadcast together (their shapes make the batch of runs), or a
        sweep would fail later in NumPy's words: ``lr (2,)`` with ``momentum (3,)`` is refused."""
        arguments.broadcast_shapes(
            {
                name: np.shape(value)
                for name, value in self.hyperparameters().items()
                if not callable(value)
            }
        )

    # -- how it is shown ---------------------------------------------------------------------
    def __repr__(self):
        parts = [f"{name}={_show(value)}" for name, value in self.hyperparameters().items()]
        parts += [f"{flag}={getattr(self, flag)}" for flag in self.flags if getattr(self, flag)]
        if self.convention != "pytorch":
            parts.append(f"convention={self.convention!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _defaults(self):
        """The hyperparameters of this class built with no arguments (in this convention), or
        None when the class cannot be built that way."""
        try:
            if "convention" in inspect.signature(type(self)).parameters:
                return type(self)(convention=self.convention).hyperparameters()
            return type(self)().hyperparameters()
        except (TypeError, ValueError):
            return None

    def label(self):
        """A short legend label: the class name, the lr and the hyperparameters that differ from
        the defaults, e.g. ``"SGD (lr=0.01, momentum=0.9)"``; arrays and schedules by kind."""
        defaults = self._defaults()
        parts = []
        for name, value in self.hyperparameters().items():
            default = None if defaults is None else defaults.get(name)
            if callable(value):
                parts.append(f"{name}={getattr(value, 'name', type(value).__name__)}")
            elif np.ndim(value):
                parts.append(f"{name}=array")
            elif (
                name == "lr"
                or default is None
                or callable(default)
                or np.ndim(default)
                or value != default
            ):  # the lr always: a legend must say what was run
                parts.append(f"{name}={value:g}")
        parts += [flag for flag in self.flags if getattr(self, flag)]
        return type(self).__name__ + (f" ({', '.join(parts)})" if parts else "")

    # -- the maths ---------------------------------------------------------------------------
    def init(self, params):
        """The state for ``params``: a record (dict or NamedTuple) of arrays."""
        raise NotImplementedError(f"{type(self).__name__} must define init(params)")

    def update(self, params, grad, state, hp):
        """``(new_params, new_state)`` after one step with this step's hyperparameters ``hp``."""
        raise NotImplementedError(
            f"{type(self).__name__} must define update(params, grad, state, hp)"
        )

    @staticmethod
    def keras_decoupled_decay(params, lr, weight_decay):
        """Keras 3 applies weight decay to every optimizer, decoupled: θ ← θ − θ·λ·η."""
        if is_zero(weight_decay):
            return params
        return params - params * weight_decay * lr


def _show(value):
    if callable(value):
        return repr(value)
    if np.ndim(value) == 0:
        return f"{value:g}"
    return f"array(shape={np.shape(value)})"


def check_flag(name, value):
    """A boolean option (``nesterov``, ``amsgrad``, ``maximize``...) as a bool, or a TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def freeze(new_state, old_state, frozen):
    """``new_state`` with the runs where ``frozen`` is True put back to ``old_state``.

    Works on any record of arrays (dict, NamedTuple, tuple, list); arrays that ``frozen``
    broadcasts against (the runs on the axes ``frozen`` has) are merged, anything else (step
    counters, None) is taken from ``new_state``. Used to keep a diverged run frozen, its optimizer
    state and all.
    """
    if isinstance(new_state, dict):
        return {k: freeze(v, old_state[k], frozen) for k, v in new_state.items()}
    if isinstance(new_state, tuple) and hasattr(new_state, "_fields"):
        return type(new_state)(*(freeze(n, o, frozen) for n, o in zip(new_state, old_state)))
    if isinstance(new_state, (tuple, list)):
        return type(new_state)(freeze(n, o, frozen) for n, o in zip(new_state, old_state))
    if isinstance(new_state, np.ndarray) and new_state.ndim >= frozen.ndim:
        try:
            if np.broadcast_shapes(new_state.shape, frozen.shape) == new_state.shape:
                return np.where(frozen, old_state, new_state)
        except ValueError:
            pass
    return new_state
