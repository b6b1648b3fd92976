"""What grading writes: the table printed per submission, the CSV gradebook, the JSON, feedback files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from teachkeras._io import write_atomically
from teachkeras.grading.grader import SubmissionResult

__all__ = ["feedback", "format_result", "gradebook_csv", "results_json", "safe_name"]


def _points(value) -> str:
    return f"{value:g}"


def format_result(result: SubmissionResult) -> str:
    """The table printed for one submission."""
    width = max([len("exercise")] + [len(item.exercise) for item in result.exercises])
    lines = [f"{result.submission}  (student {result.student}, source {result.source})"]
    if result.problem:
        lines.append(f"  problem: {result.problem}")
    lines.append(f"  {'exercise':<{width}}  {'points':>7}  result")
    for item in result.exercises:
        score = f"{_points(item.points)}/{_points(item.max_points)}"
        detail = item.status + (f": {item.error}" if item.error else "")
        lines.append(f"  {item.exercise:<{width}}  {score:>7}  {detail}")
    lines.append(f"  {'total':<{width}}  {_points(result.points) + '/' + _points(result.max_points):>7}")
    return "\n".join(lines)


def gradebook_csv(results: list[SubmissionResult], exercise_names: list[str]) -> str:
    """One row per student: student, submission, points per exercise, total, max_points, problem."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["student", "submission", *exercise_names, "total", "max_points", "problem"])
    for result in sorted(results, key=lambda item: (item.student, item.submission)):
        by_name = {item.exercise: item.points for item in result.exercises}
        writer.writerow([result.student, result.submission, *[_points(by_name.get(name, 0)) for name in exercise_names],
                         _points(result.points), _points(result.max_points), result.problem])
    return stream.getvalue()


def results_json(results: list[SubmissionResult], source: str, source_sha256: str, timeout) -> str:
    report = {"source": source, "source_sha256": source_sha256, "timeout": timeout,
              "submissions": [result.to_dict() for result in results]}
    return json.dumps(report, indent=2) + "\n"


def safe_name(student: str) -> str:
    """A student id as a file name: letters, digits, '.', '_' and '-' kept, the rest '_'."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", student).strip(".") or "student"
    return name[:100]


def feedback(result: SubmissionResult) -> str:
    """The Markdown a student gets: each exercise, its points, and the failing check's message.
    Hidden tests say only whether they passed."""
    lines = [f"# Feedback: {Path(result.source).name}", "",
             f"**Total: {_points(result.points)} / {_points(result.max_points)} points**", ""]
    if result.problem:
        lines += [f"Note: {result.problem}", ""]
    lines += ["| exercise | points | result |", "|---|---|---|"]
    for item in result.exercises:
        lines.append(f"| {item.exercise} | {_points(item.points)} / {_points(item.max_points)} | {item.status} |")
    for item in result.exercises:
        lines += ["", f"## {item.exercise}: {_points(item.points)} / {_points(item.max_points)}", ""]
        if not item.tests:
            lines.append(f"- {item.status}: {item.error}" if item.error else f"- {item.status}")
        for test in item.tests:
            kind = "tests cell" + (" (with hidden tests)" if test.hidden else "")
            verdict = "passed" if test.passed else f"failed: {test.error or 'failed'}"
            lines.append(f"- {kind} {test.test} ({_points(test.points)} / {_points(test.max_points)}): {verdict}")
        lines += [f"- note: {note}" for note in item.notes]
    return "\n".join(lines) + "\n"


def write(path, text):
    write_atomically(Path(path), text)
