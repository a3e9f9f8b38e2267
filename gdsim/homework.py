"""Graders for the homework notebooks: ``check_<exercise>(student_function) -> Report``.

Each grader calls the student's function on a few seeded, randomized cases and compares every
output with gdsim's own implementation, which is the reference. It returns a :class:`Report`
and never raises on a wrong answer. The report is truthy when every case agrees. Otherwise it
names the first wrong case and step, the inputs, expected against got, and the likely
mistake, found by comparing the answer with the usual wrong variants of the formula::

    from gdsim.homework import check_adam_step
    check_adam_step(adam_step)        # Jupyter shows ✓, or ✗ with the diagnosis

Exercises that take several steps are graded step by step. At every step the reference's own
state is fed back in ("teacher forcing"), so an early mistake cannot hide behind later ones,
and the report can name the exact step. A crash, ``None``, a wrong shape, NaN, or an input
changed in place is reported as a failure like any other.

Outputs must agree to a relative tolerance of 1e-7, plus 1e-9 of the largest expected value
as an absolute floor. The cases are built so that every mistake listed in a grader's docstring
moves the answer far beyond that tolerance.

Every grader also takes ``seed`` (default 0). Another seed draws different numbers for the
same kinds of cases, for example to check a second attempt on fresh inputs.
"""

from __future__ import annotations

import html
import os
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .optimizers import SGD, Adam, SGDState
from .plateau import PlateauState, ReduceLROnPlateau
from .schedules import cosine, sgdr

__all__ = ["Report", "check_momentum_step", "check_adam_step", "check_cosine_restarts",
           "check_dense_backward", "check_plateau_rule"]

RTOL = 1e-7
ATOL_SCALE = 1e-9


# --------------------------------------------------------------------------------------------
# The report


@dataclass
class Report:
    """What a grader found. ``bool(report)`` is ``report.passed``.

    ``message`` is the full text that Jupyter shows. On a failure it also has ``where`` (the
    case and step), ``field`` (the first wrong output, when there is one) and ``diagnosis``
    (the likely mistake in one sentence, or None when no known mistake matches).
    """

    exercise: str
    passed: bool
    message: str
    where: str | None = None
    field: str | None = None
    diagnosis: str | None = None

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.message

    __str__ = __repr__

    def _repr_html_(self):
        color = "#1b7f3b" if self.passed else "#b3261e"
        headline, _, rest = self.message.partition("\n")
        rest = rest.strip("\n")
        body = (f'<pre style="margin:6px 0 0 0;white-space:pre-wrap">{html.escape(rest)}</pre>'
                if rest.strip() else "")
        return (f'<div style="border-left:5px solid {color};padding:4px 10px;margin:4px 0">'
                f'<div style="color:{color};font-weight:bold">{html.escape(headline)}</div>{body}</div>')


# --------------------------------------------------------------------------------------------
# Comparing and showing numbers


def _close(got, want):
    """Same shape, the same non-finite entries, and finite entries within the tolerance."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)):
        return False
    # NaN and ±inf must sit in the same places (a variant that blows up is matched that way)
    if not np.array_equal(got[~finite], want[~finite], equal_nan=True):
        return False
    got, want = got[finite], want[finite]
    scale = np.abs(want).max(initial=0.0)
    return bool(np.all(np.abs(got - want) <= RTOL * np.abs(want) + ATOL_SCALE * scale))


def _show(value, indent=0):
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    a = np.asarray(value)
    if a.dtype.kind not in "fiu":
        return repr(value)
    if a.ndim == 0:
        return f"{float(a):.10g}"
    text = np.array2string(a, precision=8, separator=", ", threshold=16, edgeitems=3,
                           max_line_width=100 - indent)
    return text.replace("\n", "\n" + " " * indent)


def _worst(got, want):
    """' (largest difference 2.1e-03 at [1, 0])' for two arrays of the same shape."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.ndim == 0:
        return ""
    with np.errstate(all="ignore"):
        diff = np.where(np.isfinite(got) & np.isfinite(want), np.abs(got - want), np.inf)
    index = np.unravel_index(int(np.argmax(diff)), diff.shape)
    where = ", ".join(str(int(i)) for i in index)
    return f"   ← largest difference {diff[index]:.2g} at [{where}]" if np.isfinite(diff[index]) \
        else f"   ← not finite at [{where}]"


def _copy(value):
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


# --------------------------------------------------------------------------------------------
# The grading loop shared by every exercise


@dataclass
class _Step:
    """One call of the student's function: its inputs (passed positionally, in order), the
    reference's outputs, and the usual wrong answers ``[(mistake, outputs), ...]``."""

    where: str
    inputs: dict
    expected: tuple
    make_variants: Callable[[], list] = list
    note: str = ""          # a line shown under the inputs, e.g. where the step sits in a period
    _variants: list | None = None

    def variants(self):
        # built only when a step fails, and then reused while ranking the diagnoses
        if self._variants is None:
            with np.errstate(all="ignore"):    # some wrong answers divide by zero: that is data
                self._variants = self.make_variants()
        return self._variants


@dataclass
class _Exercise:
    grader: str                  # e.g. "check_adam_step"
    name: str                    # the student's function, e.g. "adam_step"
    fields: tuple                # names of the outputs; a single name means one plain value
    kinds: tuple                 # "array", "number" or "count" per field
    reference: str               # what the answers come from, for the ✓ line
    rule: str                    # the formula, shown under a failure
    on_exception: Callable = lambda step, error: None     # -> diagnosis or None
    shape_hint: Callable = lambda step, name, shape: None  # -> diagnosis or None
    nonfinite_hint: Callable = lambda step: None          # -> diagnosis or None
    cases: list = field(default_factory=list)             # list of lists of _Step


class _Failure(Exception):
    """Raised inside the loop to stop at the first failure; carries the report's pieces.
    ``stub`` marks an exercise not started yet, which needs no inputs or rule."""

    def __init__(self, headline, details="", field=None, diagnosis=None, step=None, stub=False):
        super().__init__(headline)
        self.headline, self.details, self.field, self.diagnosis = headline, details, field, diagnosis
        self.step, self.stub = step, stub


_GDSIM_DIR = os.path.dirname(os.path.abspath(__file__))


def _exception_text(error):
    """The exception's last line and the line of the student's code that raised it."""
    text = traceback.format_exception_only(type(error), error)[-1].strip()
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(f.filename).startswith(_GDSIM_DIR)
              and f"{os.sep}numpy{os.sep}" not in f.filename]
    if frames and frames[-1].line:
        text += f"\n    raised at line {frames[-1].lineno}:  {frames[-1].line.strip()}"
    return text


def _call(exercise, fn, step):
    """The student's outputs as a tuple of float arrays (ints for counts), or raise _Failure."""
    args = [_copy(v) for v in step.inputs.values()]
    try:
        # overflow or 0/0 in a wrong answer is something to report, not a warning to print
        with np.errstate(all="ignore"):
            out = fn(*args)
    except NotImplementedError:
        raise _Failure(f"{exercise.name} is not written yet (it raises NotImplementedError). "
                       "Fill in the stub, then run the grader again.", stub=True) from None
    except Exception as error:  # noqa: BLE001 - any crash in student code is a result to report
        raise _Failure(f"{exercise.name} raised an exception at {step.where}.",
                       "  " + _exception_text(error), diagnosis=exercise.on_exception(step, error),
                       step=step) from None
    changed = [name for (name, original), arg in zip(step.inputs.items(), args)
               if isinstance(original, np.ndarray) and not np.array_equal(original, arg, equal_nan=True)]
    if changed:
        raise _Failure(
            f"{exercise.name} changed its input {', '.join(changed)} in place at {step.where}.",
            step=step, diagnosis=f"Return new arrays instead of modifying the inputs (write "
                                 f"`{changed[0]} - ...`, not `{changed[0]} -= ...`): the caller "
                                 "still needs the old values, e.g. to draw the trajectory.")
    return _structure(exercise, step, out)


def _structure(exercise, step, out):
    single = len(exercise.fields) == 1
    names = " and ".join(exercise.fields) if not single else exercise.fields[0]
    if out is None:
        raise _Failure(f"{exercise.name} returned None: it is not written yet, or it misses a "
                       "`return`. Fill in the stub, then run the grader again.", stub=True)
    if single:
        out = (out,)
    elif not isinstance(out, (tuple, list)):
        shape = f" of shape {np.shape(out)}" if isinstance(out, np.ndarray) else ""
        raise _Failure(f"{exercise.name} must return a tuple ({', '.join(exercise.fields)}), got "
                       f"{type(out).__name__}{shape} at {step.where}.", step=step,
                       diagnosis=f"Return all of {names}, e.g. `return {', '.join(exercise.fields)}`.")
    if len(out) != len(exercise.fields):
        raise _Failure(f"{exercise.name} must return {len(exercise.fields)} values "
                       f"({', '.join(exercise.fields)}), got {len(out)} at {step.where}.", step=step)
    values = []
    for name, kind, got, want in zip(exercise.fields, exercise.kinds, out, step.expected):
        where = f"at {step.where}"
        if got is None:
            raise _Failure(f"{exercise.name}: {name} is None {where}.", step=step, field=name,
                           diagnosis=exercise.shape_hint(step, name, None))
        try:
            array = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            what = "an array" if kind == "array" else "a number"
            raise _Failure(f"{exercise.name}: {name} must be {what}, got {type(got).__name__} "
                           f"{got!r:.60} {where}.", step=step, field=name) from None
        if array.shape != np.shape(want):
            expect = f"shape {np.shape(want)}" if kind == "array" else "one number"
            raise _Failure(f"{exercise.name}: {name} must have {expect}, got shape {array.shape} "
                           f"{where}.", step=step, field=name, diagnosis=exercise.shape_hint(step, name, array.shape))
        if kind == "count" and np.isfinite(array) and array != np.round(array):
            raise _Failure(f"{exercise.name}: {name} counts epochs, so it must be a whole number, "
                           f"got {got!r} {where}.", step=step, field=name)
        values.append(array)
    return tuple(values)


def _wrong_fields(exercise, got, expected):
    return [i for i in range(len(exercise.fields)) if not _close(got[i], expected[i])]


def _diagnose(exercise, step, got, wrong, ran):
    """The known mistake behind a wrong answer, in one sentence, or None.

    A mistake qualifies if one of its variants reproduces the whole answer at this step or,
    failing that, its wrong outputs. Among those that qualify, the winner is the one that
    reproduces the student's answers at the most steps, over all cases, the right answers
    included: a mistake that would have failed where the student was right loses points. If
    nothing qualifies, each wrong output is matched on its own.
    """
    def matches(outputs, answer, fields):
        return all(_close(answer[i], outputs[i]) for i in fields)

    def agreement(mistake, fields_of):
        total = 0
        for s, answer, w in ran:
            forms = [o for m, o in s.variants() if m == mistake]
            # a mistake with no variant at a step changes nothing there
            total += any(matches(o, answer, fields_of(w)) for o in forms) if forms else not w
        return total

    everything = range(len(exercise.fields))
    for fields_of in (lambda w: everything, lambda w: w):
        candidates = []
        for mistake, outputs in step.variants():
            if mistake not in candidates and matches(outputs, got, fields_of(wrong)):
                candidates.append(mistake)
        if candidates:   # max keeps the first of equal scores, and the lists put the likelier first
            return max(candidates, key=lambda m: agreement(m, fields_of))
    per_field = []
    for i in wrong:
        for mistake, outputs in step.variants():
            if _close(got[i], outputs[i]):
                text = f"{exercise.fields[i]}: {mistake}"
                if text not in per_field:
                    per_field.append(text)
                break
    return " ".join(per_field) or None


def _run(exercise, fn):
    if not callable(fn):
        return Report(exercise.name, False,
                      f"✗ {exercise.name}: {exercise.grader} needs your function itself: "
                      f"{exercise.grader}({exercise.name}), with no parentheses after "
                      f"{exercise.name}. It got {fn!r:.80}.")
    try:
        _run_cases(exercise, fn)
    except _Failure as failure:
        lines = [f"✗ {failure.headline}"]
        if failure.step is not None and not failure.details.startswith("  inputs"):
            failure.details = "\n".join(filter(None, [failure.details, *_inputs_text(failure.step)]))
        if failure.details:
            lines.append(failure.details)
        diagnosis = failure.diagnosis
        if diagnosis is None and failure.field and not failure.stub:
            diagnosis = ("none of the usual mistakes matches exactly; compare your formula with "
                         "the rule below, term by term.")
        if diagnosis:
            lines += ["", f"  Likely mistake: {diagnosis}"]
        if not failure.stub:
            lines += ["", f"  The rule: {exercise.rule}"]
        return Report(exercise.name, False, "\n".join(lines),
                      where=failure.step.where if failure.step is not None else None,
                      field=failure.field, diagnosis=failure.diagnosis)
    n_cases, n_calls = len(exercise.cases), sum(len(c) for c in exercise.cases)
    return Report(exercise.name, True,
                  f"✓ {exercise.name}: all {n_cases} cases ({n_calls} calls) agree with "
                  f"{exercise.reference}.")


def _inputs_text(step):
    width = max(len(name) for name in step.inputs)
    lines = ["  inputs:"]
    for name, value in step.inputs.items():
        lines.append(f"    {name:<{width}} = {_show(value, indent=width + 7)}")
    if step.note:
        lines.append(f"    ({step.note})")
    return lines


def _run_cases(exercise, fn):
    """Call the student on every step of every case; raise a _Failure for the first problem.

    Every step runs, even after a wrong one; a crash or an unusable answer only ends its own
    case. The diagnosis can then prefer the mistake that reproduces the most answers. For
    example, ε inside the root and Keras' ε-hat are nearly the same on ordinary gradients,
    but far apart on tiny ones."""
    ran = []                # (step, got, wrong fields) for every step that returned something
    for case in exercise.cases:
        for step in case:
            try:
                got = _call(exercise, fn, step)
            except _Failure:
                if not any(w for _, _, w in ran):
                    raise
                break
            ran.append((step, got, _wrong_fields(exercise, got, step.expected)))
    failed = [r for r in ran if r[2]]
    if not failed:
        return
    step, got, wrong = failed[0]
    lines = _inputs_text(step) + ["  expected vs got:"]
    width = max(len(name) for name in exercise.fields)
    pad = width + 15
    for i, name in enumerate(exercise.fields):
        if i not in wrong:
            lines.append(f"    {name:<{width}}  ✓ correct")
            continue
        lines.append(f"    {name:<{width}}  expected {_show(step.expected[i], pad)}")
        lines.append(f"    {'':<{width}}  got      {_show(got[i], pad)}"
                     f"{_worst(got[i], step.expected[i])}")
    diagnosis = _diagnose(exercise, step, got, wrong, ran)
    if diagnosis is None and not all(np.all(np.isfinite(got[i])) for i in wrong):
        diagnosis = exercise.nonfinite_hint(step) or (
            "Your answer contains NaN or inf: look for a division by zero or the square root of a "
            "negative number.")
    names = [exercise.fields[i] for i in wrong]
    names = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    verb = "is" if len(wrong) == 1 else "are"
    raise _Failure(f"{exercise.name}: {names} {verb} wrong at {step.where}.", "\n".join(lines),
                   field=exercise.fields[wrong[0]], diagnosis=diagnosis, step=step)


# --------------------------------------------------------------------------------------------
# 1. A momentum step (PyTorch's SGD)

_M_DAMPENING = ("Your buffer follows b ← μ·b + (1 − μ)·g: that (1 − μ) factor is dampening (an "
                "exponential moving average); PyTorch's momentum buffer is b ← μ·b + g.")
_M_KERAS = ("Your velocity is in parameter units, v ← μ·v − lr·g and θ ← θ + v (the Keras form); "
            "PyTorch keeps the buffer in gradient units, b ← μ·b + g, and applies lr only in the "
            "step θ ← θ − lr·b.")
_M_SUTSKEVER = ("Your buffer already contains the learning rate, b ← μ·b + lr·g and θ ← θ − b; "
                "PyTorch keeps lr out of it: b ← μ·b + g, θ ← θ − lr·b.")
_M_NESTEROV = ("You took a Nesterov step θ ← θ − lr·(g + μ·b); plain momentum steps with the "
               "buffer itself, θ ← θ − lr·b.")
_M_OLD = ("You stepped with the velocity from before this step; update the buffer first "
          "(b ← μ·b + g), then step with the new one.")
_M_SIGN = "Your step goes uphill: it must be θ − lr·b, not θ + lr·b."
_M_STALE = "You returned the velocity you were given; return the updated buffer b."
_M_FIRST = ("On the first step `velocity` is None (PyTorch creates the buffer lazily) and the "
            "buffer is then the gradient itself: `b = grad` when `velocity is None`.")


def _momentum_variants(params, grad, velocity, lr, momentum):
    b_old = np.zeros_like(grad) if velocity is None else velocity
    b = grad if velocity is None else momentum * velocity + grad
    ema = momentum * b_old + (1 - momentum) * grad
    torch_dampened = grad if velocity is None else ema     # SGD(dampening=momentum)
    keras = momentum * b_old - lr * grad
    sutskever = momentum * b_old + lr * grad
    return [
        (_M_DAMPENING, (params - lr * ema, ema)),
        (_M_DAMPENING, (params - lr * torch_dampened, torch_dampened)),
        (_M_KERAS, (params + keras, keras)),
        (_M_SUTSKEVER, (params - sutskever, sutskever)),
        (_M_NESTEROV, (params - lr * (grad + momentum * b), b)),
        (_M_OLD, (params - lr * b_old, b)),
        (_M_SIGN, (params + lr * b, b)),
        (_M_STALE, (params - lr * b, b_old)),
    ]


def _momentum_shape_hint(step, name, shape):
    if name == "new_velocity" and shape is None:
        first = step.inputs["velocity"] is None
        return _M_STALE if first else "Return the new buffer b as new_velocity."
    return None


def check_momentum_step(momentum_step, seed=0):
    """Grade ``momentum_step(params, grad, velocity, lr, momentum) -> (new_params, new_velocity)``.

    One step of SGD with momentum in PyTorch's convention (REFERENCE.md §1.1). The buffer is
    kept in gradient units::

        b = grad                         on the first step, when velocity is None (no buffer yet)
        b = momentum · velocity + grad   on every later step
        new_params = params − lr · b     new_velocity = b

    ``params`` and ``grad`` are float arrays of the same shape, and ``lr`` and ``momentum`` are
    floats. The function must return new arrays and leave its inputs unchanged.

    The grader runs 4 seeded cases of 4 steps each: shapes (2,), (5,), (3, 2) and (4,), momentum
    between 0.5 and 0.95, and an lr that changes from step to step as it would under a
    schedule. Each step is compared with ``gdsim.SGD(lr, momentum).update``. It recognises
    these mistakes: dampening (the EMA form), a velocity kept in parameter units (Keras,
    Sutskever), a Nesterov step, stepping with the old velocity, returning the old velocity,
    the wrong sign, and a crash on the first step's ``None``.
    """
    return _run(_momentum_exercise(seed), momentum_step)


def _momentum_exercise(seed):
    rng = np.random.default_rng(seed)
    exercise = _Exercise(
        "check_momentum_step", "momentum_step", ("new_params", "new_velocity"), ("array", "array"),
        "gdsim.SGD(lr, momentum) (PyTorch's SGD)",
        "b = grad on the first step (velocity is None), then b = momentum·velocity + grad;  "
        "new_params = params − lr·b;  return (new_params, b)",
        on_exception=lambda step, error: _M_FIRST if step.inputs["velocity"] is None else None,
        shape_hint=_momentum_shape_hint)
    shapes = [(2,), (5,), (3, 2), (4,)]
    for c, shape in enumerate(shapes, 1):
        momentum = float(np.round(rng.uniform(0.5, 0.95), 3))
        params, velocity, steps = rng.normal(size=shape), None, []
        for k in range(4):
            grad = rng.normal(size=shape)
            lr = float(np.round(rng.uniform(0.02, 0.3), 4))
            opt = SGD(lr=lr, momentum=momentum)
            state = opt.init(params) if velocity is None else SGDState(step=k, momentum_buffer=velocity)
            new_params, new_state = opt.update(params, grad, state)
            inputs = dict(params=params, grad=grad, velocity=velocity, lr=lr, momentum=momentum)
            where = f"case {c} of {len(shapes)}, step {k + 1}" + (" (the first)" if k == 0 else "")
            steps.append(_Step(where, inputs, (new_params, new_state.momentum_buffer),
                               lambda inputs=inputs: _momentum_variants(**inputs)))
            params, velocity = new_params, new_state.momentum_buffer
        exercise.cases.append(steps)
    return exercise


# --------------------------------------------------------------------------------------------
# 2. An Adam step

_A_NO_BIAS = ("You skipped the bias correction: divide m by (1 − β1^t) and v by (1 − β2^t) "
              "before the step; without it the first steps have the wrong size.")
_A_ONLY_M = "You bias-corrected m but not v: v̂ = v / (1 − β2^t) as well."
_A_ONLY_V = "You bias-corrected v but not m: m̂ = m / (1 − β1^t) as well."
_A_T_ZERO = ("Your bias correction counts from t − 1 (a counter that starts at 0); t is the number "
             "of this update, 1 on the first call, so 1 − β^t is never 0.")
_A_T_PLUS = ("Your bias correction uses t + 1; t is already the number of this update (1 on the "
             "first call), so don't increment it.")
_A_EPS_INSIDE = "You put ε inside the square root, √(v̂ + ε); PyTorch adds it outside: √v̂ + ε."
_A_EPS_HAT = ("You added ε to √v before the bias correction (Keras' \"epsilon hat\": "
              "lr·√(1 − β2^t)/(1 − β1^t)·m/(√v + ε)); PyTorch adds it after: m̂/(√v̂ + ε).")
_A_NOT_SQUARED = "Your second moment averages g instead of g²: v ← β2·v + (1 − β2)·g² (element-wise)."
_A_NO_ONE_MINUS = ("Your moments miss the (1 − β) factors: m ← β1·m + (1 − β1)·g and "
                   "v ← β2·v + (1 − β2)·g².")
_A_SWAPPED = ("You swapped β1 and β2: β1 (≈ 0.9) averages the gradient into m, β2 (≈ 0.999) "
              "averages its square into v.")
_A_STORED_HAT = ("You returned the bias-corrected m̂ and v̂ as the new state; return the raw m and v "
                 "and correct them only inside the step (the correction changes with t).")
_A_OLD = "You stepped with m and v from before this update; update both moments first, then step."
_A_SIGN = "Your step goes uphill: it must be θ − lr·m̂/(√v̂ + ε)."


def _adam_variants(params, grad, m, v, t, lr, beta1, beta2, eps):
    g = grad
    m1, v1 = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g

    def step(mm, vv, t=t, c1=True, c2=True, inside=False, b1=beta1, b2=beta2):
        mh = mm / (1 - b1**t) if c1 else mm
        vh = vv / (1 - b2**t) if c2 else vv
        return params - lr * mh / (np.sqrt(vh + eps) if inside else np.sqrt(vh) + eps)

    right = step(m1, v1)
    v_abs = beta2 * v + (1 - beta2) * g
    m_raw, v_raw = beta1 * m + g, beta2 * v + g * g
    m_sw, v_sw = beta2 * m + (1 - beta2) * g, beta1 * v + (1 - beta1) * g * g
    eps_hat = params - lr * np.sqrt(1 - beta2**t) / (1 - beta1**t) * m1 / (np.sqrt(v1) + eps)
    return [
        (_A_NO_BIAS, (step(m1, v1, c1=False, c2=False), m1, v1)),
        (_A_ONLY_M, (step(m1, v1, c2=False), m1, v1)),
        (_A_ONLY_V, (step(m1, v1, c1=False), m1, v1)),
        (_A_T_ZERO, (step(m1, v1, t=t - 1), m1, v1)),
        (_A_T_PLUS, (step(m1, v1, t=t + 1), m1, v1)),
        (_A_EPS_INSIDE, (step(m1, v1, inside=True), m1, v1)),
        (_A_EPS_HAT, (eps_hat, m1, v1)),
        (_A_NOT_SQUARED, (step(m1, v_abs), m1, v_abs)),
        (_A_NO_ONE_MINUS, (step(m_raw, v_raw), m_raw, v_raw)),
        (_A_SWAPPED, (step(m_sw, v_sw, b1=beta2, b2=beta1), m_sw, v_sw)),
        (_A_STORED_HAT, (right, m1 / (1 - beta1**t), v1 / (1 - beta2**t))),
        (_A_OLD, (step(m, v), m1, v1)),
        (_A_SIGN, (2 * params - right, m1, v1)),
    ]


def check_adam_step(adam_step, seed=0):
    """Grade ``adam_step(params, grad, m, v, t, lr, beta1, beta2, eps) -> (new_params, new_m, new_v)``.

    One Adam update in PyTorch's convention (REFERENCE.md §1.4), with ε added after the bias
    correction::

        m = beta1·m + (1 − beta1)·grad        v = beta2·v + (1 − beta2)·grad²
        m̂ = m / (1 − beta1^t)                  v̂ = v / (1 − beta2^t)
        new_params = params − lr · m̂ / (√v̂ + eps)         return (new_params, m, v)

    ``m`` and ``v`` start as zeros. ``t`` is the number of this update, 1 on the first call.
    The returned m and v are the raw moments, without the correction.

    The grader runs 4 seeded cases, and each step is compared with
    ``gdsim.Adam(lr, (beta1, beta2), eps).update``:

    - ordinary gradients, t = 1–4;
    - tiny gradients (1e-6) where ε matters, t = 1–3;
    - betas (0.8, 0.99) with eps = 1e-3, t = 1–3;
    - t = 30, 31 after 29 reference steps.

    It recognises these mistakes: no bias correction, or only one of the two; t counted from
    0 or incremented inside; ε inside the square root; Keras' ε-hat; g instead of g²; missing
    (1 − β) factors; swapped betas; m̂ and v̂ returned as the state; stepping with the old
    moments; the wrong sign.
    """
    return _run(_adam_exercise(seed), adam_step)


def _adam_exercise(seed):
    rng = np.random.default_rng(seed)
    exercise = _Exercise(
        "check_adam_step", "adam_step", ("new_params", "new_m", "new_v"), ("array", "array", "array"),
        "gdsim.Adam(lr, betas, eps) (PyTorch's Adam)",
        "m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  m̂ = m/(1 − β1^t);  v̂ = v/(1 − β2^t);  "
        "new_params = params − lr·m̂/(√v̂ + ε);  return (new_params, m, v), t = 1 on the first call",
        nonfinite_hint=lambda step: _A_T_ZERO if step.inputs["t"] == 1 else None)
    # (shape, gradient scale, betas, eps, lr, first t, calls)
    plans = [((3,), 1.0, (0.9, 0.999), 1e-8, 0.01, 1, 4),
             ((2, 3), 1e-6, (0.9, 0.999), 1e-8, 0.001, 1, 3),
             ((4,), 1e-2, (0.8, 0.99), 1e-3, 0.05, 1, 3),
             ((3,), 1.0, (0.9, 0.999), 1e-8, 0.01, 30, 2)]
    for c, (shape, scale, (beta1, beta2), eps, lr, t0, calls) in enumerate(plans, 1):
        opt = Adam(lr=lr, betas=(beta1, beta2), eps=eps)
        params = rng.normal(size=shape)
        state = opt.init(params)
        for _ in range(t0 - 1):    # an Adam history for the late steps
            params, state = opt.update(params, scale * rng.normal(size=shape), state)
        steps = []
        for _ in range(calls):
            grad = scale * rng.normal(size=shape)
            t = state.step + 1
            new_params, new_state = opt.update(params, grad, state)
            inputs = dict(params=params, grad=grad, m=state.exp_avg, v=state.exp_avg_sq, t=t,
                          lr=lr, beta1=beta1, beta2=beta2, eps=eps)
            steps.append(_Step(f"case {c} of {len(plans)}, step t={t}", inputs,
                               (new_params, new_state.exp_avg, new_state.exp_avg_sq),
                               lambda inputs=inputs: _adam_variants(**inputs)))
            params, state = new_params, new_state
        exercise.cases.append(steps)
    return exercise


# --------------------------------------------------------------------------------------------
# 3. Cosine annealing with warm restarts (SGDR)

_C_NO_GROWTH = ("Your periods never grow: after each restart the next period is T_mult times "
                "longer (T_i ← T_i·T_mult).")
_C_NO_RESTART = ("Your schedule never restarts: when T_cur reaches T_i it must go back to 0 (and "
                 "T_i grow by T_mult).")
_C_AHEAD = ("Your T_cur is one step ahead: step 0 must give lr_max (T_cur = 0); step e is the lr "
            "in force during update e.")
_C_LATE = ("You restart one step late (your periods last T_i + 1 steps): restart as soon as T_cur "
           "reaches T_i, so T_cur runs 0, 1, …, T_i − 1.")
_C_REACHES_MIN = ("You divide by T_i − 1, so each period ends exactly at eta_min; PyTorch divides "
                  "by T_i (T_cur stops at T_i − 1), so eta_min itself is never reached.")
_C_NO_ETA_MIN = "eta_min is missing: lr = eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2."
_C_UNSCALED = ("You added eta_min but kept lr_max in the cosine term; it must be "
               "eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2.")
_C_EARLY_GROWTH = ("Your first period is already T_0·T_mult long: the first period lasts T_0 steps "
                   "and the growth starts after the first restart.")
_C_RISING = ("Your cosine runs backwards (1 − cos): each period must start at lr_max and fall "
             "towards eta_min.")


def _period(step, T_0, T_mult, extra=0):
    """(T_cur, T_i, start of the period, its number) by walking the periods; ``extra`` lengthens
    each period, which is the off-by-one of restarting one step late."""
    start, T_i, n = 0, T_0, 0
    while step >= start + T_i + extra:
        start, T_i, n = start + T_i + extra, T_i * T_mult, n + 1
    return step - start, T_i, start, n


def _cosine_variants(step, lr_max, T_0, T_mult, eta_min):
    def at(schedule, e=step):
        return schedule(np.int64(e))

    def shape(position):
        return eta_min + (lr_max - eta_min) * (1 + np.cos(np.pi * position)) / 2

    T_cur, T_i, _, _ = _period(step, T_0, T_mult)
    late_cur, late_i, _, _ = _period(step, T_0, T_mult, extra=1)
    right = at(sgdr(lr_max, T_0, T_mult, eta_min))
    out = [
        (_C_NO_RESTART, at(cosine(lr_max, T_0, eta_min))),
        (_C_NO_RESTART, at(cosine(lr_max, T_0, eta_min, clamp=True))),
        (_C_AHEAD, at(sgdr(lr_max, T_0, T_mult, eta_min), step + 1)),
        (_C_LATE, shape(late_cur / late_i)),
        (_C_NO_ETA_MIN, at(sgdr(lr_max, T_0, T_mult, 0.0))),
        (_C_UNSCALED, eta_min + at(sgdr(lr_max, T_0, T_mult, 0.0))),
        (_C_RISING, lr_max + eta_min - right),
    ]
    if T_i > 1:
        out.append((_C_REACHES_MIN, shape(T_cur / (T_i - 1))))
    if T_mult > 1:
        out += [(_C_NO_GROWTH, at(sgdr(lr_max, T_0, 1, eta_min))),
                (_C_EARLY_GROWTH, at(sgdr(lr_max, T_0 * T_mult, T_mult, eta_min)))]
    return [(mistake, (value,)) for mistake, value in out]


def check_cosine_restarts(cosine_restarts, seed=0):
    """Grade ``cosine_restarts(step, lr_max, T_0, T_mult, eta_min) -> lr``.

    This is the lr in force during update ``step`` (0-based) under cosine annealing with warm
    restarts. It follows PyTorch's CosineAnnealingWarmRestarts (SGDR, REFERENCE.md §3)::

        lr = eta_min + (lr_max − eta_min) · (1 + cos(π · T_cur / T_i)) / 2

    ``T_cur`` counts the steps since the last restart, from 0. The first period lasts
    ``T_i = T_0`` steps. When T_cur reaches T_i the schedule restarts: T_cur goes back to 0 and
    T_i is multiplied by T_mult. ``step``, ``T_0`` and ``T_mult`` are ints (T_0 ≥ 1,
    T_mult ≥ 1), and the function returns one number.

    The grader runs 4 seeded cases, each over several restarts: (T_0, T_mult) = (5, 1), (3, 2),
    (2, 3) and (1, 2), with a random lr_max and eta_min. The values are compared with
    ``gdsim.schedules.sgdr``. It recognises these mistakes: no restarts; no growth of the
    period; growth that starts one period early; T_cur one step ahead; restarting one step
    late; dividing by T_i − 1; eta_min missing or not scaled; the cosine running backwards.
    """
    return _run(_cosine_exercise(seed), cosine_restarts)


def _cosine_exercise(seed):
    rng = np.random.default_rng(seed)
    exercise = _Exercise(
        "check_cosine_restarts", "cosine_restarts", ("lr",), ("number",),
        "gdsim.schedules.sgdr (PyTorch's CosineAnnealingWarmRestarts)",
        "lr = eta_min + (lr_max − eta_min)·(1 + cos(π·T_cur/T_i))/2;  T_cur = steps since the last "
        "restart (0 at step 0);  restart when T_cur reaches T_i, then T_i ← T_i·T_mult "
        "(T_i = T_0 at first)")
    plans = [(5, 1, 22), (3, 2, 45), (2, 3, 40), (1, 2, 20)]
    for c, (T_0, T_mult, n_steps) in enumerate(plans, 1):
        lr_max = float(np.round(rng.uniform(0.05, 0.5), 4))
        eta_min = float(np.round(rng.uniform(0.002, 0.02), 4))
        values = sgdr(lr_max, T_0, T_mult, eta_min)(np.arange(n_steps))
        steps = []
        for e in range(n_steps):
            T_cur, T_i, start, n = _period(e, T_0, T_mult)
            inputs = dict(step=e, lr_max=lr_max, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
            period = "the first period" if n == 0 else f"period {n + 1}, which began at step {start}"
            steps.append(_Step(f"case {c} of {len(plans)}, step {e}", inputs, (float(values[e]),),
                               lambda inputs=inputs: _cosine_variants(**inputs),
                               note=f"step {e} has T_cur = {T_cur} of T_i = {T_i}: {period}"))
        exercise.cases.append(steps)
    return exercise


# --------------------------------------------------------------------------------------------
# 4. The backward pass of a dense layer


def _dense_reference(x, W, b, grad_out, activation):
    """(grad_x, grad_W, grad_b) of ``a = φ(x W + b)`` from gdsim's MLP.

    The layer is the hidden layer of a gdsim MLP([fan_in, fan_out, fan_out]) with an identity
    output layer and an MSE loss. The targets are chosen so that ∂loss/∂a equals grad_out, so
    the MLP's own backward pass gives grad_W and grad_b. gdsim does not expose the gradient
    with respect to the inputs. Instead, the bias gradient of each one-row batch is that row's
    δ = ∂loss/∂z, and grad_x = δ·Wᵀ.
    """
    from .nn import MLP   # the MLP is only needed here; keep `import gdsim.homework` light

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
    rng = np.random.default_rng(seed)
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


# --------------------------------------------------------------------------------------------
# 5. ReduceLROnPlateau, Keras' rule

_P_TORCH = ("You reduce one epoch late (wait > patience, PyTorch's rule); Keras reduces as soon as "
            "wait ≥ patience, on the patience-th epoch without improvement.")
_P_RELATIVE = ("Your min_delta is relative (metric < best·(1 − min_delta), PyTorch's default); "
               "Keras' min_delta is absolute: metric < best − min_delta.")
_P_NO_DELTA = ("You ignored min_delta: an improvement must beat best by more than min_delta "
               "(metric < best − min_delta).")
_P_LE = ("You count metric = best − min_delta as an improvement; Keras needs strictly less: "
         "metric < best − min_delta.")
_P_BEST_ANY = ("You updated best on every decrease; Keras updates best only on a significant "
               "improvement (metric < best − min_delta), together with wait = 0.")
_P_KEEP_WAIT = "After an improvement, wait must go back to 0."
_P_WAIT_AFTER_DROP = ("After reducing the lr, wait must go back to 0, so that the next reduction "
                      "needs another `patience` epochs without improvement.")
_P_DIVIDE = "You divided by factor; the new lr is lr·factor (factor < 1)."
_P_MAX = ("You treat a larger metric as better; the metric is a loss (mode 'min'): improved means "
          "metric < best − min_delta.")
_P_FIRST = ("On the first epoch best is +inf, so any metric is an improvement: best = metric, "
            "wait = 0 (beware inf − inf and inf/inf, which give NaN).")


def _keras_variant(improved, metric, best, wait, lr, patience, factor):
    """Keras' per-epoch rule (no cooldown) around a given improvement test: the wrong answers
    that differ from the reference only in that test."""
    if improved:
        return metric, 0, lr
    wait += 1
    return (best, 0, lr * factor) if wait >= patience else (best, wait, lr)


def _gdsim_plateau(metric, best, wait, lr, patience, factor, min_delta, **rule):
    state = PlateauState(lr=np.array(lr), best=np.array(best), wait=np.array(wait), cooldown=np.array(0))
    new = ReduceLROnPlateau(factor=factor, patience=patience, min_delta=min_delta, mode="min",
                            **rule).update(state, metric)
    return float(new.best), int(new.wait), float(new.lr)


def _plateau_variants(metric, best, wait, lr, patience, factor, min_delta):
    args = (metric, best, wait, lr, patience, factor)
    r_best, r_wait, r_lr = _gdsim_plateau(*args, min_delta)
    dropped = r_lr != lr
    improved = metric < best - min_delta
    # at the first epoch best is inf; "not an improvement" there is its own mistake, ranked first
    out = [(_P_FIRST, _keras_variant(False, *args))] if best == np.inf else []
    out += [
        (_P_TORCH, _gdsim_plateau(*args, min_delta, convention="pytorch", threshold_mode="abs",
                                  eps=0.0)),
        (_P_RELATIVE, _gdsim_plateau(*args, min_delta, threshold_mode="rel")),
        (_P_NO_DELTA, _gdsim_plateau(*args, 0.0)),
        (_P_LE, _keras_variant(metric <= best - min_delta, *args)),
        (_P_MAX, _keras_variant(metric > best + min_delta, *args)),
        (_P_BEST_ANY, (min(best, metric), r_wait, r_lr)),
        (_P_KEEP_WAIT, (r_best, wait if improved else r_wait, r_lr)),
        (_P_WAIT_AFTER_DROP, (r_best, wait + 1 if dropped else r_wait, r_lr)),
        (_P_DIVIDE, (r_best, r_wait, lr / factor if dropped else r_lr)),
    ]
    return out


def _plateau_metrics(rng, start, min_delta, patience, epochs, dyadic=False):
    """A loss curve that exercises the rule: significant improvements, improvements smaller than
    min_delta, worse and flat epochs, and plateaus long enough (or just too short) to trigger a
    reduction. Built against Keras' best, so every epoch sits clearly on one side of each test.

    Sub-threshold improvements alternate between 0.1–0.25·min_delta and 0.65–0.9·min_delta.
    On a loss between 0.3 and 0.6, the relative threshold best·min_delta falls between the two
    bands, so a relative min_delta and a missing min_delta fail at different epochs. With
    ``dyadic``, every value is a binary fraction and some land exactly on best − min_delta."""
    metrics, best, small, plateau_epochs = [start], start, True, 0
    while len(metrics) < epochs:
        for _ in range(int(rng.integers(1, 3))):
            best = best - min_delta * (rng.integers(2, 5) if dyadic else rng.uniform(1.5, 4.0))
            metrics.append(best)
        for _ in range(int(rng.integers(max(patience - 1, 1), patience + 3))):
            # the short dyadic curve cycles through the kinds so that each one occurs
            kind = (["edge", "tiny", "worse", "flat"][plateau_epochs % 4] if dyadic
                    else rng.choice(["tiny", "worse", "flat"]))
            plateau_epochs += 1
            if kind == "tiny":
                size = 0.5 if dyadic else rng.uniform(0.1, 0.25) if small else rng.uniform(0.65, 0.9)
                metrics.append(best - min_delta * size)
                small = not small
            elif kind == "worse":
                size = rng.integers(1, 4) if dyadic else rng.uniform(0.1, 3.0)
                metrics.append(best + min_delta * size)
            elif kind == "edge":
                metrics.append(best - min_delta)     # exactly on the threshold: not an improvement
            else:
                metrics.append(metrics[-1])
    return [float(m) for m in metrics[:epochs]]


def check_plateau_rule(plateau_update, seed=0):
    """Grade ``plateau_update(metric, best, wait, lr, patience, factor, min_delta) -> (best, wait, lr)``.

    This is one epoch of Keras' ReduceLROnPlateau in mode "min", without cooldown and without
    min_lr (REFERENCE.md §2.4). ``metric`` is the loss at the end of the epoch. ``best``
    starts at ``float("inf")`` and ``wait`` at 0::

        if metric < best − min_delta:   best = metric, wait = 0          (an improvement)
        else:                           wait = wait + 1
                                        if wait ≥ patience:  lr = lr·factor, wait = 0

    The function returns the new (best, wait, lr). ``wait`` is a whole number.

    The grader runs 4 seeded loss curves of 14–30 epochs with patience 1–4. The losses sit
    around 0.3, where a relative min_delta is looser than an absolute one, and around 5,
    where it is stricter. One curve uses exact binary fractions that land exactly on
    best − min_delta. Each epoch is compared with ``gdsim.ReduceLROnPlateau`` (Keras
    convention). It recognises these mistakes: PyTorch's one-epoch-late trigger
    (wait > patience); a relative or missing min_delta; ≤ instead of <; updating best on every
    decrease; not resetting wait after an improvement or a reduction; dividing by factor; mode
    max; the first epoch, where best is inf, not counted as an improvement.
    """
    return _run(_plateau_exercise(seed), plateau_update)


def _plateau_exercise(seed):
    rng = np.random.default_rng(seed)
    exercise = _Exercise(
        "check_plateau_rule", "plateau_update", ("best", "wait", "lr"), ("number", "count", "number"),
        "gdsim.ReduceLROnPlateau (Keras' rule)",
        "if metric < best − min_delta: best = metric, wait = 0;  else: wait += 1, and if "
        "wait ≥ patience: lr = lr·factor, wait = 0;  return (best, wait, lr)")
    # (start, patience, factor, min_delta, epochs, dyadic)
    plans = [(0.6, 2, 0.5, 0.01, 24, False), (5.0, 3, 0.2, 0.01, 24, False),
             (3.0, 1, 0.5, 1 / 16, 14, True), (1.0, 4, 0.1, 0.001, 30, False)]
    for c, (start, patience, factor, min_delta, epochs, dyadic) in enumerate(plans, 1):
        lr = float(np.round(rng.uniform(0.05, 0.5), 4)) if not dyadic else 0.25
        best, wait, steps = np.inf, 0, []
        metrics = _plateau_metrics(rng, start, min_delta, patience, epochs, dyadic)
        for epoch, metric in enumerate(metrics, 1):
            inputs = dict(metric=metric, best=best, wait=wait, lr=lr, patience=patience,
                          factor=factor, min_delta=min_delta)
            expected = _gdsim_plateau(**inputs)
            steps.append(_Step(f"case {c} of {len(plans)}, epoch {epoch}", inputs, expected,
                               lambda inputs=inputs: _plateau_variants(**inputs)))
            best, wait, lr = expected
        exercise.cases.append(steps)
    return exercise
