"""teachkeras.datasets: the shared offline copies, the search order, downloads and bad files.

Downloads come from mirrors served by ``http.server`` on 127.0.0.1 inside the test: nothing
here touches the internet. The real-data tests read the offline copies that
``TEACHKERAS_DATASETS`` points at (CI and tests/conftest.py set it). Without them those tests
skip, except under CI (``CI`` set, as every CI service sets it), where they fail: a misconfigured
CI must not pass by skipping.
"""

import dataclasses
import gzip
import hashlib
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from teachkeras.datasets import ChecksumError, DatasetUnavailableError, IDXFormatError, fashion_mnist, files, mnist
from teachkeras.datasets.idx import idx_bytes, parse_idx, read_idx

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("mnist", "fashion-mnist")


# ---------------------------------------------------------------- fixtures


def running_in_ci():
    """True where the CI variable is set to anything but '', '0' or 'false' (GitHub sets 'true')."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def offline_copies():
    """The folder TEACHKERAS_DATASETS names (holding mnist/ and fashion-mnist/); skip, or fail in CI."""
    folder, note = files._env_dir()
    if folder is None or not all((folder / name).is_dir() for name in FOLDERS):
        message = f"the offline dataset copies are not available: {note}"
        if running_in_ci():
            pytest.fail(f"{message} (CI is set: the real-data tests must run there, not skip)")
        pytest.skip(message)
    return folder


@pytest.fixture(scope="module")
def shared_dir():
    return offline_copies()


@pytest.fixture(scope="module")
def mnist_arrays(shared_dir):
    return mnist.load_data()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No dataset anywhere: empty home, no TEACHKERAS_DATASETS, no checkout, no system folder."""
    monkeypatch.delenv(files.ENV_VAR, raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(files, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.setattr(files, "repo_root", lambda: None)
    return tmp_path


def cache_of(tmp_path, folder):
    return tmp_path / "home" / ".teachkeras" / "datasets" / folder


def entries(folder):
    """Every file in ``folder`` (hidden temporary files included), as names."""
    return sorted(os.listdir(folder)) if folder.is_dir() else []


class Mirror:
    """An HTTP server on 127.0.0.1 serving ``routes``: path -> (body, behaviour).

    behaviour 'ok' sends the body; 'truncate' announces the full length, sends half and hangs up.
    Unknown paths get 404. ``requests`` counts the GETs.
    """

    def __init__(self):
        self.routes = {}
        self.requests = 0
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                mirror.requests += 1
                if self.path not in mirror.routes:
                    self.send_error(404)
                    return
                body, behaviour = mirror.routes[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if behaviour == "ok" else body[: len(body) // 2])

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, prefix):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{prefix}/"

    def serve(self, prefix, name, body, behaviour="ok"):
        self.routes[f"/{prefix}/{name}"] = (body, behaviour)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror():
    server = Mirror()
    yield server
    server.close()


def dead_url():
    """A URL on a port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone/"


def tiny_dataset(mirrors=(), keras_name=""):
    """A small dataset in MNIST's layout, its spec (with true checksums) and its IDX bytes."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, (6,), dtype=np.uint8),
        rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, (4,), dtype=np.uint8),
    ]
    names = [file.name for file in mnist.SPEC.files]
    contents = {name: idx_bytes(array) for name, array in zip(names, arrays)}
    spec = files.DatasetSpec(
        title="Tiny",
        folder="tiny",
        files=tuple(files.DatasetFile(name, hashlib.sha256(contents[name]).hexdigest()) for name in names),
        mirrors=tuple(mirrors),
        keras_name=keras_name,
    )
    return spec, arrays, contents


def write_npz(path, arrays, compressed=True):
    """``arrays`` (x_train, y_train, x_test, y_test) saved as a Keras dataset file."""
    save = np.savez_compressed if compressed else np.savez
    save(path, **dict(zip(files.NPZ_KEYS, arrays)))


def assert_loaded(loaded, arrays):
    (a, b), (c, d) = loaded
    for got, want in zip((a, b, c, d), arrays):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def serve_all(mirror, prefix, contents, corrupt=None, truncate=None):
    """Serve every file gzipped under ``prefix``; ``corrupt``: one name served with a flipped byte."""
    for name, data in contents.items():
        if name == corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        mirror.serve(prefix, name + ".gz", gzip.compress(data, mtime=0), "truncate" if name == truncate else "ok")


# ---------------------------------------------------------------- the real data, offline copies


def test_mnist_matches_the_published_facts(mnist_arrays):
    (x_train, y_train), (x_test, y_test) = mnist_arrays
    assert (x_train.shape, x_test.shape) == ((60000, 28, 28), (10000, 28, 28))
    assert (y_train.shape, y_test.shape) == ((60000,), (10000,))
    assert {array.dtype for array in (x_train, y_train, x_test, y_test)} == {np.dtype("uint8")}
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_train.flags.writeable  # as Keras' arrays: scaling in place works


def test_fashion_mnist_matches_the_published_facts(shared_dir):
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert (x_train.shape, x_test.shape) == ((60000, 28, 28), (10000, 28, 28))
    assert x_train.dtype == y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert len(fashion_mnist.CLASS_NAMES) == 10


def test_fashion_mnist_equals_what_keras_reads_from_the_same_files(shared_dir, monkeypatch):
    pytest.importorskip("keras")
    from keras.src.datasets import fashion_mnist as keras_fashion_mnist

    origins = []

    def local_get_file(fname, origin, cache_subdir):
        origins.append(origin)
        return str(shared_dir / "fashion-mnist" / fname)

    monkeypatch.setattr(keras_fashion_mnist, "get_file", local_get_file)
    expected = keras_fashion_mnist.load_data()
    received = fashion_mnist.load_data()
    for want, got in zip([*expected[0], *expected[1]], [*received[0], *received[1]]):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    # teachkeras' first Fashion-MNIST mirror is the one Keras downloads from
    assert all(origin.startswith(fashion_mnist.MIRRORS[0]) for origin in origins)


def test_keras_npz_file_is_read_and_verified(mnist_arrays, tmp_path):
    (x_train, y_train), (x_test, y_test) = mnist_arrays
    npz = tmp_path / "mnist.npz"
    np.savez(npz, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (a, b), (c, d) = mnist.load_data(path=npz)
    for got, want in ((a, x_train), (b, y_train), (c, x_test), (d, y_test)):
        np.testing.assert_array_equal(got, want)

    changed = x_test.copy()
    changed[0, 0, 0] = 1
    np.savez(npz, x_train=x_train, y_train=y_train, x_test=changed, y_test=y_test)
    with pytest.raises(ChecksumError, match=r"mnist\.npz: x_test is not MNIST's t10k-images-idx3-ubyte"):
        mnist.load_data(path=npz)


def test_keras_npz_format_matches_keras(mnist_arrays, tmp_path, monkeypatch):
    """One file in the format of Keras' mnist.npz (compressed, as the published one is), read by
    Keras' load_data and by ours through path=: the two must return the same arrays."""
    pytest.importorskip("keras")
    from keras.src.datasets import mnist as keras_mnist

    npz = tmp_path / "mnist.npz"
    write_npz(npz, [*mnist_arrays[0], *mnist_arrays[1]])
    requested = []

    def local_get_file(fname, origin, file_hash):
        requested.append(fname)
        return str(npz)

    monkeypatch.setattr(keras_mnist, "get_file", local_get_file)
    expected = keras_mnist.load_data()
    assert requested == ["mnist.npz"]  # Keras' default path, which ours also accepts (see below)
    assert_loaded(mnist.load_data(path=npz), [*expected[0], *expected[1]])


def test_relative_variable_resolves_against_the_repository_root(shared_dir, tmp_path, monkeypatch):
    if files.repo_root() is None:
        pytest.skip("teachkeras does not run from a checkout here")
    relative = os.path.relpath(shared_dir, files.repo_root())
    monkeypatch.setenv(files.ENV_VAR, relative)
    monkeypatch.chdir(tmp_path)  # where `relative` means nothing: the repository root is tried next
    folder, _ = files._env_dir()
    assert folder == shared_dir.resolve()
    monkeypatch.chdir(ROOT / "notebooks" if (ROOT / "notebooks").is_dir() else ROOT)
    assert files._env_dir()[0] == shared_dir.resolve()


def test_readme_checksums_are_the_ones_in_the_code():
    readme = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| ([\w-]+/[\w-]+) \| ([0-9a-f]{64}) \|$", readme, flags=re.MULTILINE))
    in_code = {f"{spec.folder}/{file.name}": file.sha256 for spec in (mnist.SPEC, fashion_mnist.SPEC) for file in spec.files}
    assert table == in_code


# ---------------------------------------------------------------- where files are looked for


def test_search_order(isolated, monkeypatch):
    spec, _, contents = tiny_dataset()
    file = spec.files[0]
    env = isolated / "env"
    home = isolated / "home" / ".teachkeras" / "datasets"
    system = isolated / "system"
    for base in (env, home, system):
        (base / "tiny").mkdir(parents=True)
        (base / "tiny" / file.name).write_bytes(contents[file.name])
    repo = isolated / "repo"
    (repo / "datasets" / "tiny").mkdir(parents=True)
    (repo / "datasets" / "tiny" / (file.name + ".gz")).write_bytes(gzip.compress(contents[file.name]))
    monkeypatch.setattr(files, "repo_root", lambda: repo)
    monkeypatch.setenv(files.ENV_VAR, str(env))

    expected_order = [env / "tiny" / file.name, repo / "datasets" / "tiny" / (file.name + ".gz"),
                      home / "tiny" / file.name, system / "tiny" / file.name]  # fmt: skip
    for expected in expected_order:
        assert files._locate(file, files.search_dirs("tiny")) == expected
        expected.unlink()
    assert files._locate(file, files.search_dirs("tiny")) is None


def test_gzipped_and_plain_files_load_alike(isolated):
    spec, arrays, contents = tiny_dataset()
    folder = isolated / "plain"
    folder.mkdir()
    for index, (name, data) in enumerate(contents.items()):
        if index % 2:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    (a, b), (c, d) = files.load_dataset(spec, path=folder)
    for got, want in zip((a, b, c, d), arrays):
        np.testing.assert_array_equal(got, want)


def test_missing_path_is_named(isolated):
    with pytest.raises(FileNotFoundError, match=r"path must be a folder .* received '.*nowhere', which does not exist"):
        mnist.load_data(path=isolated / "nowhere")


def test_bare_name_is_looked_up_in_keras_cache(isolated, monkeypatch):
    spec, arrays, _ = tiny_dataset(keras_name="tiny.npz")
    work = isolated / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    keras_cache = isolated / "home" / ".keras" / "datasets"
    keras_cache.mkdir(parents=True)
    write_npz(keras_cache / "tiny.npz", arrays)
    assert_loaded(files.load_dataset(spec, path="tiny.npz"), arrays)

    # a file of that name where we are is used first (the one in Keras' cache is now corrupt)
    write_npz(work / "tiny.npz", arrays)
    (keras_cache / "tiny.npz").write_bytes(b"not a zip")
    assert_loaded(files.load_dataset(spec, path="tiny.npz"), arrays)
    (work / "tiny.npz").unlink()
    with pytest.raises(ValueError, match=re.escape(str(keras_cache / "tiny.npz")) + r": cannot be read as \.npz.*Keras' cache"):
        files.load_dataset(spec, path="tiny.npz")

    # KERAS_HOME moves Keras' cache, as in Keras
    monkeypatch.setenv("KERAS_HOME", str(isolated / "keras-home"))
    (isolated / "keras-home" / "datasets").mkdir(parents=True)
    write_npz(isolated / "keras-home" / "datasets" / "tiny.npz", arrays)
    assert_loaded(files.load_dataset(spec, path="tiny.npz"), arrays)


def test_keras_default_name_falls_back_to_the_search_order(isolated, monkeypatch):
    spec, arrays, contents = tiny_dataset(keras_name="tiny.npz")
    monkeypatch.chdir(isolated)
    env = isolated / "env"
    (env / "tiny").mkdir(parents=True)
    for name, data in contents.items():
        (env / "tiny" / name).write_bytes(data)
    monkeypatch.setenv(files.ENV_VAR, str(env))
    assert not (isolated / "home" / ".keras").exists()
    assert_loaded(files.load_dataset(spec, path="tiny.npz"), arrays)  # Keras' name, Keras has no copy

    # any other bare name that is nowhere stays an error, naming both places it looked
    with pytest.raises(FileNotFoundError) as caught:
        files.load_dataset(spec, path="other.npz")
    message = str(caught.value)
    assert "received 'other.npz', which does not exist" in message
    assert str(isolated) in message and str(isolated / "home" / ".keras" / "datasets" / "other.npz") in message
    # and a relative path with a folder in it is not Keras' cache's business
    with pytest.raises(FileNotFoundError, match=r"received 'sub/tiny\.npz', which does not exist\. Leave path out"):
        files.load_dataset(spec, path="sub/tiny.npz")


def test_fashion_keras_folder_name_reads_keras_cache(isolated, monkeypatch):
    spec, arrays, contents = tiny_dataset(keras_name="tiny-folder")
    monkeypatch.chdir(isolated)
    folder = isolated / "home" / ".keras" / "datasets" / "tiny-folder"  # as Keras keeps Fashion-MNIST
    folder.mkdir(parents=True)
    for name, data in contents.items():
        (folder / (name + ".gz")).write_bytes(gzip.compress(data))
    assert_loaded(files.load_dataset(spec, path="tiny-folder"), arrays)
    assert fashion_mnist.SPEC.keras_name == "fashion-mnist" and mnist.SPEC.keras_name == "mnist.npz"


def test_mnist_npz_default_path_works_without_keras_copy(isolated, shared_dir, monkeypatch):
    """Keras 3's documented default written out, on a machine where Keras never downloaded MNIST."""
    monkeypatch.setenv(files.ENV_VAR, str(shared_dir))
    monkeypatch.chdir(isolated)
    (x_train, _), (_, y_test) = mnist.load_data(path="mnist.npz")
    assert x_train.shape == (60000, 28, 28) and y_test[:3].tolist() == [7, 2, 1]


def test_import_touches_no_network():
    code = (
        "import socket\n"
        "def refuse(*args, **kwargs): raise AssertionError('network used at import time')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "import teachkeras, teachkeras.datasets\n"
        "from teachkeras.datasets import mnist, fashion_mnist\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ---------------------------------------------------------------- downloads


def test_download_verifies_caches_and_is_not_repeated(isolated, mirror, capsys):
    spec, arrays, contents = tiny_dataset()
    serve_all(mirror, "good", contents)
    spec = dataclasses.replace(spec, mirrors=(mirror.url("good"),))
    (a, b), (c, d) = files.load_dataset(spec)
    for got, want in zip((a, b, c, d), arrays):
        np.testing.assert_array_equal(got, want)
    output = capsys.readouterr().out
    assert f"Downloading data from {mirror.url('good')}train-images-idx3-ubyte.gz" in output
    assert "100%" in output  # the progress bar reached the end
    cache = cache_of(isolated, "tiny")
    assert entries(cache) == sorted(name + ".gz" for name in contents)
    assert mirror.requests == 4

    files.load_dataset(spec)  # now from the cache
    assert mirror.requests == 4


def test_mnist_load_data_downloads_from_a_mirror(isolated, shared_dir, mirror, monkeypatch, capsys):
    for file in mnist.SPEC.files:
        mirror.serve("mnist", file.name + ".gz", (shared_dir / "mnist" / (file.name + ".gz")).read_bytes())
    monkeypatch.setattr(mnist, "SPEC", dataclasses.replace(mnist.SPEC, mirrors=(dead_url(), mirror.url("mnist"))))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and y_test[:3].tolist() == [7, 2, 1]
    assert entries(cache_of(isolated, "mnist")) == sorted(file.name + ".gz" for file in mnist.SPEC.files)
    assert "Downloading data from" in capsys.readouterr().out


def test_corrupted_download_is_rejected_and_nothing_is_cached(isolated, mirror, capsys):
    spec, _, contents = tiny_dataset()
    serve_all(mirror, "bad", contents, corrupt="train-images-idx3-ubyte")
    spec = dataclasses.replace(spec, mirrors=(mirror.url("bad"),))
    with pytest.raises(DatasetUnavailableError) as caught:
        files.load_dataset(spec)
    message = str(caught.value)
    assert f"{mirror.url('bad')}train-images-idx3-ubyte.gz: the sha256 of the decompressed bytes is" in message
    assert "rejected, not cached" in message
    assert entries(cache_of(isolated, "tiny")) == []


def test_dead_first_mirror_then_the_second_is_used(isolated, mirror, capsys):
    spec, arrays, contents = tiny_dataset()
    serve_all(mirror, "good", contents)
    mirrors = (dead_url(), mirror.url("missing"), mirror.url("good"))
    cache = isolated / "cache"
    cache.mkdir()
    array, failures = files.download(spec.files[1], mirrors, cache)
    np.testing.assert_array_equal(array, arrays[1])
    assert len(failures) == 2
    assert failures[0].startswith(mirrors[0]) and "refused" in failures[0].lower()
    assert failures[1].startswith(mirrors[1]) and "HTTP 404" in failures[1]
    assert entries(cache) == ["train-labels-idx1-ubyte.gz"]


def test_interrupted_download_leaves_no_partial_file(isolated, mirror, capsys):
    spec, arrays, contents = tiny_dataset()
    serve_all(mirror, "cut", contents, truncate="train-images-idx3-ubyte")
    cache = isolated / "cache"
    cache.mkdir()
    array, failures = files.download(spec.files[0], (mirror.url("cut"),), cache)
    assert array is None
    assert len(failures) == 1 and "interrupted" in failures[0]
    assert entries(cache) == []

    serve_all(mirror, "good", contents)  # with a second, intact mirror the file arrives whole
    array, _ = files.download(spec.files[0], (mirror.url("cut"), mirror.url("good")), cache)
    np.testing.assert_array_equal(array, arrays[0])
    assert entries(cache) == ["train-images-idx3-ubyte.gz"]


def test_offline_error_says_where_it_looked_what_failed_and_what_to_do(isolated, monkeypatch, capsys):
    spec, _, _ = tiny_dataset(mirrors=(dead_url(),))
    monkeypatch.setenv(files.ENV_VAR, str(isolated / "env"))
    with pytest.raises(DatasetUnavailableError) as caught:
        files.load_dataset(spec)
    message = str(caught.value)
    assert "Tiny: cannot find or download train-images-idx3-ubyte" in message
    assert str(isolated / "env" / "tiny") in message
    assert str(isolated / "home" / ".teachkeras" / "datasets" / "tiny") in message
    assert str(isolated / "system" / "tiny") in message
    assert spec.mirrors[0] + "train-images-idx3-ubyte.gz" in message
    assert "To work offline, put the four IDX files" in message
    assert not (isolated / "home").exists()  # a failed load creates no cache folder either


# ---------------------------------------------------------------- bad files


def test_truncated_idx_file_is_named(isolated):
    spec, _, contents = tiny_dataset()
    folder = isolated / "files"
    folder.mkdir()
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    broken = folder / "t10k-images-idx3-ubyte"
    broken.write_bytes(contents["t10k-images-idx3-ubyte"][:-100])
    with pytest.raises(IDXFormatError, match=re.escape(str(broken)) + r": the header announces shape \(4, 28, 28\).*truncated"):
        files.load_dataset(spec, path=folder)


def test_truncated_gzip_file_is_named(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))[:-30])
    with pytest.raises(IDXFormatError, match=re.escape(str(path)) + r": the gzip stream ends early.*truncated"):
        read_idx(path)


def test_wrong_magic_number_is_named(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"PK\x03\x04" + bytes(100))  # a zip file, say
    with pytest.raises(IDXFormatError, match=re.escape(str(path)) + r": wrong magic number 1347093252 \(0x504b0304\)"):
        read_idx(path)


def test_wrong_magic_number_for_the_role_is_named(isolated):
    spec, _, contents = tiny_dataset()
    folder = isolated / "files"
    folder.mkdir()
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    swapped = folder / "train-labels-idx1-ubyte"
    swapped.write_bytes(contents["train-images-idx3-ubyte"])  # the images, under the labels' name
    expected = f"{swapped}: wrong magic number 2051 (an idx3 images file), expected 2049 for a labels file"
    with pytest.raises(IDXFormatError) as caught:
        files.load_dataset(spec, path=folder)
    assert str(caught.value) == expected
    with pytest.raises(IDXFormatError, match=r"wrong magic number 2049 \(an idx1 labels file\), expected 2051 for an images file"):
        parse_idx(contents["t10k-labels-idx1-ubyte"], "x", expected_magic=2051)
    assert [file.magic for file in mnist.SPEC.files] == [2051, 2049, 2051, 2049]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x00\x00", "too short"),
        (b"\x00\x00\x08\x03\x00\x00", "announces 3 dimensions .* truncated"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "wrong magic number 1793"),
        (idx_bytes(np.zeros(3, np.uint8)) + b"\x00", "extra bytes at the end"),
    ],
)
def test_malformed_idx_bytes(data, problem):
    with pytest.raises(IDXFormatError, match=f"^some-file: .*{problem}"):
        parse_idx(data, "some-file")


def test_checksum_mismatch_of_a_local_file_is_named(isolated):
    spec, _, contents = tiny_dataset()
    folder = isolated / "files"
    folder.mkdir()
    for name, data in contents.items():
        (folder / (name + ".gz")).write_bytes(gzip.compress(data))
    other = idx_bytes(np.ones(6, dtype=np.uint8))  # well-formed, but not the published file
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(other))
    with pytest.raises(ChecksumError, match=re.escape(str(folder / "train-labels-idx1-ubyte.gz")) + ": the sha256"):
        files.load_dataset(spec, path=folder)


@pytest.mark.parametrize("where", ["path", "variable", "cache", "system"])
def test_checksum_hint_depends_on_where_the_file_came_from(isolated, monkeypatch, where):
    spec, _, contents = tiny_dataset(mirrors=(dead_url(),))
    folder = {
        "path": isolated / "given" / "tiny",
        "variable": isolated / "env" / "tiny",
        "cache": isolated / "home" / ".teachkeras" / "datasets" / "tiny",
        "system": isolated / "system" / "tiny",
    }[where]
    folder.mkdir(parents=True)
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.ones(4, dtype=np.uint8)))
    monkeypatch.setenv(files.ENV_VAR, str(isolated / "env"))
    with pytest.raises(ChecksumError) as caught:
        files.load_dataset(spec, path=folder if where == "path" else None)
    message = str(caught.value)
    assert message.startswith(f"{folder / 't10k-labels-idx1-ubyte'}: the sha256")
    hint = {
        "path": "It was given as path=: replace it",
        "variable": "It comes from $TEACHKERAS_DATASETS, a folder teachkeras only reads",
        "cache": "It is in teachkeras' download cache: delete it (the next load downloads it again)",
        "system": "It was installed by a system package: reinstall",
    }[where]
    assert hint in message
    assert ("delete it" in message.lower()) == (where == "cache")  # only the cache is ours to refill


def test_corrupt_npz_is_named(isolated, monkeypatch):
    spec, arrays, _ = tiny_dataset()
    good = isolated / "good.npz"
    write_npz(good, arrays)
    truncated = isolated / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    not_zip = isolated / "text.npz"
    not_zip.write_text("x_train,y_train\n")
    for path in (truncated, not_zip):
        with pytest.raises(ValueError) as caught:
            files.load_dataset(spec, path=path)
        message = str(caught.value)
        assert message.startswith(f"{path}: cannot be read as .npz (")
        assert "expected a Keras dataset file: a zip of the uint8 arrays x_train, y_train, x_test, y_test" in message
        assert "It was given as path=" in message
    with pytest.raises(ValueError) as caught:
        files.load_dataset(spec, path=truncated)
    assert isinstance(caught.value.__cause__, zipfile.BadZipFile)  # numpy's own error stays attached

    np.savez(isolated / "partial.npz", x_train=arrays[0])
    with pytest.raises(ValueError, match=r"partial\.npz: expected a Keras dataset file.*missing \['y_train', 'x_test', 'y_test'\]"):
        files.load_dataset(spec, path=isolated / "partial.npz")


def test_ci_fails_instead_of_skipping_without_offline_copies(isolated, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="offline dataset copies are not available"):
        offline_copies()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        offline_copies()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        offline_copies()


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_idx_round_trip(dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    back = parse_idx(idx_bytes(array))
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_locate_names_a_local_copy_without_downloading(isolated):
    spec, _, contents = tiny_dataset(mirrors=(dead_url(),))
    assert files.locate(spec, "t10k-labels-idx1-ubyte") is None
    folder = isolated / "home" / ".teachkeras" / "datasets" / "tiny"
    folder.mkdir(parents=True)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(contents["t10k-labels-idx1-ubyte"])
    assert files.locate(spec, "t10k-labels-idx1-ubyte") == folder / "t10k-labels-idx1-ubyte"
    with pytest.raises(ValueError, match="Tiny has no file 'labels'; expected one of"):
        files.locate(spec, "labels")
