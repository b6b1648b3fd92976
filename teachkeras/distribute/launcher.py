"""Start one Python process per rank, as ``torchrun`` does, and watch them.

``launch("train.py", nprocs=2)`` runs ``python train.py`` twice, each with torchrun's environment
(``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), so
the same script also runs under ``torchrun --nproc-per-node 2 train.py``. The processes find each
other through ``torch.distributed`` (``teachkeras.distribute.initialize``); this module carries no
data between them, it only starts, watches and stops them:

* every rank exits with 0: ``launch`` returns each rank's stdout and stderr;
* a rank exits with an error: the other ranks are stopped at once (they would otherwise wait for
  it in their next collective, for ever), and ``LaunchError`` carries that rank's number, exit
  code and the end of its stderr (its traceback);
* ``timeout`` seconds pass: every rank is stopped and ``LaunchError`` says so.

From a shell: ``python -m teachkeras.distribute.launcher --nproc-per-node 2 train.py [args]`` prints
each rank's output and exits with the failed rank's exit code (124 after a timeout).

Hand-written plumbing: no chapter builds this module.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["launch", "LaunchError", "LaunchResult", "free_port"]


class LaunchError(RuntimeError):
    """A rank failed (``rank``, ``returncode``, ``stderr``) or the run timed out (``rank`` None)."""

    def __init__(self, message, rank=None, returncode=None, stderr=""):
        super().__init__(message)
        self.rank, self.returncode, self.stderr = rank, returncode, stderr


@dataclass
class LaunchResult:
    stdout: list  # one string per rank
    stderr: list
    seconds: float


def free_port():
    """A TCP port nobody listens on now, for rank 0's rendezvous."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _check(nprocs, timeout):
    if isinstance(nprocs, bool) or not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"launch: nprocs must be a positive integer, received nprocs={nprocs!r}")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
        raise ValueError(f"launch: timeout must be a positive number of seconds, received timeout={timeout!r}")


def _tail(text, lines=30):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def launch(script, nprocs=2, args=(), timeout=300.0, env=None, master_port=None, python=None):
    """Run ``python script *args`` as ``nprocs`` ranks on this machine; wait at most ``timeout``
    seconds. ``env`` adds variables (e.g. thread counts). Returns a ``LaunchResult``; raises
    ``LaunchError`` when a rank fails or time runs out (every rank is stopped first)."""
    _check(nprocs, timeout)
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"launch: no script at {script}")
    port = master_port or free_port()
    with tempfile.TemporaryDirectory(prefix="teachkeras-launch-") as folder:
        processes, outputs = [], []
        start = time.monotonic()
        for rank in range(nprocs):
            variables = dict(os.environ, **(env or {}), RANK=str(rank), LOCAL_RANK=str(rank),
                             WORLD_SIZE=str(nprocs), LOCAL_WORLD_SIZE=str(nprocs), MASTER_ADDR="127.0.0.1",
                             MASTER_PORT=str(port), PYTHONUNBUFFERED="1")
            out = open(Path(folder) / f"rank{rank}.out", "w+")
            err = open(Path(folder) / f"rank{rank}.err", "w+")
            outputs.append((out, err))
            processes.append(subprocess.Popen([python or sys.executable, str(script), *map(str, args)],
                                              stdout=out, stderr=err, env=variables))
        try:
            failure = _watch(processes, start + timeout, [err.name for _, err in outputs])
        finally:
            for process in processes:  # nothing may outlive the launch
                if process.poll() is None:
                    process.kill()
                    process.wait()
        texts = []
        for out, err in outputs:
            out.seek(0)
            err.seek(0)
            texts.append((out.read(), err.read()))
            out.close()
            err.close()
    seconds = time.monotonic() - start
    if failure == "timeout":
        raise LaunchError(f"launch: {script.name} did not finish within timeout={timeout} s; all {nprocs} "
                          f"ranks were stopped. Last lines of rank 0's stderr:\n{_tail(texts[0][1], 10)}")
    if failure is not None:
        rank, code = failure
        raise LaunchError(f"launch: rank {rank} of {nprocs} exited with code {code}; the other ranks were "
                          f"stopped. Its stderr ends with:\n{_tail(texts[rank][1])}", rank, code, texts[rank][1])
    return LaunchResult([out for out, _ in texts], [err for _, err in texts], seconds)


def _watch(processes, deadline, stderr_paths):
    """None when every process exited with 0; (rank, code) of the first that failed; or 'timeout'.
    When several are seen failed at once (a rank's partners fail in their next collective as soon
    as it is gone), the first is the one whose stderr was last written earliest: the original error."""
    while True:
        codes = [process.poll() for process in processes]
        failed = [rank for rank, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            first = min(failed, key=lambda rank: os.stat(stderr_paths[rank]).st_mtime_ns)
            return first, codes[first]
        if all(code == 0 for code in codes):
            return None
        if time.monotonic() > deadline:
            return "timeout"
        time.sleep(0.05)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m teachkeras.distribute.launcher",
                                     description="Run a training script in several processes, as torchrun does.")
    parser.add_argument("--nproc-per-node", "--nprocs", dest="nprocs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before every rank is stopped")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    arguments = parser.parse_args(argv)
    try:
        result = launch(arguments.script, arguments.nprocs, arguments.args, arguments.timeout)
    except LaunchError as error:
        print(error, file=sys.stderr)
        return 124 if error.rank is None else (error.returncode if error.returncode > 0 else 1)
    for rank, (out, err) in enumerate(zip(result.stdout, result.stderr)):
        sys.stdout.write(out)
        sys.stderr.write(err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
