"""Flatten, Reshape, ZeroPadding1D/2D/3D and Cropping1D/2D/3D: shapes, gradients, Keras parity."""

import numpy as np
import pytest

from teachkeras import layers
from teachkeras.backend import clear_session, to_numpy
from teachkeras.layers.reshaping import normalize_pairs
from teachkeras.testing import check_gradients, check_torch_autograd


@pytest.fixture(autouse=True)
def fresh_names():
    clear_session()


def random(shape, dtype="float64"):
    return np.random.default_rng(0).normal(size=shape).astype(dtype)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_flatten_matches_keras_feature_order(data_format, shape):
    keras = pytest.importorskip("keras")
    inputs = random(shape, "float32")
    ours = layers.Flatten(data_format=data_format)
    theirs = keras.layers.Flatten(data_format=data_format)
    np.testing.assert_array_equal(ours(inputs), to_numpy(theirs(inputs)))
    assert ours.compute_output_shape((None, *shape[1:])) == tuple(theirs.compute_output_shape((None, *shape[1:])))
    check_gradients(layers.Flatten(data_format=data_format, dtype="float64"), random(shape))


def test_flatten_of_the_notes_example():
    assert layers.Flatten()(np.zeros((2, 1, 10, 64))).shape == (2, 640)
    assert layers.Flatten().compute_output_shape((None, None, 64)) == (None, None)


@pytest.mark.parametrize("target_shape, expected", [((12,), (12,)), ((-1, 2), (6, 2)), ((3, -1), (3, 4)),
                                                     ((2, 3, 2), (2, 3, 2))])
def test_reshape(target_shape, expected):
    layer = layers.Reshape(target_shape, dtype="float64")
    inputs = random((5, 3, 4))
    outputs = layer(inputs)
    assert outputs.shape == (5, *expected)
    np.testing.assert_array_equal(outputs.reshape(5, -1), inputs.reshape(5, -1))
    assert layer.compute_output_shape((None, 3, 4)) == (None, *expected)
    check_gradients(layer, inputs)


def test_reshape_refuses_bad_targets_and_sizes():
    with pytest.raises(ValueError, match=r"target_shape must be a tuple of positive integers with at most one -1, "
                                         r"received target_shape=\(-1, -1\)"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="received target_shape=None"):
        layers.Reshape(None)
    with pytest.raises(ValueError, match=r"Reshape 'reshape.*': cannot reshape samples of shape \(3, 4\) \(12 values\) "
                                         r"to target_shape=\(5,\); received input shape \(2, 3, 4\)"):
        layers.Reshape((5,))(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"to target_shape=\(-1, 5\)"):
        layers.Reshape((-1, 5))(np.zeros((2, 3, 4)))


def test_normalize_pairs_accepts_keras_forms_and_refuses_others():
    assert normalize_pairs(2, 1, "padding", "ZeroPadding1D") == ((2, 2),)
    assert normalize_pairs((1, 3), 1, "padding", "ZeroPadding1D") == ((1, 3),)
    assert normalize_pairs((1, 3), 2, "padding", "ZeroPadding2D") == ((1, 1), (3, 3))
    assert normalize_pairs(((1, 0), (0, 2)), 2, "padding", "ZeroPadding2D") == ((1, 0), (0, 2))
    assert normalize_pairs([[1, 0], [0, 2], [3, 3]], 3, "cropping", "Cropping3D") == ((1, 0), (0, 2), (3, 3))
    for bad in [-1, (1, 2, 3), ((1, 2), 3), "1", ((1, 2, 3), (1, 2))]:
        with pytest.raises(ValueError, match="ZeroPadding2D: padding must be a non-negative integer, 2 integers"):
            normalize_pairs(bad, 2, "padding", "ZeroPadding2D")


PADDING_CASES = [
    ("ZeroPadding1D", dict(padding=2), (2, 5, 3)),
    ("ZeroPadding1D", dict(padding=(0, 3)), (2, 5, 3)),
    ("ZeroPadding2D", dict(), (2, 4, 5, 3)),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 3)), data_format="channels_first"), (2, 3, 4, 5)),
    ("ZeroPadding3D", dict(padding=(1, 0, 2)), (1, 3, 2, 4, 2)),
    ("Cropping1D", dict(), (2, 5, 3)),
    ("Cropping1D", dict(cropping=(0, 3)), (2, 5, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 4, 5, 3)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 3, 4, 5)),
    ("Cropping3D", dict(), (1, 3, 4, 5, 2)),
]


@pytest.mark.parametrize("name, arguments, shape", PADDING_CASES, ids=lambda value: str(value))
def test_padding_and_cropping_match_keras(name, arguments, shape):
    ours = getattr(layers, name)(**arguments, dtype="float64")
    inputs = random(shape)
    outputs = ours(inputs)
    assert ours.compute_output_shape(shape) == outputs.shape
    check_gradients(getattr(layers, name)(**arguments, dtype="float64"), inputs)
    torch = pytest.importorskip("torch")
    check_torch_autograd(getattr(layers, name)(**arguments, dtype="float64"), inputs)
    assert isinstance(ours(torch.as_tensor(inputs)), torch.Tensor)
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, name)(**arguments)
    np.testing.assert_array_equal(outputs.astype("float32"), to_numpy(theirs(inputs.astype("float32"))))
    config = ours.get_config()
    assert type(ours).from_config(config).get_config() == config
    assert {key for key in config if key not in ("name", "trainable", "dtype")} == \
        {key for key in theirs.get_config() if key not in ("name", "trainable", "dtype")}


def test_cropping_everything_is_refused_with_the_layout():
    with pytest.raises(ValueError, match=r"Cropping2D 'cropping2d': cropping=\(\(2, 2\), \(0, 0\)\) removes all 4 "
                                         r"cells of the input's height; received input shape \(1, 4, 4, 1\) "
                                         r"\(batch, height, width, channels\)"):
        layers.Cropping2D(((2, 2), (0, 0)))(np.zeros((1, 4, 4, 1)))


def test_wrong_rank_names_the_layout():
    with pytest.raises(ValueError, match=r"layer 'zero_padding1d' \(ZeroPadding1D\): expected 3 dimensions "
                                         r"\(batch, steps, channels\), received shape \(2, 5\)"):
        layers.ZeroPadding1D()(np.zeros((2, 5)))
