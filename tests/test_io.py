"""teachkeras._io.write_atomically: whole files or nothing, with a normal file mode."""

import os

import pytest

from teachkeras._io import write_atomically


def test_writes_text_and_bytes_and_keeps_the_existing_mode(tmp_path):
    path = tmp_path / "sub" / "file.txt"
    write_atomically(path, "one\ntwo\n")
    assert path.read_bytes() == b"one\ntwo\n"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    path.chmod(0o640)
    write_atomically(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01" and path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["file.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "file.txt"
    path.write_text("old")

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, "new")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_refuses_other_data():
    with pytest.raises(TypeError, match="data must be bytes or str, received list"):
        write_atomically("unused", [1, 2])
