"""Pooling layers, table-driven: rank x max/average x pool size x strides x padding x data format.

Checked against the loop oracle (``pool_loop``), finite differences (float64), torch autograd,
numpy/torch parity, Keras 3 with the same input, and torch.nn.functional pooling.
"""

import itertools

import numpy as np
import pytest

from teachkeras import layers
from teachkeras.backend import clear_session, to_numpy
from teachkeras.layers.conv_loops import pool_loop
from teachkeras.layers.conv_shapes import padding_amounts
from teachkeras.testing import check_backend_parity, check_gradients, check_torch_autograd
from test_reshaping import assert_config_matches_keras

SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 6, 4)}
POOL = {1: (3,), 2: (3, 2), 3: (2, 3, 2)}
# Pool sizes per rank for the table: the second 1-D size needs 'same' padding of one cell before
# and two after (unequal), the case in which Keras' torch backend counts padded cells.
POOLS = {1: [(3,), (4,)], 2: [(3, 2)], 3: [(2, 3, 2)]}
MODES = {"max": "MaxPooling", "average": "AveragePooling"}


def pool_configs():
    for rank, mode, strides, padding, data_format in itertools.product(
        (1, 2, 3), ("max", "average"), (None, 1, 2), ("valid", "same"), ("channels_last", "channels_first")
    ):
        for pool_size in POOLS[rank]:
            size = "x".join(str(one) for one in pool_size)
            yield pytest.param(rank, pool_size, mode, strides, padding, data_format,
                               id=f"{rank}d-p{size}-{mode}-s{strides}-{padding}-{data_format}")


def make_pool(rank, mode, strides, padding, data_format, pool_size=None, **kwargs):
    return getattr(layers, f"{MODES[mode]}{rank}D")(pool_size or POOL[rank], strides=strides, padding=padding,
                                                    data_format=data_format, **kwargs)


def inputs_for(rank, data_format, dtype="float64", seed=0, channels=3):
    spatial = SPATIAL[rank]
    shape = (2, *spatial, channels) if data_format == "channels_last" else (2, channels, *spatial)
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def channels_last(array, data_format):
    return array if data_format == "channels_last" else np.moveaxis(array, 1, -1)


@pytest.fixture(autouse=True)
def fresh_names():
    clear_session()


@pytest.mark.parametrize("rank, pool_size, mode, strides, padding, data_format", list(pool_configs()))
def test_pooling_matches_the_loop_oracle_and_its_output_shape(rank, pool_size, mode, strides, padding, data_format):
    layer = make_pool(rank, mode, strides, padding, data_format, pool_size, dtype="float64")
    inputs = inputs_for(rank, data_format)
    outputs = layer(inputs)
    expected = pool_loop(channels_last(inputs, data_format), pool_size, strides, padding, mode)
    np.testing.assert_allclose(channels_last(outputs, data_format), expected, rtol=1e-12, atol=1e-12)
    assert layer.compute_output_shape(inputs.shape) == outputs.shape


@pytest.mark.parametrize("rank, pool_size, mode, strides, padding, data_format", list(pool_configs()))
def test_pooling_backward_matches_finite_differences_and_torch(rank, pool_size, mode, strides, padding, data_format):
    inputs = inputs_for(rank, data_format)
    check_gradients(make_pool(rank, mode, strides, padding, data_format, pool_size, dtype="float64"), inputs)
    pytest.importorskip("torch")
    check_torch_autograd(make_pool(rank, mode, strides, padding, data_format, pool_size, dtype="float64"), inputs)
    check_backend_parity(lambda: make_pool(rank, mode, strides, padding, data_format, pool_size), inputs)


@pytest.mark.parametrize("rank, pool_size, mode, strides, padding, data_format", list(pool_configs()))
def test_pooling_matches_keras(rank, pool_size, mode, strides, padding, data_format):
    keras = pytest.importorskip("keras")
    ours = make_pool(rank, mode, strides, padding, data_format, pool_size)
    theirs = getattr(keras.layers, f"{MODES[mode]}{rank}D")(pool_size, strides=strides, padding=padding,
                                                            data_format=data_format)
    assert_config_matches_keras(ours, theirs)
    inputs = inputs_for(rank, data_format, dtype="float32")
    paddings = [padding_amounts(length, size, padding, strides or size)
                for length, size in zip(SPATIAL[rank], pool_size)]
    ours_outputs = channels_last(ours(inputs), data_format)
    theirs_outputs = channels_last(to_numpy(theirs(inputs)), data_format)
    compared = np.ones(ours_outputs.shape[1:-1], dtype=bool)
    if mode == "average" and any(before != after for before, after in paddings):
        # Keras documents 'same' averages over the real cells only (its TensorFlow backend computes
        # that; the loop oracle above checks ours against it). Its torch backend pads unequal sides
        # by hand and counts the padded cells (keras-team/keras#18452), so where a window touches
        # padding we test against the rule, not against that bug: compare with Keras only in the
        # windows that touch no padding.
        for axis, (length, size, (before, _)) in enumerate(zip(SPATIAL[rank], pool_size, paddings)):
            starts = np.arange(ours_outputs.shape[1 + axis]) * (strides or size) - before
            fits = (starts >= 0) & (starts + size <= length)
            compared &= fits.reshape([-1 if one == axis else 1 for one in range(rank)])
        assert compared.any(), "the configuration should leave some windows inside the input"
    assert ours_outputs.shape == theirs_outputs.shape
    np.testing.assert_allclose(ours_outputs[:, compared], theirs_outputs[:, compared], rtol=1e-6, atol=1e-6)
    unknown_batch = (None, *inputs.shape[1:])
    assert ours.compute_output_shape(unknown_batch) == tuple(theirs.compute_output_shape(unknown_batch))


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("mode", ["max", "average"])
def test_valid_pooling_matches_torch_functional(rank, mode):
    torch = pytest.importorskip("torch")
    layer = make_pool(rank, mode, None, "valid", "channels_first", dtype="float64")
    inputs = inputs_for(rank, "channels_first")
    function = getattr(torch.nn.functional, f"{'max' if mode == 'max' else 'avg'}_pool{rank}d")
    expected = function(torch.as_tensor(inputs), POOL[rank])
    np.testing.assert_allclose(layer(inputs), expected.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pooling_gradient_goes_to_one_winner_on_ties():
    layer = layers.MaxPooling1D(2)
    layer(np.array([[[1.0], [1.0], [0.0], [2.0]]]))
    grad = layer.backward(np.array([[[10.0], [20.0]]]))
    assert grad[0, :, 0].tolist() == [10.0, 0.0, 0.0, 20.0]


def first_winner_gradient(inputs, pool_size, strides, padding, grad):
    """The max pooling input gradient found by comparison, channels_last: each output's gradient
    goes to the first cell of its window (in C order of the taps) that equals the window's max.
    The layer finds the winners in its forward pass instead; this is the rule it must match."""
    rank = inputs.ndim - 2
    strides = strides or pool_size
    paddings = [padding_amounts(length, size, padding, stride)
                for length, size, stride in zip(inputs.shape[1:-1], pool_size, strides)]
    padded = np.pad(inputs, [(0, 0), *paddings, (0, 0)], constant_values=-np.inf)
    result = np.zeros_like(padded)
    for index in np.ndindex(*grad.shape[:-1]):
        batch, position = index[0], index[1:]
        corner = [place * stride for place, stride in zip(position, strides)]
        window = tuple(slice(start, start + size) for start, size in zip(corner, pool_size))
        cells = padded[(batch, *window)].reshape(-1, inputs.shape[-1])         # (taps, channels)
        first = np.argmax(cells == cells.max(axis=0), axis=0)                  # first tap at the max
        for channel, tap in enumerate(first):
            offset = np.unravel_index(tap, pool_size)
            cell = tuple(start + step for start, step in zip(corner, offset))
            result[(batch, *cell, channel)] += grad[(*index, channel)]
    inner = tuple(slice(before, before + length) for (before, _), length in zip(paddings, inputs.shape[1:-1]))
    return result[(slice(None), *inner, slice(None))]


@pytest.mark.parametrize("rank, pool_size, strides, padding", [
    (1, (2,), None, "valid"), (1, (3,), 1, "same"), (2, (2, 2), None, "valid"), (2, (3, 2), 1, "same"),
    (2, (2, 2), 1, "valid"), (3, (2, 3, 2), 2, "same"),
])
def test_max_pooling_gradient_matches_the_first_winner_rule_with_many_ties(rank, pool_size, strides, padding):
    rng = np.random.default_rng(1)
    # ReLU-like inputs: many exact zeros, so most windows have tied maxima; small integers add more ties.
    inputs = np.maximum(rng.integers(-3, 3, size=(2, *SPATIAL[rank], 4)), 0).astype("float32")
    layer = getattr(layers, f"MaxPooling{rank}D")(pool_size, strides=strides, padding=padding)
    outputs = layer(inputs)
    grad = rng.integers(1, 100, size=outputs.shape).astype("float32")  # integers: sums are exact in any order
    expected = first_winner_gradient(inputs, pool_size, layer.strides, padding, grad)
    np.testing.assert_array_equal(layer.backward(grad), expected)
    assert layer.winning_tap.dtype == np.uint8 and layer.winning_tap.shape == outputs.shape


@pytest.mark.parametrize("spatial, pool_size, strides, padding", [
    ((8, 6), (2, 2), None, "valid"),      # the windows tile the input: the gradient starts from empty memory
    ((7, 6), (2, 2), None, "valid"),      # the last row is in no window: it must get zeros
    ((7, 6), (2, 2), None, "same"),       # padded to (8, 6): tiled again, the padding cropped off
    ((8, 6), (2, 2), (3, 2), "valid"),    # strides larger than the window: gaps between windows
    ((6, 9), (3, 3), None, "valid"), ((26, 26), (2, 2), None, "valid"), ((11, 11), (2, 2), None, "valid"),
])
def test_max_pooling_gradient_is_exact_whether_or_not_the_windows_tile_the_input(spatial, pool_size, strides,
                                                                                  padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    inputs = np.maximum(rng.integers(-3, 3, size=(3, *spatial, 5)), 0).astype("float32")
    for make_array in (np.asarray, torch.from_numpy):
        for _ in range(2):  # the second backward reuses freed memory: leftovers there must not leak in
            layer = layers.MaxPooling2D(pool_size, strides=strides, padding=padding)
            outputs = to_numpy(layer(make_array(inputs)))
            grad = rng.integers(1, 100, size=outputs.shape).astype("float32")
            expected = first_winner_gradient(inputs, pool_size, layer.strides, padding, grad)
            np.testing.assert_array_equal(to_numpy(layer.backward(make_array(grad))), expected)


def test_max_pooling_with_more_taps_than_a_byte_counts():
    layer = layers.MaxPooling2D((17, 17))                              # 289 taps: not numbered in a byte
    inputs = np.zeros((1, 17, 17, 1), dtype="float32")
    inputs[0, 16, 16, 0] = 1.0                                         # the last tap, number 288, wins
    layer(inputs)
    grad = layer.backward(np.ones((1, 1, 1, 1), dtype="float32"))
    assert layer.winning_tap.dtype == np.int32 and int(layer.winning_tap[0, 0, 0, 0]) == 288
    assert grad[0, 16, 16, 0] == 1.0 and grad.sum() == 1.0


def test_average_pooling_same_excludes_padding():
    layer = layers.AveragePooling2D(2, strides=1, padding="same")
    outputs = layer(np.ones((1, 3, 3, 1), dtype="float32"))
    np.testing.assert_array_equal(outputs, np.ones((1, 3, 3, 1)))


def test_max_pooling_defaults_follow_keras():
    assert layers.MaxPooling2D().pool_size == (2, 2) and layers.MaxPooling2D().strides == (2, 2)
    assert layers.MaxPooling1D().pool_size == (2,)
    assert layers.MaxPooling3D(strides=1).strides == (1, 1, 1)
    with pytest.raises(TypeError):
        layers.AveragePooling2D()  # Keras requires pool_size for average pooling
    config = layers.MaxPooling2D(3, padding="same").get_config()
    assert layers.MaxPooling2D.from_config(config).get_config() == config


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("mode", ["Max", "Average"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(rank, mode, data_format, keepdims):
    make = getattr(layers, f"Global{mode}Pooling{rank}D")
    inputs = inputs_for(rank, data_format)
    layer = make(data_format=data_format, keepdims=keepdims, dtype="float64")
    outputs = layer(inputs)
    axes = tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))
    expected = (np.max if mode == "Max" else np.mean)(inputs, axis=axes, keepdims=keepdims)
    np.testing.assert_allclose(outputs, expected, rtol=1e-12)
    assert layer.compute_output_shape(inputs.shape) == outputs.shape
    check_gradients(make(data_format=data_format, keepdims=keepdims, dtype="float64"), inputs)
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, f"Global{mode}Pooling{rank}D")(data_format=data_format, keepdims=keepdims)
    assert_config_matches_keras(layer, theirs)
    np.testing.assert_allclose(layer(inputs.astype("float32")), to_numpy(theirs(inputs.astype("float32"))),
                               rtol=1e-5, atol=1e-6)
    check_torch_autograd(make(data_format=data_format, keepdims=keepdims, dtype="float64"), inputs)


def test_global_max_pooling_shares_the_gradient_between_tied_maxima():
    layer = layers.GlobalMaxPooling1D()
    layer(np.array([[[3.0], [1.0], [3.0]]]))
    assert layer.backward(np.array([[1.0]]))[0, :, 0].tolist() == [0.5, 0.0, 0.5]


def test_pool_larger_than_the_input_is_refused():
    layer = layers.MaxPooling1D(pool_size=2)
    with pytest.raises(ValueError, match=r"MaxPooling1D 'max_pooling1d': pool_size=\(2,\) is larger than the "
                                         r"input's steps \(1\) with padding='valid'; received input shape "
                                         r"\(4, 1, 64\) \(batch, steps, channels\)"):
        layer(np.zeros((4, 1, 64)))
    with pytest.raises(ValueError, match=r"larger than the input's width \(2\)"):
        layers.AveragePooling2D((2, 3)).compute_output_shape((None, 5, 2, 1))
    assert layers.MaxPooling1D(2, padding="same")(np.ones((4, 1, 64))).shape == (4, 1, 64)


@pytest.mark.parametrize("layer, shape, words", [
    (lambda: layers.MaxPooling1D(), (4, 8), r"expected 3 dimensions \(batch, steps, channels\), received shape \(4, 8\)"),
    (lambda: layers.MaxPooling2D(), (4, 8, 8), r"expected 4 dimensions \(batch, height, width, channels\)"),
    (lambda: layers.AveragePooling3D(2), (4, 8, 8, 1), r"expected 5 dimensions \(batch, depth, height, width, channels\)"),
    (lambda: layers.GlobalAveragePooling2D(data_format="channels_first"), (4, 8, 8),
     r"expected 4 dimensions \(batch, channels, height, width\)"),
])
def test_wrong_input_rank_names_the_expected_layout(layer, shape, words):
    layer = layer()
    with pytest.raises(ValueError, match=rf"layer {layer.name!r} \({type(layer).__name__}\): {words}"):
        layer(np.zeros(shape))


def test_bad_pooling_arguments_are_named():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'max_pooling2d': pool_size must be an integer or a tuple "
                                         r"of 2 integers, received pool_size=\(2, 2, 2\)"):
        layers.MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="strides must be >= 1"):
        layers.MaxPooling1D(2, strides=0)
    with pytest.raises(ValueError, match=r"padding must be one of \['valid', 'same'\], received padding='causal'"):
        layers.MaxPooling1D(2, padding="causal")


def test_keras_short_names_are_the_same_layers():
    keras = pytest.importorskip("keras")
    for short in ["MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D",
                  "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
                  "Convolution1D", "Convolution2D", "Convolution3D", "Convolution1DTranspose",
                  "Convolution2DTranspose", "Convolution3DTranspose"]:
        theirs = getattr(keras.layers, short)
        assert getattr(layers, short).__name__ == theirs.__name__, short
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.Convolution2D is layers.Conv2D
