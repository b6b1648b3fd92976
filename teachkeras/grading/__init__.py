"""Release student editions of chapter notebooks, grade submissions in a sandbox, check one's work.

Usage::

    python -m teachkeras.grading release notebooks/03_dropout.ipynb [more...] --to release/
    python -m teachkeras.grading grade submissions/ --source notebooks/03_dropout.ipynb \\
        [--csv grades.csv] [--json results.json] [--feedback feedback/] [--timeout 600] [-j 4]
    python -m teachkeras.grading check notebooks/03_dropout.ipynb

One idea per module:

* ``exercises``: the markers (``### BEGIN SOLUTION``, ``### BEGIN HIDDEN TESTS``), finding
  exercises and points, the student version of a notebook;
* ``merge``: the notebook that is graded, the teacher's source with the student's answers put in;
* ``sandbox``: bubblewrap, and the limits; ``_runner``: the program that runs cells inside it;
* ``run``: talking to the runner, deadlines, restarts; ``grader``: one submission, scored;
* ``reports``: table, CSV gradebook, JSON, feedback; ``edition``: the student edition;
* ``cli``: the command line.

docs/grading.md describes the teacher's workflow and what a student's code can and cannot
influence. Nothing here is imported by ``import teachkeras``; it needs nbformat (and IPython for
notebooks with ``%`` magics). Hand-written tooling: no chapter builds this package.
"""

from teachkeras.grading.cli import check, main
from teachkeras.grading.edition import Release, release_edition, release_notebook
from teachkeras.grading.exercises import (
    BEGIN,
    BEGIN_HIDDEN,
    END,
    END_HIDDEN,
    Exercise,
    ExerciseError,
    TestsCell,
    find_exercises,
    public_tests,
    release,
    replace_solutions,
    solution_regions,
)
from teachkeras.grading.grader import (
    DEFAULT_TIMEOUT,
    ExerciseResult,
    SandboxUnavailable,
    SubmissionResult,
    TestResult,
    grade,
)
from teachkeras.grading.reports import feedback, format_result, gradebook_csv
from teachkeras.grading.sandbox import Limits, sandbox_problem

__all__ = ["BEGIN", "BEGIN_HIDDEN", "DEFAULT_TIMEOUT", "END", "END_HIDDEN", "Exercise", "ExerciseError",
           "ExerciseResult", "Limits", "Release", "SandboxUnavailable", "SubmissionResult", "TestResult",
           "TestsCell", "check", "feedback", "find_exercises", "format_result", "grade", "gradebook_csv", "main",
           "public_tests", "release", "release_edition", "release_notebook", "replace_solutions",
           "sandbox_problem", "solution_regions"]
