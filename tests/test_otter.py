"""The Otter-Grader assignments, built and graded for real: ``gdsim homework DIR --otter``, then
``otter assign`` for every exercise, then ``otter run`` (no Docker) on submissions.

Each assignment is built once per session (a session fixture, two builds at a time). The right
answer must get full marks, the untouched student notebook zero, and a typical mistake a low
score with the mistake named in the feedback, through the whole pipeline (the notebook
executed, then Otter's tests). Every other mistake the graders know is graded with the same
test files inside this process, as Otter runs them once the notebook has executed.

Grading must need no network: gdsim reaches the autograder as a wheel built by
``pip wheel . --no-deps`` (listed in Otter's requirements), and ``otter run`` grades in the
current environment. The runs here get a proxy that refuses every connection and no package
index, so anything that tried to download would fail.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from test_homework import RIGHT, WRONG

import gdsim
from gdsim import cli, homework
from gdsim.teach import assignments

otter_test_files = pytest.importorskip("otter.test_files")  # in the test extra: never skipped

ROOT = Path(__file__).resolve().parent.parent
OFFLINE = {
    "PIP_NO_INDEX": "1",
    "PIP_FIND_LINKS": "",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "MPLBACKEND": "Agg",
}

# one typical mistake per exercise, as a student would write it, for the full pipeline
MISTAKES = {
    "momentum_step": (
        "the learning rate inside the buffer",
        '''
def momentum_step(params, grad, velocity, lr, momentum):
    """lr inside the buffer (Sutskever's form)."""
    b = lr * grad if velocity is None else momentum * velocity + lr * grad
    return params - b, b''',
        "already contains the learning rate",
    ),
    "adam_step": (
        "no bias correction",
        """
def adam_step(params, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return params - lr * m / (np.sqrt(v) + eps), m, v""",
        "skipped the bias correction",
    ),
    "cosine_restarts": (
        "periods that never grow",
        """
def cosine_restarts(step, lr_max, T_0, T_mult, eta_min):
    T_cur = step % T_0
    return eta_min + (lr_max - eta_min) * (1 + math.cos(math.pi * T_cur / T_0)) / 2""",
        "never grow",
    ),
    "dense_backward": (
        "gradients averaged over the batch",
        """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    a = {"linear": z, "relu": np.maximum(z, 0), "tanh": np.tanh(z),
         "sigmoid": 1 / (1 + np.exp(-z))}[activation]
    dphi = {"linear": np.ones_like(z), "relu": (z > 0) * 1.0, "tanh": 1 - a**2,
            "sigmoid": a * (1 - a)}[activation]
    delta = grad_out * dphi
    n = len(x)
    return delta @ W.T, x.T @ delta / n, delta.sum(axis=0) / n""",
        "averaged over the batch",
    ),
    "plateau_update": (
        "PyTorch's trigger, one epoch late",
        """
def plateau_update(metric, best, wait, lr, patience, factor, min_delta):
    if metric < best - min_delta:
        return metric, 0, lr
    wait += 1
    if wait > patience:
        return best, 0, lr * factor
    return best, wait, lr""",
        "one epoch late",
    ),
    "lr_valley": (
        "the longest run of consecutive decreases",
        """
def lr_valley(lrs, losses):
    run, best, end = 1, 1, 0
    for i in range(1, len(losses)):
        run = run + 1 if losses[i] < losses[i - 1] else 1
        if run > best:
            best, end = run, i
    start = end - best if best > 1 else 0
    s = (end - start) / 3
    return lrs[start + int(s) + int(s / 2)]""",
        "consecutive decreases",
    ),
    "warmup_cosine": (
        "a cosine that counts from step 0",
        """
def warmup_cosine(step, lr_max, warmup_steps, T_max, start_factor, eta_min):
    if step < warmup_steps:
        return lr_max * (start_factor + (1 - start_factor) * step / warmup_steps)
    return eta_min + (lr_max - eta_min) * (1 + np.cos(np.pi * step / T_max)) / 2""",
        "counts from step 0",
    ),
}
SHEETS = {sheet.function: sheet for sheet in homework.SHEETS}


def _run(args, cwd, env=None):
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _wheel(tmp):
    """gdsim's wheel, built by pip from a copy of the sources (so the checkout stays clean)."""
    import importlib.util

    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("gdsim", "lessons"):
        shutil.copytree(
            ROOT / folder,
            source / folder,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
    # with setuptools installed the build needs no index (a fresh Python 3.11 venv has it)
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    _run(["pip", "wheel", ".", "--no-deps", "-q", *isolation, "-w", str(tmp / "wheels")], source)
    (wheel,) = (tmp / "wheels").glob("gdsim-*.whl")
    return wheel


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """{function: (assignment folder, autograder zip)} for all seven exercises."""
    tmp = tmp_path_factory.mktemp("otter")
    wheel = _wheel(tmp)
    course = tmp / "course"
    assert cli.main(["homework", str(course), "--otter", "--wheel", str(wheel)]) == 0

    def assign(sheet):
        out = course / "dist" / sheet.name
        _run(["otter", "assign", "--no-pdfs", f"{sheet.name}.ipynb", str(out)], course, OFFLINE)
        (zip_path,) = (out / "autograder").glob("*.zip")
        return sheet.function, (out, zip_path)

    with ThreadPoolExecutor(max_workers=2) as pool:  # two builds at a time: two cores
        return dict(pool.map(assign, homework.SHEETS))


def _submission(folder, sheet, answer, name):
    """The student notebook with the answer cell replaced (None: left untouched)."""
    notebook = json.loads((folder / "student" / f"{sheet.name}.ipynb").read_text())
    if answer is not None:
        (cell,) = [
            c for c in notebook["cells"] if "otter_answer_cell" in c["metadata"].get("tags", [])
        ]
        cell["source"] = answer.strip("\n")
    path = folder / "submissions" / name / f"{sheet.name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook))
    return path


def _grade(zip_path, submission):
    out = submission.parent
    _run(
        ["otter", "run", "-a", str(zip_path), "-o", str(out), "--no-logo", str(submission)],
        out,
        OFFLINE,
    )
    results = json.loads((out / "results.json").read_text())
    scored = [t for t in results["tests"] if "score" in t]
    public = "\n".join(t["output"] for t in results["tests"] if t.get("visibility") == "visible")
    return (
        sum(t["score"] for t in scored),
        sum(t["max_score"] for t in scored),
        "\n".join(t["output"] for t in scored),
        public,
    )


@pytest.fixture(scope="session")
def graded(built):
    """{(function, kind): (score, possible, feedback, public feedback)}: otter run on the right
    answer, the untouched notebook and one typical mistake of every exercise."""
    jobs = []
    for function, (folder, zip_path) in built.items():
        sheet = SHEETS[function]
        jobs += [
            ((function, "right"), zip_path, _submission(folder, sheet, sheet.solution(), "right")),
            ((function, "blank"), zip_path, _submission(folder, sheet, None, "blank")),
            (
                (function, "mistake"),
                zip_path,
                _submission(folder, sheet, MISTAKES[function][1], "mistake"),
            ),
        ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda job: (job[0], _grade(job[1], job[2])), jobs)
        return dict(results)


# --------------------------------------------------------------------------------------------
# The whole pipeline


def test_every_exercise_has_an_assignment_and_a_typical_mistake():
    assert set(MISTAKES) == set(SHEETS) and len(SHEETS) == 7


@pytest.mark.parametrize("function", list(SHEETS))
def test_the_autograder_zip_carries_the_tests_and_gdsim_as_a_wheel(built, function):
    folder, zip_path = built[function]
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        environment = archive.read("environment.yml").decode()
        tests = archive.read(f"tests/{SHEETS[function].slug}.py").decode()
    wheel = assignments.wheel_name()
    assert f"files/{wheel}" in names
    assert f"{assignments.WHEEL_DIR}/{wheel}" in environment  # pip installs it from the zip
    assert tests.count("@test_case(") == 3 and tests.count("hidden=True") == 2
    # the student gets the public test only, and gdsim's wheel to install
    student = json.loads((folder / "student" / f"{SHEETS[function].name}.ipynb").read_text())
    shipped = student["metadata"]["otter"]["tests"][SHEETS[function].slug]
    assert "edge_cases" not in shipped and str(assignments.HIDDEN_SEEDS[0]) not in shipped
    assert (folder / "student" / wheel).exists()
    assert student["metadata"]["otter"]["assignment_name"] == f"gdsim-{SHEETS[function].name}"


@pytest.mark.parametrize("function", list(SHEETS))
def test_otter_run_gives_full_marks_zero_and_a_low_named_score(graded, function):
    score, possible, _, _ = graded[function, "right"]
    assert possible == assignments.POINTS and score == possible
    score, possible, feedback, _ = graded[function, "blank"]
    assert score == 0 and "not written yet" in feedback
    score, possible, feedback, public = graded[function, "mistake"]
    words = MISTAKES[function][2]
    assert score <= 1, feedback
    assert words in public and words in feedback  # the student's own check shows it too
    assert "The rule:" not in feedback  # hint level 0: the rule is not given away


# --------------------------------------------------------------------------------------------
# Every mistake the graders know, through the same Otter test files


def _otter_score(zip_path, slug, function_name, fn):
    """Otter's own grading of one function: the assignment's test file run against a notebook
    environment that defines it (what otter run does once the notebook has executed)."""
    with zipfile.ZipFile(zip_path) as archive:
        source = archive.read(f"tests/{slug}.py").decode()
    test_file = otter_test_files.ExceptionTestFile.from_string(source, path=f"{slug}.py")
    test_file.run({function_name: fn})
    return (
        test_file.score,
        test_file.possible,
        "\n".join(r.message for r in test_file.test_case_results),
    )


@pytest.mark.parametrize("grader, fn", RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_every_right_answer_gets_full_marks(built, grader, fn):
    sheet = next(s for s in homework.SHEETS if s.grader == grader.__name__)
    score, possible, messages = _otter_score(
        built[sheet.function][1], sheet.slug, sheet.function, fn
    )
    assert score == possible == assignments.POINTS, messages


@pytest.mark.parametrize(
    "grader, fn, words",
    WRONG,
    ids=lambda v: getattr(v, "__name__", "") if not isinstance(v, list) else v[0],
)
def test_every_known_mistake_scores_low_and_is_named(built, grader, fn, words):
    sheet = next(s for s in homework.SHEETS if s.grader == grader.__name__)
    score, possible, messages = _otter_score(
        built[sheet.function][1], sheet.slug, sheet.function, fn
    )
    assert score <= 1, messages
    report = grader(fn)  # the public test's report, as the student sees it
    assert report.mistake and report.mistake in messages
    assert "The rule:" not in messages


def test_scores_table(graded, capsys):
    # the table for the record (pytest -s shows it): right / blank / a typical mistake
    rows = [
        f"{f:<16} {graded[f, 'right'][0]:g}/{graded[f, 'right'][1]:g}  "
        f"{graded[f, 'blank'][0]:g}/{graded[f, 'blank'][1]:g}  "
        f"{graded[f, 'mistake'][0]:g}/{graded[f, 'mistake'][1]:g} ({MISTAKES[f][0]})"
        for f in SHEETS
    ]
    with capsys.disabled():
        print("\n" + "\n".join(rows))
    assert len(rows) == len(SHEETS) and gdsim.__version__ in assignments.wheel_name()


# every mistake a grader lists, made everywhere: a stand-in student who answers each case the
# grader can send (its own cases, the hidden seeds, the edge cases) with that mistake's answer
BUILDERS = {
    "momentum_step": homework._momentum_exercise,
    "adam_step": homework._adam_exercise,
    "cosine_restarts": homework._cosine_exercise,
    "dense_backward": homework._dense_exercise,
    "plateau_update": homework._plateau_exercise,
    "lr_valley": homework._valley_exercise,
    "warmup_cosine": homework._warmup_exercise,
}


def _key(args):
    return tuple(
        repr(a)
        if a is None or isinstance(a, str)
        else (np.asarray(a, dtype=float).tobytes(), np.shape(a))
        for a in args
    )


def _mistakes():
    for function, build in BUILDERS.items():
        exercises = [
            build(0),
            *[build(s) for s in assignments.HIDDEN_SEEDS],
            build(assignments.EDGE_SEED, edge_cases=True),
        ]
        steps = [step for exercise in exercises for case in exercise.cases for step in case]
        edges = sum(len(case) for case in exercises[-1].cases)
        listed, seen_before_the_edges = [], set()
        for k, step in enumerate(steps):
            for mistake, outputs in step.variants():
                if mistake not in listed:
                    listed.append(mistake)
                if k < len(steps) - edges and any(
                    not homework._close(o, e) for o, e in zip(outputs, step.expected)
                ):
                    seen_before_the_edges.add(mistake)
        for mistake in listed:
            yield pytest.param(
                function,
                mistake,
                steps,
                mistake not in seen_before_the_edges,
                id=f"{function}-{mistake.what[:40]}",
            )


def _making(mistake, steps, single):
    answers = {}
    for step in steps:
        forms = [outputs for m, outputs in step.variants() if m == mistake]
        answers[_key(step.inputs.values())] = forms[0] if forms else step.expected

    def student(*args):
        outputs = answers[_key(args)]
        return outputs[0] if single else outputs

    return student


@pytest.mark.parametrize("function, mistake, steps, edge_only", list(_mistakes()))
def test_every_mistake_a_grader_lists_scores_low_and_is_named(
    built, function, mistake, steps, edge_only
):
    sheet = SHEETS[function]
    single = len(BUILDERS[function](0).fields) == 1
    student = _making(mistake, steps, single)
    score, possible, messages = _otter_score(built[function][1], sheet.slug, function, student)
    if edge_only:  # a mistake only an edge case shows (a loss that never falls) loses that test
        edge_points = next(t.points for t in assignments.TESTS if t.name == "edge_cases")
        assert score == possible - edge_points, messages
    else:
        assert score <= 1, messages
    assert mistake.what in messages, messages
