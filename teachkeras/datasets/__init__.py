"""Datasets, as in ``keras.datasets``: ``mnist.load_data()``, ``fashion_mnist.load_data()``.

Importing this package reads no file and touches no network; ``load_data`` finds the IDX files
locally or downloads them (see ``teachkeras.datasets.files`` for the search order, the mirrors
and the cache). Hand-written tooling, used by chapter 07 (notebooks/07_mnist.ipynb).
"""

from teachkeras.datasets import fashion_mnist, mnist
from teachkeras.datasets.files import ChecksumError, DatasetUnavailableError
from teachkeras.datasets.idx import IDXFormatError

__all__ = ["ChecksumError", "DatasetUnavailableError", "IDXFormatError", "fashion_mnist", "mnist"]
