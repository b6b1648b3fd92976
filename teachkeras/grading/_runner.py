"""The program that runs one graded notebook, cell by cell, inside the sandbox (standard library only).

The grader starts it as ``python -I -c <this file's text> <config JSON>``; it never imports
teachkeras.grading. It reads one cell at a time from its standard input (a JSON line: cell number,
code, whether the code is the student's) and answers on the record descriptor with one JSON line
per cell: ``{"cell": 4, "ok": false, "error": "AssertionError: ...", "line": 2, "kind": "error"}``.
The grader sends the next cell only after the answer for the previous one, so a cell's code
(hidden tests included) enters this process only when it runs.

Cells run with ``exec`` of code compiled here, not through IPython, so no input or AST
transformer, magic or hook a student installs changes how the teacher's cells run. Before each
teacher cell it undoes what earlier student cells did to the process: names of the teacher's cells
rebound in the notebook namespace, builtins, top-level names of imported modules, ``sys.modules``,
import paths, trace and profile hooks, standard streams, working folder, environment, warning
filters and signal handlers. An audit hook (which Python offers no way to remove) refuses to
student code: ctypes, walking the garbage collector's objects, frames from tracebacks and
``sys._getframe``, trace / profile hooks, new processes, signals to processes, code objects made
by hand, rewriting a function's code, /proc/*/mem, and further audit hooks. A teacher cell fails
if a thread started by student code is still running.
"""

import builtins
import json
import os
import resource
import signal
import sys
import threading
import types
import warnings

STUDENT_PREFIX = "<submission"
GUARDED = {
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
    "sys._current_exceptions", "sys.settrace", "sys.setprofile", "os.fork", "os.forkpty", "os.posix_spawn",
    "os.spawn", "os.exec", "os.system", "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill",
    "pty.spawn", "code.__new__", "os.startfile", "sys.remote_exec",
}
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"}


class CellTimeout(BaseException):
    """Raised in a cell that ran past the per-cell time limit (BaseException: ``except Exception``
    in student code does not swallow it)."""


class _Shell:
    """What ``get_ipython()`` returns when graded: the ``%matplotlib`` line magic (a no-op, the
    backend is Agg) and nothing else."""

    def run_line_magic(self, name, line, *args, **kwargs):
        if name == "matplotlib":
            return None
        raise NotImplementedError(f"%{name} is not available when a notebook is graded")

    def run_cell_magic(self, name, line, cell, *args, **kwargs):
        raise NotImplementedError(f"%%{name} is not available when a notebook is graded")

    def system(self, command, *args, **kwargs):
        raise PermissionError("shell commands (!) are not available when a notebook is graded")

    getoutput = system


def _student_on_stack(frame, immediate_only=False):
    while frame is not None:
        if frame.f_code.co_filename.startswith(STUDENT_PREFIX):
            return True
        if immediate_only:
            return False
        frame = frame.f_back
    return False


def _install_audit_hook():
    local = threading.local()
    getframe = sys._getframe

    def hook(event, args):
        if event == "sys.addaudithook":
            raise RuntimeError("sys.addaudithook is not available when a notebook is graded")
        guarded = event in GUARDED or event.startswith("ctypes.")
        immediate = event in ("sys._getframe", "sys._getframemodulename")
        if event == "object.__getattr__":
            guarded = len(args) > 1 and args[1] in FRAME_ATTRIBUTES
        elif event == "object.__setattr__":
            guarded = len(args) > 1 and args[1] in ("__code__", "__globals__", "__closure__")
        elif event == "open":
            path = args[0] if args else ""
            if isinstance(path, bytes):
                path = path.decode("utf-8", "replace")
            guarded = isinstance(path, str) and path.startswith("/proc/") and path.endswith("mem")
        if not (guarded or immediate) or getattr(local, "busy", False):
            return
        local.busy = True
        try:
            student = _student_on_stack(getframe(2 if immediate else 1), immediate_only=immediate)
        finally:
            local.busy = False
        if student:
            raise PermissionError(f"{event} is not available when a notebook is graded")

    sys.addaudithook(hook)


class _Guard:
    """What the process looked like after the last teacher cell, and the undoing of what student
    cells changed since."""

    def __init__(self, namespace, answer_names):
        self.namespace = namespace
        self.answer_names = set(answer_names)
        self.protected = {name: value for name, value in namespace.items()}
        self.builtins = dict(vars(builtins))
        self.lists = {name: list(getattr(sys, name)) for name in ("path", "meta_path", "path_hooks")}
        self.hooks = {name: getattr(sys, name) for name in ("displayhook", "excepthook", "breakpointhook",
                                                            "stdin", "stdout", "stderr")}
        self.environment = dict(os.environ)
        self.folder = os.getcwd()
        self.recursion_limit = sys.getrecursionlimit()
        self.signals = {number: signal.getsignal(number) for number in (signal.SIGALRM, signal.SIGINT)}
        self.filters = list(warnings.filters)
        self.threads = self._thread_count()
        self.poisoned = ""
        self.take()

    @staticmethod
    def _thread_count():
        try:
            return len(os.listdir("/proc/self/task"))
        except OSError:
            return threading.active_count()

    def take(self):
        """Remember module bindings and sys.modules as a teacher cell left them."""
        self.modules = dict(sys.modules)
        self.bindings = {name: dict(vars(module)) for name, module in self.modules.items()
                         if isinstance(module, types.ModuleType) and name != "__main__"}
        self.threads = max(self.threads, self._thread_count()) if not self.poisoned else self.threads

    def remember_teacher_names(self, before):
        for name in [name for name in self.protected if name not in self.namespace]:
            del self.protected[name]   # the teacher's cell deleted it
        for name, value in self.namespace.items():
            if name not in self.answer_names and before.get(name, before) is not value:
                self.protected[name] = value

    def restore(self):
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        for name, saved in self.bindings.items():
            current = vars(self.modules[name])
            for key, value in saved.items():
                if current.get(key, saved) is not value:
                    current[key] = value
            for key in [key for key in current if key not in saved]:
                value = current[key]
                if not (isinstance(value, types.ModuleType) and sys.modules.get(f"{name}.{key}") is value):
                    del current[key]
        current = vars(builtins)
        for key, value in self.builtins.items():
            if current.get(key, self.builtins) is not value:
                current[key] = value
        for key in [key for key in current if key not in self.builtins]:
            del current[key]
        for name, saved in self.lists.items():
            getattr(sys, name)[:] = saved
        sys.path_importer_cache.clear()
        for name, value in self.hooks.items():
            setattr(sys, name, value)
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)
        sys.setrecursionlimit(self.recursion_limit)
        os.environ.clear()
        os.environ.update(self.environment)
        os.chdir(self.folder)
        warnings.filters[:] = self.filters
        if hasattr(warnings, "_filters_mutated"):
            warnings._filters_mutated()
        for number, handler in self.signals.items():
            signal.signal(number, handler)
        for name, value in self.protected.items():
            if self.namespace.get(name, self) is not value:
                self.namespace[name] = value
        if not self.poisoned and self._thread_count() > self.threads:
            self.poisoned = "a thread started by the submission is still running"
        return self.poisoned


def _error_details(error, filename):
    """(one-line error, line of the cell it came from or 0)."""
    message = str(error).strip().split("\n")[0]
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    line = 0
    if isinstance(error, SyntaxError) and error.filename == filename:
        line = error.lineno or 0
    traceback = error.__traceback__
    while traceback is not None and not line:
        if traceback.tb_frame.f_code.co_filename == filename:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return text[:300], line


def _apply_limits(limits):
    for name, value in limits.items():
        if value:
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))


def main(config):
    _apply_limits(config.get("limits", {}))
    for folder in reversed(config.get("path", [])):
        sys.path.insert(0, folder)
    os.makedirs(config["home"], exist_ok=True)
    os.chdir(config["home"])
    write, read_line = os.write, os.fdopen(os.dup(0), "rb").readline
    record_fd = config["record_fd"]
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)

    def send(record):
        write(record_fd, (json.dumps(record) + "\n").encode("utf-8"))

    for name in config.get("preimport", []):
        try:
            __import__(name)
        except BaseException:   # not a module (an attribute), or one the cells will fail to import
            pass
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    namespace = vars(module)
    shell = _Shell()
    namespace.update(__builtins__=builtins, get_ipython=lambda: shell)
    quiet = open(os.devnull, "w")
    sys.stdout = sys.stderr = quiet
    sys.stdin = open(os.devnull)
    timeout = float(config["timeout"])

    def on_alarm(number, frame):
        raise CellTimeout(f"Timeout of {timeout:g} seconds exceeded executing cell")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    guard = _Guard(namespace, config.get("answer_names", []))
    _install_audit_hook()
    send({"ready": True})
    compile_, exec_, setitimer = compile, exec, signal.setitimer
    while True:
        line = read_line()
        if not line:
            return
        command = json.loads(line)
        filename = command["filename"]
        student = command["student"]
        poisoned = "" if student else guard.restore()
        if student:
            signal.signal(signal.SIGALRM, on_alarm)
        before = dict(namespace)
        record = {"cell": command["cell"], "ok": True, "error": "", "line": 0, "kind": ""}
        if poisoned:
            record.update(ok=False, error=poisoned, kind="error")
        else:
            try:
                code = compile_(command["code"], filename, "exec", dont_inherit=True)
                setitimer(signal.ITIMER_REAL, timeout)
                try:
                    exec_(code, namespace)
                finally:
                    setitimer(signal.ITIMER_REAL, 0)
            except CellTimeout as error:
                record.update(ok=False, error=str(error), kind="timeout")
            except BaseException as error:   # SystemExit and KeyboardInterrupt are failures of the cell
                text, number = _error_details(error, filename)
                record.update(ok=False, error=text, line=number, kind="error")
        if not student:
            guard.remember_teacher_names(before)
            guard.take()
        send(record)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
