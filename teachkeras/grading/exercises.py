"""Exercises in a teacher's notebook: the markers, the rule that finds them, and the student version.

An exercise is a run of code cells holding the answer between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` lines, then its tests: the code cell right after the run, and any further
code cells tagged ``{"teachkeras": {"role": "tests"}}`` that follow it (markdown may sit between).
A tests cell may hide lines from students between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``; they run when the notebook is graded. The markers are nbgrader's, so
teachers recognise them.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BEGIN", "END", "BEGIN_HIDDEN", "END_HIDDEN", "METADATA_KEY", "Exercise", "ExerciseError",
           "TestsCell", "exercise_prefix", "find_exercises", "hidden_lines", "public_tests",
           "release", "replace_solutions", "solution_regions", "tag", "tests_fingerprint"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
HIDDEN_ONLY = "# (hidden tests: they run when your notebook is graded)"
METADATA_KEY = "teachkeras"
DEFAULT_POINTS = 1


class ExerciseError(ValueError):
    """A notebook's exercises are malformed (the message names notebook and cell)."""


@dataclass
class TestsCell:
    """One tests cell of an exercise: its index in the notebook, its points and its full source
    (hidden tests included)."""

    index: int
    points: float
    source: str


@dataclass
class Exercise:
    """One exercise of a source notebook; cell positions are indices into ``notebook.cells``."""

    name: str                              # "03-1": chapter prefix of the file name, then 1, 2, ...
    solution_cells: list[int]
    tests: list[TestsCell] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(cell.points for cell in self.tests)

    @property
    def tests_cell(self) -> int:
        """The first tests cell (most exercises have one)."""
        return self.tests[0].index

    @property
    def tests_source(self) -> str:
        return self.tests[0].source


def cell_label(where, index, cell) -> str:
    """'notebooks/03_dropout.ipynb, cell 28 ("def channel_noise_shape(input_shape):")', 1-based."""
    first_line = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if len(first_line) > 50:
        first_line = first_line[:47] + "..."
    return f'{where}, cell {index + 1} ("{first_line}")'


def _regions(source: str, begin_marker: str, end_marker: str, where: str) -> list[tuple[int, int]]:
    """(begin line, end line) pairs, 0-based and markers included, of one kind of marked region."""
    regions, begin = [], None
    begin_words, end_words = begin_marker.lstrip("# "), end_marker.lstrip("# ")
    for number, line in enumerate(source.split("\n")):
        stripped = line.strip()
        if stripped == begin_marker:
            if begin is not None:
                raise ExerciseError(f"{where}: nested {begin_marker!r} on line {number + 1}; expected "
                                    f"{end_marker!r} first, to close the {begin_marker!r} on line {begin + 1}")
            begin = number
        elif stripped == end_marker:
            if begin is None:
                raise ExerciseError(f"{where}: {end_marker!r} on line {number + 1} without a "
                                    f"{begin_marker!r} before it")
            regions.append((begin, number))
            begin = None
        elif begin_words in line or end_words in line:
            raise ExerciseError(f"{where}: line {number + 1} looks like a marker but is not one; expected a "
                                f"line that is exactly {begin_marker!r} or {end_marker!r} (indentation aside), "
                                f"received {stripped!r}")
    if begin is not None:
        raise ExerciseError(f"{where}: {begin_marker!r} on line {begin + 1} has no {end_marker!r} after it")
    return regions


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
    teachkeras.grading.exercises.ExerciseError: ex.ipynb, cell 3: '### BEGIN SOLUTION' on line 1 has no '### END SOLUTION' after it
    """
    return _regions(source, BEGIN, END, where)


def hidden_regions(source: str, where: str = "cell") -> list[tuple[int, int]]:
    """Like ``solution_regions``, for ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``."""
    return _regions(source, BEGIN_HIDDEN, END_HIDDEN, where)


def hidden_lines(source: str) -> set[int]:
    """The 1-based line numbers of a tests cell that are hidden from students (markers included)."""
    return {number + 1 for begin, end in hidden_regions(source) for number in range(begin, end + 1)}


def public_tests(source: str, where: str = "cell") -> str:
    """A tests cell as students see it: each hidden region, markers included, removed.

    >>> print(public_tests("assert f(1) == 2\\n### BEGIN HIDDEN TESTS\\nassert f(5) == 10\\n### END HIDDEN TESTS"))
    assert f(1) == 2
    """
    lines = source.split("\n")
    for begin, end in reversed(hidden_regions(source, where)):
        del lines[begin:end + 1]
    public = "\n".join(lines).rstrip("\n")
    return public if public.strip() else HIDDEN_ONLY


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


def normalized(source: str) -> str:
    """A cell's source with trailing spaces and leading / trailing blank lines dropped."""
    return "\n".join(line.rstrip() for line in source.strip("\n").split("\n")).strip("\n")


def tests_fingerprint(source: str) -> str:
    """sha256 of a public tests cell, whitespace-normalized: lets ``check`` say a tests cell was edited."""
    return hashlib.sha256(normalized(source).encode("utf-8")).hexdigest()[:16]


def exercise_prefix(path) -> str:
    """'03' for 03_dropout.ipynb (the chapter number); the whole stem when it has no number."""
    stem = Path(path).stem
    match = re.match(r"\d+", stem)
    return match.group(0) if match else stem


def tag(cell) -> dict:
    """The cell's ``metadata["teachkeras"]``; {} when absent or not a mapping."""
    value = cell.get("metadata", {}).get(METADATA_KEY, {})
    return value if isinstance(value, dict) else {}


def _check_points(points, label):
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ExerciseError(f'{label}: metadata["{METADATA_KEY}"]["points"] must be a number > 0, '
                            f"received {points!r}")
    return points


def _tests_points(solution_cells, tests_cells, label) -> list[float]:
    """Points of each tests cell. A tests cell's own ``points`` counts; points set on the solution
    cells are the exercise's total, shared equally by the tests cells that set none; without any,
    each tests cell is worth 1."""
    found = {tag(cell).get("points") for cell in solution_cells} - {None}
    if len(found) > 1:
        raise ExerciseError(f"{label}: the exercise's solution cells set different points {sorted(found)}; "
                            "expected one value")
    total = _check_points(found.pop(), label) if found else None
    own = [tag(cell).get("points") for cell in tests_cells]
    own = [None if value is None else _check_points(value, label) for value in own]
    if total is None:
        return [DEFAULT_POINTS if value is None else value for value in own]
    unset = own.count(None)
    rest = total - sum(value for value in own if value is not None)
    if (unset == 0 and abs(rest) > 1e-9) or (unset and not rest > 0):
        raise ExerciseError(f"{label}: the exercise's cells set different points: {total:g} on the solution, "
                            f"{[value for value in own if value is not None]} on the tests cells; expected "
                            "tests-cell points that add up to the solution's")
    return [rest / unset if value is None else value for value in own]


def find_exercises(notebook, where="notebook", prefix=None) -> list[Exercise]:
    """The exercises of a source notebook, in order, checked for the mistakes a teacher can make.

    ``where`` names the notebook in error messages; the exercise names start with ``prefix``,
    by default the chapter number of the file name (``03`` for ``03_dropout.ipynb``).
    """
    exercises, pending = [], []
    prefix = exercise_prefix(where) if prefix is None else prefix
    cells = notebook.cells
    index = 0
    while index < len(cells):
        cell = cells[index]
        label = cell_label(where, index, cell)
        is_code = cell.cell_type == "code"
        tagged_tests = tag(cell).get("role") == "tests"
        if is_code and solution_regions(cell.source, label):
            if tagged_tests:
                raise ExerciseError(f"{label}: a tests cell must not contain solution markers "
                                    f'(metadata["{METADATA_KEY}"]["role"] is "tests")')
            if hidden_regions(cell.source, label):
                raise ExerciseError(f"{label}: hidden tests belong in a tests cell, not in a solution cell")
            pending.append(index)
            index += 1
            continue
        if is_code:
            hidden_regions(cell.source, label)   # refuses misspelt hidden-tests markers anywhere
        if not pending:
            if tagged_tests and is_code:
                raise ExerciseError(f"{label}: tagged as a tests cell, but no solution cell comes before it; "
                                    "expected a source notebook with solution markers (is this a released one?)")
            if is_code and hidden_regions(cell.source, label):
                raise ExerciseError(f"{label}: hidden tests outside a tests cell (expected them in the cell "
                                    "right after a solution cell, or in a cell tagged as tests)")
            index += 1
            continue
        if not is_code or not cell.source.strip():
            kind = "an empty code cell" if is_code else f"a {cell.cell_type} cell"
            raise ExerciseError(f"{cell_label(where, pending[-1], cells[pending[-1]])}: "
                                "a solution cell must be followed by a code cell of tests; "
                                f"received {kind} (cell {index + 1})")
        tests = [index]
        following = index + 1
        while following < len(cells):   # further tests cells: tagged, markdown may sit between
            candidate = cells[following]
            if candidate.cell_type != "code":
                following += 1
                continue
            if tag(candidate).get("role") != "tests" or solution_regions(candidate.source, label):
                break
            tests.append(following)
            following += 1
        solution = [cells[number] for number in pending]
        points = _tests_points(solution, [cells[number] for number in tests], label)
        exercises.append(Exercise(
            name=f"{prefix}-{len(exercises) + 1}", solution_cells=pending,
            tests=[TestsCell(number, value, cells[number].source) for number, value in zip(tests, points)]))
        pending = []
        index = tests[-1] + 1
    if pending:
        raise ExerciseError(f"{cell_label(where, pending[-1], cells[pending[-1]])}: "
                            "a solution cell must be followed by a code cell of tests; "
                            "received the end of the notebook")
    return exercises


def release(notebook, where="notebook"):
    """(student notebook, exercises): a copy with solutions replaced, hidden tests removed and the
    exercise cells tagged."""
    exercises = find_exercises(notebook, where)
    student = copy.deepcopy(notebook)
    for exercise in exercises:
        for index in exercise.solution_cells:
            cell = student.cells[index]
            cell.source = replace_solutions(cell.source, cell_label(where, index, cell))
            cell.outputs, cell.execution_count = [], None
            cell.metadata[METADATA_KEY] = {"exercise": exercise.name, "role": "solution",
                                           "points": exercise.points}
        for number, tests in enumerate(exercise.tests, start=1):
            cell = student.cells[tests.index]
            cell.source = public_tests(cell.source, cell_label(where, tests.index, cell))
            cell.outputs, cell.execution_count = [], None
            cell.metadata[METADATA_KEY] = {"exercise": exercise.name, "role": "tests", "points": tests.points,
                                           "test": number, "fingerprint": tests_fingerprint(cell.source)}
    return student, exercises
