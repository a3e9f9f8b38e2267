"""The homework notebooks all come from one source, the sheets in gdsim.homework: the committed
lesson notebooks are exactly what the generator writes, and the Otter and nbgrader source
notebooks it writes have the formats those tools read."""

import ast
import json
import re
from pathlib import Path

import pytest

from gdsim import cli, homework
from gdsim.teach import assignments, lessons

HOMEWORK = Path(__file__).resolve().parent.parent / "lessons" / "homework"
SHEETS = homework.SHEETS
REGENERATE = "python -m gdsim.teach.assignments"


def _source(cell):
    return "".join(cell["source"])


def _run_code(code, namespace):
    exec(compile(code, "<cell>", "exec"), namespace)  # noqa: S102 - the notebooks' own code
    return namespace


# --------------------------------------------------------------------------------------------
# One source of truth


def test_every_sheet_has_a_grader_and_a_unique_number():
    assert [s.number for s in SHEETS] == list(range(1, len(SHEETS) + 1))
    for sheet in SHEETS:
        assert callable(getattr(homework, sheet.grader)), sheet.grader
        assert sheet.grader in homework.__all__


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_committed_lesson_notebooks_are_what_the_sheets_generate(sheet):
    for path, notebook in [
        (HOMEWORK / f"{sheet.name}.ipynb", assignments.lesson(sheet)),
        (HOMEWORK / "solutions" / f"{sheet.name}.ipynb", assignments.solution(sheet)),
    ]:
        assert path.read_text(encoding="utf-8") == assignments.dumps(notebook), (
            f"{path} differs from its sheet in gdsim/homework/: edit the sheet, then run "
            f"{REGENERATE}"
        )


def test_no_notebook_in_lessons_homework_lacks_a_sheet():
    names = {f"{s.name}.ipynb" for s in SHEETS}
    assert {p.name for p in HOMEWORK.glob("*.ipynb")} == names
    assert {p.name for p in (HOMEWORK / "solutions").glob("*.ipynb")} == names


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_sheet_solution_passes_every_test_and_the_stub_none(sheet):
    namespace = _run_code(sheet.imports, {})
    solved = _run_code(sheet.solution(), dict(namespace))[sheet.function]
    stub = _run_code(sheet.stub(), dict(namespace))[sheet.function]
    grader = getattr(homework, sheet.grader)
    assert grader(solved) and grader(solved, seed=assignments.HIDDEN_SEEDS[0])
    assert grader(solved, seed=assignments.EDGE_SEED, edge_cases=True)
    assert "not written yet" in grader(stub).message


# --------------------------------------------------------------------------------------------
# Otter-Grader's source format


def _otter(sheet):
    return assignments.otter(sheet, assignments.wheel_name())["cells"]


def _blocks(cells):
    """[(block kind, begin index, end index)] of the raw BEGIN/END cells, checked to nest."""
    stack, blocks = [], []
    for i, cell in enumerate(cells):
        match = re.match(r"# (BEGIN|END) (QUESTION|SOLUTION|TESTS)\b", _source(cell))
        if cell["cell_type"] != "raw" or not match:
            continue
        if match.group(1) == "BEGIN":
            stack.append((match.group(2), i))
        else:
            kind, begin = stack.pop()
            assert kind == match.group(2), f"{match.group(0)} closes {kind}"
            blocks.append((kind, begin, i))
    assert not stack
    return blocks


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_otter_notebook_has_otters_v1_format(sheet):
    yaml = pytest.importorskip("yaml")  # comes with otter-grader, in the test extra
    cells = _otter(sheet)
    assert cells[0]["cell_type"] == "raw" and _source(cells[0]).startswith("# ASSIGNMENT CONFIG")
    config = yaml.safe_load(_source(cells[0]))
    assert config["files"] == [assignments.wheel_name()] and config["requirements"]
    assert config["tests"] == {"ok_format": False} and config["name"] == f"gdsim-{sheet.name}"
    blocks = _blocks(cells)
    assert sorted(kind for kind, _, _ in blocks) == ["QUESTION", "SOLUTION", "TESTS"]
    ((_, q_begin, q_end),) = [b for b in blocks if b[0] == "QUESTION"]
    question = yaml.safe_load(_source(cells[q_begin]).split("\n", 1)[1])
    assert question == {"name": sheet.slug, "points": assignments.POINTS}
    assert all(q_begin < begin < end < q_end for kind, begin, end in blocks if kind != "QUESTION")


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_otter_tests_are_one_function_and_its_call_with_points(sheet):
    yaml = pytest.importorskip("yaml")
    cells = _otter(sheet)
    ((_, begin, end),) = [b for b in _blocks(cells) if b[0] == "TESTS"]
    tests = [_source(c) for c in cells[begin + 1 : end]]
    total, hidden = 0, []
    for source in tests:
        config, _, code = source.partition('""" # END TEST CONFIG\n')
        settings = yaml.safe_load(config.split("\n", 1)[1])
        total += settings["points"]
        hidden.append(settings["hidden"])
        tree = ast.parse(code)
        # Otter's rule for exception-based tests: one function definition and its call
        assert len(tree.body) == 2 and isinstance(tree.body[0], ast.FunctionDef)
        assert [a.arg for a in tree.body[0].args.args] == [sheet.function]
        assert ast.unparse(tree.body[1]) == f"{tree.body[0].name}({sheet.function})"
        # the grader comes from gdsim inside the test, never from the student's notebook
        assert f"from gdsim.homework import {sheet.grader}" in code
    assert total == assignments.POINTS and hidden == [False, True, True]
    public = tests[0]
    assert "edge_cases" not in public and "seed=0" in public  # nothing a student has not seen


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_otter_gives_students_exactly_the_lesson_stub(sheet):
    solutions = pytest.importorskip("otter.assign.solutions")
    cells = _otter(sheet)
    ((_, begin, end),) = [b for b in _blocks(cells) if b[0] == "SOLUTION"]
    (answer,) = cells[begin + 1 : end]
    student = "\n".join(solutions.replace_solutions(_source(answer).split("\n"), "python"))
    assert student == sheet.stub()
    # and the autograder's version is the solution (the prompt is only a string after it)
    namespace = _run_code(_source(answer), _run_code(sheet.imports, {}))
    assert getattr(homework, sheet.grader)(namespace[sheet.function])


@pytest.mark.parametrize("sheet", SHEETS[:1] + SHEETS[-1:], ids=lambda s: s.name)
def test_otter_test_functions_pass_the_solution_and_fail_the_stub(sheet):
    cells = _otter(sheet)
    ((_, begin, end),) = [b for b in _blocks(cells) if b[0] == "TESTS"]
    base = _run_code(sheet.imports, {})
    for fn, passes in [
        (_run_code(sheet.solution(), dict(base))[sheet.function], True),
        (_run_code(sheet.stub(), dict(base))[sheet.function], False),
    ]:
        for cell in cells[begin + 1 : end]:
            code = _source(cell).partition('""" # END TEST CONFIG\n')[2]
            namespace = _run_code(code.rsplit("\n", 1)[0], {})
            test = next(v for k, v in namespace.items() if k.startswith("test_"))
            if passes:
                test(fn)
            else:
                with pytest.raises(AssertionError, match="not written yet"):
                    test(fn)


# --------------------------------------------------------------------------------------------
# nbgrader's source format


def _graded(cells):
    return [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_nbgrader_notebook_has_nbgraders_cell_metadata(sheet):
    cells = assignments.nbgrader(sheet)["cells"]
    marked = [c["metadata"]["nbgrader"] for c in cells if "nbgrader" in c["metadata"]]
    ids = [m["grade_id"] for m in marked]
    assert len(ids) == len(set(ids)) and all(m["schema_version"] == 3 for m in marked)
    solution_cells = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    (answer,) = solution_cells
    meta = answer["metadata"]["nbgrader"]
    assert answer["cell_type"] == "code" and not meta["grade"] and not meta["locked"]
    assert (
        _source(answer).count("### BEGIN SOLUTION")
        == _source(answer).count("### END SOLUTION")
        == 1
    )
    tests = _graded(cells)
    assert [c["metadata"]["nbgrader"]["points"] for c in tests] == [
        t.points for t in assignments.TESTS
    ]
    for cell, test in zip(tests, assignments.TESTS):
        meta = cell["metadata"]["nbgrader"]
        assert cell["cell_type"] == "code" and meta["locked"] and not meta["solution"]
        source = _source(cell)
        assert ("### BEGIN HIDDEN TESTS" in source) == test.hidden
        assert source.count("### BEGIN HIDDEN TESTS") == source.count("### END HIDDEN TESTS")


def _nbgrader_release(source):
    """What nbgrader's generate_assignment does to a source cell: the solution block becomes
    its stub, hidden tests disappear."""

    def stub(match):
        indent = match.group(1)
        return f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()"

    source = re.sub(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", stub, source, flags=re.S)
    return re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_nbgrader_autograder_cells_grade_the_solution_and_the_released_stub(sheet):
    cells = assignments.nbgrader(sheet)["cells"]
    (answer,) = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    base = _run_code(sheet.imports, {})
    solved = _run_code(_source(answer), dict(base))
    for cell in _graded(cells):
        _run_code(_source(cell), solved)  # every test passes the solution
    released = _run_code(_nbgrader_release(_source(answer)), dict(base))
    public = _graded(cells)[0]
    with pytest.raises(AssertionError, match="not written yet"):
        _run_code(_source(public), released)
    assert "### BEGIN" not in _nbgrader_release(_source(_graded(cells)[1]))


# --------------------------------------------------------------------------------------------
# The command


def test_gdsim_homework_writes_each_format_and_never_overwrites(tmp_path, capsys):
    assert cli.main(["homework", str(tmp_path / "otter"), "--otter"]) == 0
    out = capsys.readouterr().out
    assert "pip wheel" in out and "otter assign" in out  # no wheel given: say how
    written = sorted(p.name for p in (tmp_path / "otter").iterdir())
    assert written == sorted([f"{s.name}.ipynb" for s in SHEETS] + ["requirements.txt"])
    requirements = (tmp_path / "otter" / "requirements.txt").read_text()
    assert f"{assignments.WHEEL_DIR}/{assignments.wheel_name()}" in requirements
    assert cli.main(["homework", str(tmp_path / "otter"), "--otter"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["homework", str(tmp_path / "otter"), "--otter", "--force"]) == 0

    assert cli.main(["homework", str(tmp_path / "nb"), "--nbgrader"]) == 0
    for sheet in SHEETS:
        notebook = json.loads(
            (tmp_path / "nb" / "source" / sheet.name / f"{sheet.name}.ipynb").read_text()
        )
        assert notebook == json.loads(assignments.dumps(assignments.nbgrader(sheet)))

    assert cli.main(["homework", str(tmp_path / "les"), "--lessons"]) == 0
    for sheet in SHEETS:
        assert (tmp_path / "les" / f"{sheet.name}.ipynb").read_text() == (
            HOMEWORK / f"{sheet.name}.ipynb"
        ).read_text()


def test_gdsim_homework_copies_the_wheel_and_refuses_a_missing_one(tmp_path, capsys):
    wheel = tmp_path / assignments.wheel_name()
    wheel.write_bytes(b"PK")  # only copied here, never opened
    assert cli.main(["homework", str(tmp_path / "course"), "--otter", "--wheel", str(wheel)]) == 0
    assert (tmp_path / "course" / wheel.name).read_bytes() == b"PK"
    assert "pip wheel" not in capsys.readouterr().out
    assert (
        cli.main(
            ["homework", str(tmp_path / "c2"), "--otter", "--wheel", str(tmp_path / "gdsim-9.whl")]
        )
        == 1
    )
    assert "does not exist" in capsys.readouterr().err


def test_gdsim_homework_needs_one_format(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["homework", str(tmp_path)])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["homework", str(tmp_path), "--otter", "--nbgrader"])
    with pytest.raises(ValueError, match="format"):
        assignments.write(tmp_path, "canvas")


def test_students_get_no_solutions_and_staff_do(tmp_path, capsys):
    assert cli.main(["lessons", str(tmp_path / "students")]) == 0
    copied = sorted(
        p.relative_to(tmp_path / "students") for p in (tmp_path / "students").rglob("*.ipynb")
    )
    assert copied == lessons.notebooks(solutions=False)
    assert not any("solutions" in p.parts for p in copied)
    assert len([p for p in copied if "homework" in p.parts]) == len(SHEETS)
    assert cli.main(["lessons", str(tmp_path / "staff"), "--solutions"]) == 0
    assert "solutions" in capsys.readouterr().out
    staff = sorted(p.relative_to(tmp_path / "staff") for p in (tmp_path / "staff").rglob("*.ipynb"))
    assert staff == lessons.notebooks()
    assert len([p for p in staff if "solutions" in p.parts]) == len(SHEETS)
