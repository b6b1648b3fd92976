"""Build the notebook that is graded: the teacher's source with the student's answers put in.

Only a submission's solution cells are taken; every other cell (tests, hidden tests, setup,
prose) comes from the source. Answers are found by the exercise tag ``release`` wrote into each
solution cell; where a submission lost its cell metadata, by position, aligning it with the
handout (the released notebook) cell by cell.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from teachkeras.grading.exercises import (
    BEGIN,
    END,
    Exercise,
    hidden_lines,
    normalized,
    release,
    tag,
)

__all__ = ["GradedCell", "Merged", "merge"]


@dataclass
class GradedCell:
    """One code cell of the graded notebook. ``role`` is setup, solution or tests; ``exercise`` and
    ``test`` (1-based) say which exercise and tests cell it belongs to; ``student`` is True when the
    code came from the submission; ``hidden`` holds the tests cell's hidden line numbers."""

    code: str
    role: str = "setup"
    exercise: str = ""
    test: int = 0
    points: float = 0
    student: bool = False
    source_index: int = -1
    hidden: set = field(default_factory=set)


@dataclass
class Merged:
    """The cells to run, and per exercise how its answer was found: 'tag', 'position' or 'missing'."""

    cells: list[GradedCell]
    found: dict[str, str]
    notes: dict[str, list[str]]
    key_markers: bool = False


def _answers_by_tag(submission, names) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for cell in submission.cells:
        cell_tag = tag(cell)
        if cell.get("cell_type") == "code" and cell_tag.get("role") == "solution":
            name = str(cell_tag.get("exercise", ""))
            if name in names:
                answers.setdefault(name, []).append(cell.get("source", ""))
    return answers


def _answers_by_position(submission, handout, exercises, wanted) -> dict[str, list[str]]:
    """Align the submission's cells with the handout's; the cells that stand where a solution cell
    stands in the handout (edited, split, or left as handed out) are the answer."""
    owner = {index: exercise.name for exercise in exercises if exercise.name in wanted
             for index in exercise.solution_cells}
    keys_a = [(cell.cell_type, normalized(cell.source)) for cell in handout.cells]
    keys_b = [(cell.get("cell_type"), normalized(cell.get("source", ""))) for cell in submission.cells]
    answers: dict[str, list[str]] = {}
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    for operation, a1, a2, b1, b2 in matcher.get_opcodes():
        code_b = [j for j in range(b1, b2) if submission.cells[j].get("cell_type") == "code"]
        if operation == "equal":
            for i, j in zip(range(a1, a2), range(b1, b2)):
                if i in owner:
                    answers.setdefault(owner[i], []).append(submission.cells[j].source)
        elif operation == "replace":
            names = {owner.get(i) for i in range(a1, a2) if handout.cells[i].cell_type == "code"}
            if len(names) == 1 and None not in names:
                answers.setdefault(names.pop(), []).extend(submission.cells[j].source for j in code_b)
        elif operation == "insert" and a1 - 1 in owner:   # a cell split off right after a solution cell
            answers.setdefault(owner[a1 - 1], []).extend(submission.cells[j].source for j in code_b)
    return answers


def merge(source, submission, exercises: list[Exercise], where="source") -> Merged:
    """The graded cells: ``source``'s code cells, each exercise's solution cells replaced by the
    submission's answer (or by the handout's placeholder where none is found)."""
    handout, _ = release(source, where)
    names = {exercise.name for exercise in exercises}
    answers = _answers_by_tag(submission, names)
    found = {name: "tag" for name in answers}
    untagged = names - set(answers)
    if untagged:
        for name, cells in _answers_by_position(submission, handout, exercises, untagged).items():
            answers[name], found[name] = cells, "position"
    notes: dict[str, list[str]] = {}
    key_markers = any(cell.get("cell_type") == "code" and any(
        line.strip() in (BEGIN, END) for line in cell.get("source", "").split("\n")) for cell in submission.cells)
    public = {(exercise.name, number): normalized(handout.cells[tests.index].source)
              for exercise in exercises for number, tests in enumerate(exercise.tests, start=1)}
    for cell in submission.cells:
        cell_tag = tag(cell)
        key = (str(cell_tag.get("exercise", "")), cell_tag.get("test", 1))
        if cell_tag.get("role") == "tests" and key in public and normalized(cell.get("source", "")) != public[key]:
            notes.setdefault(key[0], []).append(
                f"your copy of tests cell {key[1]} differs from the handout's; the original was run")
    solution_owner = {index: exercise for exercise in exercises for index in exercise.solution_cells}
    tests_owner = {tests.index: (exercise, number, tests)
                   for exercise in exercises for number, tests in enumerate(exercise.tests, start=1)}
    cells: list[GradedCell] = []
    for index, cell in enumerate(source.cells):
        if cell.cell_type != "code":
            continue
        if index in solution_owner:
            exercise = solution_owner[index]
            if index != exercise.solution_cells[0]:
                continue   # the whole run is replaced at its first cell
            if exercise.name in answers:
                cells.extend(GradedCell(code, "solution", exercise.name, student=True, source_index=index)
                             for code in answers[exercise.name])
            else:
                found[exercise.name] = "missing"
                cells.extend(GradedCell(handout.cells[number].source, "solution", exercise.name,
                                        source_index=number) for number in exercise.solution_cells)
        elif index in tests_owner:
            exercise, number, tests = tests_owner[index]
            cells.append(GradedCell(tests.source, "tests", exercise.name, number, tests.points,
                                    source_index=index, hidden=hidden_lines(tests.source)))
        else:
            cells.append(GradedCell(cell.source, source_index=index))
    return Merged(cells=cells, found=found, notes=notes, key_markers=key_markers)
