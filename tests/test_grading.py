"""teachkeras.grading: releasing student notebooks and grading submissions with nbval.

Static checks use the real chapters; everything that executes uses a small chapter made here
(three exercises, the second worth 2 points and the third asking for two functions), except one
end-to-end run of chapter 01.
"""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from teachkeras import grading
from teachkeras.grading import (
    BEGIN,
    END,
    ExerciseError,
    find_exercises,
    grade,
    release_notebook,
)

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
    assert all(exercise.points == 1 for exercise in written.exercises)
    assert len(student.cells) == len(source.cells)
    exercise_cells = set()
    for exercise in written.exercises:
        for index in exercise.solution_cells:
            released = student.cells[index]
            assert released.metadata["teachkeras"] == {"exercise": exercise.name, "role": "solution", "points": 1}
            assert "# YOUR CODE HERE" in released.source and "raise NotImplementedError()" in released.source
            for line in solution_lines(source.cells[index].source):
                assert line not in released.source, (exercise.name, line)
            assert released.outputs == [] and released.execution_count is None
        tests = student.cells[exercise.tests_cell]
        assert tests.metadata["teachkeras"] == {"exercise": exercise.name, "role": "tests", "points": 1}
        assert tests.source == source.cells[exercise.tests_cell].source and tests.outputs == []
        exercise_cells.update(exercise.solution_cells + [exercise.tests_cell])
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
                            "cell 1", "looks like a solution marker"),
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
    }
    cells, cell_words, words = cases[case]
    return new_notebook(cells=cells), cell_words, words


MALFORMED = ["begin without end", "end without begin", "nested", "misspelt marker", "no tests cell at the end",
             "markdown instead of tests", "empty tests cell", "tests cell with markers",
             "tests cell without solution", "zero points", "text points", "points disagree"]


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


def test_the_source_itself_scores_full_marks(chapter):
    source, _ = chapter
    result = grade(source, source, timeout=60)
    assert [(item.exercise, item.points, item.status) for item in result.exercises] == [
        ("09-1", 1, "passed"), ("09-2", 2, "passed"), ("09-3", 1, "passed")]
    assert (result.points, result.max_points, result.problem) == (4, 4, "")
    assert [path.name for path in source.parent.iterdir()] == ["09_toy.ipynb"]   # the run copy is gone


def test_the_released_notebook_scores_zero_with_not_implemented(chapter):
    source, released = chapter
    result = grade(released, source, timeout=60)
    assert result.points == 0 and result.max_points == 4
    for item in result.exercises:
        assert item.status == "failed" and item.error.startswith("NotImplementedError"), item
    # the top-level placeholder fails in its own cell; the others when the tests call the function
    assert by_name(result)["09-2"].error == (
        "NotImplementedError (solution cell, line 2: raise NotImplementedError())")
    assert by_name(result)["09-1"].error == "NotImplementedError (tests cell, line 1: assert double(2) == 4)"


def test_a_wrong_answer_fails_only_its_exercise_and_extra_cells_are_fine(chapter, tmp_path):
    source, released = chapter

    def add_cells(notebook):
        notebook.cells.insert(2, new_markdown_cell("my notes"))
        notebook.cells.insert(3, code("helper = 10\nprint('scratch work')"))
        notebook.cells.append(code("raise RuntimeError('an experiment of mine, not an exercise')"))

    answers = {**SOLVED, 2: "def double(x):\n    return 3 * x"}
    result = grade(submit(released, tmp_path / "alice", answers, add_cells), source, timeout=60)
    assert [(item.points, item.status) for item in result.exercises] == [(0, "failed"), (2, "passed"), (1, "passed")]
    assert by_name(result)["09-1"].error == "AssertionError (tests cell, line 1: assert double(2) == 4)"


def test_changed_or_deleted_tests_score_zero_and_are_flagged(chapter, tmp_path):
    source, released = chapter

    def tamper(notebook):
        notebook.cells[3].source = "assert True  # my tests now"
        del notebook.cells[9]   # 09-3's tests cell

    result = by_name(grade(submit(released, tmp_path / "bob", SOLVED, tamper), source, timeout=60))
    assert (result["09-1"].points, result["09-1"].status) == (0, "tests changed")
    assert "differs from the source" in result["09-1"].error
    assert (result["09-3"].points, result["09-3"].status, result["09-3"].error) == (0, "tests changed",
                                                                                   "tests cell deleted")
    assert (result["09-2"].points, result["09-2"].status) == (2, "passed")


def test_deleted_solution_and_stripped_metadata_score_zero(chapter, tmp_path):
    source, released = chapter

    def delete_solution(notebook):
        del notebook.cells[5]

    result = by_name(grade(submit(released, tmp_path / "carol", SOLVED, delete_solution), source, timeout=60))
    assert (result["09-2"].points, result["09-2"].status, result["09-2"].error) == (0, "missing",
                                                                                   "solution cell deleted")

    def strip_metadata(notebook):
        for cell in notebook.cells:
            cell.metadata.pop("teachkeras", None)

    result = grade(submit(released, tmp_path / "dave", SOLVED, strip_metadata), source, timeout=60)
    assert [(item.points, item.status) for item in result.exercises] == [(0, "missing")] * 3

    def garble_metadata(notebook):
        for cell in notebook.cells:
            cell.metadata["teachkeras"] = "not a mapping"
        notebook.cells[2].source += f"\n{BEGIN}"   # a stray marker does not break grading either

    result = grade(submit(released, tmp_path / "erin", SOLVED, garble_metadata), source, timeout=60)
    assert [(item.points, item.status) for item in result.exercises] == [(0, "missing")] * 3


def test_a_student_cannot_pass_with_error_tags_or_skips(chapter, tmp_path):
    source, released = chapter

    def tag_tests(notebook):
        notebook.cells[3].metadata["tags"] = ["raises-exception"]   # tests source unchanged
        notebook.cells[6].metadata["tags"] = ["nbval-skip"]

    answers = {**SOLVED, 2: "def double(x):\n    return 3 * x", 5: "# NBVAL_SKIP\ntotal = 6"}
    result = by_name(grade(submit(released, tmp_path / "eve", answers, tag_tests), source, timeout=60))
    assert result["09-1"].points == 0
    assert result["09-1"].error == "AssertionError (tests cell, line 1: assert double(2) == 4)"
    assert result["09-2"].points == 0 and "NBVAL_SKIP" in result["09-2"].error


def test_cli_grades_every_submission_despite_a_hang_and_a_crash(chapter, tmp_path):
    source, released = chapter
    looping = submit(released, tmp_path / "class" / "frank", {**SOLVED, 5: "while True:\n    pass"})
    crashing = submit(released, tmp_path / "class" / "grace", {**SOLVED, 7: "import os\nos._exit(3)"})
    # 5 s per cell: the cells are trivial, but a loaded CI runner must not time out the ones that finish
    solved = submit(released, tmp_path / "class" / "heidi", SOLVED)
    report = tmp_path / "results.json"
    argv = ["grade", str(tmp_path / "class"), "--source", str(source), "--timeout", "5", "--json", str(report)]
    assert main_exit_code(argv) == 0
    results = {Path(item["submission"]).parent.name: item for item in json.loads(report.read_text())["submissions"]}
    assert list(results) == ["frank", "grace", "heidi"]
    frank = {item["exercise"]: item for item in results["frank"]["exercises"]}
    assert frank["09-2"]["points"] == 0 and frank["09-2"]["error"].startswith("Timeout of 5 seconds exceeded")
    assert frank["09-1"]["points"] == 1 and frank["09-3"]["points"] == 1   # the cells after the loop still ran
    grace = {item["exercise"]: item for item in results["grace"]["exercises"]}
    assert (grace["09-1"]["points"], grace["09-2"]["points"], grace["09-3"]["points"]) == (1, 2, 0)
    assert grace["09-3"]["error"].startswith("the kernel crashed")
    assert results["heidi"]["points"] == results["heidi"]["max_points"] == 4
    assert not [path for path in (tmp_path / "class").rglob(".grading-*")]
    for path in (looping, crashing, solved):
        assert path.exists()


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
    assert main_exit_code(["grade", str(broken), "--source", str(source)]) == 2
    assert main_exit_code(["grade", str(released), "--source", str(broken)]) == 2
    assert main_exit_code(["grade", str(released)]) == 2                      # --source missing
    assert main_exit_code(["grade", str(tmp_path / "empty_folder_absent"), "--source", str(source)]) == 2
    assert main_exit_code(["release", str(source), "--to", str(source.parent)]) == 2


def _no_exercises(folder):
    path = Path(folder) / "plain.ipynb"
    nbformat.write(new_notebook(cells=[code("x = 1")]), path)
    return path


def test_end_to_end_chapter_01(tmp_path):
    """Release the real chapter 01, then grade the release (all NotImplementedError) and a copy of
    the source (full marks). Runs in the normal suite: two kernels, about 10 s on a quiet machine."""
    chapter = NOTEBOOKS / "01_axis_sums.ipynb"
    released = release_notebook(chapter, tmp_path / "release")
    key = tmp_path / "key" / chapter.name
    key.parent.mkdir()
    shutil.copy(chapter, key)   # graded away from notebooks/, where the run copy would sit beside others' files
    empty = grade(released.path, chapter)
    assert len(empty.exercises) == 3 and empty.points == 0
    assert all(item.status == "failed" and item.error.startswith("NotImplementedError") for item in empty.exercises)
    full = grade(key, chapter)
    assert full.points == full.max_points == 3 and full.problem == ""
