"""Make student versions of chapter notebooks and grade submissions with nbval.

Usage::

    python -m teachkeras.grading release notebooks/03_dropout.ipynb [more...] --to release/
    python -m teachkeras.grading grade SUBMISSION.ipynb [more, or folders] \\
        --source notebooks/03_dropout.ipynb [--timeout 600] [--json results.json]

An exercise in a chapter notebook is one or more code cells holding the answer between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines, followed right away by one code cell of
``assert`` s that tests it (the markers are nbgrader's, so teachers recognise them):

* ``release`` replaces each marked region by ``# YOUR CODE HERE`` and ``raise NotImplementedError()``
  at the region's indentation, clears the outputs of the exercise's cells (the other cells keep
  theirs, figures included), and tags the cells with ``metadata["teachkeras"] = {"exercise": "03-1",
  "role": "solution" | "tests", "points": 1}`` so that grading finds them even after a student
  added, moved or split cells.
* ``grade`` runs each submission in a fresh kernel under nbval (``pytest --nbval-lax``, in a
  subprocess, working directory = the submission's folder) and scores each exercise all or nothing::

      earned = points if (every solution and tests cell of the exercise ran without an error
                          and every tests cell is, character for character, the source's) else 0

  Points and tests always come from the teacher's source notebook, never from the submission.

docs/grading.md describes the teacher's workflow. Grading runs the students' code with your
permissions: grade in a container or as a user who can lose nothing.

Hand-written tooling: no chapter builds this module.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import nbformat
    import pytest
except ImportError as error:  # the course itself does not need them; the teacher's tooling does
    raise ImportError(f"teachkeras.grading needs nbformat, pytest and nbval ({error}); "
                      "install them with: pip install -e '.[dev]'") from error

from teachkeras._io import write_atomically
from teachkeras.testing import reproducible_arithmetic

__all__ = ["Exercise", "ExerciseError", "ExerciseResult", "Release", "SubmissionResult",
           "find_exercises", "format_result", "grade", "main", "release", "release_notebook",
           "replace_solutions", "solution_regions"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
METADATA_KEY = "teachkeras"
DEFAULT_POINTS = 1
DEFAULT_TIMEOUT = 600          # seconds per cell, as tools/execute_notebook.py
KERNEL_STARTUP_ALLOWANCE = 120  # seconds added to the whole-run limit for pytest and the kernel


class ExerciseError(ValueError):
    """A notebook's exercises are malformed (the message names notebook and cell)."""


# ---------------------------------------------------------------------------------------------
# Finding exercises and releasing the student version
# ---------------------------------------------------------------------------------------------

@dataclass
class Exercise:
    """One exercise of a source notebook: cell positions are indices into ``notebook.cells``."""

    name: str                  # "03-1": chapter prefix of the file name, then 1, 2, ... in order
    points: float
    solution_cells: list[int]
    tests_cell: int
    tests_source: str


@dataclass
class Release:
    """What ``release_notebook`` wrote: the student notebook's path and the exercises in it."""

    source: Path
    path: Path
    exercises: list[Exercise]


def _cell_label(where, index, cell) -> str:
    """'notebooks/03_dropout.ipynb, cell 28 ("def channel_noise_shape(input_shape):")', 1-based."""
    first_line = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if len(first_line) > 50:
        first_line = first_line[:47] + "..."
    return f'{where}, cell {index + 1} ("{first_line}")'


def solution_regions(source: str, where: str = "cell") -> list[tuple[int, int]]:
    """The (begin line, end line) pairs, 0-based and markers included, of a cell's solutions.

    A marker is a line that is exactly ``### BEGIN SOLUTION`` or ``### END SOLUTION`` apart from
    its indentation. A cell may hold several regions, one after another, never nested. A line
    that merely mentions "BEGIN SOLUTION" or "END SOLUTION" is refused too: a misspelt marker
    would otherwise hand the answer to every student.

    >>> solution_regions("x = 1\\n### BEGIN SOLUTION\\ny = 2\\n### END SOLUTION")
    [(1, 3)]
    >>> solution_regions("### BEGIN SOLUTION\\ny = 2", where="ex.ipynb, cell 3")
    Traceback (most recent call last):
    ...
    teachkeras.grading.ExerciseError: ex.ipynb, cell 3: '### BEGIN SOLUTION' on line 1 has no '### END SOLUTION' after it
    """
    regions, begin = [], None
    for number, line in enumerate(source.split("\n")):
        stripped = line.strip()
        if stripped == BEGIN:
            if begin is not None:
                raise ExerciseError(f"{where}: nested {BEGIN!r} on line {number + 1}; expected {END!r} "
                                    f"first, to close the {BEGIN!r} on line {begin + 1}")
            begin = number
        elif stripped == END:
            if begin is None:
                raise ExerciseError(f"{where}: {END!r} on line {number + 1} without a {BEGIN!r} before it")
            regions.append((begin, number))
            begin = None
        elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            raise ExerciseError(f"{where}: line {number + 1} looks like a solution marker but is not one; "
                                f"expected a line that is exactly {BEGIN!r} or {END!r} (indentation aside), "
                                f"received {stripped!r}")
    if begin is not None:
        raise ExerciseError(f"{where}: {BEGIN!r} on line {begin + 1} has no {END!r} after it")
    return regions


def replace_solutions(source: str, where: str = "cell") -> str:
    """The student version of a cell: each marked region, markers included, becomes the placeholder.

    >>> print(replace_solutions('''def double(x):
    ...     ### BEGIN SOLUTION
    ...     return 2 * x
    ...     ### END SOLUTION'''))
    def double(x):
        # YOUR CODE HERE
        raise NotImplementedError()
    """
    lines = source.split("\n")
    for begin, end in reversed(solution_regions(source, where)):
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin:end + 1] = [indent + line for line in PLACEHOLDER]
    return "\n".join(lines)


def _exercise_prefix(path) -> str:
    """'03' for 03_dropout.ipynb (the chapter number); the whole stem when it has no number."""
    stem = Path(path).stem
    match = re.match(r"\d+", stem)
    return match.group(0) if match else stem


def _tag(cell) -> dict:
    """The cell's ``metadata["teachkeras"]``; {} when absent or not a mapping."""
    tag = cell.metadata.get(METADATA_KEY, {})
    return tag if isinstance(tag, dict) else {}


def _points(cells, label) -> float:
    """The exercise's points: ``metadata["teachkeras"]["points"]`` on its cells, 1 if none says."""
    found = {_tag(cell).get("points") for cell in cells} - {None}
    if len(found) > 1:
        raise ExerciseError(f"{label}: the exercise's cells set different points {sorted(found)}; "
                            "expected one value")
    points = found.pop() if found else DEFAULT_POINTS
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ExerciseError(f'{label}: metadata["{METADATA_KEY}"]["points"] must be a number > 0, '
                            f"received {points!r}")
    return points


def find_exercises(notebook, where="notebook", prefix=None) -> list[Exercise]:
    """The exercises of a source notebook, in order, checked for the mistakes a teacher can make.

    The rule: a run of consecutive code cells with solution markers is one exercise, and the cell
    right after the run must be a non-empty code cell without markers: its tests. (A run of more
    than one cell lets an exercise ask for two functions that one tests cell checks together.)
    ``where`` names the notebook in error messages; the exercise names start with ``prefix``,
    by default the chapter number of the file name (``03`` for ``03_dropout.ipynb``).
    """
    exercises, pending = [], []
    prefix = _exercise_prefix(where) if prefix is None else prefix
    for index, cell in enumerate(notebook.cells):
        label = _cell_label(where, index, cell)
        is_code = cell.cell_type == "code"
        tagged_tests = _tag(cell).get("role") == "tests"
        if is_code and solution_regions(cell.source, label):
            if tagged_tests:
                raise ExerciseError(f"{label}: a tests cell must not contain solution markers "
                                    f'(metadata["{METADATA_KEY}"]["role"] is "tests")')
            pending.append(index)
            continue
        if pending:
            if not is_code or not cell.source.strip():
                kind = "an empty code cell" if is_code else f"a {cell.cell_type} cell"
                raise ExerciseError(f"{_cell_label(where, pending[-1], notebook.cells[pending[-1]])}: "
                                    "a solution cell must be followed by a code cell of tests; "
                                    f"received {kind} (cell {index + 1})")
            exercise_cells = [notebook.cells[number] for number in pending] + [cell]
            exercises.append(Exercise(name=f"{prefix}-{len(exercises) + 1}",
                                      points=_points(exercise_cells, label), solution_cells=pending,
                                      tests_cell=index, tests_source=cell.source))
            pending = []
        elif tagged_tests:
            raise ExerciseError(f"{label}: tagged as a tests cell, but no solution cell comes before it; "
                                "expected a source notebook with solution markers (is this a released one?)")
    if pending:
        raise ExerciseError(f"{_cell_label(where, pending[-1], notebook.cells[pending[-1]])}: "
                            "a solution cell must be followed by a code cell of tests; "
                            "received the end of the notebook")
    return exercises


def release(notebook, where="notebook"):
    """(student notebook, exercises): a copy with solutions replaced and exercise cells tagged."""
    exercises = find_exercises(notebook, where)
    student = copy.deepcopy(notebook)
    for exercise in exercises:
        roles = [(index, "solution") for index in exercise.solution_cells] + [(exercise.tests_cell, "tests")]
        for index, role in roles:
            cell = student.cells[index]
            if role == "solution":
                cell.source = replace_solutions(cell.source, _cell_label(where, index, cell))
            cell.outputs = []
            cell.execution_count = None
            cell.metadata[METADATA_KEY] = {"exercise": exercise.name, "role": role, "points": exercise.points}
    return student, exercises


def _read_notebook(path, argument):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{argument}: expected a notebook file, received {str(path)!r}, "
                                "which does not exist or is not a file")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises JSON, validation and Unicode errors alike
        raise ValueError(f"{argument}: expected a Jupyter notebook, received {str(path)!r}, "
                         f"which cannot be read as one ({type(error).__name__}: {error})") from error


def release_notebook(path, out_dir) -> Release:
    """Write the student version of the notebook ``path`` into the folder ``out_dir`` (created).

    Refuses (ValueError) to write over ``path`` itself, and writes atomically.
    """
    source = Path(path)
    notebook = _read_notebook(source, "path")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir: expected a folder, received {str(out_dir)!r}, which is a file")
    target = out_dir / source.name
    if target.resolve() == source.resolve():
        raise ValueError(f"out_dir: expected a folder other than the source notebook's, received "
                         f"{str(out_dir)!r}: the student version would overwrite {str(source)!r}")
    student, exercises = release(notebook, str(source))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(target, nbformat.writes(student))
    return Release(source=source, path=target, exercises=exercises)


# ---------------------------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------------------------

@dataclass
class ExerciseResult:
    """One exercise of one submission. ``status`` is one of: passed, failed, tests changed,
    missing, not run; ``error`` says why it earned nothing (empty when it passed)."""

    exercise: str
    points: float
    max_points: float
    status: str
    error: str = ""


@dataclass
class SubmissionResult:
    """All exercises of one submission; ``problem`` reports what stopped the whole run, if anything."""

    submission: str
    source: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    problem: str = ""

    @property
    def points(self) -> float:
        return sum(result.points for result in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(result.max_points for result in self.exercises)

    def to_dict(self) -> dict:
        return {**asdict(self), "points": self.points, "max_points": self.max_points}


def _submission_cells(notebook, where, prefix) -> dict[str, dict[str, list[int]]]:
    """{exercise: {"solution": [cell indices], "tests": [cell indices]}} from the cells' metadata.

    A notebook without any exercise metadata but with solution markers is a solution key (the
    source itself, or a teacher's worked copy): its exercises are found from the markers and
    named with the source's ``prefix``.
    """
    tagged = {}
    for index, cell in enumerate(notebook.cells):
        tag = _tag(cell)
        if cell.cell_type == "code" and tag.get("role") in ("solution", "tests") and "exercise" in tag:
            roles = tagged.setdefault(str(tag["exercise"]), {"solution": [], "tests": []})
            roles[tag["role"]].append(index)
    if tagged:
        return tagged
    try:
        exercises = find_exercises(notebook, where, prefix)
    except ExerciseError:   # stray markers in a student's notebook: nothing can be found
        return {}
    return {exercise.name: {"solution": list(exercise.solution_cells), "tests": [exercise.tests_cell]}
            for exercise in exercises}


def _integrity(exercise: Exercise, cells, notebook) -> tuple[str, str]:
    """("", "") when the exercise can be run and scored, else (status, error) scoring 0."""
    if not cells or not (cells["solution"] or cells["tests"]):
        return "missing", "exercise not found in the submission"
    if not cells["tests"]:
        return "tests changed", "tests cell deleted"
    if any(notebook.cells[index].source != exercise.tests_source for index in cells["tests"]):
        return "tests changed", "tests cell differs from the source notebook's"
    if not cells["solution"]:
        return "missing", "solution cell deleted"
    return "", ""


def _check_timeout(timeout, argument):
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"{argument}: expected a number of seconds > 0, received {timeout!r}")


def grade(submission, source, timeout=DEFAULT_TIMEOUT) -> SubmissionResult:
    """Run the notebook ``submission`` under nbval and score it against the notebook ``source``.

    ``timeout`` is in seconds per cell; a cell that runs longer is interrupted and fails, and the
    cells after it still run. Unreadable notebooks raise FileNotFoundError or ValueError; a
    submission that crashes or hangs returns a result whose ``problem`` says so.
    """
    _check_timeout(timeout, "timeout")
    source_notebook = _read_notebook(source, "source")
    exercises = find_exercises(source_notebook, str(source))
    if not exercises:
        raise ValueError(f"source: expected a notebook with exercises (solution markers), received "
                         f"{str(source)!r}, which has none")
    notebook = _read_notebook(submission, "submission")
    cells_by_exercise = _submission_cells(notebook, str(submission), _exercise_prefix(source))
    result = SubmissionResult(submission=str(submission), source=str(source))
    checks = {exercise.name: _integrity(exercise, cells_by_exercise.get(exercise.name), notebook)
              for exercise in exercises}
    outcomes = {}
    if any(status == "" for status, _ in checks.values()):
        outcomes, result.problem = _run_nbval(notebook, Path(submission), timeout)
    for exercise in exercises:
        status, error = checks[exercise.name]
        if not status:
            cells = cells_by_exercise[exercise.name]
            status, error = "passed", ""
            for index in sorted(cells["solution"] + cells["tests"]):
                role = "tests" if index in cells["tests"] else "solution"
                if index not in outcomes:
                    status, error = "not run", result.problem or f"the {role} cell did not run"
                    break
                outcome = outcomes[index]
                if not outcome["passed"]:
                    where = f", line {outcome['line']}: {outcome['code']}" if outcome.get("line") else ""
                    status, error = "failed", f"{outcome['error']} ({role} cell{where})"
                    break
        earned = exercise.points if status == "passed" else 0
        result.exercises.append(ExerciseResult(exercise.name, earned, exercise.points, status, error))
    return result


def _run_nbval(notebook, submission: Path, timeout) -> tuple[dict[int, dict], str]:
    """Run a copy of ``notebook`` beside ``submission`` under nbval: ({cell index: outcome}, problem).

    An outcome is what ``_CellRecorder`` wrote for the cell: passed, error, and line and code
    where the error was raised in the cell, if known.

    The copy has no outputs, so nothing is compared and stale outputs cannot fail a cell; it sits
    in the submission's folder because nbval starts the kernel in the notebook's folder. The
    project's pytest configuration and any conftest.py (a student could ship one) are ignored.
    """
    run_copy = copy.deepcopy(notebook)
    code_cells = [index for index, cell in enumerate(run_copy.cells) if cell.cell_type == "code"]
    for index in code_cells:
        run_copy.cells[index].outputs = []
        run_copy.cells[index].execution_count = None
    folder = submission.resolve().parent
    try:
        handle, copy_path = tempfile.mkstemp(dir=folder, prefix=".grading-", suffix=".ipynb")
    except OSError as error:
        raise OSError(f"submission: expected a writable folder (the run copy sits beside the notebook), "
                      f"received {str(folder)!r}: {error}") from error
    with tempfile.TemporaryDirectory(prefix="teachkeras-grading-") as scratch:
        record = Path(scratch) / "cells.jsonl"
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                nbformat.write(run_copy, stream)
            problem = _run_pytest(Path(copy_path), record, timeout, len(code_cells))
        finally:
            os.unlink(copy_path)
        outcomes = {}
        if record.exists():
            for line in record.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                outcomes[code_cells[entry.pop("cell")]] = entry
    return outcomes, problem


def _run_pytest(notebook_path: Path, record: Path, timeout, code_cell_count) -> str:
    """Run nbval on one notebook in a subprocess; '' when it ran, else what went wrong."""
    command = [sys.executable, "-m", "pytest", notebook_path.name, "-p", "nbval.plugin",
               "--nbval-lax", "--nbval-current-env",
               "--nbval-cell-timeout", str(timeout),
               "-p", "teachkeras.grading", "--teachkeras-grading-record", str(record),
               "-c", os.devnull, "--rootdir", str(notebook_path.parent), "--noconftest",
               "-p", "no:cacheprovider", "-q"]
    environment = dict(os.environ)
    environment.update(reproducible_arithmetic())   # the arithmetic the course's outputs come from
    environment["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"   # nbval and the recorder only, loaded by -p
    package_root = str(Path(__file__).resolve().parent.parent)  # this teachkeras, in pytest and kernel
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, environment.get("PYTHONPATH")]))
    limit = timeout * (code_cell_count + 1) + KERNEL_STARTUP_ALLOWANCE
    # A session of its own, so that on the whole-run limit the process group can be killed; the
    # kernel (in its own session, by jupyter_client) exits by itself when its parent is gone.
    process = subprocess.Popen(command, cwd=notebook_path.parent, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return f"stopped after {limit:g} s, the limit for the whole notebook"
    if process.returncode in (0, 1):   # pytest: all passed / some failed
        return ""
    last_lines = " | ".join(line for line in output.strip().splitlines()[-3:])
    return f"pytest exited with code {process.returncode}: {last_lines}"


# ---- the pytest plugin the grading subprocess loads (-p teachkeras.grading) -----------------

def pytest_addoption(parser):
    parser.addoption("--teachkeras-grading-record", default=None,
                     help="teachkeras.grading: append each notebook cell's outcome to this JSON-lines file")


def pytest_configure(config):
    record = config.getoption("--teachkeras-grading-record", default=None)
    if record:
        config.pluginmanager.register(_CellRecorder(record), "teachkeras-grading-recorder")


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _cell_error(item, excinfo) -> dict:
    """{"error": "AssertionError: x is 3", "line": 4, "code": "assert x == 2"}: what a cell raised,
    in one line, and the line of the cell it came from (0 and "" when unknown)."""
    errors = [output for output in item.test_outputs or [] if output.get("output_type") == "error"]
    message = str(excinfo.value) if excinfo is not None else ""
    if "Failed to interrupt kernel" in message:   # nbval waited, interrupted in vain, stopped the kernel
        return {"error": "the kernel crashed, or hung past the timeout and could not be interrupted",
                "line": 0, "code": ""}
    if message.startswith("Timeout") or not errors:   # nbval's own message: a timeout, a dead kernel
        return {"error": message.split("\n")[0] or "failed", "line": 0, "code": ""}
    error = errors[0]
    value = str(error.get("evalue", "")).strip().split("\n")[0]
    details = {"error": f"{error['ename']}: {value}" if value else error["ename"], "line": 0, "code": ""}
    # The outermost frame of an IPython traceback is the cell itself: "Cell In[7], line 4".
    traceback = ANSI_ESCAPE.sub("", "\n".join(error.get("traceback", [])))
    where = re.search(r"Cell In\s*\[\d*\], line (\d+)", traceback)
    lines = item.cell.source.split("\n")
    if where and 0 < int(where.group(1)) <= len(lines):
        code = lines[int(where.group(1)) - 1].strip()
        details.update(line=int(where.group(1)), code=code if len(code) <= 60 else code[:57] + "...")
    return details


class _CellRecorder:
    """Appends {"cell": code-cell number, "passed": bool, "error": ..., "line": ..., "code": ...} per
    nbval cell as it runs,
    so that the cells that did run are known even if the whole run is killed later."""

    def __init__(self, path):
        self.path = path

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        cell_number = getattr(item, "cell_num", None)   # nbval's items number the code cells from 0
        if cell_number is None or not (report.when == "call" or (report.when == "setup" and report.failed)):
            return
        # A cell passes if nbval passed it and it raised nothing (a student's raises-exception tag
        # or NBVAL_RAISES_EXCEPTION comment does not turn an error into a pass); skipped is not run.
        raised = any(output.get("output_type") == "error" for output in getattr(item, "test_outputs", None) or [])
        passed = report.passed and not raised
        if passed:
            details = {"error": ""}
        elif report.skipped and not hasattr(report, "wasxfail"):
            details = {"error": "skipped (an NBVAL_SKIP marker), so it did not run"}
        else:
            details = _cell_error(item, call.excinfo)
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps({"cell": cell_number, "passed": passed, **details}) + "\n")


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _format_points(value) -> str:
    return f"{value:g}"


def format_result(result: SubmissionResult) -> str:
    """The table printed for one submission."""
    width = max([len("exercise")] + [len(item.exercise) for item in result.exercises])
    lines = [f"{result.submission}  (source {result.source})"]
    if result.problem:
        lines.append(f"  problem: {result.problem}")
    lines.append(f"  {'exercise':<{width}}  {'points':>7}  result")
    for item in result.exercises:
        score = f"{_format_points(item.points)}/{_format_points(item.max_points)}"
        detail = item.status + (f": {item.error}" if item.error else "")
        lines.append(f"  {item.exercise:<{width}}  {score:>7}  {detail}")
    total = f"{_format_points(result.points)}/{_format_points(result.max_points)}"
    lines.append(f"  {'total':<{width}}  {total:>7}")
    return "\n".join(lines)


def _submission_paths(arguments) -> list[Path]:
    """Files as given; a folder stands for every notebook under it (hidden and checkpoint files aside)."""
    paths = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(candidate for candidate in path.rglob("*.ipynb")
                           if not any(part.startswith(".") for part in candidate.relative_to(path).parts))
            if not found:
                raise FileNotFoundError(f"submission: expected notebooks in the folder {argument!r}, found none")
            paths.extend(found)
        else:
            paths.append(path)
    return paths


def _release_command(args) -> int:
    names = [Path(path).name for path in args.notebooks]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"notebooks: expected distinct file names (they all go into {args.to!r}), "
                         f"received {', '.join(duplicates)} more than once")
    for path in args.notebooks:
        written = release_notebook(path, args.to)
        listing = ", ".join(f"{exercise.name}: {_format_points(exercise.points)} point"
                            f"{'' if exercise.points == 1 else 's'}" for exercise in written.exercises)
        print(f"{written.source} -> {written.path}: {len(written.exercises)} exercises ({listing or 'none'})")
    return 0


def _grade_command(args) -> int:
    _check_timeout(args.timeout, "--timeout")
    source_notebook = _read_notebook(args.source, "--source")
    if not find_exercises(source_notebook, str(args.source)):
        raise ValueError(f"--source: expected a notebook with exercises (solution markers), "
                         f"received {args.source!r}, which has none")
    results, exit_code = [], 0
    for submission in _submission_paths(args.submissions):
        try:
            result = grade(submission, args.source, timeout=args.timeout)
        except (OSError, ValueError) as error:   # unreadable: say so, grade the others, exit 2
            print(f"{submission}: not graded: {error}", file=sys.stderr, flush=True)
            exit_code = 2
            continue
        results.append(result)
        print(format_result(result) + "\n", flush=True)
    if len(results) > 1:
        print("summary")
        for result in results:
            print(f"  {_format_points(result.points)}/{_format_points(result.max_points)}  {result.submission}")
    if args.json:
        report = {"source": str(args.source), "timeout": args.timeout,
                  "submissions": [result.to_dict() for result in results]}
        write_atomically(Path(args.json), json.dumps(report, indent=2) + "\n")
    return exit_code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m teachkeras.grading",
                                     description="Release student versions of notebooks and grade submissions.")
    commands = parser.add_subparsers(dest="command", required=True)
    release_parser = commands.add_parser("release", help="write student versions (solutions replaced)")
    release_parser.add_argument("notebooks", nargs="+", help="source notebooks with solution markers")
    release_parser.add_argument("--to", required=True, help="folder for the student versions (created)")
    grade_parser = commands.add_parser("grade", help="run submissions under nbval and score each exercise")
    grade_parser.add_argument("submissions", nargs="+", help="submitted notebooks, or folders of them")
    grade_parser.add_argument("--source", required=True, help="the teacher's notebook with solution markers")
    grade_parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                              help=f"seconds allowed per cell (default {DEFAULT_TIMEOUT})")
    grade_parser.add_argument("--json", help="also write every result to this JSON file")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            return _release_command(args)
        return _grade_command(args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
