"""teachkeras.grading: finding exercises, releasing the student edition, grading, checking.

Static checks use the real chapters (found by file name; their exercises are discovered, never
counted here); everything that executes uses a small chapter made here (three exercises, the
second worth 2 points and the third asking for two functions), except one end-to-end run of
chapter 01. The attacks on grading are in test_grading_redteam.py.
"""

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from teachkeras import grading
from teachkeras.grading import (
    BEGIN,
    BEGIN_HIDDEN,
    END,
    END_HIDDEN,
    ExerciseError,
    find_exercises,
    grade,
    public_tests,
    release_notebook,
    sandbox_problem,
)

SANDBOX_PROBLEM = sandbox_problem()
needs_sandbox = pytest.mark.skipif(bool(SANDBOX_PROBLEM), reason=f"no sandbox here: {SANDBOX_PROBLEM}")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

DOUBLE = f'''def double(x):
    """Twice x."""
    {BEGIN}
    return 2 * x
    {END}'''
TOTAL = f"{BEGIN}\ntotal = sum(values)\n{END}"
SQUARE = f"def square(x):\n    {BEGIN}\n    return x * x\n    {END}"
CUBE = f"def cube(x):\n    {BEGIN}\n    return x * x * x\n    {END}"
TESTS = ["assert double(2) == 4\nassert double(-1.5) == -3.0", "assert total == 6",
         "assert square(3) == 9\nassert cube(2) == 8"]


def code(source, output=None, metadata=None):
    cell = new_code_cell(source, metadata=metadata or {})
    if output is not None:
        cell.execution_count = 1
        cell.outputs = [new_output("stream", name="stdout", text=output)]
    return cell


def make_chapter(folder, name="09_toy.ipynb"):
    """A source notebook in the course's exercise format; cell indices are given in comments."""
    notebook = new_notebook(cells=[
        new_markdown_cell("# Toy chapter\n(the markers `### BEGIN SOLUTION` may appear in prose)"),  # 0
        code("values = [1, 2, 3]\nprint(sum(values))", output="6\n"),                               # 1
        code(DOUBLE, output="stale solution output\n"),                                              # 2
        code(TESTS[0], output="stale test output\n"),                                                # 3
        new_markdown_cell("Add up `values`."),                                                       # 4
        code(TOTAL, metadata={"teachkeras": {"points": 2}}),                                         # 5
        code(TESTS[1]),                                                                              # 6
        code(SQUARE),                                                                                # 7
        code(CUBE),                                                                                  # 8
        code(TESTS[2]),                                                                              # 9
        code("print('done')", output="done\n"),                                                      # 10
    ])
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def released_copy(source, folder):
    """The student version of ``source`` written into ``folder``, read back."""
    written = release_notebook(source, folder)
    return written, nbformat.read(written.path, as_version=4)


def cells_of(notebook, exercise, role):
    return [cell for cell in notebook.cells if cell.metadata.get("teachkeras", {}).get("exercise") == exercise
            and cell.metadata["teachkeras"]["role"] == role]


def by_name(result):
    return {item.exercise: item for item in result.exercises}


# ---- release ---------------------------------------------------------------------------------

def marker_runs(notebook):
    """Exercises counted independently of grading.py: maximal runs of code cells holding BEGIN."""
    runs, previous = 0, False
    for cell in notebook.cells:
        marked = cell.cell_type == "code" and BEGIN in cell.source
        runs += marked and not previous
        previous = marked
    return runs


def solution_lines(source):
    """The non-blank lines between the markers of one cell."""
    lines, inside = [], False
    for line in source.split("\n"):
        if line.strip() in (BEGIN, END):
            inside = line.strip() == BEGIN
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_release_of_each_chapter_leaves_no_solution(chapter, tmp_path):
    original_bytes = chapter.read_bytes()
    source = nbformat.read(chapter, as_version=4)
    written, student = released_copy(chapter, tmp_path)
    assert len(CHAPTERS) >= 7
    assert len(written.exercises) == marker_runs(source) >= 2
    assert [exercise.name for exercise in written.exercises] == [
        f"{chapter.name[:2]}-{number}" for number in range(1, len(written.exercises) + 1)]
    assert all(exercise.points > 0 for exercise in written.exercises)
    assert len(student.cells) == len(source.cells)
    exercise_cells = set()
    for exercise in written.exercises:
        for index in exercise.solution_cells:
            released = student.cells[index]
            assert released.metadata["teachkeras"] == {"exercise": exercise.name, "role": "solution",
                                                       "points": exercise.points}
            assert "# YOUR CODE HERE" in released.source and "raise NotImplementedError()" in released.source
            for line in solution_lines(source.cells[index].source):
                assert line not in released.source, (exercise.name, line)
            assert released.outputs == [] and released.execution_count is None
        for number, tests_cell in enumerate(exercise.tests, start=1):
            tests = student.cells[tests_cell.index]
            assert {key: tests.metadata["teachkeras"][key] for key in ("exercise", "role", "points", "test")} == {
                "exercise": exercise.name, "role": "tests", "points": tests_cell.points, "test": number}
            assert tests.source == public_tests(source.cells[tests_cell.index].source) and tests.outputs == []
            assert BEGIN_HIDDEN not in tests.source and END_HIDDEN not in tests.source
        exercise_cells.update(exercise.solution_cells + [tests_cell.index for tests_cell in exercise.tests])
    # every other cell (where no solution ever was) is untouched, outputs and all
    for index, (before, after) in enumerate(zip(source.cells, student.cells)):
        if index not in exercise_cells:
            assert after == before, index
    assert not any(line.strip() in (BEGIN, END) for cell in student.cells for line in cell.source.split("\n"))
    assert chapter.read_bytes() == original_bytes and written.path == tmp_path / chapter.name


def test_release_of_the_toy_chapter(tmp_path):
    source = make_chapter(tmp_path / "teacher")
    before = source.read_bytes()
    written, student = released_copy(source, tmp_path / "release")
    assert source.read_bytes() == before
    assert [(e.name, e.points, e.solution_cells, e.tests_cell) for e in written.exercises] == [
        ("09-1", 1, [2], 3), ("09-2", 2, [5], 6), ("09-3", 1, [7, 8], 9)]
    assert student.cells[2].source == ('def double(x):\n    """Twice x."""\n'
                                       "    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert student.cells[5].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert student.cells[8].source == "def cube(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert student.cells[2].outputs == [] and student.cells[3].outputs == []     # exercise outputs cleared
    assert student.cells[1].outputs[0].text == "6\n" and student.cells[10].outputs[0].text == "done\n"
    assert student.cells[5].metadata["teachkeras"] == {"exercise": "09-2", "role": "solution", "points": 2}
    assert [cell.metadata["teachkeras"]["role"] for cell in cells_of(student, "09-3", "solution")] == ["solution"] * 2
    assert list((tmp_path / "release").iterdir()) == [tmp_path / "release" / "09_toy.ipynb"]  # no temporary left


def test_replace_solutions_keeps_code_around_several_regions():
    source = f"a = 1\n  {BEGIN}\n  b = 2\n  {END}\nc = 3\n{BEGIN}\nd = 4\n{END}"
    assert grading.replace_solutions(source) == (
        "a = 1\n  # YOUR CODE HERE\n  raise NotImplementedError()\n"
        "c = 3\n# YOUR CODE HERE\nraise NotImplementedError()")


def test_release_refuses_to_overwrite_its_source(tmp_path):
    source = make_chapter(tmp_path)
    before = source.read_bytes()
    with pytest.raises(ValueError, match=r"out_dir: .*would overwrite .*09_toy.ipynb"):
        release_notebook(source, tmp_path)
    with pytest.raises(ValueError, match=r"out_dir: .*would overwrite"):
        release_notebook(source, tmp_path / "sub" / "..")
    assert source.read_bytes() == before
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ValueError, match="out_dir: expected a folder"):
        release_notebook(source, tmp_path / "a_file")
    with pytest.raises(FileNotFoundError, match="path: expected a notebook file"):
        release_notebook(tmp_path / "nope.ipynb", tmp_path / "out")


def malformed(case):
    """A toy chapter broken in one way: (cells, the words the error must contain)."""
    good = [code(DOUBLE), code(TESTS[0])]
    cases = {
        "begin without end": ([code(f"def f():\n    {BEGIN}\n    return 1"), code("assert f()")],
                              "cell 1", "has no '### END SOLUTION'"),
        "end without begin": ([code(f"x = 1\n{END}"), code("assert x")], "cell 1", "without a '### BEGIN"),
        "nested": ([code(f"{BEGIN}\n{BEGIN}\nx = 1\n{END}\n{END}"), code("assert x")], "cell 1", "nested"),
        "misspelt marker": ([code("## BEGIN SOLUTION\nx = 1\n### END SOLUTION"), code("assert x")],
                            "cell 1", "looks like a marker but is not one"),
        "no tests cell at the end": (good[:1], "cell 1", "received the end of the notebook"),
        "markdown instead of tests": (good[:1] + [new_markdown_cell("now test it")] + good[1:],
                                      "cell 1", "received a markdown cell (cell 2)"),
        "empty tests cell": (good[:1] + [code("  \n")], "cell 1", "received an empty code cell"),
        "tests cell with markers": ([code(DOUBLE), code(DOUBLE, metadata={"teachkeras": {"role": "tests"}})],
                                    "cell 2", "a tests cell must not contain solution markers"),
        "tests cell without solution": ([code("assert True", metadata={"teachkeras": {"role": "tests"}})],
                                        "cell 1", "no solution cell comes before it"),
        "zero points": ([code(DOUBLE, metadata={"teachkeras": {"points": 0}}), good[1]], "cell 2",
                        "must be a number > 0, received 0"),
        "text points": ([code(DOUBLE, metadata={"teachkeras": {"points": "two"}}), good[1]], "cell 2",
                        "received 'two'"),
        "points disagree": ([code(DOUBLE, metadata={"teachkeras": {"points": 2}}),
                             code(TESTS[0], metadata={"teachkeras": {"points": 3}})], "cell 2", "different points"),
        "hidden tests in a solution": ([code(DOUBLE + f"\n{BEGIN_HIDDEN}\nx = 1\n{END_HIDDEN}"), good[1]], "cell 1",
                                       "hidden tests belong in a tests cell"),
        "hidden tests unclosed": ([good[0], code(f"{TESTS[0]}\n{BEGIN_HIDDEN}\nassert double(3) == 6")],
                                  "cell 2", "has no '### END HIDDEN TESTS'"),
        "hidden tests outside an exercise": ([code(f"{BEGIN_HIDDEN}\nx = 1\n{END_HIDDEN}")] + good, "cell 1",
                                             "hidden tests outside a tests cell"),
    }
    cells, cell_words, words = cases[case]
    return new_notebook(cells=cells), cell_words, words


MALFORMED = ["begin without end", "end without begin", "nested", "misspelt marker", "no tests cell at the end",
             "markdown instead of tests", "empty tests cell", "tests cell with markers",
             "tests cell without solution", "zero points", "text points", "points disagree",
             "hidden tests in a solution", "hidden tests unclosed", "hidden tests outside an exercise"]


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_exercises_are_refused_naming_notebook_and_cell(case, tmp_path):
    notebook, cell_words, words = malformed(case)
    path = tmp_path / "10_bad.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(ExerciseError) as raised:
        release_notebook(path, tmp_path / "out")
    message = str(raised.value)
    assert str(path) in message and f"{cell_words} (" in message and words in message, message
    assert not (tmp_path / "out" / "10_bad.ipynb").exists()
    assert main_exit_code(["release", str(path), "--to", str(tmp_path / "out")]) == 2


def test_a_released_notebook_is_not_a_source(tmp_path):
    written, _ = released_copy(make_chapter(tmp_path / "teacher"), tmp_path / "release")
    with pytest.raises(ExerciseError, match="is this a released one"):
        find_exercises(nbformat.read(written.path, as_version=4), str(written.path))


# ---- grading ---------------------------------------------------------------------------------


def main_exit_code(argv):
    try:
        return grading.main(argv)
    except SystemExit as exit:   # argparse's usage errors
        return exit.code


@pytest.fixture
def chapter(tmp_path):
    """(source notebook, released notebook path) for the toy chapter."""
    source = make_chapter(tmp_path / "teacher")
    return source, release_notebook(source, tmp_path / "release").path


def submit(released, folder, answers=None, edit=None):
    """A student's submission: ``answers`` maps cell index to new source; ``edit`` changes the notebook."""
    notebook = nbformat.read(released, as_version=4)
    for index, source in (answers or {}).items():
        notebook.cells[index].source = source
    if edit:
        edit(notebook)
    path = Path(folder) / "09_toy.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


SOLVED = {2: "def double(x):\n    return x + x", 5: "total = 0\nfor value in values:\n    total += value",
          7: "def square(x):\n    return x ** 2", 8: "def cube(x):\n    return x ** 3"}


def test_points_of_several_tests_cells():
    def exercise(solution_points, *tests_points):
        cells = [code(DOUBLE, metadata={"teachkeras": {"points": solution_points}} if solution_points else None)]
        for index, points in enumerate(tests_points):
            metadata = {"role": "tests"} if index else {}
            if points:
                metadata["points"] = points
            cells.append(code(TESTS[0], metadata={"teachkeras": metadata}))
        found = find_exercises(new_notebook(cells=cells), "13_points.ipynb")
        return [tests.points for tests in found[0].tests]

    assert exercise(None, None) == [1]
    assert exercise(None, None, None) == [1, 1]          # each tests cell 1 point unless it says
    assert exercise(None, 2, 3) == [2, 3]
    assert exercise(3, None, None, None) == [1, 1, 1]    # the solution's points shared by the tests cells
    assert exercise(5, 3, None) == [3, 2]
    with pytest.raises(ExerciseError, match="different points"):
        exercise(2, 1, 3)


def test_release_removes_hidden_tests(tmp_path):
    notebook = new_notebook(cells=[code(DOUBLE), code(f"{TESTS[0]}\n{BEGIN_HIDDEN}\nassert double(7) == 14\n{END_HIDDEN}"),
                                   code(f"{BEGIN_HIDDEN}\nassert double(9) == 18\n{END_HIDDEN}",
                                        metadata={"teachkeras": {"role": "tests"}})])
    path = tmp_path / "14_hidden.ipynb"
    nbformat.write(notebook, path)
    written, student = released_copy(path, tmp_path / "release")
    assert [tests.index for tests in written.exercises[0].tests] == [1, 2]
    assert student.cells[1].source == TESTS[0]
    assert student.cells[2].source.startswith("# (hidden tests") and "double(9)" not in student.cells[2].source


@needs_sandbox
def test_the_released_notebook_scores_zero_with_not_implemented(chapter):
    source, released = chapter
    result = grade(released, source, timeout=60)
    assert result.points == 0 and result.max_points == 4 and result.problem == ""
    for item in result.exercises:
        assert item.status == "failed" and item.error.startswith("NotImplementedError"), item
    # the top-level placeholder fails in its own cell; the others when the tests call the function
    assert by_name(result)["09-2"].error == (
        "NotImplementedError (solution cell, line 2: raise NotImplementedError())")
    assert by_name(result)["09-1"].error == "NotImplementedError (tests cell 1, line 1: assert double(2) == 4)"


@needs_sandbox
def test_a_wrong_answer_fails_only_its_exercise_and_extra_cells_do_not_run(chapter, tmp_path):
    source, released = chapter

    def add_cells(notebook):
        notebook.cells.insert(2, new_markdown_cell("my notes"))
        notebook.cells.insert(3, code("values = [100]\nprint('scratch work')"))   # not run: from the source
        notebook.cells.append(code("raise RuntimeError('an experiment of mine, not an exercise')"))

    answers = {**SOLVED, 2: "def double(x):\n    return 3 * x"}
    result = grade(submit(released, tmp_path / "alice", answers, add_cells), source, timeout=60)
    assert [(item.points, item.status) for item in result.exercises] == [(0, "failed"), (2, "passed"), (1, "passed")]
    assert by_name(result)["09-1"].error == "AssertionError (tests cell 1, line 1: assert double(2) == 4)"


@needs_sandbox
def test_deleted_solution_scores_zero_as_missing_and_tests_come_from_the_source(chapter, tmp_path):
    source, released = chapter

    def tamper(notebook):
        notebook.cells[3].source = "assert True  # my tests now"
        del notebook.cells[9]   # 09-3's tests cell: restored from the source
        del notebook.cells[5]   # 09-2's solution: nothing to grade

    result = by_name(grade(submit(released, tmp_path / "bob", {**SOLVED, 2: "def double(x):\n    return x"}, tamper),
                           source, timeout=60))
    assert (result["09-1"].points, result["09-1"].status) == (0, "failed")
    assert "differs from the handout's" in result["09-1"].notes[0]
    assert (result["09-2"].points, result["09-2"].status) == (0, "missing")
    assert (result["09-3"].points, result["09-3"].status) == (1, "passed")


@needs_sandbox
def test_the_cli_writes_json_csv_and_feedback(chapter, tmp_path):
    source, released = chapter
    submit(released, tmp_path / "class" / "heidi", SOLVED)
    submit(released, tmp_path / "class" / "ivan", {**SOLVED, 7: "def square(x):\n    return 2 * x"})
    report, gradebook = tmp_path / "results.json", tmp_path / "grades.csv"
    argv = ["grade", str(tmp_path / "class"), "--source", str(source), "--timeout", "30", "--json", str(report),
            "--csv", str(gradebook), "--feedback", str(tmp_path / "feedback")]
    assert main_exit_code(argv) == 0
    data = json.loads(report.read_text())
    assert data["source"] == str(source) and len(data["source_sha256"]) == 64
    assert [(item["student"], item["points"], item["max_points"]) for item in data["submissions"]] == [
        ("heidi", 4, 4), ("ivan", 3, 4)]
    assert gradebook.read_text().splitlines() == [
        "student,submission,09-1,09-2,09-3,total,max_points,problem",
        f"heidi,{tmp_path / 'class' / 'heidi' / '09_toy.ipynb'},1,2,1,4,4,",
        f"ivan,{tmp_path / 'class' / 'ivan' / '09_toy.ipynb'},1,2,0,3,4,"]
    ivan = (tmp_path / "feedback" / "ivan.md").read_text()
    assert "**Total: 3 / 4 points**" in ivan and "AssertionError (tests cell 1, line 1: assert square(3) == 9)" in ivan


def test_bad_grading_input_is_refused(chapter, tmp_path):
    source, released = chapter
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    with pytest.raises(ValueError, match=r"submission: expected a Jupyter notebook, received .*broken.ipynb"):
        grade(broken, source)
    with pytest.raises(FileNotFoundError, match="submission: expected a notebook file"):
        grade(tmp_path / "absent.ipynb", source)
    with pytest.raises(ValueError, match="source: expected a notebook with exercises"):
        grade(released, _no_exercises(tmp_path))
    with pytest.raises(ValueError, match="timeout: expected a number of seconds > 0, received 0"):
        grade(released, source, timeout=0)
    assert main_exit_code(["grade", str(released), "--source", str(broken)]) == 2
    assert main_exit_code(["grade", str(released)]) == 2                      # --source missing
    assert main_exit_code(["grade", str(released), "--source", str(source), "--timeout", "-1"]) == 2
    assert main_exit_code(["grade", str(released), "--source", str(source), "-j", "0"]) == 2
    assert main_exit_code(["grade", str(tmp_path / "empty_folder_absent"), "--source", str(source)]) in (1, 2)
    course = make_chapter(tmp_path / "course" / "notebooks")   # the edition's notebooks/ would be the source's
    assert main_exit_code(["release", str(course), "--to", str(course.parent.parent), "--no-package"]) == 2


def _no_exercises(folder):
    path = Path(folder) / "plain.ipynb"
    nbformat.write(new_notebook(cells=[code("x = 1")]), path)
    return path


def test_check_runs_a_notebook_on_its_own_answers(chapter, tmp_path, capsys):
    source, released = chapter
    teacher = grading.check(source, timeout=30)
    assert (teacher.points, teacher.max_points, teacher.problem) == (4, 4, "")
    student = submit(released, tmp_path / "judy", {**SOLVED, 2: "def double(x):\n    return 2"},
                     edit=lambda notebook: setattr(notebook.cells[6], "source", "assert total == 6  # mine"))
    assert main_exit_code(["check", str(student), "--timeout", "30"]) == 1
    printed = capsys.readouterr().out
    assert "09-1          0/1  failed: AssertionError (tests cell 1, line 1: assert double(2) == 4)" in printed
    assert "tests cell 1 differs from the handout's" in printed
    assert main_exit_code(["check", str(_no_exercises(tmp_path)), "--timeout", "30"]) == 2


def test_release_writes_an_installable_student_edition(tmp_path):
    """A repository with one chapter whose exported cell holds an answer: the edition's module has
    the placeholder where the answer was."""
    repository = Path(grading.__file__).resolve().parents[2]
    root = tmp_path / "course"
    shutil_ignore = ("__pycache__",)
    shutil.copytree(repository / "teachkeras", root / "teachkeras", ignore=shutil.ignore_patterns(*shutil_ignore))
    if (repository / "tools").is_dir():
        shutil.copytree(repository / "tools", root / "tools", ignore=shutil.ignore_patterns(*shutil_ignore))
    chapter = new_notebook(cells=[code("#| default_exp toychapter"),
                                  code(f"#| export\ndef triple(x):\n    {BEGIN}\n    return 3 * x\n    {END}"),
                                  code("assert triple(2) == 6")])
    (root / "notebooks").mkdir()
    nbformat.write(chapter, root / "notebooks" / "15_toy.ipynb")
    (root / "pyproject.toml").write_text((repository / "pyproject.toml").read_text())
    out = tmp_path / "edition"
    grading.release_edition([root / "notebooks" / "15_toy.ipynb"], out, root=root)
    module = (out / "teachkeras" / "toychapter.py").read_text()
    assert "raise NotImplementedError()" in module and "3 * x" not in module
    assert (out / "notebooks" / "15_toy.ipynb").exists() and (out / "pyproject.toml").exists()
    assert (out / "README.md").exists() and (out / "tools" / "export.py").exists()
    assert not [path for path in out.rglob("*.py")
                if any(line.strip() in (BEGIN, END) for line in path.read_text().split("\n"))]
    namespace = {}
    exec(compile(module, "toychapter.py", "exec"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["triple"](2)


@needs_sandbox
def test_end_to_end_chapter_01(tmp_path):
    """Release the real chapter 01 (with its package), then grade the handout (all
    NotImplementedError), the teacher's answers handed in without markers (full marks) and the
    key itself (refused)."""
    chapter = NOTEBOOKS / "01_axis_sums.ipynb"
    assert main_exit_code(["release", str(chapter), "--to", str(tmp_path / "release")]) == 0
    released = tmp_path / "release" / "notebooks" / chapter.name
    done = subprocess.run([sys.executable, "-c", "import teachkeras; print(teachkeras.__file__)"],
                          cwd=tmp_path / "release", capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == str(tmp_path / "release" / "teachkeras" / "__init__.py"), done.stderr
    source, handout = nbformat.read(chapter, as_version=4), nbformat.read(released, as_version=4)
    exercises = find_exercises(source, str(chapter))
    for exercise in exercises:
        for index in exercise.solution_cells:
            handout.cells[index].source = "\n".join(line for line in source.cells[index].source.split("\n")
                                                    if line.strip() not in (BEGIN, END))
    answered = tmp_path / "class" / "kim" / chapter.name
    answered.parent.mkdir(parents=True)
    nbformat.write(handout, answered)
    empty = grade(released, chapter, timeout=120)
    assert len(empty.exercises) == len(exercises) >= 2 and empty.points == 0
    assert all(item.status == "failed" and "NotImplementedError" in item.error for item in empty.exercises)
    full = grade(answered, chapter, timeout=120)
    assert full.points == full.max_points > 0 and full.problem == "", grading.format_result(full)
    # an exported answer cannot be imported from the package instead of written: graded
    # notebooks import the student edition's package, where it is a placeholder
    exported = [(exercise, re.search(r"^def (\w+)", source.cells[exercise.solution_cells[0]].source, re.M))
                for exercise in exercises if "#| export" in source.cells[exercise.solution_cells[0]].source]
    if exported:
        exercise, name = exported[0]
        module = next(re.search(r"#\| default_exp (\S+)", cell.source).group(1) for cell in source.cells
                      if "#| default_exp" in cell.source)
        assert callable(getattr(importlib.import_module(f"teachkeras.{module}"), name.group(1)))  # the teacher's has it
        handout.cells[exercise.solution_cells[0]].source = f"from teachkeras.{module} import {name.group(1)}"
        nbformat.write(handout, answered)
        imported = by_name(grade(answered, chapter, timeout=120))
        assert imported[exercise.name].points == 0, imported[exercise.name]
