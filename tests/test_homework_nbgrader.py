"""The nbgrader route, run for real on one exercise: ``gdsim homework DIR --nbgrader``, then
``nbgrader generate_assignment`` (the student's release) and ``nbgrader autograde`` on the right
answer, the untouched release and a typical mistake, scored by ``nbgrader export``.

nbgrader is in the test extra; the format itself is checked for every exercise without it in
test_homework_notebooks.py.
"""

import csv
import json
import os
import subprocess
import sys

import pytest

from gdsim import cli, homework
from gdsim.teach import assignments

pytest.importorskip("nbgrader")  # in the test extra: never skipped there

SHEET = homework.SHEETS[-1]  # warm-up + cosine: a quick grader and a quick picture
MISTAKE = """
def warmup_cosine(step, lr_max, warmup_steps, T_max, start_factor, eta_min):
    if step < warmup_steps:
        return lr_max * (start_factor + (1 - start_factor) * step / warmup_steps)
    return eta_min + (lr_max - eta_min) * (1 + np.cos(np.pi * step / T_max)) / 2"""


def _nbgrader(args, cwd):
    env = {
        **os.environ,
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
        "MPLBACKEND": "Agg",
    }
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"nbgrader {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nbgrader") / "course"
    assert cli.main(["homework", str(folder), "--nbgrader"]) == 0
    _nbgrader(["generate_assignment", SHEET.name, "--create"], folder)
    released = json.loads((folder / "release" / SHEET.name / f"{SHEET.name}.ipynb").read_text())
    for student, answer in [("right", SHEET.solution()), ("blank", None), ("mistake", MISTAKE)]:
        notebook = json.loads(json.dumps(released))
        if answer is not None:
            (cell,) = [
                c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("solution")
            ]
            cell["source"] = answer.strip("\n")
        path = folder / "submitted" / student / SHEET.name / f"{SHEET.name}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(notebook))
    _nbgrader(["autograde", SHEET.name], folder)
    _nbgrader(["export"], folder)
    with open(folder / "grades.csv") as f:
        scores = {
            row["student_id"]: (float(row["score"]), float(row["max_score"]))
            for row in csv.DictReader(f)
        }
    return folder, released, scores


def test_the_release_has_the_stub_and_no_hidden_tests(course):
    _, released, _ = course
    text = "".join("".join(c["source"]) for c in released["cells"])
    assert "raise NotImplementedError()" in text and "### BEGIN" not in text
    assert str(assignments.HIDDEN_SEEDS[0]) not in text and "edge_cases=True" not in text
    assert SHEET.body.split("\n")[0].strip() not in text  # no line of the solution


def test_autograde_scores_right_blank_and_a_mistake(course):
    folder, _, scores = course
    assert scores["right"] == (assignments.POINTS, assignments.POINTS)
    assert scores["blank"] == (0, assignments.POINTS)
    assert scores["mistake"][0] <= 1
    graded = json.loads(
        (folder / "autograded" / "mistake" / SHEET.name / f"{SHEET.name}.ipynb").read_text()
    )
    feedback = json.dumps([c.get("outputs", []) for c in graded["cells"]])
    assert "counts from step 0 of the whole run" in feedback  # the mistake, named
    assert "The rule:" not in feedback
