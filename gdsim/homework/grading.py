"""The grading machinery that every homework grader shares.

A grader describes its exercise as an ``_Exercise``: the student's function, the names and
kinds of its outputs, and cases made of ``_Step``s (inputs, the reference's outputs, and the
usual wrong answers, each a :class:`Mistake`). ``_run`` calls the student's function on every
step, compares each output with the reference within the tolerance below, and turns the first
problem (a crash, ``None``, a wrong shape, an input changed in place, a wrong number) into a
:class:`Report` with the likely mistake. The graders themselves live one per exercise, next door.

A report comes at three hint levels, so that feedback does not hand out the answer:

* 0 (the default): the first wrong step, its inputs, expected against got, and the likely
  mistake by name (what the answer did);
* 1: also how to put that mistake right;
* 2: also the full rule.
"""

from __future__ import annotations

import html
import os
import traceback
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

RTOL = 1e-7
ATOL_SCALE = 1e-9
HINT_LEVELS = (0, 1, 2)


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer in two parts: ``what`` the answer did, shown at every hint level,
    and the ``fix``, shown from hint level 1 on. ``str(mistake)`` is the whole sentence."""

    what: str
    fix: str = ""

    def __str__(self):
        return f"{self.what} {self.fix}".strip()


def _as_mistake(diagnosis):
    """A Mistake from a Mistake, a plain sentence (said at every level) or None."""
    if diagnosis is None or isinstance(diagnosis, Mistake):
        return diagnosis
    return Mistake(str(diagnosis))


# --------------------------------------------------------------------------------------------
# The report


@dataclass
class Report:
    """What a grader found. ``bool(report)`` is ``report.passed``.

    ``message`` is the text that Jupyter shows, at hint level ``hint_level``. On a failure the
    report also has ``where`` (the case and step), ``field`` (the first wrong output, when
    there is one), ``mistake`` (what the answer did, the part shown at level 0) and
    ``diagnosis`` (the likely mistake with its fix in one sentence); both are None when no
    known mistake matches. ``report.hint()`` is the same report one level further.
    """

    exercise: str
    passed: bool
    message: str
    where: str | None = None
    field: str | None = None
    diagnosis: str | None = None
    mistake: str | None = None
    hint_level: int = 0
    messages: tuple = ()  # the message at hint levels 0, 1 and 2

    def __bool__(self):
        return self.passed

    def hint(self, level=None):
        """The same report with more help: ``level`` 1 adds how to fix the likely mistake, 2
        the full rule (default: one level more than this report's, at most 2)."""
        level = min(self.hint_level + 1, 2) if level is None else _check_hint(level)
        messages = self.messages or (self.message,) * 3
        return replace(self, message=messages[level], hint_level=level)

    def __repr__(self):
        return self.message

    __str__ = __repr__

    def _repr_html_(self):
        color = "#1b7f3b" if self.passed else "#b3261e"
        headline, _, rest = self.message.partition("\n")
        rest = rest.strip("\n")
        body = (
            f'<pre style="margin:6px 0 0 0;white-space:pre-wrap">{html.escape(rest)}</pre>'
            if rest.strip()
            else ""
        )
        return (
            f'<div style="border-left:5px solid {color};padding:4px 10px;margin:4px 0">'
            f'<div style="color:{color};font-weight:bold">{html.escape(headline)}</div>'
            f"{body}</div>"
        )


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
    text = np.array2string(
        a, precision=8, separator=", ", threshold=16, edgeitems=3, max_line_width=100 - indent
    )
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
    return (
        f"   ← largest difference {diff[index]:.2g} at [{where}]"
        if np.isfinite(diff[index])
        else f"   ← not finite at [{where}]"
    )


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
    note: str = ""  # a line shown under the inputs, e.g. where the step sits in a period
    _variants: list | None = None

    def variants(self):
        # built only when a step fails, and then reused while ranking the diagnoses
        if self._variants is None:
            with np.errstate(all="ignore"):  # some wrong answers divide by zero: that is data
                self._variants = self.make_variants()
        return self._variants


@dataclass
class _Exercise:
    grader: str  # e.g. "check_adam_step"
    name: str  # the student's function, e.g. "adam_step"
    fields: tuple  # names of the outputs; a single name means one plain value
    kinds: tuple  # "array", "number" or "count" per field
    reference: str  # what the answers come from, for the ✓ line
    rule: str  # the formula, shown under a failure
    on_exception: Callable = lambda step, error: None  # -> diagnosis or None
    shape_hint: Callable = lambda step, name, shape: None  # -> diagnosis or None
    nonfinite_hint: Callable = lambda step: None  # -> diagnosis or None
    cases: list = field(default_factory=list)  # list of lists of _Step


class _Failure(Exception):
    """Raised inside the loop to stop at the first failure; carries the report's pieces.
    ``stub`` marks an exercise not started yet, which needs no inputs or rule."""

    def __init__(self, headline, details="", field=None, diagnosis=None, step=None, stub=False):
        super().__init__(headline)
        self.headline, self.details = headline, details
        self.field, self.diagnosis = field, diagnosis
        self.step, self.stub = step, stub


# gdsim's own folder, not this package's: frames from anywhere in gdsim are not the student's
_GDSIM_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _exception_text(error):
    """The exception's last line and the line of the student's code that raised it."""
    text = traceback.format_exception_only(type(error), error)[-1].strip()
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(f.filename).startswith(_GDSIM_DIR)
        and f"{os.sep}numpy{os.sep}" not in f.filename
    ]
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
        raise _Failure(
            f"{exercise.name} is not written yet (it raises NotImplementedError). "
            "Fill in the stub, then run the grader again.",
            stub=True,
        ) from None
    except Exception as error:  # noqa: BLE001 - any crash in student code is a result to report
        raise _Failure(
            f"{exercise.name} raised an exception at {step.where}.",
            "  " + _exception_text(error),
            diagnosis=exercise.on_exception(step, error),
            step=step,
        ) from None
    changed = [
        name
        for (name, original), arg in zip(step.inputs.items(), args)
        if isinstance(original, np.ndarray) and not np.array_equal(original, arg, equal_nan=True)
    ]
    if changed:
        raise _Failure(
            f"{exercise.name} changed its input {', '.join(changed)} in place at {step.where}.",
            step=step,
            diagnosis=f"Return new arrays instead of modifying the inputs (write "
            f"`{changed[0]} - ...`, not `{changed[0]} -= ...`): the caller "
            "still needs the old values, e.g. to draw the trajectory.",
        )
    return _structure(exercise, step, out)


def _structure(exercise, step, out):
    single = len(exercise.fields) == 1
    names = " and ".join(exercise.fields) if not single else exercise.fields[0]
    if out is None:
        raise _Failure(
            f"{exercise.name} returned None: it is not written yet, or it misses a "
            "`return`. Fill in the stub, then run the grader again.",
            stub=True,
        )
    if single:
        out = (out,)
    elif not isinstance(out, (tuple, list)):
        shape = f" of shape {np.shape(out)}" if isinstance(out, np.ndarray) else ""
        raise _Failure(
            f"{exercise.name} must return a tuple ({', '.join(exercise.fields)}), got "
            f"{type(out).__name__}{shape} at {step.where}.",
            step=step,
            diagnosis=f"Return all of {names}, e.g. `return {', '.join(exercise.fields)}`.",
        )
    if len(out) != len(exercise.fields):
        raise _Failure(
            f"{exercise.name} must return {len(exercise.fields)} values "
            f"({', '.join(exercise.fields)}), got {len(out)} at {step.where}.",
            step=step,
        )
    values = []
    for name, kind, got, want in zip(exercise.fields, exercise.kinds, out, step.expected):
        where = f"at {step.where}"
        if got is None:
            raise _Failure(
                f"{exercise.name}: {name} is None {where}.",
                step=step,
                field=name,
                diagnosis=exercise.shape_hint(step, name, None),
            )
        try:
            array = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            what = "an array" if kind == "array" else "a number"
            raise _Failure(
                f"{exercise.name}: {name} must be {what}, got {type(got).__name__} "
                f"{got!r:.60} {where}.",
                step=step,
                field=name,
            ) from None
        if array.shape != np.shape(want):
            expect = f"shape {np.shape(want)}" if kind == "array" else "one number"
            raise _Failure(
                f"{exercise.name}: {name} must have {expect}, got shape {array.shape} {where}.",
                step=step,
                field=name,
                diagnosis=exercise.shape_hint(step, name, array.shape),
            )
        if kind == "count" and np.isfinite(array) and array != np.round(array):
            raise _Failure(
                f"{exercise.name}: {name} counts epochs, so it must be a whole number, "
                f"got {got!r} {where}.",
                step=step,
                field=name,
            )
        values.append(array)
    return tuple(values)


def _wrong_fields(exercise, got, expected):
    return [i for i in range(len(exercise.fields)) if not _close(got[i], expected[i])]


def _diagnose(exercise, step, got, wrong, ran):
    """The known mistake behind a wrong answer (a :class:`Mistake`), or None.

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
        if candidates:  # max keeps the first of equal scores, and the lists put the likelier first
            return max(candidates, key=lambda m: agreement(m, fields_of))
    per_field = []
    for i in wrong:
        for mistake, outputs in step.variants():
            if _close(got[i], outputs[i]):
                if (exercise.fields[i], mistake) not in per_field:
                    per_field.append((exercise.fields[i], mistake))
                break
    if not per_field:
        return None
    return Mistake(
        " ".join(f"{name}: {m.what}" for name, m in per_field),
        " ".join(m.fix for _, m in per_field if m.fix),
    )


def _check_hint(hint):
    if isinstance(hint, (bool, np.bool_)) or hint not in HINT_LEVELS:
        raise ValueError(
            f"hint must be 0 (the mistake named), 1 (and how to fix it) or 2 (and "
            f"the full rule), got {hint!r}"
        )
    return int(hint)


def _run(exercise, fn, hint=0):
    hint = _check_hint(hint)
    if not callable(fn):
        return Report(
            exercise.name,
            False,
            f"✗ {exercise.name}: {exercise.grader} needs your function itself: "
            f"{exercise.grader}({exercise.name}), with no parentheses after "
            f"{exercise.name}. It got {fn!r:.80}.",
            hint_level=hint,
        )
    try:
        _run_cases(exercise, fn)
    except _Failure as failure:
        messages = _failure_messages(exercise, failure)
        mistake = _as_mistake(failure.diagnosis)
        return Report(
            exercise.name,
            False,
            messages[hint],
            where=failure.step.where if failure.step is not None else None,
            field=failure.field,
            diagnosis=str(mistake) if mistake else None,
            mistake=mistake.what if mistake else None,
            hint_level=hint,
            messages=messages,
        )
    n_cases, n_calls = len(exercise.cases), sum(len(c) for c in exercise.cases)
    return Report(
        exercise.name,
        True,
        f"✓ {exercise.name}: all {n_cases} cases ({n_calls} calls) agree with "
        f"{exercise.reference}.",
        hint_level=hint,
    )


def _failure_messages(exercise, failure):
    """The report's text at hint levels 0, 1 and 2."""
    lines = [f"✗ {failure.headline}"]
    if failure.step is not None and not failure.details.startswith("  inputs"):
        failure.details = "\n".join(filter(None, [failure.details, *_inputs_text(failure.step)]))
    if failure.details:
        lines.append(failure.details)
    if failure.stub:  # nothing to diagnose yet, and no rule to give away
        return ("\n".join(lines),) * 3
    mistake = _as_mistake(failure.diagnosis)
    call = f"{exercise.grader}({exercise.name}, hint=2)"
    if mistake is None and failure.field:
        mistake = Mistake(
            "none of the usual mistakes matches exactly; compare your formula "
            "with the rule, term by term."
        )
    messages = []
    for level in HINT_LEVELS:
        text = list(lines)
        if mistake is not None:
            said = mistake.what if level == 0 or not mistake.fix else str(mistake)
            text += ["", f"  Likely mistake: {said}"]
        if level == 2:
            text += ["", f"  The rule: {exercise.rule}"]
        elif level == 0 and mistake is not None and mistake.fix:
            text += [
                "",
                f"  More help: {call[:-2]}1) says how to fix it; hint=2 also shows the full rule.",
            ]
        else:
            text += ["", f"  More help: {call} shows the full rule."]
        messages.append("\n".join(text))
    return tuple(messages)


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
    ran = []  # (step, got, wrong fields) for every step that returned something
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
        lines.append(
            f"    {'':<{width}}  got      {_show(got[i], pad)}{_worst(got[i], step.expected[i])}"
        )
    diagnosis = _diagnose(exercise, step, got, wrong, ran)
    if diagnosis is None and not all(np.all(np.isfinite(got[i])) for i in wrong):
        diagnosis = exercise.nonfinite_hint(step) or (
            "Your answer contains NaN or inf: look for a division by zero or the square root of a "
            "negative number."
        )
    names = [exercise.fields[i] for i in wrong]
    names = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    verb = "is" if len(wrong) == 1 else "are"
    raise _Failure(
        f"{exercise.name}: {names} {verb} wrong at {step.where}.",
        "\n".join(lines),
        field=exercise.fields[wrong[0]],
        diagnosis=diagnosis,
        step=step,
    )
