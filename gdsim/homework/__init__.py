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
same kinds of cases, for example to check a second attempt on fresh inputs. ``edge_cases=True``
runs a second set of cases at the edges of each rule (a zero, a one, a flat curve, a far step),
as the hidden tests of the generated Otter and nbgrader assignments do.

Feedback comes at three hint levels, so that it does not hand out the answer: ``hint=0`` (the
default) names the first wrong step and the likely mistake, ``hint=1`` adds how to fix it and
``hint=2`` the full rule; ``report.hint()`` gives the next level of a report already made.
"""

# the exercises' builders and reference pieces, for the tests that check the graders
from gdsim.homework import adam, dense, momentum, plateau_rule, restarts, valley, warmup
from gdsim.homework.adam import _adam_exercise, check_adam_step  # noqa: F401
from gdsim.homework.dense import _dense_exercise, _dense_reference, check_dense_backward  # noqa: F401
from gdsim.homework.grading import ATOL_SCALE, HINT_LEVELS, RTOL, Mistake, Report, _close  # noqa: F401
from gdsim.homework.momentum import _momentum_exercise, check_momentum_step  # noqa: F401
from gdsim.homework.plateau_rule import _plateau_exercise, check_plateau_rule  # noqa: F401
from gdsim.homework.restarts import _cosine_exercise, check_cosine_restarts  # noqa: F401
from gdsim.homework.sheet import Sheet
from gdsim.homework.valley import _valley_exercise, check_lr_valley  # noqa: F401
from gdsim.homework.warmup import _warmup_exercise, check_warmup_cosine  # noqa: F401

# every exercise's notebook source, in order (gdsim.teach.assignments writes the notebooks)
SHEETS = tuple(
    module.SHEET for module in (momentum, adam, restarts, dense, plateau_rule, valley, warmup)
)

__all__ = [
    "Report",
    "Mistake",
    "Sheet",
    "SHEETS",
    "check_momentum_step",
    "check_adam_step",
    "check_cosine_restarts",
    "check_dense_backward",
    "check_plateau_rule",
    "check_lr_valley",
    "check_warmup_cosine",
]
