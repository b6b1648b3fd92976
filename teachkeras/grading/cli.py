"""The command line: release, grade (a whole class, in parallel, resumable), check."""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import signal
import sys
from pathlib import Path

from teachkeras.grading import reports, run, sandbox
from teachkeras.grading.edition import export_reminders, exported_exercises, release_edition
from teachkeras.grading.exercises import (
    Exercise,
    TestsCell,
    find_exercises,
    hidden_lines,
    solution_regions,
    tag,
    tests_fingerprint,
)
from teachkeras.grading.grader import (
    DEFAULT_TIMEOUT,
    ExerciseResult,
    SubmissionResult,
    _check_seconds,
    _score,
    grade,
    read_notebook,
    read_source,
)
from teachkeras.grading.merge import GradedCell

__all__ = ["check", "main"]

EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def _submission_paths(arguments, source: Path) -> list[tuple[Path, str]]:
    """(notebook, student id) pairs. A folder stands for every notebook under it (hidden files and
    checkpoints aside); the id is the first folder under it, or the file's stem."""
    found = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir() and not path.is_symlink():
            notebooks = sorted(candidate for candidate in path.rglob("*.ipynb")
                               if not any(part.startswith(".") for part in candidate.relative_to(path).parts))
            notebooks = [candidate for candidate in notebooks   # the source itself, if it sits among them
                         if candidate.is_symlink() or candidate.resolve() != source.resolve()]
            if not notebooks:
                raise FileNotFoundError(f"submissions: expected notebooks in the folder {argument!r}, found none")
            for candidate in notebooks:
                parts = candidate.relative_to(path).parts
                if len(parts) > 1:
                    found.append((candidate, parts[0]))
                else:   # submissions/alice.ipynb is alice's; alice/03_dropout.ipynb, given as alice/, too
                    found.append((candidate, path.resolve().name if candidate.stem == source.stem else candidate.stem))
        else:
            student = path.parent.name if path.stem == source.stem and path.parent.name else path.stem
            found.append((path, student))
    ids = [student for _, student in found]
    return [(path, student if ids.count(student) == 1 else f"{student}/{path.stem}") for path, student in found]


def _not_graded(path, student, source, exercises, error) -> SubmissionResult:
    return SubmissionResult(str(path), str(source), student, "", [
        ExerciseResult(exercise.name, 0, exercise.points, "not graded", str(error)) for exercise in exercises],
        f"not graded: {error}")


def _load_previous(path: Path | None, source_sha256: str, timeout) -> dict:
    """{(submission, sha256): result} from an earlier run's JSON of the same source and timeout."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("source_sha256") != source_sha256 or data.get("timeout") != timeout:
            return {}
        results = [SubmissionResult.from_dict(item) for item in data["submissions"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"warning: --json {str(path)!r} cannot be resumed from ({error}); grading everyone",
              file=sys.stderr)
        return {}
    return {(result.submission, result.sha256): result for result in results if result.sha256}


def _grade_command(args) -> int:
    _check_seconds(args.timeout, "--timeout")
    if args.total_timeout is not None:
        _check_seconds(args.total_timeout, "--total-timeout")
    if args.jobs < 1:
        raise ValueError(f"-j/--jobs: expected a number of parallel gradings >= 1, received {args.jobs}")
    source = Path(args.source)
    _, exercises = read_source(source, "--source")
    source_sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
    problem = sandbox.sandbox_problem()
    if problem and not args.unsafe:
        print(f"error: NO SANDBOX: {problem}.\nGrading runs every student's code; without a sandbox it could "
              "read and change anything you can. Install bubblewrap, or pass --unsafe inside a throw-away "
              "container.", file=sys.stderr)
        return EXIT_USAGE
    if args.unsafe:
        print("WARNING: --unsafe: students' code runs WITHOUT A SANDBOX, with your permissions, your files "
              "and the network.", file=sys.stderr, flush=True)
    submissions = _submission_paths(args.submissions, source)
    json_path = Path(args.json) if args.json else None
    previous = {} if args.fresh else _load_previous(json_path, source_sha256, args.timeout)
    names = [exercise.name for exercise in exercises]
    limits = sandbox.Limits(memory_mb=args.memory)
    stop = run.Stop()
    results: dict[str, SubmissionResult] = {}
    interrupted = False

    def save():
        finished = sorted(results.values(), key=lambda item: (item.student, item.submission))
        if json_path:
            reports.write(json_path, reports.results_json(finished, str(source), source_sha256, args.timeout))
        if args.csv:
            reports.write(args.csv, reports.gradebook_csv(finished, names))

    def finish(result: SubmissionResult):
        results[result.submission] = result
        print(reports.format_result(result) + "\n", flush=True)
        if args.feedback:
            reports.write(Path(args.feedback) / f"{reports.safe_name(result.student)}.md", reports.feedback(result))
        save()

    def grade_one(path, student):
        if stop.event.is_set():
            return None
        try:
            notebook_sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        except OSError:
            notebook_sha = ""
        if (str(path), notebook_sha) in previous:
            return previous[(str(path), notebook_sha)]
        try:
            return grade(path, source, args.timeout, unsafe=args.unsafe, total_timeout=args.total_timeout,
                         limits=limits, student=student, stop=stop)
        except (OSError, ValueError) as error:   # unreadable or malformed: a row of its own, the class goes on
            return _not_graded(path, student, source, exercises, error)

    def on_signal(number, frame):
        nonlocal interrupted
        interrupted = True
        stop.stop()

    old_handlers = {number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)}
    reused = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            pending = {pool.submit(grade_one, path, student) for path, student in submissions}
            while pending:
                done, pending = concurrent.futures.wait(pending, timeout=0.5,
                                                        return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    if result is None or "interrupted" in result.problem.split("; "):
                        continue
                    reused += (result.submission, result.sha256) in previous
                    finish(result)
    finally:
        for number, handler in old_handlers.items():
            signal.signal(number, handler)
    save()
    if reused:
        print(f"resumed: {reused} result(s) reused from {json_path}")
    if len(results) > 1:
        print("summary")
        for result in sorted(results.values(), key=lambda item: (item.student, item.submission)):
            flag = "  (problem)" if result.problem else ""
            print(f"  {reports._points(result.points)}/{reports._points(result.max_points)}  {result.student}{flag}")
    if interrupted:
        print(f"interrupted: {len(results)} of {len(submissions)} submissions graded and saved; run the same "
              "command again to grade the rest", file=sys.stderr)
        return EXIT_INTERRUPTED
    with_problem = [result for result in results.values() if result.problem]
    if with_problem:
        print(f"{len(with_problem)} submission(s) had a problem: "
              + ", ".join(result.student for result in with_problem), file=sys.stderr)
        return EXIT_PROBLEM
    return 0


def check(path, timeout=DEFAULT_TIMEOUT) -> SubmissionResult:
    """Run a notebook's own tests on its own answers, as written (no sandbox: it is your own code).

    A student's notebook runs top to bottom and each exercise is scored from its public tests; a
    teacher's source notebook (with solution markers) runs with the teacher's answers, hidden
    tests included: a check that the tests pass.
    """
    _check_seconds(timeout, "timeout")
    notebook, digest = read_notebook(path, "notebook")
    has_markers = any(cell.cell_type == "code" and solution_regions(cell.source, str(path))
                      for cell in notebook.cells)
    markers = find_exercises(notebook, str(path)) if has_markers else []
    cells, exercises, notes = [], {}, {}
    if markers:
        roles = {}
        for exercise in markers:
            exercises[exercise.name] = exercise
            roles.update({index: (exercise.name, "solution", 0, 0) for index in exercise.solution_cells})
            roles.update({tests.index: (exercise.name, "tests", number, tests.points)
                          for number, tests in enumerate(exercise.tests, start=1)})
    else:
        roles = {}
        for index, cell in enumerate(notebook.cells):
            cell_tag = tag(cell)
            if cell.cell_type != "code" or cell_tag.get("role") not in ("solution", "tests"):
                continue
            name = str(cell_tag.get("exercise", ""))
            exercise = exercises.setdefault(name, Exercise(name, []))
            if cell_tag["role"] == "solution":
                exercise.solution_cells.append(index)
                roles[index] = (name, "solution", 0, 0)
            else:
                points = cell_tag.get("points", 1)
                points = points if isinstance(points, (int, float)) and points > 0 else 1
                exercise.tests.append(TestsCell(index, points, cell.source))
                roles[index] = (name, "tests", len(exercise.tests), points)
                fingerprint = cell_tag.get("fingerprint")
                if fingerprint and tests_fingerprint(cell.source) != fingerprint:
                    notes.setdefault(name, []).append(
                        f"tests cell {len(exercise.tests)} differs from the handout's; grading will run the original")
        if not exercises:
            raise ValueError(f"notebook: expected a course notebook with exercises (tagged cells or solution "
                             f"markers), received {str(path)!r}, which has none")
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        name, role, number, points = roles.get(index, ("", "setup", 0, 0))
        hidden = hidden_lines(cell.source) if role == "tests" else set()
        cells.append(GradedCell(cell.source, role, name, number, points, student=role == "solution",
                                source_index=index, hidden=hidden))
    outcomes, problems = run.execute(cells, timeout, timeout * (len(cells) + 1) + run.STARTUP_SECONDS,
                                     sandboxed=False, limits=sandbox.Limits())
    result = SubmissionResult(str(path), str(path), Path(path).stem, digest, problem="; ".join(problems))
    result.exercises = [_score(exercise, cells, outcomes, "tag" if exercise.solution_cells else "missing",
                               notes.get(name, []), result.problem) for name, exercise in exercises.items()]
    return result


def _check_command(args) -> int:
    result = check(args.notebook, args.timeout)
    print(reports.format_result(result))
    for item in result.exercises:
        for note in item.notes:
            print(f"  note ({item.exercise}): {note}")
    try:
        reminders = export_reminders(args.notebook)
    except Exception:   # a reminder is a courtesy: it never turns a check into an error
        reminders = []
    for reminder in reminders:
        print(f"reminder: {reminder}")
    return 0 if result.points == result.max_points and not result.problem else EXIT_PROBLEM


def _release_command(args) -> int:
    releases = release_edition(args.notebooks, args.to, package=not args.no_package)
    for written in releases:
        listing = ", ".join(f"{exercise.name}: {reports._points(exercise.points)} point"
                            f"{'' if exercise.points == 1 else 's'}" for exercise in written.exercises)
        print(f"{written.source} -> {written.path}: {len(written.exercises)} exercises ({listing or 'none'})")
    if not args.no_package:
        out = Path(args.to)
        print(f"package: {out / 'teachkeras'} (chapter modules exported from the student notebooks); "
              f"exporter: {out / 'tools' / 'export.py'}; see {out / 'README.md'}")
        for written in releases:
            notebook, _ = read_notebook(written.source, "notebooks")
            exported = [name for name, _, _ in exported_exercises(notebook, str(written.source))]
            if exported:
                print(f"  {written.path.name}: exercises in exported cells (students export them): "
                      f"{', '.join(exported)}")
    return 0


def _positive_int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, received {text!r}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m teachkeras.grading",
                                     description="Release student editions of notebooks, grade submissions "
                                                 "in a sandbox, check one's own notebook.")
    commands = parser.add_subparsers(dest="command", required=True)
    release_parser = commands.add_parser("release", help="write the student edition (answers and hidden tests out)")
    release_parser.add_argument("notebooks", nargs="+", help="source notebooks with solution markers")
    release_parser.add_argument("--to", required=True,
                                help="folder for the student edition (created): notebooks/, teachkeras/, tools/export.py, "
                                     "pyproject.toml, README.md")
    release_parser.add_argument("--no-package", action="store_true",
                                help="write the notebooks only, not the package exported from them")
    grade_parser = commands.add_parser("grade", help="grade submissions against the source, each in a sandbox")
    grade_parser.add_argument("submissions", nargs="+", help="submitted notebooks, or folders of them")
    grade_parser.add_argument("--source", required=True, help="the teacher's notebook with solution markers")
    grade_parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                              help=f"seconds allowed per cell (default {DEFAULT_TIMEOUT})")
    grade_parser.add_argument("--total-timeout", type=float, default=None,
                              help="seconds allowed per submission, restarts included "
                                   "(default: timeout x (code cells + 1) + 120)")
    grade_parser.add_argument("--json", help="write every result to this JSON file (and resume from it)")
    grade_parser.add_argument("--csv", help="write the gradebook: one row per student")
    grade_parser.add_argument("--feedback", help="folder for one Markdown feedback file per student")
    grade_parser.add_argument("-j", "--jobs", type=_positive_int, default=1, help="submissions graded at once")
    grade_parser.add_argument("--memory", type=_positive_int, default=sandbox.Limits.memory_mb,
                              help="memory limit per submission in MiB (default %(default)s)")
    grade_parser.add_argument("--fresh", action="store_true", help="grade everyone again, ignoring --json's results")
    grade_parser.add_argument("--unsafe", action="store_true",
                              help="grade without a sandbox (students' code runs with your permissions)")
    check_parser = commands.add_parser("check", help="run a notebook's tests on its own answers")
    check_parser.add_argument("notebook", help="your notebook (or, for a teacher, the source notebook)")
    check_parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            return _release_command(args)
        if args.command == "check":
            return _check_command(args)
        return _grade_command(args)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
