"""Where the dataset files come from: local folders first, then download mirrors.

``load_dataset(spec)`` finds each of a dataset's IDX files (gzipped or not) in the first of
these folders that holds it:

1. ``$TEACHKERAS_DATASETS/<folder>``: the variable names a folder holding ``mnist/`` and
   ``fashion-mnist/``. A relative value is tried against the current directory and then
   against the repository root, so ``TEACHKERAS_DATASETS=../shared/datasets`` works both from
   the root and from a notebook kernel running in ``notebooks/``;
2. the repository's ``datasets/<folder>`` (only when teachkeras runs from a checkout);
3. ``~/.teachkeras/datasets/<folder>``;
4. ``/usr/share/datasets/<folder>`` (where Debian's dataset packages install).

A file found nowhere is downloaded from the dataset's mirrors, tried in order, with a progress
bar, and is kept only if the sha256 of its decompressed bytes is the published one. It is then
written atomically (a temporary file in the same folder, then a rename) into the cache: the
repository's ``datasets/`` in a checkout, ``~/.teachkeras/datasets`` otherwise. A rejected or
interrupted download leaves nothing behind. Local files are verified the same way on every load
(hashing MNIST takes a few hundredths of a second).

Nothing here touches the network until ``load_dataset`` needs a file that no folder holds.

Hand-written tooling, not built by a chapter: downloading and caching is not what the course
teaches. Chapter 07 (notebooks/07_mnist.ipynb) takes the IDX format apart with its own small
parser and then calls ``teachkeras.datasets.mnist.load_data``, which uses this module.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from teachkeras.datasets.idx import GZIP_MAGIC, IDXFormatError, idx_bytes, parse_idx, read_idx_bytes

__all__ = [
    "ChecksumError",
    "DatasetFile",
    "DatasetSpec",
    "DatasetUnavailableError",
    "cache_dirs",
    "download",
    "load_dataset",
    "locate",
    "repo_root",
    "search_dirs",
]

ENV_VAR = "TEACHKERAS_DATASETS"
SYSTEM_DIR = Path("/usr/share/datasets")
CHUNK_SIZE = 1 << 16
TIMEOUT_SECONDS = 30


class ChecksumError(ValueError):
    """A file's decompressed bytes do not have the published sha256."""


class DatasetUnavailableError(FileNotFoundError):
    """A dataset file is in none of the folders and could not be downloaded."""


@dataclass(frozen=True)
class DatasetFile:
    """One IDX file of a dataset: its name without '.gz', and the sha256 of its IDX bytes."""

    name: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset published as IDX files: train images, train labels, test images, test labels."""

    title: str  # 'MNIST', for messages
    folder: str  # 'mnist': the sub-folder in every search folder and in the cache
    files: tuple  # four DatasetFile
    mirrors: tuple  # base URLs, tried in order; a file's URL is mirror + name + '.gz'


# ---------------------------------------------------------------- where to look


def repo_root() -> Path | None:
    """The root of the teachkeras checkout this package runs from, or None when installed.

    A checkout is recognised by a ``pyproject.toml`` naming teachkeras beside the package
    folder and a ``datasets/`` folder with its README (so an installed package never mistakes
    ``site-packages/datasets``, another library, for the course's data folder).
    """
    root = Path(__file__).resolve().parent.parent.parent
    pyproject = root / "pyproject.toml"
    try:
        is_project = 'name = "teachkeras"' in pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    if is_project and (root / "datasets" / "README.md").is_file():
        return root
    return None


def _env_dir() -> tuple[Path | None, str]:
    """The folder TEACHKERAS_DATASETS names, resolved, and a note for error messages."""
    value = os.environ.get(ENV_VAR, "")
    if not value:
        return None, f"${ENV_VAR} is not set"
    candidate = Path(value).expanduser()
    if candidate.is_absolute():
        return candidate, f"${ENV_VAR}={value}"
    tried = [Path.cwd() / candidate]
    root = repo_root()
    if root is not None:
        tried.append(root / candidate)
    for folder in tried:
        if folder.is_dir():
            return folder.resolve(), f"${ENV_VAR}={value}"
    return None, f"${ENV_VAR}={value} is relative and exists under none of {', '.join(str(f) for f in tried)}"


def search_dirs(folder: str) -> list[tuple[Path | None, str]]:
    """The folders searched for dataset ``folder``, in order, as (path or None, description)."""
    env_dir, env_note = _env_dir()
    found = [(env_dir / folder if env_dir else None, env_note)]
    root = repo_root()
    if root is not None:
        found.append((root / "datasets" / folder, "the repository's datasets/ folder"))
    found.append((Path.home() / ".teachkeras" / "datasets" / folder, "the user cache"))
    found.append((SYSTEM_DIR / folder, "Debian's dataset packages"))
    return found


def cache_dirs(folder: str) -> list[Path]:
    """Where downloads go, best first: the checkout's datasets/, then ~/.teachkeras/datasets."""
    found = []
    root = repo_root()
    if root is not None:
        found.append(root / "datasets" / folder)
    found.append(Path.home() / ".teachkeras" / "datasets" / folder)
    return found


def _writable_dir(candidates: list[Path]) -> Path | None:
    """The first folder that exists and is writable, or could be created (nothing is created yet)."""
    for folder in candidates:
        existing = folder
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
            return folder
    return None


def _locate(file: DatasetFile, folders) -> Path | None:
    for folder, _ in folders:
        if folder is None:
            continue
        for name in (file.name + ".gz", file.name):
            if (folder / name).is_file():
                return folder / name
    return None


def locate(spec: DatasetSpec, name: str) -> Path | None:
    """The local copy of ``spec``'s file ``name`` that the search order finds first, or None.

    ``name`` is given without '.gz' ('t10k-labels-idx1-ubyte'); nothing is downloaded or verified.
    """
    for file in spec.files:
        if file.name == name:
            return _locate(file, search_dirs(spec.folder))
    raise ValueError(f"locate: {spec.title} has no file {name!r}; expected one of {[f.name for f in spec.files]}")


# ---------------------------------------------------------------- verify


def _verify(data: bytes, file: DatasetFile, source: str) -> np.ndarray:
    """Parse IDX ``data`` and check its sha256; errors name ``source``."""
    array = parse_idx(data, source)
    digest = hashlib.sha256(data).hexdigest()
    if digest != file.sha256:
        raise ChecksumError(
            f"{source}: the sha256 of the decompressed bytes is {digest}, expected {file.sha256}; "
            "the file is corrupted or is not the published version"
        )
    return array


def _load_local(path: Path, file: DatasetFile) -> np.ndarray:
    try:
        return _verify(read_idx_bytes(path), file, str(path))
    except ChecksumError as error:
        raise ChecksumError(f"{error}. Delete it (it will be downloaded again) or replace it.") from None


# ---------------------------------------------------------------- download


def _progress(out, received: int, total: int | None) -> None:
    megabytes = received / 1e6
    if not total:
        out.write(f"\r{megabytes:6.1f} MB")
        return
    done = min(20, received * 20 // total)
    out.write(f"\r{megabytes:6.1f}/{total / 1e6:.1f} MB [{'=' * done}{'.' * (20 - done)}] {received * 100 // total:3d}%")


def _fetch(url: str, out, timeout: float) -> bytes:
    """The body at ``url``; OSError when it cannot be had whole."""
    out.write(f"Downloading data from {url}\n")
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        body = bytearray()
        shown = -1
        try:
            while chunk := response.read(CHUNK_SIZE):
                body += chunk
                percent = len(body) * 100 // total if total else len(body) >> 20
                if percent != shown:
                    _progress(out, len(body), total)
                    shown = percent
        except http.client.IncompleteRead as error:
            body += error.partial
        out.write("\n")
    out.flush()
    if total is not None and len(body) != total:
        raise OSError(f"download interrupted after {len(body)} of {total} bytes")
    return bytes(body)


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that no reader ever sees a partial file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def download(file: DatasetFile, mirrors, cache_dir: Path | None, out=None, timeout: float = TIMEOUT_SECONDS):
    """Fetch ``file`` from the first mirror that serves it intact; (array, failures).

    The download is kept in memory until its decompressed sha256 is checked, then written
    atomically into ``cache_dir`` (when not None). ``failures`` lists one line per mirror that
    failed; the array is None when every mirror failed.
    """
    out = sys.stdout if out is None else out
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + file.name + ".gz"
        try:
            body = _fetch(url, out, timeout)
            data = gzip.decompress(body) if body[:2] == GZIP_MAGIC else body
            array = _verify(data, file, url)
        except urllib.error.HTTPError as error:
            failures.append(f"{url}: HTTP {error.code} {error.reason}")
            continue
        except urllib.error.URLError as error:
            failures.append(f"{url}: {error.reason}")
            continue
        except (OSError, EOFError, zlib.error, http.client.HTTPException) as error:
            failures.append(f"{url}: {type(error).__name__}: {error}")
            continue
        except (IDXFormatError, ChecksumError) as error:
            failures.append(f"{error} (rejected, not cached)")
            continue
        if cache_dir is not None:
            name = file.name + ".gz" if body[:2] == GZIP_MAGIC else file.name
            _write_atomic(cache_dir / name, body)
        return array, failures
    return None, failures


# ---------------------------------------------------------------- the whole dataset


def _placement_help(spec: DatasetSpec) -> str:
    names = ", ".join(file.name + ".gz" for file in spec.files)
    return (
        f"To work offline, put the four IDX files ({names}; gzipped or not) into {cache_dirs(spec.folder)[0]}, "
        f"or set {ENV_VAR} to a folder that holds {spec.folder}/ with them."
    )


def _unavailable(spec: DatasetSpec, file: DatasetFile, folders, failures, cache_dir) -> DatasetUnavailableError:
    lines = [f"{spec.title}: cannot find or download {file.name}(.gz).", "Looked in, in this order:"]
    for folder, note in folders:
        if folder is None:
            lines.append(f"  - {note}")
        else:
            state = "no such file" if folder.is_dir() else "no such folder"
            lines.append(f"  - {folder} ({note}): {state}")
    lines.append("Tried to download:")
    lines += [f"  - {failure}" for failure in failures] or ["  - no mirrors are configured"]
    if cache_dir is None:
        lines.append("(No writable cache folder either: " + ", ".join(str(f) for f in cache_dirs(spec.folder)) + ".)")
    lines.append(_placement_help(spec))
    return DatasetUnavailableError("\n".join(lines))


def _from_folder(spec: DatasetSpec, folder: Path) -> list[np.ndarray]:
    arrays = []
    for file in spec.files:
        path = _locate(file, [(folder, "")])
        if path is None:
            raise DatasetUnavailableError(
                f"{spec.title}: {folder} holds neither {file.name}.gz nor {file.name}; "
                f"expected the four files {', '.join(f.name for f in spec.files)} (gzipped or not)"
            )
        arrays.append(_load_local(path, file))
    return arrays


def _from_npz(spec: DatasetSpec, path: Path) -> list[np.ndarray]:
    """Keras' own cache file (``mnist.npz``), read without pickle and verified like IDX files."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in keys if key not in archive.files]
        if missing:
            raise ValueError(f"{path}: expected the arrays {keys} of a Keras dataset file, missing {missing}")
        arrays = [archive[key] for key in keys]
    for array, key, file in zip(arrays, keys, spec.files):
        if array.dtype != np.uint8:
            raise ValueError(f"{path}: {key} should be uint8, received {array.dtype}")
        digest = hashlib.sha256(idx_bytes(array)).hexdigest()
        if digest != file.sha256:
            raise ChecksumError(f"{path}: {key} is not {spec.title}'s {file.name} (its IDX sha256 is {digest}, expected {file.sha256})")
    return arrays


def load_dataset(spec: DatasetSpec, path=None, out=None):
    """``(x_train, y_train), (x_test, y_test)`` of ``spec``, as Keras' ``load_data`` returns them.

    ``path`` None uses the search order and the mirrors (see the module docstring); a folder
    loads the four IDX files from that folder only; a ``.npz`` file is read as Keras' cache
    file (``mnist.npz``). Progress of a download is written to ``out`` (default stdout).
    """
    if path is not None:
        path = Path(path).expanduser()
        if path.is_dir():
            arrays = _from_folder(spec, path)
        elif path.is_file() and path.suffix == ".npz":
            arrays = _from_npz(spec, path)
        else:
            raise FileNotFoundError(
                f"load_data: path must be a folder holding the IDX files or a Keras .npz file, received "
                f"{str(path)!r}, which {'is not a .npz file' if path.exists() else 'does not exist'}. "
                "Leave path out to use the search order (TEACHKERAS_DATASETS, datasets/, "
                "~/.teachkeras/datasets, /usr/share/datasets) and the download mirrors."
            )
    else:
        folders = search_dirs(spec.folder)
        arrays = []
        cache_dir = None
        for file in spec.files:
            found = _locate(file, folders)
            if found is not None:
                arrays.append(_load_local(found, file))
                continue
            if cache_dir is None:
                cache_dir = _writable_dir(cache_dirs(spec.folder))
            array, failures = download(file, spec.mirrors, cache_dir, out=out)
            if array is None:
                raise _unavailable(spec, file, folders, failures, cache_dir)
            arrays.append(array)
    x_train, y_train, x_test, y_test = arrays
    for images, labels, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{spec.title}: {images.shape[0]} {split} images but {labels.shape[0]} {split} labels")
    return (x_train, y_train), (x_test, y_test)
