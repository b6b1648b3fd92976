"""Drive the runner: send one cell at a time, read one record per cell, restart after a crash.

The grader talks to the program inside the sandbox over two pipes: cells go in on its standard
input, one record per cell comes back on a descriptor of its own. Its standard output and error
go to a file of the grader's that only ever feeds an error message. Deadlines are the grader's:
a cell that does not answer within the per-cell timeout (plus a few seconds for the runner's own
interrupt to work) or a runner that dies (end of file on the record pipe, at once) gets the whole
sandbox killed; grading then starts a fresh one and runs the notebook again from the top,
leaving out each cell that killed or hung a run, so one endless loop or crash costs only its own
exercise. The whole notebook has a wall-clock bound, restarts included.
"""

from __future__ import annotations

import ast
import json
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from teachkeras.grading import sandbox
from teachkeras.grading.merge import GradedCell

__all__ = ["RUNNER", "Stop", "execute", "transform"]

RUNNER = (Path(__file__).resolve().parent / "_runner.py").read_text(encoding="utf-8")
STARTUP_SECONDS = 120      # python, numpy and the teacher's imports, on a loaded machine
GRACE_SECONDS = 5          # for the runner's own interrupt, before the grader kills the sandbox
MAX_RECORD = 1 << 20


class Stop:
    """Shared by the runs of a class: ``stop()`` (Ctrl-C, SIGTERM) kills every running sandbox."""

    def __init__(self):
        self.event = threading.Event()
        self._processes: set[subprocess.Popen] = set()
        self._lock = threading.Lock()

    def add(self, process):
        with self._lock:
            self._processes.add(process)
        if self.event.is_set():
            _kill(process)

    def remove(self, process):
        with self._lock:
            self._processes.discard(process)

    def stop(self):
        self.event.set()
        with self._lock:
            for process in list(self._processes):
                _kill(process)


def _kill(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def transform(code: str) -> str:
    """IPython syntax (``%matplotlib inline``, ``!ls``) as plain Python calling ``get_ipython()``."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return code
    try:
        return TransformerManager().transform_cell(code)
    except Exception:   # whatever it cannot read, compile will report in the cell
        return code


def imported_modules(cells: list[GradedCell]) -> list[str]:
    """Modules the teacher's cells import, and submodules they reach by attribute
    (``np.testing.assert_allclose`` -> ``numpy.testing``): imported before any student code runs,
    so that what student code does to them is undone before each teacher cell."""
    names, aliases, chains = [], {}, []
    for cell in cells:
        if cell.student:
            continue
        try:
            tree = ast.parse(transform(cell.code))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names.append(alias.name)
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                        alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Attribute):
                parts = []
                while isinstance(node, ast.Attribute):
                    parts.insert(0, node.attr)
                    node = node.value
                if isinstance(node, ast.Name):
                    chains.append((node.id, parts))
    for name, parts in chains:
        if name in aliases:
            names += [".".join([aliases[name], *parts[:length]]) for length in range(1, len(parts))]
    return list(dict.fromkeys(names))


class _Records:
    """Lines from the record pipe, each within a deadline: bytes, None (deadline) or b"" (closed)."""

    def __init__(self, descriptor):
        self.descriptor, self.buffer = descriptor, b""
        os.set_blocking(descriptor, False)

    def next(self, deadline) -> bytes | None:
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.descriptor], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(self.descriptor, 65536)
            if not chunk:
                return b""
            self.buffer += chunk
            if len(self.buffer) > MAX_RECORD:
                return b"{}\n"   # a record this long is not the runner's: a protocol violation
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line + b"\n"


def _send(descriptor, data: bytes, deadline) -> bool:
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        _, ready, _ = select.select([], [descriptor], [], min(left, 1.0))
        if ready:
            try:
                view = view[os.write(descriptor, view):]
            except (BrokenPipeError, BlockingIOError):
                if not _alive_pipe(descriptor):
                    return False
    return True


def _alive_pipe(descriptor) -> bool:
    try:
        os.fstat(descriptor)
        return True
    except OSError:
        return False


def _tail(path: Path) -> str:
    try:
        text = path.read_bytes()[-4000:].decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip() and "Fontconfig" not in line]
    return " | ".join(lines[-3:])


def _valid(record, cell) -> bool:
    return (isinstance(record, dict) and record.get("cell") == cell and isinstance(record.get("ok"), bool)
            and isinstance(record.get("error", ""), str) and isinstance(record.get("line", 0), int)
            and isinstance(record.get("kind", ""), str))


def execute(cells: list[GradedCell], timeout: float, total_timeout: float, sandboxed: bool,
            limits: sandbox.Limits, answer_names=(), stop: Stop | None = None,
            package: Path | None = None) -> tuple[dict, list[str]]:
    """Run ``cells`` in order: ({cell position: record}, problems). A record is the runner's
    {"ok", "error", "line", "kind"}, or the grader's own for a cell that killed or hung a run.
    ``package`` is the teachkeras folder the cells import (default: this one)."""
    package = Path(package) if package is not None else sandbox.package_folder()
    stop = stop or Stop()
    start = time.monotonic()
    deadline = start + total_timeout
    config = {"timeout": timeout, "home": sandbox.HOME if sandboxed else None, "record_fd": None,
              "path": [sandbox.PACKAGE_MOUNT] if sandboxed else [str(package.parent)],
              "answer_names": sorted(answer_names), "preimport": imported_modules(cells),
              "limits": limits.rlimits(total_timeout + STARTUP_SECONDS)}
    codes = [transform(cell.code) for cell in cells]
    outcomes, problems, skip = {}, [], set()
    with tempfile.TemporaryDirectory(prefix="teachkeras-grading-") as scratch:
        output_path = Path(scratch) / "output.txt"
        while True:
            if stop.event.is_set():
                problems.append("interrupted")
                break
            read_end, write_end = os.pipe()
            run_config = dict(config, record_fd=write_end,
                              home=config["home"] or str(Path(scratch) / "home"))
            with open(output_path, "ab") as output:
                process = subprocess.Popen(
                    sandbox.command(RUNNER, json.dumps(run_config), sandboxed, limits.tmp_mb, package),
                    stdin=subprocess.PIPE, stdout=output, stderr=output, pass_fds=(write_end,),
                    cwd=scratch, env=None if sandboxed else sandbox.environment(), start_new_session=True)
            os.close(write_end)
            stop.add(process)
            records = _Records(read_end)
            os.set_blocking(process.stdin.fileno(), False)
            restart = False
            try:
                line = records.next(min(deadline, time.monotonic() + STARTUP_SECONDS))
                try:
                    ready = json.loads(line or b"null") == {"ready": True}
                except ValueError:
                    ready = False
                if not ready:
                    detail = _tail(output_path)
                    problems.append("interrupted" if stop.event.is_set() else
                                    "the notebook's process did not start" + (f": {detail}" if detail else ""))
                    break
                for position, cell in enumerate(cells):
                    if position in skip:
                        continue
                    name = f"<submission cell {position + 1}>" if cell.student else f"<cell {position + 1}>"
                    command = json.dumps({"cell": position, "code": codes[position], "student": cell.student,
                                          "filename": name}) + "\n"
                    cell_deadline = min(deadline, time.monotonic() + timeout + GRACE_SECONDS)
                    line = records.next(cell_deadline) if _send(process.stdin.fileno(), command.encode(),
                                                                cell_deadline) else b""
                    if line:
                        try:
                            record = json.loads(line)
                        except ValueError:
                            record = None
                        if not _valid(record, position):
                            problems.append(f"cell {position + 1}: a record that the runner did not write "
                                            "(written by the submission's code); the cells from here on "
                                            "count as failed")
                            for later in range(position, len(cells)):
                                outcomes.setdefault(later, {"ok": False, "kind": "tampered", "line": 0,
                                                            "error": "the grading record was tampered with"})
                            break
                        outcomes.setdefault(position, record)
                        continue
                    if stop.event.is_set():
                        problems.append("interrupted")
                        break
                    if time.monotonic() >= deadline:
                        problems.append(f"stopped after {total_timeout:g} s, the limit for the whole notebook")
                        break
                    if line is None:
                        reason = (f"Timeout of {timeout:g} seconds exceeded executing cell, and the cell did "
                                  "not stop when interrupted")
                    else:
                        detail = _tail(output_path)
                        code = process.poll()
                        reason = ("the process running the notebook died (a crash, or the memory, CPU or "
                                  "file-size limit)" + (f", exit code {code}" if code is not None else "")
                                  + (f": {detail}" if detail else ""))
                    outcomes.setdefault(position, {"ok": False, "kind": "crash", "line": 0, "error": reason})
                    problems.append(f"cell {position + 1}: {reason}")
                    skip.add(position)
                    restart = True
                    break
            finally:
                _kill(process)
                process.wait()
                process.stdin.close()
                os.close(read_end)
                stop.remove(process)
            if not restart:
                break
    return outcomes, problems
