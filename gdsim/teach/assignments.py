"""The homework as notebooks, all written from the sheets in :mod:`gdsim.homework`.

Each exercise is defined once, as a :class:`gdsim.homework.Sheet`. This module turns a sheet into
four notebooks, so that they can never drift apart:

* the lesson's exercise and its solution (``lessons/homework/`` and its ``solutions/``);
* an Otter-Grader source notebook (``otter assign`` makes the student notebook and the
  Gradescope autograder zip from it);
* an nbgrader source notebook (``nbgrader generate_assignment`` makes the release version).

Every assignment grades the student's function with the exercise's own grader, in three tests
worth 4 points: the grader's public cases (1 point, seed 0, what the notebook's own check cell
runs), two fresh seeds (2 points, hidden) and the grader's edge cases (1 point, hidden). The
tests show the grader's report at hint level 0, which names the first wrong step and the likely
mistake but not the rule. The command line is ``gdsim homework DIR --otter | --nbgrader |
--lessons``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from gdsim import homework

FORMATS = ("lessons", "otter", "nbgrader")
HIDDEN_SEEDS = (2718, 31415)  # seeds the notebooks never show
EDGE_SEED = 2718
WHEEL_DIR = "/autograder/source/files"  # where Gradescope and `otter grade` put Otter's files

_KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

_YOUR_TURN = (
    "## Your turn\n\nFill in the function below. It must run for every input the "
    "grader sends, so start\nfrom the maths above rather than from special cases."
)
_CHECK_IT = (
    "## Check it\n\nThe grader calls your function on seeded, randomized cases and "
    "compares every output with\ngdsim's own implementation. If something is wrong, it "
    "shows the first wrong case and step,\nthe inputs, expected against got, and the "
    "likely mistake by name. For more help, run\n`report.hint()` (how to fix that "
    "mistake), then `report.hint(2)` (the full rule)."
)
_CHECK_SOLUTION = (
    "## Check it\n\nThe grader must pass; the `assert` makes the test suite fail "
    "if this solution (or gdsim)\never drifts."
)


@dataclass(frozen=True)
class _Test:
    name: str  # "public", "fresh_seeds", "edge_cases"
    points: int
    hidden: bool
    about: str  # one line for the test's docstring or comment


TESTS = (
    _Test("public", 1, False, "the grader's own cases (seed 0), as the notebook runs it"),
    _Test("fresh_seeds", 2, True, "the grader on two seeds the notebook never shows"),
    _Test("edge_cases", 1, True, "the grader's edge cases"),
)
POINTS = sum(t.points for t in TESTS)


# --------------------------------------------------------------------------------------------
# Cells and notebooks as plain JSON (nbformat 4.5), so that gdsim needs no Jupyter package


def _cell(kind, source, cell_id, **metadata):
    cell = {"cell_type": kind, "id": cell_id, "metadata": metadata, "source": _lines(source)}
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def _lines(text):
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _notebook(cells, sheet, **metadata):
    for k, cell in enumerate(cells):
        if cell["id"] is None:
            cell["id"] = f"{sheet.number:02d}-{k:02d}"
    return {"cells": cells, "metadata": {**_KERNEL, **metadata}, "nbformat": 4, "nbformat_minor": 5}


def dumps(notebook):
    """The notebook's text as Jupyter writes it (one-space indents, UTF-8 kept)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _md(text, **metadata):
    return _cell("markdown", text, None, **metadata)


def _code(text, **metadata):
    return _cell("code", text, None, **metadata)


def _raw(text, **metadata):
    return _cell("raw", text, None, **metadata)


def _indent(code):
    return "\n".join(("    " + line) if line else "" for line in code.split("\n"))


def _waiting_picture(sheet):
    """The picture as the exercise has it: it waits for the grader."""
    return (
        f"if report:\n{_indent(sheet.picture)}\nelse:\n"
        f'    print("Finish {sheet.function} first: the grader above says what to fix.")'
    )


def _head(sheet, suffix=""):
    return [
        _md(f"# {sheet.heading}{suffix}\n\n{sheet.intro}"),
        _md(sheet.rule),
        _code(sheet.imports),
    ]


def _tail(sheet):
    return [_md(sheet.see_it), _code(_waiting_picture(sheet)), _md(sheet.things_to_try)]


# --------------------------------------------------------------------------------------------
# The four notebooks


def lesson(sheet):
    """The exercise notebook of ``lessons/homework/``."""
    cells = [
        *_head(sheet),
        _md(_YOUR_TURN),
        _code(sheet.stub()),
        _md(_CHECK_IT),
        _code(f"report = {sheet.grader}({sheet.function})\nreport"),
        *_tail(sheet),
    ]
    return _notebook(cells, sheet)


def solution(sheet):
    """The solution notebook of ``lessons/homework/solutions/``: the grader and the picture
    must agree, or the test suite (which runs it) fails."""
    cells = [
        *_head(sheet, " — solution"),
        _md("## A solution"),
        _code(sheet.solution()),
        _md(_CHECK_SOLUTION),
        _code(
            f"report = {sheet.grader}({sheet.function})\n"
            "assert report.passed, report.message\nreport"
        ),
        _md(sheet.see_it),
        _code(f"{sheet.picture}\n{sheet.picture_check}"),
        _md(sheet.things_to_try),
    ]
    return _notebook(cells, sheet)


def _grader_calls(sheet, test):
    """The lines of a test that call the grader and assert its report."""
    call = f"{sheet.grader}({sheet.function}"
    if test.name == "public":
        return [f"report = {call}, seed=0)", "assert report, report.message"]
    if test.name == "fresh_seeds":
        return [
            f"for seed in {HIDDEN_SEEDS}:",
            f"    report = {call}, seed=seed)",
            "    assert report, report.message",
        ]
    return [f"report = {call}, seed={EDGE_SEED}, edge_cases=True)", "assert report, report.message"]


def otter_test(sheet, test):
    """One exception-based Otter test cell: a config block, one function and its call."""
    body = "\n".join(
        "    " + line
        for line in [
            f'"""{test.about[0].upper()}{test.about[1:]}."""',
            f"from gdsim.homework import {sheet.grader}",
            *_grader_calls(sheet, test),
        ]
    )
    return (
        f'""" # BEGIN TEST CONFIG\npoints: {test.points}\nhidden: '
        f'{"true" if test.hidden else "false"}\n""" # END TEST CONFIG\n'
        f"def test_{test.name}({sheet.function}):\n{body}\n\n"
        f"test_{test.name}({sheet.function})"
    )


def _otter_solution(sheet):
    """The function as Otter's solution cell: the solution, and the stub as its prompt."""
    return (
        f"{sheet.signature}\n    # BEGIN SOLUTION NO PROMPT\n{sheet.body}\n    # END SOLUTION\n"
        f'    """ # BEGIN PROMPT\n{sheet.todo}\n    return None\n    """ # END PROMPT'
    )


def assignment_name(sheet):
    return f"gdsim-{sheet.name}"


def otter(sheet, wheel):
    """The Otter-Grader source notebook (Otter's v1 format, exception-based tests). ``wheel``
    is the file name of gdsim's wheel, which Otter copies into the autograder and installs from
    its requirements, so grading needs no index for gdsim."""
    config = "\n".join(
        [
            "# ASSIGNMENT CONFIG",
            f"name: {assignment_name(sheet)}",
            "requirements: requirements.txt",
            "files:",
            f"  - {wheel}",
            "export_cell:",
            "  pdf: false",
            "generate:",
            "  pdf: false",
            "tests:",
            "  ok_format: false",
        ]
    )
    cells = [
        _raw(config),
        *_head(sheet),
        _raw(f"# BEGIN QUESTION\nname: {sheet.slug}\npoints: {POINTS}"),
        _md(_YOUR_TURN),
        _raw("# BEGIN SOLUTION"),
        _code(_otter_solution(sheet)),
        _raw("# END SOLUTION"),
        _raw("# BEGIN TESTS"),
        *[_code(otter_test(sheet, t)) for t in TESTS],
        _raw("# END TESTS"),
        _raw("# END QUESTION"),
        _md(_CHECK_IT),
        _code(f"report = {sheet.grader}({sheet.function})\nreport"),
        *_tail(sheet),
    ]
    return _notebook(cells, sheet)


def _nbgrader(grade_id, solution=False, grade=False, locked=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def nbgrader_test(sheet, test):
    """One nbgrader autograder cell; a hidden test sits between nbgrader's hidden markers."""
    lines = [
        f"# {test.about} ({test.points} point{'s' if test.points > 1 else ''})",
        f"from gdsim.homework import {sheet.grader}",
    ]
    calls = _grader_calls(sheet, test)
    lines += ["### BEGIN HIDDEN TESTS", *calls, "### END HIDDEN TESTS"] if test.hidden else calls
    return "\n".join(lines)


def nbgrader(sheet):
    """The nbgrader source notebook: the solution between ``### BEGIN SOLUTION`` markers in a
    solution cell, one autograder cell per test, the instructions locked."""
    slug = sheet.slug
    solution_code = (
        f"{sheet.signature}\n{sheet.todo}\n    ### BEGIN SOLUTION\n{sheet.body}\n"
        "    ### END SOLUTION"
    )
    cells = [
        *_head(sheet),
        _md(_YOUR_TURN, **_nbgrader(f"{slug}-prompt", locked=True)),
        _code(solution_code, **_nbgrader(slug, solution=True)),
        *[
            _code(
                nbgrader_test(sheet, t),
                **_nbgrader(f"test_{slug}_{t.name}", grade=True, locked=True, points=t.points),
            )
            for t in TESTS
        ],
        _md(_CHECK_IT),
        _code(f"report = {sheet.grader}({sheet.function})\nreport"),
        *_tail(sheet),
    ]
    return _notebook(cells, sheet)


# --------------------------------------------------------------------------------------------
# Writing them


def wheel_name():
    """The file name that ``pip wheel . --no-deps`` gives gdsim's wheel."""
    import gdsim

    return f"gdsim-{gdsim.__version__}-py3-none-any.whl"


def _write(path, text, force):
    if path.exists() and not force:
        raise FileExistsError(
            f"{path} already exists; choose another folder, or pass --force to overwrite it"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write(folder, fmt, wheel=None, force=False, sheets=None):
    """Write every sheet's notebooks in format ``fmt`` under ``folder``; returns the paths.

    * ``"lessons"``: ``NN_name.ipynb`` and ``solutions/NN_name.ipynb`` (what
      ``lessons/homework/`` holds);
    * ``"otter"``: ``NN_name.ipynb`` (Otter source notebooks), ``requirements.txt`` and gdsim's
      wheel when ``wheel`` (a path) is given;
    * ``"nbgrader"``: ``source/NN_name/NN_name.ipynb``, an nbgrader course folder.

    Existing files are kept unless ``force``.
    """
    from gdsim import arguments

    arguments.check_choice("format", fmt, FORMATS)
    folder, sheets = Path(folder), homework.SHEETS if sheets is None else sheets
    written = []
    if fmt == "lessons":
        for sheet in sheets:
            written.append(_write(folder / f"{sheet.name}.ipynb", dumps(lesson(sheet)), force))
            written.append(
                _write(folder / "solutions" / f"{sheet.name}.ipynb", dumps(solution(sheet)), force)
            )
    elif fmt == "nbgrader":
        for sheet in sheets:
            written.append(
                _write(
                    folder / "source" / sheet.name / f"{sheet.name}.ipynb",
                    dumps(nbgrader(sheet)),
                    force,
                )
            )
    else:
        name = Path(wheel).name if wheel is not None else wheel_name()
        if wheel is not None and not Path(wheel).is_file():
            raise FileNotFoundError(
                f"wheel {wheel} does not exist; build it with "
                "`pip wheel . --no-deps -w DIR` in gdsim's folder"
            )
        for sheet in sheets:
            written.append(_write(folder / f"{sheet.name}.ipynb", dumps(otter(sheet, name)), force))
        written.append(_write(folder / "requirements.txt", requirements(name), force))
        if wheel is not None and Path(wheel).resolve() != (folder / name).resolve():
            shutil.copy2(wheel, folder / name)
            written.append(folder / name)
    return written


def requirements(wheel):
    """Otter's requirements.txt: gdsim from its wheel inside the autograder (gdsim's own
    dependencies, numpy, matplotlib and tqdm, come with it from the index when the image is
    built; grading itself then runs offline)."""
    return (
        "# gdsim, from the wheel that otter assign copies into the autograder (files:)\n"
        f"{WHEEL_DIR}/{wheel}\n"
    )


def lesson_folder():
    """``lessons/homework`` of the checkout or of the installed copy."""
    from gdsim.teach import lessons

    return lessons.folder() / "homework"


if __name__ == "__main__":  # python -m gdsim.teach.assignments: rewrite lessons/homework
    for path in write(lesson_folder(), "lessons", force=True):
        print(f"wrote {path}")
