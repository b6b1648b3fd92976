"""Where a graded notebook runs: a bubblewrap sandbox, or (``--unsafe``) a bare subprocess.

bubblewrap (``bwrap``, Debian package ``bubblewrap``) is the unprivileged sandbox that Flatpak
uses. Each run gets new user, PID, network, IPC, UTS and cgroup namespaces (no network at all),
runs as uid 65534 with no capabilities, sees a read-only ``/usr``, the Python installation and the
teachkeras package (and the dataset folder, when ``TEACHKERAS_DATASETS`` is set), a private
``/tmp`` and nothing else: not the teacher's home or checkout, the source notebook, the other
submissions or the teacher's environment. It dies with the grader (``--die-with-parent``), and
with it every process it started (the PID namespace). The program inside sets its own resource
limits before any student code runs (memory, CPU time, processes, file size, open files, no core
files).
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from teachkeras.testing import reproducible_arithmetic

__all__ = ["Limits", "command", "sandbox_problem"]

PACKAGE_MOUNT = "/opt/teachkeras"
HOME = "/tmp/work"
UID = "65534"


@dataclass
class Limits:
    """Resource limits of one graded notebook (the process and everything it starts)."""

    memory_mb: int = 4096          # address space
    file_size_mb: int = 256        # largest file it may write
    tmp_mb: int = 512              # its private /tmp
    processes: int = 256           # tasks of the sandbox's user beyond those running when it starts
    open_files: int = 512

    def rlimits(self, cpu_seconds: float) -> dict:
        return {"RLIMIT_AS": self.memory_mb << 20, "RLIMIT_FSIZE": self.file_size_mb << 20,
                "RLIMIT_CPU": max(1, math.ceil(cpu_seconds)), "RLIMIT_CORE": 0,
                "RLIMIT_NOFILE": self.open_files, "RLIMIT_NPROC": _tasks_of_this_user() + self.processes}


def _tasks_of_this_user() -> int:
    """Threads of all processes of this real user now (RLIMIT_NPROC counts them all, sandbox or not)."""
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path("/proc", entry, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count


def package_folder() -> Path:
    """The folder holding the teachkeras package the grader belongs to."""
    return Path(__file__).resolve().parent.parent


def environment() -> dict:
    """The only environment variables a graded notebook sees."""
    values = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
              "MPLCONFIGDIR": "/tmp/.matplotlib", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    values.update(reproducible_arithmetic())
    datasets = os.environ.get("TEACHKERAS_DATASETS")
    if datasets and Path(datasets).is_dir():
        values["TEACHKERAS_DATASETS"] = str(Path(datasets).resolve())
    return values


def _python_folders() -> list[str]:
    """The Python installation and virtual environment, outermost first, none inside /usr."""
    folders = []
    for folder in sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                          str(Path(sys.executable).resolve().parent.parent)}, key=len):
        folder = str(Path(folder).resolve())
        if folder == "/usr" or folder.startswith("/usr/") or any(
                folder == outer or folder.startswith(outer + "/") for outer in folders):
            continue
        folders.append(folder)
    return folders


def _bwrap_arguments(values: dict, package: Path, tmp_mb: int = 512) -> list[str]:
    arguments = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-user", "--uid", UID, "--gid", UID,
                 "--disable-userns", "--die-with-parent", "--new-session", "--clearenv"]
    for name, value in values.items():
        arguments += ["--setenv", name, value]
    # The private /tmp first: bwrap mounts in order, so a Python or dataset folder that lives under
    # /tmp (a virtualenv made there, say) is bound on top of it instead of being hidden by it.
    arguments += ["--size", str(tmp_mb << 20), "--tmpfs", "/tmp"]
    arguments += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/", name)
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), str(path)]
    for folder in _python_folders():
        arguments += ["--ro-bind", folder, folder]
    arguments += ["--ro-bind", str(package), f"{PACKAGE_MOUNT}/teachkeras"]
    if "TEACHKERAS_DATASETS" in values:
        arguments += ["--ro-bind", values["TEACHKERAS_DATASETS"], values["TEACHKERAS_DATASETS"]]
    return arguments + ["--proc", "/proc", "--dev", "/dev"]


def command(program: str, config: str, sandboxed: bool, tmp_mb: int = 512, package: Path | None = None) -> list[str]:
    """The command line that runs ``python -I -c program config``, in the sandbox or not; the
    sandbox sees ``package`` (default: this teachkeras) as its read-only teachkeras."""
    python = [sys.executable, "-I", "-c", program, config]
    if not sandboxed:
        return python
    return _bwrap_arguments(environment(), package or package_folder(), tmp_mb) + ["--chdir", "/tmp", "--"] + python


@functools.lru_cache(maxsize=None)
def sandbox_problem() -> str:
    """'' when bubblewrap can run a sandboxed Python here; otherwise why not, in one line."""
    if shutil.which("bwrap") is None:
        return ("bubblewrap (bwrap) is not installed; install it with `apt-get install -y bubblewrap` "
                "(Debian/Ubuntu) or `dnf install bubblewrap`")
    probe = command("import numpy, sys; sys.stdout.write('sandbox ok')", "{}", sandboxed=True)
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        return f"bubblewrap cannot start: {error}"
    if done.returncode != 0 or "sandbox ok" not in done.stdout:
        detail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return (f"bubblewrap cannot start a sandbox here ({detail}); it needs user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1, or run as root)")
    return ""
