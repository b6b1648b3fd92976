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


# Keys whose values differ on purpose: layer names are counted per library, and Keras writes its
# dtype as a DTypePolicy dict where we write the dtype's name (Keras reads both).
NOT_COMPARED = ("name", "dtype")


def same_config_value(ours, theirs):
    """Equal values, reading lists as tuples; a serialized object (initializer, activation) is the
    same when the class names agree and every argument we write has Keras' value."""
    if isinstance(ours, dict) and "class_name" in ours:
        return (isinstance(theirs, dict) and ours["class_name"] == theirs.get("class_name")
                and all(same_config_value(value, theirs.get("config", {}).get(key, object()))
                        for key, value in ours.get("config", {}).items()))
    if isinstance(ours, (list, tuple)):
        return (isinstance(theirs, (list, tuple)) and len(ours) == len(theirs)
                and all(same_config_value(one, other) for one, other in zip(ours, theirs)))
    return ours == theirs


def assert_config_matches_keras(ours, theirs):
    """Our config uses only keys Keras writes, with Keras' values, and Keras builds the same layer
    from it. (Shared with tests/test_pooling.py and tests/test_conv.py.)"""
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) <= set(theirs_config), f"keys Keras does not know: {set(ours_config) - set(theirs_config)}"
    for key, value in ours_config.items():
        if key not in NOT_COMPARED:
            assert same_config_value(value, theirs_config[key]), f"{key}: ours {value!r}, Keras {theirs_config[key]!r}"
    rebuilt_layer = type(theirs).from_config(ours_config)
    rebuilt = rebuilt_layer.get_config()
    for key, value in theirs_config.items():
        if key not in NOT_COMPARED:
            assert same_config_value(rebuilt[key], value), f"{key} after Keras.from_config(ours): {rebuilt[key]!r}"
    assert rebuilt_layer.dtype == ours_config["dtype"]


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
    assert set(config) == set(theirs.get_config())
    assert_config_matches_keras(ours, theirs)


@pytest.mark.parametrize("name, arguments, written", [
    ("ZeroPadding1D", dict(padding=(0, 3)), (0, 3)),
    ("ZeroPadding1D", dict(padding=2), (2, 2)),
    ("Cropping1D", dict(cropping=(2, 1)), (2, 1)),
    ("ZeroPadding2D", dict(padding=(1, 2)), ((1, 1), (2, 2))),
    ("Cropping3D", dict(cropping=1), ((1, 1), (1, 1), (1, 1))),
])
def test_padding_and_cropping_configs_are_written_as_keras_writes_them(name, arguments, written):
    config = getattr(layers, name)(**arguments).get_config()
    key = "padding" if "padding" in config else "cropping"
    assert config[key] == written   # 1-D: one (before, after) pair, not a tuple of one pair
    assert getattr(layers, name).from_config(config).get_config() == config


def test_flatten_and_reshape_configs_match_keras():
    keras = pytest.importorskip("keras")
    for ours, theirs in [(layers.Flatten(data_format="channels_first"), keras.layers.Flatten(data_format="channels_first")),
                         (layers.Reshape((4, -1)), keras.layers.Reshape((4, -1)))]:
        assert_config_matches_keras(ours, theirs)


def test_cropping_everything_is_refused_with_the_layout():
    with pytest.raises(ValueError, match=r"Cropping2D 'cropping2d': cropping=\(\(2, 2\), \(0, 0\)\) removes all 4 "
                                         r"cells of the input's height; received input shape \(1, 4, 4, 1\) "
                                         r"\(batch, height, width, channels\)"):
        layers.Cropping2D(((2, 2), (0, 0)))(np.zeros((1, 4, 4, 1)))


def test_wrong_rank_names_the_layout():
    with pytest.raises(ValueError, match=r"layer 'zero_padding1d' \(ZeroPadding1D\): expected 3 dimensions "
                                         r"\(batch, steps, channels\), received shape \(2, 5\)"):
        layers.ZeroPadding1D()(np.zeros((2, 5)))
