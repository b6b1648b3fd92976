"""Fashion-MNIST, loaded as ``keras.datasets.fashion_mnist.load_data()`` loads it.

Zalando's article images: 60,000 training and 10,000 test images of 28x28 grey levels (uint8)
in ten classes, labels uint8:

    0 T-shirt/top  1 Trouser  2 Pullover  3 Dress  4 Coat
    5 Sandal       6 Shirt    7 Sneaker   8 Bag    9 Ankle boot

A drop-in replacement for MNIST that is harder to classify. By Han Xiao, Kashif Rasul and
Roland Vollgraf (Zalando Research), MIT licence. Where the files are looked for and downloaded
from: ``files``.

Hand-written tooling; chapter 07 (notebooks/07_mnist.ipynb) uses it.
"""

from __future__ import annotations

from teachkeras.datasets.files import DatasetFile, DatasetSpec, load_dataset

__all__ = ["CLASS_NAMES", "MIRRORS", "SPEC", "load_data"]

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

# Keras' mirror, then Zalando's own (the one torchvision uses).
MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)

SPEC = DatasetSpec(
    title="Fashion-MNIST",
    folder="fashion-mnist",
    files=(
        DatasetFile("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        DatasetFile("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        DatasetFile("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        DatasetFile("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ),
    mirrors=MIRRORS,
    keras_name="fashion-mnist",  # Keras keeps the four .gz files in ~/.keras/datasets/fashion-mnist/
)


def load_data(path=None):
    """Load Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)``.

    Returns:
        ``x_train`` uint8 (60000, 28, 28), ``y_train`` uint8 (60000,),
        ``x_test`` uint8 (10000, 28, 28), ``y_test`` uint8 (10000,).

    Args:
        path: None (default, and Keras' only behaviour) searches ``$TEACHKERAS_DATASETS/fashion-mnist``,
            the repository's ``datasets/fashion-mnist``, ``~/.teachkeras/datasets/fashion-mnist`` and
            ``/usr/share/datasets/fashion-mnist``, then downloads what is missing (verified, cached).
            A folder: read the IDX files there and nowhere else. A bare name that does not
            exist here is looked up in Keras' cache: ``path="fashion-mnist"`` reads the folder
            Keras downloaded the files into, or, when Keras has none, uses the default search.

    Raises:
        IDXFormatError, ChecksumError, DatasetUnavailableError: as ``mnist.load_data``.
    """
    return load_dataset(SPEC, path=path)
