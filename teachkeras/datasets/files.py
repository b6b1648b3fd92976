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

``load_dataset(spec, path=...)`` reads one folder of IDX files or one Keras ``.npz`` file instead.
A relative name that does not exist is looked up in Keras' cache, ``~/.keras/datasets/<name>``
(``$KERAS_HOME/datasets`` when that variable is set, as Keras does), so ``path="mnist.npz"``, Keras'
own default, reads the file Keras downloaded. When even that is missing and the name is the one
Keras itself uses (``spec.keras_name``), the normal search order above is used.

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
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from teachkeras._io import write_atomically
from teachkeras.datasets.idx import GZIP_MAGIC, IDXFormatError, idx_bytes, parse_idx, read_idx_bytes

__all__ = [
    "ChecksumError",
    "DatasetFile",
    "DatasetSpec",
    "DatasetUnavailableError",
    "cache_dirs",
    "download",
    "keras_cache_dir",
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
    """One IDX file of a dataset: its name without '.gz', and the sha256 of its IDX bytes.

    The name says the file's role: ``...-idx1-ubyte`` holds uint8 labels (magic number 2049),
    ``...-idx3-ubyte`` uint8 images (2051).
    """

    name: str
    sha256: str

    @property
    def magic(self) -> int:
        """The IDX magic number the name promises: type 0x08 (ubyte), then the number of dimensions."""
        ndim = int(self.name.split("-idx")[1][0])
        return 0x0800 + ndim


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset published as IDX files: train images, train labels, test images, test labels."""

    title: str  # 'MNIST', for messages
    folder: str  # 'mnist': the sub-folder in every search folder and in the cache
    files: tuple  # four DatasetFile
    mirrors: tuple  # base URLs, tried in order; a file's URL is mirror + name + '.gz'
    keras_name: str = ""  # the name Keras gives the dataset in its cache: 'mnist.npz', 'fashion-mnist'


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


def keras_cache_dir() -> Path:
    """Keras' download cache: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".keras") / "datasets"


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
    array = parse_idx(data, source, expected_magic=file.magic)
    digest = hashlib.sha256(data).hexdigest()
    if digest != file.sha256:
        raise ChecksumError(
            f"{source}: the sha256 of the decompressed bytes is {digest}, expected {file.sha256}; "
            "the file is corrupted or is not the published version"
        )
    return array


def _load_local(path: Path, file: DatasetFile, hint: str) -> np.ndarray:
    """The verified array in the local file ``path``; a checksum error ends with ``hint``."""
    try:
        return _verify(read_idx_bytes(path), file, str(path))
    except ChecksumError as error:
        raise ChecksumError(f"{error}. {hint}") from None


def _search_hint(found: Path, spec: DatasetSpec) -> str:
    """What to do about a bad file that the search order found, by the folder it came from.

    Only the cache folders are written by teachkeras, so only there does deleting the file
    bring a fresh download; the other folders are the user's or a system package's.
    """
    folder = found.parent
    if folder in cache_dirs(spec.folder):
        return "It is in teachkeras' download cache: delete it (the next load downloads it again) or replace it."
    env_dir, _ = _env_dir()
    if env_dir is not None and folder == env_dir / spec.folder:
        return (
            f"It comes from ${ENV_VAR}, a folder teachkeras only reads: replace it there with the published "
            f"file, or point ${ENV_VAR} at a good copy."
        )
    if folder == SYSTEM_DIR / spec.folder:
        return "It was installed by a system package: reinstall that package, or replace the file."
    return "Replace it with the published file."


def _path_hint(keras_cache: bool) -> str:
    """What to do about a bad file given through ``path=``."""
    if keras_cache:
        return (
            f"It is in Keras' cache ({keras_cache_dir()}): delete it (keras.datasets downloads it again), "
            "or leave path out to use teachkeras' search order and mirrors."
        )
    return "It was given as path=: replace it with the published file, or leave path out to use the search order and mirrors."


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
            write_atomically(cache_dir / name, body)
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


def _from_folder(spec: DatasetSpec, folder: Path, hint: str) -> list[np.ndarray]:
    arrays = []
    for file in spec.files:
        path = _locate(file, [(folder, "")])
        if path is None:
            raise DatasetUnavailableError(
                f"{spec.title}: {folder} holds neither {file.name}.gz nor {file.name}; "
                f"expected the four files {', '.join(f.name for f in spec.files)} (gzipped or not)"
            )
        arrays.append(_load_local(path, file, hint))
    return arrays


NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _from_npz(spec: DatasetSpec, path: Path, hint: str) -> list[np.ndarray]:
    """Keras' own cache file (``mnist.npz``), read without pickle and verified like IDX files."""
    expected = f"a Keras dataset file: a zip of the uint8 arrays {', '.join(NPZ_KEYS)} (.npy each)"
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = archive.files
            arrays = [archive[key] for key in NPZ_KEYS if key in names]
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as error:
        # BadZipFile: a truncated or damaged zip (or a bad CRC in one array); ValueError: not a
        # zip at all (np.load would need pickle for it) or an array with a broken .npy header
        raise ValueError(f"{path}: cannot be read as .npz ({type(error).__name__}: {error}); expected {expected}. {hint}") from error
    missing = [key for key in NPZ_KEYS if key not in names]
    if missing:
        raise ValueError(f"{path}: expected {expected}; missing {missing}")
    for array, key, file in zip(arrays, NPZ_KEYS, spec.files):
        if array.dtype != np.uint8:
            raise ValueError(f"{path}: {key} should be uint8, received {array.dtype}")
        digest = hashlib.sha256(idx_bytes(array)).hexdigest()
        if digest != file.sha256:
            raise ChecksumError(
                f"{path}: {key} is not {spec.title}'s {file.name} (its IDX sha256 is {digest}, expected {file.sha256}). {hint}"
            )
    return arrays


def _resolve_path(spec: DatasetSpec, path) -> tuple[Path | None, bool]:
    """Where ``load_data(path=...)`` reads from: (the path, whether it is in Keras' cache).

    (None, False) means: use the search order, as with ``path=None``.
    """
    given = Path(path).expanduser()
    if given.exists():
        return given, False
    if not given.is_absolute() and len(given.parts) == 1:  # a bare name: Keras' cache folder
        in_keras_cache = keras_cache_dir() / given
        if in_keras_cache.exists():
            return in_keras_cache, True
        if spec.keras_name and given.name == spec.keras_name:
            return None, False  # Keras' default name, and Keras has no copy: search as usual
        where = f"does not exist, here ({Path.cwd()}) or in Keras' cache ({in_keras_cache})"
    else:
        where = "does not exist"
    raise FileNotFoundError(
        f"load_data: path must be a folder holding the IDX files or a Keras .npz file, received "
        f"{str(given)!r}, which {where}. Leave path out to use the search order (TEACHKERAS_DATASETS, "
        "datasets/, ~/.teachkeras/datasets, /usr/share/datasets) and the download mirrors."
    )


def load_dataset(spec: DatasetSpec, path=None, out=None):
    """``(x_train, y_train), (x_test, y_test)`` of ``spec``, as Keras' ``load_data`` returns them.

    ``path`` None uses the search order and the mirrors (see the module docstring); a folder
    loads the four IDX files from that folder only; a ``.npz`` file is read as Keras' cache
    file (``mnist.npz``). A bare name that does not exist is looked up in Keras' cache; Keras'
    own name for the dataset (``spec.keras_name``) falls back to the search order when Keras has
    no copy. Progress of a download is written to ``out`` (default stdout).
    """
    if path is not None:
        path, keras_cache = _resolve_path(spec, path)
    if path is not None:
        hint = _path_hint(keras_cache)
        if path.is_dir():
            arrays = _from_folder(spec, path, hint)
        elif path.is_file() and path.suffix == ".npz":
            arrays = _from_npz(spec, path, hint)
        else:
            raise FileNotFoundError(
                f"load_data: path must be a folder holding the IDX files or a Keras .npz file, received "
                f"{str(path)!r}, which is not a .npz file. Leave path out to use the search order "
                "(TEACHKERAS_DATASETS, datasets/, ~/.teachkeras/datasets, /usr/share/datasets) and the download mirrors."
            )
    else:
        folders = search_dirs(spec.folder)
        arrays = []
        cache_dir = None
        for file in spec.files:
            found = _locate(file, folders)
            if found is not None:
                arrays.append(_load_local(found, file, _search_hint(found, spec)))
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
