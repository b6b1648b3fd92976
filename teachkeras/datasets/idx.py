"""The IDX file format that MNIST and Fashion-MNIST are published in.

An IDX file is a small big-endian header followed by the raw array::

    bytes 0-1   0x00 0x00        (the "magic number" starts with two zero bytes)
    byte  2     type code        0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     ndim             1 for labels, 3 for images
    4 * ndim    sizes            one big-endian uint32 per dimension: 60000, 28, 28
    the rest    the values       row-major, big-endian, exactly prod(sizes) of them

so a label file's magic number reads 2049 (0x00000801) and an image file's 2051 (0x00000803).
The files are usually published gzip-compressed; ``read_idx`` recognises gzip by its own magic
bytes (1f 8b), not by the file name.

Hand-written tooling: chapter 07 (notebooks/07_mnist.ipynb) takes the format apart with a small
parser of its own, then uses this one through ``teachkeras.datasets.mnist.load_data``.

>>> import numpy as np
>>> labels = np.array([5, 0, 4], dtype="uint8")
>>> data = idx_bytes(labels)
>>> data[:4].hex(), data[4:8].hex()
('00000801', '00000003')
>>> parse_idx(data, "example").tolist()
[5, 0, 4]
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["IDXFormatError", "describe_magic", "idx_bytes", "parse_idx", "read_idx", "read_idx_bytes"]

# type code -> big-endian numpy dtype
IDX_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file; the message names the file and what is wrong."""


def read_idx_bytes(path) -> bytes:
    """The IDX bytes of the file at ``path``, decompressed when the file is gzipped."""
    path = os.fspath(path)
    with open(path, "rb") as file:
        data = file.read()
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except EOFError:
        raise IDXFormatError(
            f"{path}: the gzip stream ends early ({len(data)} compressed bytes); the file is truncated. "
            "Delete it and download it again."
        ) from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise IDXFormatError(f"{path}: not a valid gzip file ({error}). Delete it and download it again.") from None


MNIST_ROLES = {0x0801: "a labels file", 0x0803: "an images file"}  # idx1 ubyte, idx3 ubyte


def describe_magic(magic: int) -> str:
    """What an IDX magic number announces: 'an idx3 images file', 'an idx2 int32 file'."""
    type_code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    if magic >> 16 != 0 or type_code not in IDX_TYPES or ndim == 0:
        return "not an IDX header"
    if magic in MNIST_ROLES:
        return f"an idx{ndim} {MNIST_ROLES[magic].split()[-2]} file"
    return f"an idx{ndim} {IDX_TYPES[type_code].name} file"


def parse_idx(data: bytes, source: str = "<bytes>", expected_magic: int | None = None) -> np.ndarray:
    """The array stored in IDX ``data``; ``source`` names the file in error messages.

    ``expected_magic`` (2049 for a labels file, 2051 for an images file) is checked before
    anything else, so a file in the wrong role is named as such rather than as truncated.
    The result is a writable array in native byte order (uint8 for MNIST).
    """
    if len(data) < 4:
        raise IDXFormatError(f"{source}: {len(data)} bytes is too short for an IDX file (the header alone is 4 + 4*ndim bytes)")
    zero, type_code, ndim = int.from_bytes(data[0:2], "big"), data[2], data[3]
    magic = int.from_bytes(data[0:4], "big")
    if expected_magic is not None and magic != expected_magic:
        wanted = MNIST_ROLES.get(expected_magic) or describe_magic(expected_magic)
        raise IDXFormatError(
            f"{source}: wrong magic number {magic} ({describe_magic(magic)}), expected {expected_magic} for {wanted}"
        )
    if zero != 0 or type_code not in IDX_TYPES or ndim == 0:
        raise IDXFormatError(
            f"{source}: wrong magic number {magic} (0x{magic:08x}); an IDX file starts with two zero bytes, "
            f"a type code in {{{', '.join(f'0x{code:02x}' for code in IDX_TYPES)}}} and a non-zero ndim "
            "(MNIST labels: 2049, images: 2051). Is this an IDX file?"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(
            f"{source}: the header announces {ndim} dimensions ({header_size} header bytes) but the file has "
            f"only {len(data)} bytes; the file is truncated"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * axis : 8 + 4 * axis], "big") for axis in range(ndim))
    dtype = IDX_TYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header_size
    if found != expected:
        problem = "the file is truncated" if found < expected else "the file has extra bytes at the end"
        raise IDXFormatError(
            f"{source}: the header announces shape {shape} of {dtype.name} ({expected} bytes after the "
            f"{header_size}-byte header) but {found} bytes follow; {problem}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def read_idx(path, expected_magic: int | None = None) -> np.ndarray:
    """The array in the IDX file at ``path`` (gzipped or not); ``expected_magic`` as in ``parse_idx``."""
    return parse_idx(read_idx_bytes(path), os.fspath(path), expected_magic)


def idx_bytes(array) -> bytes:
    """``array`` encoded as an IDX file (uncompressed): the inverse of ``parse_idx``."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"idx_bytes: dtype must be one of {sorted(d.name for d in codes)}, received {array.dtype}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"idx_bytes: expected an array with 1 to 255 dimensions, received shape {array.shape}")
    header = bytes([0, 0, codes[native], array.ndim])
    header += b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    big_endian = IDX_TYPES[codes[native]]
    return header + np.ascontiguousarray(array, dtype=big_endian).tobytes()
