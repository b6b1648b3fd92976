"""MNIST handwritten digits, loaded as ``keras.datasets.mnist.load_data()`` loads them.

60,000 training and 10,000 test images of 28x28 grey levels (uint8, 0 = background) with their
digit labels 0-9 (uint8). MNIST is by Yann LeCun, Corinna Cortes and Christopher Burges, derived
from NIST's special databases, licensed CC BY-SA 3.0.

Keras downloads one ``mnist.npz``; teachkeras reads the four IDX files that MNIST is published
as, so the chapter can show the format and anyone can check the files by their sha256
(``datasets/README.md``). Where they are looked for and downloaded from: ``files``.

Hand-written tooling; chapter 07 (notebooks/07_mnist.ipynb) uses it.
"""

from __future__ import annotations

from teachkeras.datasets.files import DatasetFile, DatasetSpec, load_dataset

__all__ = ["MIRRORS", "SPEC", "load_data"]

# The public mirrors torchvision and TensorFlow use for the IDX files, then the original site.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

SPEC = DatasetSpec(
    title="MNIST",
    folder="mnist",
    files=(
        DatasetFile("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        DatasetFile("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        DatasetFile("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        DatasetFile("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ),
    mirrors=MIRRORS,
    keras_name="mnist.npz",
)


def load_data(path=None):
    """Load MNIST: ``(x_train, y_train), (x_test, y_test)``.

    Returns:
        ``x_train`` uint8 (60000, 28, 28), ``y_train`` uint8 (60000,),
        ``x_test`` uint8 (10000, 28, 28), ``y_test`` uint8 (10000,).

    Args:
        path: None (default) searches ``$TEACHKERAS_DATASETS/mnist``, the repository's
            ``datasets/mnist``, ``~/.teachkeras/datasets/mnist`` and ``/usr/share/datasets/mnist``,
            then downloads what is missing (verified, cached). A folder: read the IDX files
            there and nowhere else. A ``.npz`` file: Keras' own cache file, read without
            pickle and verified. A bare name that does not exist here is looked up in Keras'
            cache (``~/.keras/datasets/<name>``), so Keras' default ``path="mnist.npz"`` reads the
            file Keras downloaded; when Keras has none, ``"mnist.npz"`` means the default search.

    Raises:
        IDXFormatError: a file is truncated, is not IDX, or has the wrong magic number for its
            role (labels 2049, images 2051); the message names it.
        ChecksumError: a file's decompressed sha256 is not MNIST's; the message says what to do,
            which depends on where the file came from.
        ValueError: a ``.npz`` given as path is not a readable Keras dataset file.
        FileNotFoundError: path names nothing, here or in Keras' cache.
        DatasetUnavailableError: a file is nowhere and no mirror could serve it; the message
            lists where it looked, what each mirror answered, and where to put the files.
    """
    return load_dataset(SPEC, path=path)
