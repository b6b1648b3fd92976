"""Convolution layers, table-driven: every rank x padding x stride x dilation x data format.

Each configuration is checked against the loop oracle (``teachkeras.layers.conv_loops``),
finite differences in float64, torch autograd and numpy/torch parity, and against
``torch.nn.functional.conv1d/2d/3d`` and Keras 3 layers given the same weights.
"""

import itertools
import math

import numpy as np
import pytest

import teachkeras as tk

from teachkeras import layers
from teachkeras.backend import clear_session, to_numpy
from teachkeras.layers.conv_loops import conv_loop, conv_transpose_loop
from teachkeras.layers.conv_shapes import padding_amounts, transpose_output_length
from teachkeras.layers.im2col import gather_taps, gather_windows, scatter_taps, tap_windows, window_view
from teachkeras.testing import check_backend_parity, check_gradients, check_torch_autograd
from test_reshaping import assert_config_matches_keras

CONV = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}
TRANSPOSE = {1: layers.Conv1DTranspose, 2: layers.Conv2DTranspose, 3: layers.Conv3DTranspose}
# Odd and even sizes, different per axis, so that a swapped axis or a lost cell shows up.
SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 6, 4)}
KERNEL = {1: (3,), 2: (3, 2), 3: (2, 3, 2)}
SMALL_SPATIAL = {1: (4,), 2: (3, 4), 3: (2, 3, 2)}  # transposes grow their input


def conv_configs():
    for rank, data_format, stride, dilation in itertools.product(
        (1, 2, 3), ("channels_last", "channels_first"), (1, 2), (1, 2)
    ):
        if stride > 1 and dilation > 1:
            continue
        paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        for padding in paddings:
            yield pytest.param(rank, padding, stride, dilation, data_format,
                               id=f"{rank}d-{padding}-s{stride}-d{dilation}-{data_format}")


def transpose_configs():
    for rank, data_format, stride, dilation, padding in itertools.product(
        (1, 2, 3), ("channels_last", "channels_first"), (1, 2, 3), (1, 2), ("valid", "same")
    ):
        if stride > 1 and dilation > 1:
            continue
        yield pytest.param(rank, padding, stride, dilation, data_format,
                           id=f"{rank}d-{padding}-s{stride}-d{dilation}-{data_format}")


def inputs_for(rank, data_format, spatial, channels=2, batch=2, dtype="float64", seed=0):
    shape = (batch, *spatial, channels) if data_format == "channels_last" else (batch, channels, *spatial)
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def channels_last(array, data_format):
    return array if data_format == "channels_last" else np.moveaxis(array, 1, -1)


def make_conv(rank, padding, stride, dilation, data_format, **kwargs):
    return CONV[rank](3, KERNEL[rank], strides=stride, padding=padding, dilation_rate=dilation,
                      data_format=data_format, bias_initializer="random_normal", **kwargs)


def make_transpose(rank, padding, stride, dilation, data_format, **kwargs):
    return TRANSPOSE[rank](3, KERNEL[rank], strides=stride, padding=padding, dilation_rate=dilation,
                           data_format=data_format, bias_initializer="random_normal", **kwargs)


@pytest.fixture(autouse=True)
def fresh_names():
    clear_session()


# ---------------------------------------------------------------- convolution


@pytest.mark.parametrize("rank, padding, stride, dilation, data_format", list(conv_configs()))
def test_conv_matches_the_loop_oracle_and_its_output_shape(rank, padding, stride, dilation, data_format):
    layer = make_conv(rank, padding, stride, dilation, data_format, dtype="float64")
    inputs = inputs_for(rank, data_format, SPATIAL[rank])
    outputs = layer(inputs)
    expected = conv_loop(channels_last(inputs, data_format), layer.kernel.value, layer.bias.value,
                         stride, padding, dilation)
    np.testing.assert_allclose(channels_last(outputs, data_format), expected, rtol=1e-12, atol=1e-12)
    assert layer.compute_output_shape(inputs.shape) == outputs.shape


@pytest.mark.parametrize("rank, padding, stride, dilation, data_format", list(conv_configs()))
def test_conv_backward_matches_finite_differences_and_torch(rank, padding, stride, dilation, data_format):
    inputs = inputs_for(rank, data_format, SPATIAL[rank])
    check_gradients(make_conv(rank, padding, stride, dilation, data_format, dtype="float64"), inputs)
    pytest.importorskip("torch")
    check_torch_autograd(make_conv(rank, padding, stride, dilation, data_format, dtype="float64"), inputs)
    check_backend_parity(lambda: make_conv(rank, padding, stride, dilation, data_format), inputs)


@pytest.mark.parametrize("rank, padding, stride, dilation, data_format", list(conv_configs()))
def test_conv_matches_torch_functional_conv(rank, padding, stride, dilation, data_format):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    layer = make_conv(rank, padding, stride, dilation, data_format, dtype="float64")
    inputs = inputs_for(rank, data_format, SPATIAL[rank])
    outputs = channels_last(layer(inputs), data_format)
    paddings = [padding_amounts(length, size, padding, stride, dilation)
                for length, size in zip(SPATIAL[rank], KERNEL[rank])]
    torch_inputs = torch.as_tensor(np.moveaxis(channels_last(inputs, data_format), -1, 1))
    torch_inputs = functional.pad(torch_inputs, [amount for pair in reversed(paddings) for amount in pair])
    weight = torch.as_tensor(np.moveaxis(layer.kernel.value, (-2, -1), (1, 0)))   # (out, in, *kernel)
    convolve = {1: functional.conv1d, 2: functional.conv2d, 3: functional.conv3d}[rank]
    expected = convolve(torch_inputs, weight, torch.as_tensor(layer.bias.value), stride=stride, dilation=dilation)
    np.testing.assert_allclose(outputs, np.moveaxis(expected.numpy(), 1, -1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rank, padding, stride, dilation, data_format", list(conv_configs()))
def test_conv_matches_keras_with_the_same_weights(rank, padding, stride, dilation, data_format):
    keras = pytest.importorskip("keras")
    ours = make_conv(rank, padding, stride, dilation, data_format, activation="tanh")
    theirs = getattr(keras.layers, f"Conv{rank}D")(3, KERNEL[rank], strides=stride, padding=padding,
                                                   dilation_rate=dilation, data_format=data_format,
                                                   activation="tanh", bias_initializer="random_normal")
    inputs = inputs_for(rank, data_format, SPATIAL[rank], dtype="float32")
    outputs = ours(inputs)
    theirs.build(inputs.shape)
    theirs.set_weights(ours.get_weights())
    assert_config_matches_keras(ours, theirs)
    np.testing.assert_allclose(outputs, to_numpy(theirs(inputs)), rtol=1e-5, atol=1e-5)
    unknown_batch = (None, *inputs.shape[1:])
    assert ours.compute_output_shape(unknown_batch) == tuple(theirs.compute_output_shape(unknown_batch))


def test_conv1d_causal_output_never_sees_the_future():
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2, dtype="float64")
    inputs = np.random.default_rng(1).normal(size=(1, 10, 1))
    before = layer(inputs)
    later_changed = inputs.copy()
    later_changed[:, 6:] += 1.0
    after = layer(later_changed)
    np.testing.assert_array_equal(before[:, :6], after[:, :6])
    assert not np.allclose(before[:, 6:], after[:, 6:])


# ---------------------------------------------------------------- transposed convolution


@pytest.mark.parametrize("rank, padding, stride, dilation, data_format", list(transpose_configs()))
def test_transpose_matches_the_loop_oracle_and_its_output_shape(rank, padding, stride, dilation, data_format):
    layer = make_transpose(rank, padding, stride, dilation, data_format, dtype="float64")
    inputs = inputs_for(rank, data_format, SMALL_SPATIAL[rank])
    outputs = layer(inputs)
    expected = conv_transpose_loop(channels_last(inputs, data_format), layer.kernel.value, layer.bias.value,
                                   stride, padding, None, dilation)
    np.testing.assert_allclose(channels_last(outputs, data_format), expected, rtol=1e-12, atol=1e-12)
    assert layer.compute_output_shape(inputs.shape) == outputs.shape


@pytest.mark.parametrize("rank, padding, stride, dilation, data_format", list(transpose_configs()))
def test_transpose_backward_matches_finite_differences_and_torch(rank, padding, stride, dilation, data_format):
    inputs = inputs_for(rank, data_format, SMALL_SPATIAL[rank])
    check_gradients(make_transpose(rank, padding, stride, dilation, data_format, dtype="float64"), inputs)
    pytest.importorskip("torch")
    check_torch_autograd(make_transpose(rank, padding, stride, dilation, data_format, dtype="float64"), inputs)
    check_backend_parity(lambda: make_transpose(rank, padding, stride, dilation, data_format), inputs)


@pytest.mark.parametrize("rank, padding, stride, dilation, data_format", list(transpose_configs()))
def test_transpose_matches_keras_with_the_same_weights(rank, padding, stride, dilation, data_format):
    keras = pytest.importorskip("keras")
    ours = make_transpose(rank, padding, stride, dilation, data_format)
    theirs = getattr(keras.layers, f"Conv{rank}DTranspose")(3, KERNEL[rank], strides=stride, padding=padding,
                                                            dilation_rate=dilation, data_format=data_format,
                                                            bias_initializer="random_normal")
    inputs = inputs_for(rank, data_format, SMALL_SPATIAL[rank], dtype="float32")
    outputs = ours(inputs)
    theirs.build(inputs.shape)
    theirs.set_weights(ours.get_weights())
    assert_config_matches_keras(ours, theirs)
    np.testing.assert_allclose(outputs, to_numpy(theirs(inputs)), rtol=1e-5, atol=1e-5)
    unknown_batch = (None, *inputs.shape[1:])
    assert ours.compute_output_shape(unknown_batch) == tuple(theirs.compute_output_shape(unknown_batch))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_transpose_valid_matches_torch_conv_transpose(rank):
    torch = pytest.importorskip("torch")
    layer = TRANSPOSE[rank](3, KERNEL[rank], strides=2, dtype="float64", bias_initializer="random_normal")
    inputs = inputs_for(rank, "channels_last", SMALL_SPATIAL[rank])
    outputs = layer(inputs)
    weight = torch.as_tensor(np.moveaxis(layer.kernel.value, (-1, -2), (0, 1)))   # (in, out, *kernel)
    transpose = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
                 3: torch.nn.functional.conv_transpose3d}[rank]
    expected = transpose(torch.as_tensor(np.moveaxis(inputs, -1, 1)), weight, torch.as_tensor(layer.bias.value),
                         stride=2)
    np.testing.assert_allclose(outputs, np.moveaxis(expected.numpy(), 1, -1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding, output_padding", [("valid", 0), ("valid", 1), ("same", 0), ("same", 1)])
def test_transpose_output_padding_matches_oracle_and_keras_shape(padding, output_padding):
    layer = layers.Conv2DTranspose(2, (3, 4), strides=2, padding=padding, output_padding=output_padding,
                                   dtype="float64", bias_initializer="random_normal")
    inputs = inputs_for(2, "channels_last", (3, 4))
    outputs = layer(inputs)
    expected = conv_transpose_loop(inputs, layer.kernel.value, layer.bias.value, 2, padding, output_padding)
    np.testing.assert_allclose(outputs, expected, rtol=1e-12, atol=1e-12)
    check_gradients(layers.Conv2DTranspose(2, (3, 4), strides=2, padding=padding, output_padding=output_padding,
                                           dtype="float64"), inputs)
    keras = pytest.importorskip("keras")
    theirs = keras.layers.Conv2DTranspose(2, (3, 4), strides=2, padding=padding, output_padding=output_padding)
    assert layer.compute_output_shape((None, 3, 4, 2)) == tuple(theirs.compute_output_shape((None, 3, 4, 2)))


def test_transpose_is_the_adjoint_of_the_convolution():
    """<conv(x), y> == <x, conv_transpose(y)> for the same kernel: the defining property."""
    rng = np.random.default_rng(3)
    conv = layers.Conv2D(3, (3, 2), strides=2, padding="same", use_bias=False, dtype="float64")
    x = rng.normal(size=(2, 8, 6, 2))  # multiples of the stride, so the shapes go back and forth
    y_shape = conv.compute_output_shape(x.shape)
    transpose = layers.Conv2DTranspose(2, (3, 2), strides=2, padding="same", use_bias=False, dtype="float64")
    y = rng.normal(size=y_shape)
    conv(x)
    transpose(y)
    # The transpose's kernel (kh, kw, its filters, its inputs) = (3, 2, 2, 3) is laid out exactly
    # like the convolution's (kh, kw, in, out): the same array serves both.
    transpose.kernel.assign(conv.kernel.value)
    assert transpose(y).shape[1:3] == x.shape[1:3]
    np.testing.assert_allclose(np.sum(conv(x) * y), np.sum(x * transpose(y)), rtol=1e-12)


def test_transpose_length_formulas():
    assert transpose_output_length(4, 3, "valid", stride=2) == (9, 0)
    assert transpose_output_length(4, 2, "valid", stride=3) == (12, 0)   # (in - 1) * s + max(k, s)
    assert transpose_output_length(4, 3, "same", stride=2) == (8, 0)
    assert transpose_output_length(5, 4, "same", stride=1) == (5, 1)


# ---------------------------------------------------------------- arguments and bad input


def test_kernel_shapes_follow_keras():
    conv = layers.Conv2D(8, (3, 5))
    conv.build((None, 10, 10, 4))
    assert conv.kernel.shape == (3, 5, 4, 8) and conv.bias.shape == (8,)
    transpose = layers.Conv2DTranspose(8, (3, 5))
    transpose.build((None, 10, 10, 4))
    assert transpose.kernel.shape == (3, 5, 8, 4)
    assert [weight.name for weight in transpose.weights] == ["kernel", "bias"]


def test_notes_conv2d_with_a_third_positional_argument_means_strides():
    """The notes' ``Conv2D(64, 3, 3, input_shape=(3, 32, 32))`` gives (None, 1, 10, 64) in Keras 2/3."""
    layer = layers.Conv2D(64, 3, 3, input_shape=(3, 32, 32))
    assert layer.strides == (3, 3)
    assert layer.compute_output_shape((None, 3, 32, 32)) == (None, 1, 10, 64)
    assert layers.Flatten().compute_output_shape((None, 1, 10, 64)) == (None, 640)


def test_padding_is_case_insensitive_and_configs_round_trip():
    layer = layers.Conv1D(4, 3, padding="SAME", strides=2)
    assert layer.padding == "same"
    config = layer.get_config()
    assert layers.Conv1D.from_config(config).get_config() == config
    assert config["kernel_size"] == (3,) and config["strides"] == (2,)


def test_kernel_larger_than_the_input_with_valid_padding_is_refused():
    layer = layers.Conv1D(4, 5, input_shape=(3, 1))
    with pytest.raises(ValueError, match=r"Conv1D 'conv1d'.*kernel_size=\(5,\).*spans 5 cells along steps, "
                                         r"more than the input's 3.*\(2, 3, 1\) \(batch, steps, channels\)"):
        layer(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match=r"dilation_rate=\(1, 3\) spans 7 cells along width"):
        layers.Conv2D(2, 3, dilation_rate=(1, 3)).compute_output_shape((None, 8, 6, 1))
    assert layers.Conv1D(4, 5, padding="same")(np.zeros((2, 3, 1))).shape == (2, 3, 4)


def test_strides_with_dilation_is_refused():
    with pytest.raises(ValueError, match=r"Conv2D.*strides > 1 cannot be combined with dilation_rate > 1, "
                                         r"received strides=\(2, 1\) and dilation_rate=\(1, 2\)"):
        layers.Conv2D(4, 3, strides=(2, 1), dilation_rate=(1, 2))
    with pytest.raises(ValueError, match="strides > 1 cannot be combined"):
        layers.Conv1DTranspose(4, 3, strides=2, dilation_rate=2)


def test_causal_padding_is_for_conv1d_only():
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d': padding must be one of \['valid', 'same'\], "
                                         r"received padding='causal' .*Conv1D only"):
        layers.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="padding must be one of"):
        layers.Conv1DTranspose(4, 3, padding="causal")
    with pytest.raises(ValueError, match="received padding='full'"):
        layers.Conv1D(4, 3, padding="full")


@pytest.mark.parametrize("layer, shape, words", [
    (lambda: layers.Conv1D(4, 3), (2, 10), r"expected 3 dimensions \(batch, steps, channels\), received shape \(2, 10\)"),
    (lambda: layers.Conv2D(4, 3), (2, 10, 10), r"expected 4 dimensions \(batch, height, width, channels\), "
                                               r"received shape \(2, 10, 10\)"),
    (lambda: layers.Conv2D(4, 3, data_format="channels_first"), (2, 3, 10, 10, 1),
     r"expected 4 dimensions \(batch, channels, height, width\)"),
    (lambda: layers.Conv3D(4, 3), (2, 10, 10, 1), r"expected 5 dimensions \(batch, depth, height, width, channels\)"),
    (lambda: layers.Conv2DTranspose(4, 3), (2, 10, 1), r"expected 4 dimensions \(batch, height, width, channels\)"),
])
def test_wrong_input_rank_names_the_expected_layout(layer, shape, words):
    layer = layer()
    with pytest.raises(ValueError, match=rf"layer {layer.name!r} \({type(layer).__name__}\): {words}"):
        layer(np.zeros(shape))


def test_wrong_channel_count_after_build_names_both_shapes():
    layer = layers.Conv2D(4, 3)
    layer(np.zeros((1, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"'conv2d'.*axis -1 of the input to have size 3, received shape \(1, 5, 5, 2\)"):
        layer(np.zeros((1, 5, 5, 2)))


@pytest.mark.parametrize("arguments, words", [
    (dict(filters=0, kernel_size=3), "filters must be a positive integer, received filters=0"),
    (dict(filters=2.5, kernel_size=3), "filters must be a positive integer"),
    (dict(filters=2, kernel_size=(3, 3, 3)), r"kernel_size must be an integer or a tuple of 2 integers, "
                                             r"received kernel_size=\(3, 3, 3\)"),
    (dict(filters=2, kernel_size=0), "kernel_size must be >= 1"),
    (dict(filters=2, kernel_size=3, strides=0), "strides must be >= 1"),
    (dict(filters=2, kernel_size=3, data_format="NHWC"), r"data_format must be one of \['channels_last', 'channels_first'\]"),
    (dict(filters=2, kernel_size=3, activation="swishy"), "activation: unknown activation 'swishy'"),
])
def test_bad_arguments_are_named(arguments, words):
    with pytest.raises(ValueError, match=words):
        layers.Conv2D(**arguments)


def test_unsupported_and_legacy_arguments_are_not_silently_ignored():
    assert type(layers.Conv2D(2, 3, kernel_regularizer="l2").kernel_regularizer).__name__ == "L2"  # chapter 11
    with pytest.raises(TypeError, match="border_mode= is the Keras 1/2 spelling; use padding="):
        layers.Conv2D(2, 3, border_mode="same")
    with pytest.raises(TypeError, match="subsample= is the Keras 1/2 spelling; use strides="):
        layers.Conv1D(2, 3, subsample=2)


def test_output_padding_must_be_smaller_than_strides():
    with pytest.raises(ValueError, match=r"output_padding must be smaller than strides in every axis, "
                                         r"received output_padding=\(2, 2\) and strides=\(2, 2\)"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)


def test_conv_runs_on_torch_tensors_and_keeps_them():
    torch = pytest.importorskip("torch")
    layer = layers.Conv2D(4, 3, padding="same", activation="relu")
    outputs = layer(torch.zeros((2, 6, 6, 3)))
    assert isinstance(outputs, torch.Tensor) and tuple(outputs.shape) == (2, 6, 6, 4)
    assert isinstance(layer.kernel.value, torch.Tensor)
    grad = layer.backward(torch.ones_like(outputs))
    assert isinstance(grad, torch.Tensor) and isinstance(layer.kernel.grad, torch.Tensor)


@pytest.mark.parametrize("spatial, kernel_size, strides, dilation_rate", [
    ((11,), (3,), (1,), (1,)), ((11,), (3,), (2,), (1,)), ((11,), (2,), (1,), (3,)),
    ((9, 8), (3, 2), (2, 1), (1, 1)), ((9, 8), (3, 3), (1, 1), (2, 3)), ((13, 13), (3, 3), (1, 1), (1, 1)),
    ((5, 6, 4), (2, 3, 2), (1, 2, 1), (1, 1, 1)), ((6, 6, 5), (2, 2, 2), (1, 1, 1), (2, 1, 2)),
])
@pytest.mark.parametrize("channels", [1, 3, 32])
def test_gather_windows_is_gather_taps_on_numpy_and_torch(spatial, kernel_size, strides, dilation_rate, channels):
    """The fast columns (one copy of a sliding-window view) are the stacked tap slices, bit for bit."""
    torch = pytest.importorskip("torch")
    padded = np.random.default_rng(5).normal(size=(2, *spatial, channels)).astype("float32")
    output_shape = [(length - dilation * (size - 1) - 1) // stride + 1
                    for length, size, stride, dilation in zip(spatial, kernel_size, strides, dilation_rate)]
    expected = gather_taps(padded, tap_windows(kernel_size, strides, dilation_rate, output_shape))
    found = gather_windows(padded, kernel_size, strides, dilation_rate, output_shape)
    assert found.shape == expected.shape and found.flags.c_contiguous
    np.testing.assert_array_equal(found, expected)
    on_torch = gather_windows(torch.from_numpy(padded), kernel_size, strides, dilation_rate, output_shape)
    assert isinstance(on_torch, torch.Tensor)
    np.testing.assert_array_equal(on_torch.numpy(), expected)
    if channels > 1:
        view = window_view(padded, kernel_size, strides, dilation_rate, output_shape)
        assert view.shape == (2, *output_shape, channels, *kernel_size) and np.shares_memory(view, padded)


@pytest.mark.parametrize("kernel_size, strides, dilation_rate", [((3, 2), (1, 1), (1, 1)), ((2, 3), (2, 1), (1, 1)),
                                                                 ((3, 3), (1, 1), (2, 1))])
def test_scatter_taps_is_the_adjoint_of_gather_taps(kernel_size, strides, dilation_rate):
    rng = np.random.default_rng(4)
    padded = rng.normal(size=(2, 8, 7, 3))
    output_shape = [(length - dilation * (size - 1) - 1) // stride + 1
                    for length, size, stride, dilation in zip((8, 7), kernel_size, strides, dilation_rate)]
    windows = tap_windows(kernel_size, strides, dilation_rate, output_shape)
    columns = gather_taps(padded, windows)
    assert columns.shape == (2, *output_shape, len(windows), 3)
    others = rng.normal(size=columns.shape)
    np.testing.assert_allclose(np.sum(columns * others), np.sum(padded * scatter_taps(others, padded.shape, windows)),
                               rtol=1e-12)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("padding, stride, dilation", [("valid", 1, 1), ("same", 2, 1), ("same", 1, 2)])
def test_conv_with_few_input_channels_uses_the_columns_gradient_and_agrees(rank, padding, stride, dilation):
    """With taps * in_channels <= filters the input gradient goes through one matrix multiply and
    scatter_taps instead of one product per tap: check that branch the same way."""
    def make(**kwargs):
        return CONV[rank](16, KERNEL[rank], strides=stride, padding=padding, dilation_rate=dilation,
                          bias_initializer="random_normal", **kwargs)

    inputs = inputs_for(rank, "channels_last", SPATIAL[rank], channels=1)
    layer = make(dtype="float64")
    assert len(layer(inputs)[0]) and math.prod(KERNEL[rank]) * 1 <= layer.filters
    expected = conv_loop(inputs, layer.kernel.value, layer.bias.value, stride, padding, dilation)
    np.testing.assert_allclose(layer(inputs), expected, rtol=1e-12, atol=1e-12)
    check_gradients(make(dtype="float64"), inputs)
    pytest.importorskip("torch")
    check_torch_autograd(make(dtype="float64"), inputs)
    check_backend_parity(lambda: make(), inputs)


@pytest.mark.parametrize("rank, groups, data_format", [(1, 2, "channels_last"), (2, 3, "channels_first"),
                                                       (2, 6, "channels_last"), (3, 2, "channels_last")])
def test_grouped_convolution(rank, groups, data_format):
    """groups=g: filter group i sees only channel group i; checked against one loop per group,
    finite differences, torch autograd, torch.nn.functional (groups=) and Keras."""
    def make(**kwargs):
        return CONV[rank](6, KERNEL[rank], padding="same", groups=groups, data_format=data_format,
                          bias_initializer="random_normal", **kwargs)

    inputs = inputs_for(rank, data_format, SMALL_SPATIAL[rank], channels=6)
    layer = make(dtype="float64")
    outputs = channels_last(layer(inputs), data_format)
    assert layer.kernel.shape == (*KERNEL[rank], 6 // groups, 6)
    per_group = 6 // groups
    inputs_last = channels_last(inputs, data_format)
    for group in range(groups):
        part = slice(group * per_group, (group + 1) * per_group)
        expected = conv_loop(inputs_last[..., part], layer.kernel.value[..., part], layer.bias.value[part], 1, "same")
        np.testing.assert_allclose(outputs[..., part], expected, rtol=1e-12, atol=1e-12)
    check_gradients(make(dtype="float64"), inputs)
    torch = pytest.importorskip("torch")
    check_torch_autograd(make(dtype="float64"), inputs)
    check_backend_parity(lambda: make(), inputs)
    if data_format == "channels_last":
        paddings = [padding_amounts(length, size, "same") for length, size in zip(SMALL_SPATIAL[rank], KERNEL[rank])]
        torch_inputs = torch.nn.functional.pad(torch.as_tensor(np.moveaxis(inputs, -1, 1)),
                                               [amount for pair in reversed(paddings) for amount in pair])
        weight = torch.as_tensor(np.moveaxis(layer.kernel.value, (-2, -1), (1, 0)))
        convolve = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[rank]
        expected = convolve(torch_inputs, weight, torch.as_tensor(layer.bias.value), groups=groups)
        np.testing.assert_allclose(outputs, np.moveaxis(expected.numpy(), 1, -1), rtol=1e-12, atol=1e-12)
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, f"Conv{rank}D")(6, KERNEL[rank], padding="same", groups=groups,
                                                   data_format=data_format, bias_initializer="random_normal")
    ours = make()
    ours_outputs = ours(inputs.astype("float32"))
    theirs.build(inputs.shape)
    theirs.set_weights(ours.get_weights())
    assert_config_matches_keras(ours, theirs)
    np.testing.assert_allclose(ours_outputs, to_numpy(theirs(inputs.astype("float32"))), rtol=1e-5, atol=1e-5)
    assert ours.get_config()["groups"] == groups == theirs.get_config()["groups"]


def test_bad_groups_are_named():
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d': filters must be divisible by groups, received "
                                         r"filters=6 and groups=4"):
        layers.Conv2D(6, 3, groups=4)
    with pytest.raises(ValueError, match="groups must be a positive integer, received groups=0"):
        layers.Conv1D(6, 3, groups=0)
    layer = layers.Conv2D(6, 3, groups=3)
    with pytest.raises(ValueError, match=r"the input's 4 channels cannot be split into groups=3; "
                                         r"received input shape \(1, 5, 5, 4\)"):
        layer(np.zeros((1, 5, 5, 4)))
    with pytest.raises(TypeError, match="Conv2DTranspose: unexpected keyword argument 'groups'"):
        layers.Conv2DTranspose(4, 3, groups=2)
    assert "groups" not in layers.Conv2DTranspose(4, 3).get_config()


def test_image_data_format_is_the_default_data_format_of_layers_made_after_it():
    try:
        tk.backend.set_image_data_format("channels_first")
        layers = [tk.layers.Conv2D(4, 3), tk.layers.MaxPooling2D(), tk.layers.Flatten(), tk.layers.ZeroPadding2D()]
        assert [layer.data_format for layer in layers] == ["channels_first"] * 4
        assert tk.layers.Conv2D(4, 3, data_format="channels_last").data_format == "channels_last"
        assert tk.layers.Conv2D(4, 3)(np.zeros((1, 2, 8, 8), "float32")).shape == (1, 4, 6, 6)
    finally:
        tk.backend.set_image_data_format("channels_last")
    assert tk.layers.Conv2D(4, 3).data_format == "channels_last" and layers[0].data_format == "channels_first"


def test_argument_checks_live_in_conv_arguments_and_stay_importable_where_they_were():
    from teachkeras.layers import conv_arguments, conv_shapes, reshaping

    for name in ("DATA_FORMATS", "SPATIAL_NAMES", "layout", "normalize_tuple", "normalize_padding",
                 "normalize_data_format", "check_strides_and_dilation"):
        assert getattr(conv_shapes, name) is getattr(conv_arguments, name)
    assert reshaping.normalize_pairs is conv_arguments.normalize_pairs
    with pytest.raises(ValueError, match=r"Conv2D 'c': groups must be a positive integer, received groups=True"):
        conv_arguments.positive_integer(True, "groups", "Conv2D 'c'")


def _small_convnet(seed=0):
    """Keras' MNIST convnet, the bench_convnet.py network (its memory peaks in the first layer's backward)."""
    tk.utils.set_random_seed(seed)
    model = tk.Sequential([tk.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                           layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                           layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def test_fit_frees_the_columns_once_backward_has_run_and_trains_the_same():
    import tracemalloc

    generator = np.random.default_rng(0)
    x = generator.random((16, 28, 28, 1), dtype=np.float32)
    y = np.eye(4, dtype=np.float32)[generator.integers(0, 4, 16)]
    peaks, retained, weights, held = {}, {}, {}, 0
    for release in (True, False):
        model = _small_convnet()
        if not release:  # the same training, with nothing dropped after backward
            for layer in model.layers:
                layer.backward_cache = ()
        model.fit(x[:8], y[:8], batch_size=8, epochs=1, shuffle=False, verbose=0)  # built, slots made
        tracemalloc.start()
        model.fit(x[8:], y[8:], batch_size=8, epochs=1, shuffle=False, verbose=0)
        retained[release], peaks[release] = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        weights[release] = model.get_weights()
        convs = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
        assert all((layer.columns is None and layer.pre_activation is None) == release for layer in convs)
        if not release:
            held = sum(layer.columns.nbytes + layer.pre_activation.nbytes for layer in convs)
    for ours, kept in zip(weights[True], weights[False]):
        np.testing.assert_array_equal(ours, kept)
    # Between steps the model no longer holds the columns and pre-activations (about 2 MB here) ...
    assert retained[False] - retained[True] >= 0.95 * held
    # ... and the step's peak, in the first layer's backward before, is lower: the second layer's
    # columns (8 x 11 x 11 positions x 288 numbers) are gone by then (the peak moves to its backward).
    assert peaks[False] - peaks[True] >= 0.4 * (8 * 11 * 11 * 288 * 4)


def test_a_direct_backward_keeps_the_columns_so_it_can_run_twice():
    model = _small_convnet()
    x = np.random.default_rng(1).random((2, 28, 28, 1), dtype=np.float32)
    model(x, training=True)
    grad = np.ones((2, 4), dtype=np.float32)
    first = model.backward(grad)
    second = model.backward(grad)
    np.testing.assert_array_equal(first, second)
    assert model.layers[0].columns is not None


def test_a_backward_after_fit_freed_the_columns_names_the_cause():
    model = _small_convnet()
    x = np.random.default_rng(2).random((4, 28, 28, 1), dtype=np.float32)
    model.fit(x, np.eye(4, dtype=np.float32), batch_size=4, verbose=0)
    conv = model.layers[0]
    with pytest.raises(ValueError, match=r"backward\(\) needs what the last forward pass kept \(columns, "
                                         r"pre_activation\), which fit frees once its backward has run"):
        conv.backward(np.ones((4, 26, 26, 32), dtype=np.float32))
    conv(x)  # a new forward pass: backward works again
    assert conv.backward(np.ones((4, 26, 26, 32), dtype=np.float32)).shape == x.shape
