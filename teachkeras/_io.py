"""Writing files so that nothing is ever half-written: hand-written tooling shared by the exporter,
the dataset cache, the grading tool and tools/execute_notebook.py."""

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def _default_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path, data) -> None:
    """Write ``data`` (bytes, or str written as UTF-8 with ``\\n`` line ends) to ``path`` at once.

    The data goes to a temporary file beside ``path``, is flushed to disk, gets the mode ``path``
    already has (or a new file's usual mode; ``mkstemp`` alone would leave it owner-only), and then
    replaces ``path`` in one rename. A reader sees the old file or the new one, never a part; if
    anything fails the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"write_atomically: data must be bytes or str, received {type(data).__name__}")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _default_mode()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
