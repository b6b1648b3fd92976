"""Check a chapter's exercise tests against known-wrong answers (and the right one).

Each exercise in a notebook is a solution cell holding ``### BEGIN SOLUTION`` / ``### END
SOLUTION`` and, right after it, a cell of asserts. ``run_exercise`` executes a preamble (the
imports and data the exercise needs, written in the test), the solution cell with the marked
region replaced by the given answer, then the tests cell, in a fresh namespace. A test of the
exercise then states which answers must pass and which must fail::

    exercise = exercises(NOTEBOOK)[0]
    run_exercise(exercise, right_answer, PREAMBLE)                # passes
    with pytest.raises(AssertionError):
        run_exercise(exercise, plausible_wrong_answer, PREAMBLE)  # must not pass
"""

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Exercise:
    solution: str  # the solution cell's source, markers included
    tests: str     # the tests cell's source

    @property
    def answer(self):
        """The book's answer: the lines between the markers, dedented (so a test can run the
        notebook's own answer instead of keeping a copy of it)."""
        lines = self.solution.splitlines()
        begin = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
        end = next(i for i, line in enumerate(lines) if line.strip() == END)
        return textwrap.dedent("\n".join(lines[begin + 1:end]))


def _source(cell):
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def exercises(notebook):
    """The notebook's exercises in order (path relative to the repository root, or absolute)."""
    path = Path(notebook)
    path = path if path.is_absolute() else ROOT / path
    cells = [cell for cell in json.loads(path.read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code"]
    found = []
    for index, cell in enumerate(cells):
        if BEGIN in _source(cell) and index + 1 < len(cells) and BEGIN not in _source(cells[index + 1]):
            found.append(Exercise(_source(cell), _source(cells[index + 1])))
    return found


def with_answer(solution, answer):
    """The solution cell with the region between the markers replaced by ``answer`` (re-indented
    to the region's indentation)."""
    lines = solution.splitlines()
    begin = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    end = next(i for i, line in enumerate(lines) if line.strip() == END)
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    body = textwrap.indent(textwrap.dedent(answer).strip("\n"), indent).splitlines()
    return "\n".join(lines[:begin] + body + lines[end + 1:])


def run_exercise(exercise, answer, preamble=""):
    """Run preamble, the solution cell with ``answer``, then the tests cell; return the namespace.
    An AssertionError (or any other error) from the tests propagates."""
    namespace = {"__name__": "__exercise__"}
    exec(compile(textwrap.dedent(preamble), "<preamble>", "exec"), namespace)
    exec(compile(with_answer(exercise.solution, answer), "<solution>", "exec"), namespace)
    exec(compile(exercise.tests, "<tests>", "exec"), namespace)
    return namespace
