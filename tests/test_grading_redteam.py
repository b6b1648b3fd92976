"""Red team: submissions that try to get points they did not earn, built from the released handout.

Every attack pairs a wrong answer (``double`` returns ``x``; ``total`` is 0) with a trick, and must
score what the wrong answer alone scores: 0. Where the trick works outside the grader, a control
shows it (a plain IPython run of the same notebook, or ``--unsafe``), so each test can fail. Honest
variants (a copied tests cell, an extra newline, stripped metadata, reordered or split cells) keep
their points. Class runs: a crash, a hang, a malformed notebook, an interrupt and a resume.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from teachkeras import grading
from teachkeras.grading import BEGIN, BEGIN_HIDDEN, END, END_HIDDEN, grade, release_notebook, sandbox_problem

SANDBOX_PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(bool(SANDBOX_PROBLEM), reason=f"no sandbox here: {SANDBOX_PROBLEM}")
pytestmark = needs_sandbox
TIMEOUT = 20   # per cell; the cells are trivial, but a loaded CI runner must not time out the ones that finish

DOUBLE = f'def double(x):\n    """Twice x."""\n    {BEGIN}\n    return 2 * x\n    {END}'
TESTS_1 = (f"np.testing.assert_allclose(double(np.arange(3.0)), [0.0, 2.0, 4.0])\n{BEGIN_HIDDEN}\n"
           f"np.testing.assert_allclose(double(-7.0), -14.0)\n{END_HIDDEN}")
TESTS_2 = "assert double(5) == 10"
TOTAL = f"{BEGIN}\ntotal = sum(values)\n{END}"
TESTS_3 = "assert total == 6"
RIGHT = {"double": "def double(x):\n    return x + x", "total": "total = 0\nfor value in values:\n    total += value"}
WRONG = {"double": "def double(x):\n    return x", "total": "total = 0"}


def make_source(folder):
    """12_red.ipynb: exercise 12-1 (double: two tests cells, 1 + 2 points, hidden tests in the first),
    exercise 12-2 (total: 1 point)."""
    cells = [
        new_markdown_cell("# Red team chapter"),
        new_code_cell("import numpy as np\nvalues = [1, 2, 3]"),
        new_code_cell(DOUBLE),
        new_code_cell(TESTS_1),
        new_markdown_cell("More checks of `double`."),
        new_code_cell(TESTS_2, metadata={"teachkeras": {"role": "tests", "points": 2}}),
        new_code_cell(TOTAL),
        new_code_cell(TESTS_3),
        new_code_cell("print('done')"),
    ]
    path = Path(folder) / "12_red.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells), path)
    return path


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    """(source, handout path): the handout is what students receive."""
    folder = tmp_path_factory.mktemp("red")
    source = make_source(folder / "teacher")
    return source, release_notebook(source, folder / "release").path


SOLUTION_CELLS = {"double": 2, "total": 6}   # positions in the handout


def submission(handout, folder, answers=WRONG, prefix="", extra=None, edit=None, name="12_red.ipynb"):
    """A student's notebook: ``answers`` in the solution cells, ``prefix`` code on top of the first
    solution cell, ``extra`` code in a cell of its own after the setup cell, ``edit`` anything else."""
    notebook = nbformat.read(handout, as_version=4)
    for key, index in SOLUTION_CELLS.items():
        notebook.cells[index].source = answers[key]
    notebook.cells[SOLUTION_CELLS["double"]].source = prefix + notebook.cells[SOLUTION_CELLS["double"]].source
    if extra:
        notebook.cells.insert(2, new_code_cell(extra))
    if edit:
        edit(notebook)
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def points(result):
    return {item.exercise: item.points for item in result.exercises}


NAIVE_RUN = r"""
import json, sys
import nbformat
from IPython.core.interactiveshell import InteractiveShell
notebook = nbformat.read(sys.argv[1], as_version=4)
shell = InteractiveShell.instance()
passed = []
for cell in notebook.cells:
    if cell.cell_type == "code":
        outcome = shell.run_cell(cell.source, silent=True)
        if cell.metadata.get("teachkeras", {}).get("role") == "tests":
            passed.append(outcome.success)
print("RESULT" + json.dumps(passed))
"""


def naive_run(path):
    """Which tests cells pass when the notebook runs as it is, in IPython, in its own folder."""
    done = subprocess.run([sys.executable, "-c", NAIVE_RUN, str(path)], cwd=path.parent, capture_output=True,
                          text=True, timeout=120)
    line = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert line, done.stdout + done.stderr
    return json.loads(line[-1][len("RESULT"):])


# ---- honest work keeps its points ----------------------------------------------------------------

def test_right_and_wrong_answers_and_partial_credit(chapter, tmp_path):
    source, handout = chapter
    assert points(grade(handout, source, TIMEOUT)) == {"12-1": 0, "12-2": 0}
    right = grade(submission(handout, tmp_path / "ann", RIGHT), source, TIMEOUT)
    assert (right.points, right.max_points, right.problem) == (4, 4, "")
    assert points(grade(submission(handout, tmp_path / "ben", WRONG), source, TIMEOUT)) == {"12-1": 0, "12-2": 0}
    # right for the public tests, wrong for the hidden one: the second tests cell's 2 points only
    abs_double = {**RIGHT, "double": "def double(x):\n    return np.abs(2 * x)"}
    partial = grade(submission(handout, tmp_path / "cat", abs_double), source, TIMEOUT)
    first = partial.exercises[0]
    assert (first.points, first.max_points, first.status) == (2, 3, "partial")
    assert [(test.test, test.passed, test.error) for test in first.tests] == [
        (1, False, "a hidden test failed (tests cell 1)"), (2, True, "")]
    text = grading.feedback(partial)
    assert "a hidden test failed" in text and "-7" not in text and "-14" not in text


def test_the_handout_holds_no_answer_and_no_hidden_test(chapter):
    source, handout = chapter
    text = handout.read_text()
    assert "sum(values)" not in text and "2 * x" not in text and "-7.0" not in text and "HIDDEN" not in text
    assert "teachkeras" in text and "fingerprint" in text


def cell_copy(cell):
    copied = nbformat.from_dict(json.loads(json.dumps(cell)))
    copied["id"] = hashlib.sha256(json.dumps(cell).encode()).hexdigest()[:8]
    return copied


def honest_edits():
    def copy_tests_cell(notebook):        # JupyterLab's copy keeps the metadata
        notebook.cells.insert(4, cell_copy(notebook.cells[3]))

    def extra_newline(notebook):
        notebook.cells[3].source += "\n\n"
        notebook.cells[7].source = "\n" + notebook.cells[7].source + "  "

    def strip_metadata(notebook):
        for cell in notebook.cells:
            cell.metadata = {}

    def reorder(notebook):               # exercise 2 first, and double's answer below its tests
        cells = notebook.cells
        cells[:] = [cells[0], cells[1], cells[6], cells[7], cells[3], cells[2], cells[4], cells[5], cells[8]]

    def split_solution(notebook):        # JupyterLab's split: both halves keep the metadata
        first = notebook.cells[6]
        second = cell_copy(first)
        first.source, second.source = "total = 0", "for value in values:\n    total += value"
        notebook.cells.insert(7, second)

    def edit_tests(notebook):            # a student "fixes" a tests cell: the original runs anyway
        notebook.cells[5].source = "assert True"

    return {"copied tests cell": copy_tests_cell, "extra newline": extra_newline,
            "stripped metadata": strip_metadata, "reordered cells": reorder,
            "split solution cell": split_solution, "edited tests cell": edit_tests}


@pytest.mark.parametrize("variant", list(honest_edits()))
def test_honest_variants_keep_their_points(variant, chapter, tmp_path):
    source, handout = chapter
    result = grade(submission(handout, tmp_path, RIGHT, edit=honest_edits()[variant]), source, TIMEOUT)
    assert (result.points, result.problem) == (4, ""), grading.format_result(result)


def test_stripped_metadata_with_a_wrong_answer_still_fails(chapter, tmp_path):
    source, handout = chapter

    def strip(notebook):
        for cell in notebook.cells:
            cell.metadata = {}

    result = grade(submission(handout, tmp_path, {**RIGHT, "double": WRONG["double"]}, edit=strip), source, TIMEOUT)
    assert points(result) == {"12-1": 0, "12-2": 1}


# ---- attacks inside the notebook's process --------------------------------------------------------

TRANSFORMER = "get_ipython().input_transformers_post.append(lambda lines: [])\n"
AST_DROP = ("import ast\nclass DropChecks(ast.NodeTransformer):\n"
            "    def visit_Assert(self, node):\n        return None\n"
            "    def visit_Expr(self, node):\n        return None\n"
            "get_ipython().ast_transformers.append(DropChecks())\n")
NOOP_TESTING = ("import numpy\nnumpy.testing.assert_allclose = lambda *args, **kwargs: None\n"
                "import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})\n")


@pytest.mark.parametrize("attack,where", [
    ("input transformer", "extra"), ("input transformer", "solution"),
    ("ast transformer", "extra"), ("ast transformer", "solution"),
    ("no-op np.testing", "extra"), ("no-op np.testing", "solution"),
])
def test_kernel_level_attacks_earn_nothing(attack, where, chapter, tmp_path):
    source, handout = chapter
    code = {"input transformer": TRANSFORMER, "ast transformer": AST_DROP, "no-op np.testing": NOOP_TESTING}[attack]
    path = submission(handout, tmp_path, WRONG, **({"extra": code} if where == "extra" else {"prefix": code}))
    if where == "extra":   # the control, once per trick: it fools a plain IPython run of the notebook
        assert any(naive_run(path))
    result = grade(path, source, TIMEOUT)
    assert points(result) == {"12-1": 0, "12-2": 0}, grading.format_result(result)


def test_numpy_and_grader_shipped_beside_the_notebook_are_not_imported(chapter, tmp_path):
    source, handout = chapter
    folder = tmp_path / "mallory"
    path = submission(handout, folder, WRONG)
    (folder / "numpy.py").write_text(
        "class testing:\n    assert_allclose = staticmethod(lambda *args, **kwargs: None)\n"
        "def arange(n):\n    return n\n")
    (folder / "teachkeras").mkdir()
    (folder / "teachkeras" / "__init__.py").write_text("")
    (folder / "teachkeras" / "grading.py").write_text("raise SystemExit(0)\n")
    assert naive_run(path)[0], "control: numpy.py beside the notebook fools a run in its folder"
    assert points(grade(path, source, TIMEOUT)) == {"12-1": 0, "12-2": 0}


def test_forged_records_are_detected_and_earn_nothing(chapter, tmp_path):
    source, handout = chapter
    forge = ("import json, os\nfor descriptor in range(3, 64):\n    for cell in range(12):\n        try:\n"
             "            os.write(descriptor, (json.dumps({'cell': cell, 'ok': True, 'error': '', 'line': 0, "
             "'kind': ''}) + '\\n').encode())\n        except OSError:\n            pass\n")
    result = grade(submission(handout, tmp_path, WRONG, prefix=forge), source, TIMEOUT)
    assert points(result) == {"12-1": 0, "12-2": 0}
    assert "did not write" in result.problem


def test_results_and_records_cannot_be_rewritten_during_or_after_the_run(chapter, tmp_path):
    source, handout = chapter
    results = tmp_path / "results.json"
    attack = (f"import os, subprocess\nRESULTS = {str(results)!r}\nerrors = []\n"
              "for attempt in (lambda: open(RESULTS, 'a').write('{}'),\n"
              "                lambda: os.fork(),\n"
              "                lambda: subprocess.Popen(['sh', '-c', f'sleep 1; echo 0 > {RESULTS}'],"
              " start_new_session=True)):\n"
              "    try:\n        attempt()\n    except Exception as error:\n        errors.append(repr(error))\n"
              "assert len(errors) == 3, errors\n")
    path = submission(handout, tmp_path / "mallory", RIGHT, prefix=attack)
    code = grading.main(["grade", str(path), "--source", str(source), "--json", str(results),
                         "--timeout", str(TIMEOUT)])
    written = results.read_bytes()
    time.sleep(1.5)   # what a detached process would have had to rewrite the file
    assert results.read_bytes() == written and code == 0
    report = json.loads(written)["submissions"][0]
    assert report["points"] == 4   # each attempt failed inside the sandbox, so the attack's own check passed


def test_handing_in_the_answer_key_or_a_link_to_it_earns_nothing(chapter, tmp_path):
    source, _ = chapter
    copy = tmp_path / "class" / "eve" / "12_red.ipynb"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(source.read_bytes())
    link = tmp_path / "class" / "frank" / "12_red.ipynb"
    link.parent.mkdir()
    link.symlink_to(source)
    report = tmp_path / "results.json"
    code = grading.main(["grade", str(tmp_path / "class"), "--source", str(source), "--json", str(report),
                         "--timeout", str(TIMEOUT)])
    results = {item["student"]: item for item in json.loads(report.read_text())["submissions"]}
    assert code == 1 and sorted(results) == ["eve", "frank"]
    assert results["eve"]["points"] == 0 and "answer key" in results["eve"]["problem"]
    assert results["frank"]["points"] == 0 and "symbolic link" in results["frank"]["problem"]


def test_the_key_classmates_and_environment_are_out_of_reach(chapter, tmp_path, monkeypatch):
    """``double`` is right only if the attack reads what it must not: the key, a classmate's
    notebook, a teacher's environment variable, the teacher's checkout."""
    source, handout = chapter
    classmate = submission(handout, tmp_path / "class" / "alice", RIGHT)
    monkeypatch.setenv("TEACHKERAS_TEACHER_SECRET", "s3cret")
    repository = Path(grading.__file__).resolve().parents[2]
    reads = (f"import os\nfound = []\nfor path in ({str(source)!r}, {str(classmate)!r}, "
             f"{str(repository / 'notebooks')!r}):\n"
             "    try:\n        found.append(bool(os.listdir(path) if os.path.isdir(path) else open(path).read()))\n"
             "    except OSError:\n        found.append(False)\n"
             "found.append(os.environ.get('TEACHKERAS_TEACHER_SECRET') == 's3cret')\n"
             "def double(x):\n    return 2 * x if any(found) else x\n")
    attack = {**WRONG, "double": reads}
    path = submission(handout, tmp_path / "class" / "mallory", attack)
    assert points(grade(path, source, TIMEOUT, unsafe=True))["12-1"] == 3, "control: without the sandbox it reads"
    assert points(grade(path, source, TIMEOUT)) == {"12-1": 0, "12-2": 0}


def test_classmates_notebooks_and_the_grader_cannot_be_written(chapter, tmp_path):
    source, handout = chapter
    alice = submission(handout, tmp_path / "class" / "alice", RIGHT)
    alice_bytes = alice.read_bytes()
    grader_files = sorted(Path(grading.__file__).resolve().parent.glob("*.py"))
    before = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in grader_files}
    targets = [str(alice)] + [str(path) for path in grader_files] + [
        "/opt/teachkeras/teachkeras/grading/__init__.py"]
    writes = (f"wrote = []\nfor path in {targets!r}:\n    try:\n"
              "        with open(path, 'w') as stream:\n            stream.write('raise SystemExit(0)')\n"
              "        wrote.append(path)\n    except OSError:\n        pass\n"
              "def double(x):\n    return 2 * x if wrote else x\n")
    submission(handout, tmp_path / "class" / "mallory", {**WRONG, "double": writes})
    report = tmp_path / "results.json"
    code = grading.main(["grade", str(tmp_path / "class"), "--source", str(source), "--json", str(report),
                         "-j", "2", "--timeout", str(TIMEOUT)])
    results = {item["student"]: item["points"] for item in json.loads(report.read_text())["submissions"]}
    assert code == 0 and results == {"alice": 4, "mallory": 0}
    assert alice.read_bytes() == alice_bytes
    assert {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in grader_files} == before


# ---- the class run ----------------------------------------------------------------------------------

def test_a_class_with_a_crash_a_hang_and_malformed_notebooks(chapter, tmp_path):
    source, handout = chapter
    folder = tmp_path / "class"
    submission(handout, folder / "alice", RIGHT)
    submission(handout, folder / "bob", {**RIGHT, "total": "while True:\n    pass"})
    submission(handout, folder / "carol", RIGHT, prefix="import os\nos._exit(3)\n")
    submission(handout, folder / "dan", {**RIGHT, "total": "try:\n    while True:\n        pass\n"
                                                             "except BaseException:\n    while True:\n        pass"})
    (folder / "erin").mkdir()
    (folder / "erin" / "12_red.ipynb").write_text("{ not json")
    (folder / "fay").mkdir()
    (folder / "fay" / "12_red.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": 5,
                                                                          "metadata": "x"}, 7], "nbformat": 4}))
    report, gradebook, feedback = tmp_path / "results.json", tmp_path / "grades.csv", tmp_path / "feedback"
    code = grading.main(["grade", str(folder), "--source", str(source), "--json", str(report), "--csv",
                         str(gradebook), "--feedback", str(feedback), "--timeout", "3", "-j", "2"])
    results = {item["student"]: item for item in json.loads(report.read_text())["submissions"]}
    assert code == 1 and sorted(results) == ["alice", "bob", "carol", "dan", "erin", "fay"]
    assert results["alice"]["points"] == 4 and not results["alice"]["problem"]
    for looping in ("bob", "dan"):   # the loop costs exercise 12-2, and nothing else
        by_name = {item["exercise"]: item for item in results[looping]["exercises"]}
        assert (by_name["12-1"]["points"], by_name["12-2"]["points"]) == (3, 0), results[looping]
        assert "Timeout of 3 seconds" in by_name["12-2"]["error"]
    # bob's loop stopped when interrupted: a failed exercise; dan's ignored the interrupt and took
    # the sandbox down with it: a problem for the teacher to look at
    assert not results["bob"]["problem"] and "did not stop when interrupted" in results["dan"]["problem"]
    carol = {item["exercise"]: item for item in results["carol"]["exercises"]}
    assert carol["12-1"]["points"] == 0 and carol["12-2"]["points"] == 1 and "died" in results["carol"]["problem"]
    assert results["erin"]["points"] == 0 and "expected a Jupyter notebook" in results["erin"]["problem"]
    assert results["fay"]["points"] == 0 and results["fay"]["problem"]
    rows = gradebook.read_text().splitlines()
    assert rows[0] == "student,submission,12-1,12-2,total,max_points,problem" and len(rows) == 7
    assert rows[1].startswith("alice,") and ",3,1,4,4," in rows[1]
    assert sorted(path.name for path in feedback.iterdir()) == [f"{name}.md" for name in sorted(results)]


def test_an_interrupted_class_keeps_finished_results_kills_its_sandboxes_and_resumes(chapter, tmp_path):
    source, handout = chapter
    folder = tmp_path / "class"
    submission(handout, folder / "a_first", RIGHT)
    submission(handout, folder / "b_hang", {**RIGHT, "total": "while True:\n    pass"})
    submission(handout, folder / "c_last", RIGHT)
    report = tmp_path / "results.json"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    argv = [sys.executable, "-m", "teachkeras.grading", "grade", str(folder), "--source", str(source),
            "--json", str(report), "--timeout", "60"]
    environment = {**os.environ, "TMPDIR": str(scratch)}
    process = subprocess.Popen(argv, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (report.exists() and "a_first" in report.read_text()):
        time.sleep(0.2)
    time.sleep(1.0)   # b_hang is now inside its endless loop
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 130 and "interrupted" in errors
    assert [item["student"] for item in json.loads(report.read_text())["submissions"]] == ["a_first"]
    assert not list(scratch.iterdir()), "the grader's scratch folders (and the sandboxes in them) are gone"
    for entry in Path("/proc").iterdir():   # no process of this run is left, in a sandbox or out
        try:
            assert not os.readlink(entry / "cwd").startswith(str(scratch)), entry
        except OSError:
            continue
    # run again: a_first is reused, b_hang (now with a short timeout... same timeout) and c_last graded
    (folder / "b_hang").joinpath("12_red.ipynb").unlink()
    done = subprocess.run(argv, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "resumed: 1 result(s)" in done.stdout
    students = {item["student"]: item["points"] for item in json.loads(report.read_text())["submissions"]}
    assert students == {"a_first": 4, "c_last": 4}


def test_no_sandbox_means_a_loud_refusal_unless_unsafe(chapter, tmp_path, monkeypatch):
    source, handout = chapter
    from teachkeras.grading import sandbox
    monkeypatch.setattr(sandbox, "sandbox_problem", lambda: "bubblewrap (bwrap) is not installed")
    path = submission(handout, tmp_path, RIGHT)
    with pytest.raises(grading.SandboxUnavailable, match="no sandbox: bubblewrap"):
        grade(path, source, TIMEOUT)
    assert grading.main(["grade", str(path), "--source", str(source)]) == 2
    assert grading.main(["grade", str(path), "--source", str(source), "--unsafe",
                         "--timeout", str(TIMEOUT)]) == 0
