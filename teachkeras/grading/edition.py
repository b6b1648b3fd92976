"""The student edition: notebooks without answers or hidden tests, and the package exported from them.

``release_notebook`` writes one student notebook. ``release_edition`` writes a folder a class can
install without the key::

    DIR/03_dropout.ipynb ...      the student notebooks
    DIR/teachkeras/               the package, its chapter modules exported from the student notebooks
    DIR/pyproject.toml            the course's, so that ``pip install DIR`` works
    DIR/README.md                 how to install it and check one's work

The exporter is the repository's own (``tools/export.py``, or ``teachkeras/export.py`` where it
used to live), run as a subprocess on a temporary copy of the repository whose ``notebooks/`` holds
the student versions, so an answer inside an exported cell becomes ``raise NotImplementedError()``
in the module too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat

from teachkeras._io import write_atomically
from teachkeras.grading.exercises import BEGIN, END, Exercise, find_exercises, release
from teachkeras.grading.grader import read_notebook

__all__ = ["Release", "release_edition", "release_notebook"]

EDITION_README = """# {title}: student edition

The course notebooks without their answers, and the `teachkeras` package built from them.

    pip install -e .          # in this folder; or just open the notebooks here in JupyterLab
    jupyter lab

Each exercise has a solution cell (`# YOUR CODE HERE`) and a tests cell after it. Write your
answer in the solution cell; put any helper you need in that cell too: when your notebook is
graded only the solution cells are taken from it, and the tests come from your teacher's copy.
Check your work before handing it in (the public tests only; your teacher may have more):

    python -m teachkeras.grading check 03_dropout.ipynb
"""


@dataclass
class Release:
    """What ``release_notebook`` wrote: the student notebook's path and the exercises in it."""

    source: Path
    path: Path
    exercises: list[Exercise]


def release_notebook(path, out_dir) -> Release:
    """Write the student version of the notebook ``path`` into the folder ``out_dir`` (created).

    Refuses (ValueError) to write over ``path`` itself, and writes atomically.
    """
    source = Path(path)
    notebook, _ = read_notebook(source, "path")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir: expected a folder, received {str(out_dir)!r}, which is a file")
    target = out_dir / source.name
    if target.resolve() == source.resolve():
        raise ValueError(f"out_dir: expected a folder other than the source notebook's, received "
                         f"{str(out_dir)!r}: the student version would overwrite {str(source)!r}")
    student, exercises = release(notebook, str(source))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(target, nbformat.writes(student))
    return Release(source=source, path=target, exercises=exercises)


def repository_root() -> Path:
    """The checkout holding this teachkeras package."""
    return Path(__file__).resolve().parent.parent.parent


def exporter(root: Path) -> Path | None:
    """The repository's exporter: tools/export.py, else teachkeras/export.py; None if neither."""
    for candidate in (root / "tools" / "export.py", root / "teachkeras" / "export.py"):
        if candidate.is_file():
            return candidate
    return None


def _student_version(path: Path):
    notebook, _ = read_notebook(path, "notebooks")
    if not find_exercises(notebook, str(path)):
        return notebook
    return release(notebook, str(path))[0]


def build_package(notebooks: list[Path], out_dir: Path, root: Path | None = None) -> Path:
    """Write ``out_dir/teachkeras``: the package with its chapter modules exported from the student
    versions of every notebook of the repository (and of ``notebooks``)."""
    root = Path(root) if root is not None else repository_root()
    script = exporter(root)
    if script is None or not (root / "teachkeras").is_dir():
        raise FileNotFoundError(f"package: expected the course repository (with teachkeras/ and tools/export.py "
                                f"or teachkeras/export.py) at {str(root)!r}; found no exporter there")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    with tempfile.TemporaryDirectory(prefix="teachkeras-edition-") as scratch:
        copy_root = Path(scratch)
        shutil.copytree(root / "teachkeras", copy_root / "teachkeras", ignore=ignore)
        if (root / "tools").is_dir():
            shutil.copytree(root / "tools", copy_root / "tools", ignore=ignore)
        (copy_root / "notebooks").mkdir()
        given = {path.name: path for path in notebooks}
        for path in sorted((root / "notebooks").glob("*.ipynb")):
            chosen = given.pop(path.name, path)
            nbformat.write(_student_version(chosen), copy_root / "notebooks" / path.name)
        for name, path in given.items():
            nbformat.write(_student_version(path), copy_root / "notebooks" / name)
        script_copy = copy_root / script.relative_to(root)
        if script_copy.parent.name == "tools":
            arguments = [sys.executable, str(script_copy), "--root", str(copy_root)]
        else:
            arguments = [sys.executable, "-m", "teachkeras.export", "--root", str(copy_root)]
        environment = {**os.environ, "PYTHONPATH": str(copy_root)}
        done = subprocess.run(arguments, cwd=copy_root, env=environment, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"package: the exporter ({script}) failed on the student notebooks: "
                               f"{(done.stdout + done.stderr).strip()[-2000:]}")
        for path in (copy_root / "teachkeras").rglob("*.py"):
            if any(line.strip() in (BEGIN, END) for line in path.read_text(encoding="utf-8").split("\n")):
                raise RuntimeError(f"package: {path.relative_to(copy_root)} still holds solution markers "
                                   "after export; refusing to write a student edition with answers")
        target = out_dir / "teachkeras"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(copy_root / "teachkeras", target, ignore=ignore)
    return target


_PACKAGES: dict = {}
_PACKAGES_LOCK = threading.Lock()


def grading_package(source: Path) -> Path:
    """The package a graded notebook imports: the student edition's, built once per process into a
    temporary folder (so that an exported answer is not there to import), with ``source`` among
    the notebooks it is exported from. Without the course repository (an installed package), the
    installed package itself."""
    root = repository_root()
    if exporter(root) is None or not (root / "notebooks").is_dir():
        return Path(__file__).resolve().parent.parent
    source = Path(source).resolve()
    key = (str(root), str(source))
    with _PACKAGES_LOCK:   # -j N: the first grading thread builds it, the others wait
        if key not in _PACKAGES:
            folder = Path(tempfile.mkdtemp(prefix="teachkeras-grading-package-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            extra = [] if source.parent == (root / "notebooks").resolve() else [source]
            _PACKAGES[key] = build_package(extra, folder, root)
        return _PACKAGES[key]


def release_edition(notebooks, out_dir, package=True, root=None) -> list[Release]:
    """Write the student edition of ``notebooks`` into ``out_dir``: the notebooks, and (``package``)
    the installable package built from them, the course's pyproject.toml and a short README."""
    out_dir = Path(out_dir)
    names = [Path(path).name for path in notebooks]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"notebooks: expected distinct file names (they all go into {str(out_dir)!r}), "
                         f"received {', '.join(duplicates)} more than once")
    releases = [release_notebook(path, out_dir) for path in notebooks]
    if package:
        root = Path(root) if root is not None else repository_root()
        build_package([Path(path) for path in notebooks], out_dir, root)
        if (root / "pyproject.toml").is_file():
            write_atomically(out_dir / "pyproject.toml", (root / "pyproject.toml").read_bytes())
        write_atomically(out_dir / "README.md", EDITION_README.format(title=root.name))
    return releases
