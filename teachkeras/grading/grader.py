"""Grade one submission: read it, merge its answers into the source, run, score each tests cell."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from teachkeras.grading import run, sandbox
from teachkeras.grading.exercises import Exercise, find_exercises
from teachkeras.grading.merge import merge

__all__ = ["DEFAULT_TIMEOUT", "ExerciseResult", "SandboxUnavailable", "SubmissionResult", "TestResult",
           "grade", "read_notebook", "read_source"]

DEFAULT_TIMEOUT = 600               # seconds per cell, as tools/execute_notebook.py
MAX_NOTEBOOK_BYTES = 64 << 20


class SandboxUnavailable(RuntimeError):
    """No sandbox can run here, and ``unsafe`` was not given."""


@dataclass
class TestResult:
    """One tests cell of one exercise. For hidden tests ``error`` only ever says that they failed."""

    test: int
    points: float
    max_points: float
    passed: bool
    error: str = ""
    hidden: bool = False


@dataclass
class ExerciseResult:
    """One exercise of one submission. ``status``: passed, partial, failed, missing, not run,
    answer key, not graded; ``error`` says why points were lost (empty when all were earned)."""

    exercise: str
    points: float
    max_points: float
    status: str
    error: str = ""
    tests: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class SubmissionResult:
    """All exercises of one submission; ``problem`` reports what went wrong with the run as a whole."""

    submission: str
    source: str
    student: str = ""
    sha256: str = ""
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

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        exercises = [ExerciseResult(**{**item, "tests": [TestResult(**test) for test in item.get("tests", [])]})
                     for item in data.get("exercises", [])]
        fields = {key: data.get(key, "") for key in ("submission", "source", "student", "sha256", "problem")}
        return cls(**fields, exercises=exercises)


def _check_seconds(value, argument):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{argument}: expected a number of seconds > 0, received {value!r}")


def read_notebook(path, argument):
    """A notebook read from a regular file (not a link), or ValueError / FileNotFoundError naming
    ``argument``, what was expected and what was received."""
    path = Path(path)
    if path.is_symlink():
        raise ValueError(f"{argument}: expected a notebook file, received {str(path)!r}, which is a symbolic "
                         "link (a submission must be the student's own file)")
    if not path.is_file():
        raise FileNotFoundError(f"{argument}: expected a notebook file, received {str(path)!r}, "
                                "which does not exist or is not a file")
    try:
        data = path.read_bytes()
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"{len(data)} bytes, more than {MAX_NOTEBOOK_BYTES}")
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        if not isinstance(notebook.get("cells"), list):
            raise ValueError("no list of cells")
    except Exception as error:  # nbformat raises JSON, validation and Unicode errors alike
        raise ValueError(f"{argument}: expected a Jupyter notebook, received {str(path)!r}, "
                         f"which cannot be read as one ({type(error).__name__}: {error})") from error
    return notebook, hashlib.sha256(data).hexdigest()


def read_source(path, argument="source"):
    """(source notebook, its exercises); ValueError when it has none."""
    notebook, _ = read_notebook(path, argument)
    exercises = find_exercises(notebook, str(path))
    if not exercises:
        raise ValueError(f"{argument}: expected a notebook with exercises (solution markers), received "
                         f"{str(path)!r}, which has none")
    return notebook, exercises


def _plain_cells(notebook) -> list[dict]:
    """The submission's cells as {cell_type, source, metadata}, whatever shape its JSON had."""
    cells = []
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        metadata = cell.get("metadata", {})
        cells.append(nbformat.NotebookNode(cell_type=str(cell.get("cell_type", "")),
                                           source=source if isinstance(source, str) else "",
                                           metadata=metadata if isinstance(metadata, dict) else {}))
    return cells


def answer_names(source, exercises: list[Exercise]) -> set[str]:
    """Top-level names the source's solution cells bind: the names the tests look up in the student's
    answer, which the teacher's cells must not get back."""
    names = set()
    for exercise in exercises:
        for index in exercise.solution_cells:
            try:
                tree = ast.parse(run.transform(source.cells[index].source))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
                else:
                    for child in ast.walk(node):
                        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                            names.add(child.id)
    return names


def _failure(record, cell) -> str:
    """What a failed cell says in the results: the error, the cell, the line (hidden lines: nothing)."""
    kind = f"tests cell {cell.test}" if cell.role == "tests" else "solution cell"
    number = record.get("line", 0)
    if cell.role == "tests" and number in cell.hidden:
        return f"a hidden test failed ({kind})"
    where = ""
    lines = cell.code.split("\n")
    if 0 < number <= len(lines):
        code = lines[number - 1].strip()
        where = f", line {number}: {code if len(code) <= 60 else code[:57] + '...'}"
    if cell.role == "tests" and cell.hidden and record.get("kind") not in ("timeout", "crash") and not where:
        return f"failed ({kind})"
    return f"{record.get('error') or 'failed'} ({kind}{where})"


def _score(exercise: Exercise, cells, outcomes, found, notes, problem) -> ExerciseResult:
    mine = [(position, cell) for position, cell in enumerate(cells) if cell.exercise == exercise.name]
    solution_error = ""
    for position, cell in mine:
        if cell.role == "solution" and position in outcomes and not outcomes[position]["ok"]:
            solution_error = _failure(outcomes[position], cell)
            break
        if cell.role == "solution" and position not in outcomes:
            solution_error = "not run" + (f": {problem}" if problem else "")
            break
    tests = []
    for position, cell in mine:
        if cell.role != "tests":
            continue
        outcome = outcomes.get(position)
        passed = bool(outcome and outcome["ok"]) and not solution_error and found != "missing"
        if passed:
            error = ""
        elif outcome is None:
            error = "not run" + (f": {problem}" if problem else "")
        elif not outcome["ok"]:
            error = _failure(outcome, cell)
        else:
            error = solution_error or "no answer found"
        tests.append(TestResult(cell.test, cell.points if passed else 0, cell.points, passed, error,
                                hidden=bool(cell.hidden)))
    earned = sum(test.points for test in tests)
    if found == "missing":
        status, error = "missing", ("no answer found: no cell tagged as this exercise's solution, and none "
                                    "where the handout has it")
    elif all(test.passed for test in tests):
        status, error = "passed", ""
    else:
        ran = any(position in outcomes for position, _ in mine)
        status = "partial" if earned > 0 else ("failed" if ran else "not run")
        error = solution_error or next(test.error for test in tests if not test.passed)
    return ExerciseResult(exercise.name, earned, exercise.points, status, error, tests, list(notes))


def grade(submission, source, timeout=DEFAULT_TIMEOUT, *, unsafe=False, total_timeout=None,
          limits: sandbox.Limits | None = None, student="", stop: run.Stop | None = None) -> SubmissionResult:
    """Grade the notebook ``submission`` against the teacher's notebook ``source``.

    The student's answers are put into the source (``merge``), and the result runs in a sandbox
    (``sandbox``): ``timeout`` seconds per cell, ``total_timeout`` for the whole notebook (default
    ``timeout * (code cells + 1) + 120``). Raises SandboxUnavailable when bubblewrap cannot run,
    unless ``unsafe`` (no isolation at all). Unreadable notebooks raise FileNotFoundError or
    ValueError; a submission that crashes or hangs returns a result whose ``problem`` says so.
    """
    _check_seconds(timeout, "timeout")
    if total_timeout is not None:
        _check_seconds(total_timeout, "total_timeout")
    source_notebook, exercises = read_source(source)
    notebook, digest = read_notebook(submission, "submission")
    if not unsafe and sandbox.sandbox_problem():
        raise SandboxUnavailable(f"no sandbox: {sandbox.sandbox_problem()}. Grading runs students' code; "
                                 "without a sandbox it runs with your permissions. Pass unsafe=True "
                                 "(--unsafe) only in a throw-away container")
    result = SubmissionResult(str(submission), str(source), student or Path(submission).stem, digest)
    submission_notebook = nbformat.NotebookNode(cells=_plain_cells(notebook))
    merged = merge(source_notebook, submission_notebook, exercises, str(source))
    if merged.key_markers:
        result.problem = ("the submission contains solution markers (### BEGIN SOLUTION): that is the "
                          "answer key, not a student's work; nothing was run")
        result.exercises = [ExerciseResult(exercise.name, 0, exercise.points, "answer key", result.problem)
                            for exercise in exercises]
        return result
    code_cells = len(merged.cells)
    total_timeout = total_timeout or timeout * (code_cells + 1) + run.STARTUP_SECONDS
    from teachkeras.grading.edition import grading_package   # edition reads notebooks with this module
    outcomes, problems = run.execute(merged.cells, timeout, total_timeout, sandboxed=not unsafe,
                                     limits=limits or sandbox.Limits(),
                                     answer_names=answer_names(source_notebook, exercises), stop=stop,
                                     package=grading_package(Path(source)))
    result.problem = "; ".join(problems)
    result.exercises = [_score(exercise, merged.cells, outcomes, merged.found.get(exercise.name, "tag"),
                               merged.notes.get(exercise.name, []), result.problem)
                        for exercise in exercises]
    return result
