"""Dense and the chapter-02 layers: Keras as the oracle for the forward pass and the config keys,
bad input and the notes' old spellings refused with errors naming the layer, the argument and
the modern spelling, the Layer protocol details, and every docstring example of chapter 02."""

import doctest
import importlib
import re

import numpy as np
import pytest

from teachkeras import activations, initializers
from teachkeras.backend import clear_session, to_numpy
from teachkeras.layers import Activation, Dense, Layer, LeakyReLU, PReLU

CHAPTER_MODULES = ["teachkeras.variables", "teachkeras.initializers", "teachkeras.activations",
                   "teachkeras.layers.base", "teachkeras.layers.core", "teachkeras.layers.activation_layers"]
# Keys that Keras 3 adds for features teachkeras does not have (quantization, LoRA).
KERAS_ONLY_KEYS = {"quantization_config", "lora_rank", "lora_alpha"}


@pytest.fixture(autouse=True)
def fresh_names():
    clear_session()


def inputs(shape=(5, 3), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# ---------------------------------------------------------------- Keras as the oracle


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "softplus",
                                        "softsign", "leaky_relu", "elu"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_matches_keras_with_the_same_weights(keras, activation, use_bias):
    ours = Dense(4, activation=activation, use_bias=use_bias, bias_initializer="random_normal")
    theirs = keras.layers.Dense(4, activation=activation, use_bias=use_bias)
    batch = inputs((6, 3))
    ours_outputs = ours(batch)
    theirs.build((None, 3))
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours_outputs, to_numpy(theirs(batch)), rtol=1e-5, atol=1e-6)


def test_dense_matches_keras_on_3d_input(keras):
    ours = Dense(2, activation="tanh")
    theirs = keras.layers.Dense(2, activation="tanh")
    batch = inputs((2, 4, 3))
    ours_outputs = ours(batch)
    theirs.build((None, 4, 3))
    theirs.set_weights(ours.get_weights())
    assert ours_outputs.shape == (2, 4, 2)
    np.testing.assert_allclose(ours_outputs, to_numpy(theirs(batch)), rtol=1e-5, atol=1e-6)


def test_weight_shapes_names_and_order_match_keras(keras):
    ours, theirs = Dense(4), keras.layers.Dense(4)
    ours.build((None, 3))
    theirs.build((None, 3))
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == ["kernel", "bias"]
    assert [w.path for w in ours.weights] == ["dense/kernel", "dense/bias"]
    assert ours.count_params() == theirs.count_params() == 16


def test_activation_leaky_relu_and_prelu_match_keras(keras):
    batch = inputs((4, 5))
    np.testing.assert_allclose(Activation("softsign")(batch), to_numpy(keras.layers.Activation("softsign")(batch)),
                               rtol=1e-6)
    np.testing.assert_allclose(LeakyReLU()(batch), to_numpy(keras.layers.LeakyReLU()(batch)), rtol=1e-6)
    np.testing.assert_allclose(LeakyReLU(negative_slope=0.1)(batch),
                               to_numpy(keras.layers.LeakyReLU(negative_slope=0.1)(batch)), rtol=1e-6)
    ours = PReLU(alpha_initializer="random_uniform", shared_axes=[1])
    theirs = keras.layers.PReLU(shared_axes=[1])
    images = inputs((2, 3, 4))
    ours_outputs = ours(images)
    theirs.build((None, 3, 4))
    theirs.set_weights(ours.get_weights())
    assert ours.alpha.shape == tuple(theirs.alpha.shape) == (1, 4)
    np.testing.assert_allclose(ours_outputs, to_numpy(theirs(images)), rtol=1e-6)


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda: Dense(3), lambda keras: keras.layers.Dense(3)),
    (lambda: Activation("tanh"), lambda keras: keras.layers.Activation("tanh")),
    (lambda: LeakyReLU(), lambda keras: keras.layers.LeakyReLU()),
    (lambda: PReLU(), lambda keras: keras.layers.PReLU()),
], ids=["Dense", "Activation", "LeakyReLU", "PReLU"])
def test_get_config_has_keras_keys(keras, make_ours, make_theirs):
    ours, theirs = make_ours().get_config(), make_theirs(keras).get_config()
    assert set(ours) == set(theirs) - KERAS_ONLY_KEYS


def test_dense_config_values_match_keras(keras):
    ours = Dense(7, activation="relu", use_bias=False, kernel_initializer="he_normal").get_config()
    theirs = keras.layers.Dense(7, activation="relu", use_bias=False, kernel_initializer="he_normal").get_config()
    for key in ("units", "activation", "use_bias", "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                "bias_constraint", "trainable"):
        assert ours[key] == theirs[key], key
    for key in ("kernel_initializer", "bias_initializer"):
        assert ours[key]["class_name"] == theirs[key]["class_name"], key
    assert ours["dtype"] == theirs["dtype"]["config"]["name"] == "float32"


def test_config_round_trip_computes_the_same():
    layer = Dense(3, activation="softmax", kernel_initializer=initializers.GlorotNormal(seed=1), input_dim=4)
    batch = inputs((2, 4))
    outputs = layer(batch)
    config = layer.get_config()
    assert config["input_shape"] == (4,)
    copy = Dense.from_config(config)
    assert copy.get_config() == config and not copy.built
    np.testing.assert_array_equal(copy(batch), outputs)  # same seeded initializer, same weights


def test_a_keras_3_dtype_policy_is_accepted():
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}, "registered_name": None}
    assert Dense(2, dtype=policy).dtype == "float64"


# ---------------------------------------------------------------- bad input and old spellings


@pytest.mark.parametrize("make, received", [
    (lambda: Dense(0), "units=0"),
    (lambda: Dense(units=-1), "units=-1"),
    (lambda: Dense(units=2.5), "units=2.5"),
    (lambda: Dense("3"), "units='3'"),
    (lambda: Dense(True), "units=True"),
    (lambda: Dense(), "units=None"),
])
def test_bad_units_raise_value_error_naming_layer_and_argument(make, received):
    with pytest.raises(ValueError, match=rf"Dense 'dense': units must be a positive integer, received {received}"):
        make()


@pytest.mark.parametrize("argument, value", [
    ("activation", "relux"), ("kernel_initializer", "glorot"), ("bias_initializer", "zero"),
])
def test_unknown_names_raise_value_error_naming_layer_and_argument(argument, value):
    with pytest.raises(ValueError, match=rf"Dense 'dense': {argument}: unknown \w+ '{value}'.*expected one of"):
        Dense(3, **{argument: value})


def test_activation_layer_names_the_argument():
    with pytest.raises(ValueError, match=r"Activation 'activation': activation: unknown activation 'tanhh'"):
        Activation("tanhh")


@pytest.mark.parametrize("make, modern", [
    (lambda: Dense(500, 10), r"Dense\(500, 10\): Keras 1 took \(input_dim, output_dim\); write Dense\(10, input_dim=500\)"),
    (lambda: Dense(64, init="uniform"), r"Dense: init= is the Keras 1/2 spelling; use kernel_initializer='uniform'"),
    (lambda: Dense(output_dim=10), r"output_dim= is the Keras 1/2 spelling; use units=10"),
    (lambda: Dense(3, W_regularizer="l2"), r"W_regularizer= is the Keras 1/2 spelling; use kernel_regularizer='l2'"),
    (lambda: Dense(3, bias=False), r"bias= is the Keras 1/2 spelling; use use_bias=False"),
    (lambda: LeakyReLU(init="zeros"), r"LeakyReLU: init= is the Keras 1/2 spelling"),
])
def test_old_spellings_raise_type_error_naming_the_modern_one(make, modern):
    with pytest.raises(TypeError, match=modern):
        make()


def test_unknown_keywords_are_refused_not_ignored():
    with pytest.raises(TypeError, match=r"Dense: unexpected keyword argument\(s\) \['kernel_size'\]; accepted are .*'units'"):
        Dense(3, kernel_size=3)


def test_leaky_relu_alpha_is_deprecated_and_bad_slopes_refused():
    with pytest.warns(DeprecationWarning, match="negative_slope"):
        assert LeakyReLU(alpha=0.1).negative_slope == 0.1
    for slope in (-0.1, None, "0.2"):
        with pytest.raises(ValueError, match="negative_slope must be a number >= 0"):
            LeakyReLU(negative_slope=slope)


def test_regularizers_are_not_silently_ignored():
    layer = Dense(3, kernel_regularizer="l2")  # chapter 11 builds them: the penalty reaches layer.losses
    layer(np.ones((1, 2), dtype="float32"))
    assert [float(loss) for loss in layer.losses] == pytest.approx([0.01 * float(np.sum(layer.kernel.numpy() ** 2))])
    with pytest.raises(NotImplementedError, match="alpha_constraint is not supported by teachkeras yet"):
        PReLU(alpha_constraint="non_neg")


def test_input_of_the_wrong_size_names_the_layer_and_both_shapes():
    layer = Dense(3)
    layer(inputs((2, 4)))
    with pytest.raises(ValueError, match=r"layer 'dense' \(Dense\): expected axis -1 of the input to have size 4, "
                                         r"received shape \(2, 5\)"):
        layer(np.zeros((2, 5), dtype="float32"))
    with pytest.raises(ValueError, match=r"expected at least 2 dimensions \(batch, ..., input_dim\), received shape \(4,\)"):
        layer(np.zeros(4, dtype="float32"))


# ---------------------------------------------------------------- input_dim / input_shape and the protocol


def test_input_dim_and_input_shape_as_the_notes_pass_them():
    assert Dense(64, activation="relu", input_dim=100).input_shape_argument == (100,)
    assert Dense(64, input_shape=(100,)).input_shape_argument == (100,)
    assert Dense(64, input_shape=[None, 3]).input_shape_argument == (None, 3)
    assert not Dense(64, input_dim=100).built  # kept for the model; the layer builds on its first call
    with pytest.raises(ValueError, match="pass input_shape or input_dim, not both"):
        Dense(3, input_dim=4, input_shape=(4,))
    with pytest.raises(ValueError, match=r"expected a shape of non-negative integers or None, received \(-1,\)"):
        Dense(3, input_shape=(-1,))


def test_calling_build_directly_marks_the_layer_built_once():
    layer = Dense(3)
    layer.build((None, 4))
    assert layer.built
    layer(inputs((2, 4)))
    assert len(layer.weights) == 2


def test_trainable_flag_moves_weights_between_lists():
    layer = Dense(3)
    layer.build((None, 2))
    assert len(layer.trainable_weights) == 2 and layer.non_trainable_weights == []
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


def test_set_weights_checks_count_and_shapes():
    layer = Dense(3)
    layer.build((None, 2))
    with pytest.raises(ValueError, match=r"set_weights expected a list of 2 arrays"):
        layer.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(2, 3\), received an array of shape \(3, 2\)"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])


def test_backward_pre_activation_is_backward_without_the_activation():
    layer = Dense(3, activation="sigmoid", dtype="float64")
    batch = inputs((4, 2)).astype("float64")
    outputs = layer(batch)
    grad = np.random.default_rng(1).normal(size=outputs.shape)
    full = layer.backward(grad)
    kernel_grad = layer.kernel.grad.copy()
    fused = layer.backward_pre_activation(grad * outputs * (1 - outputs))
    np.testing.assert_allclose(fused, full, rtol=1e-12)
    np.testing.assert_allclose(layer.kernel.grad, kernel_grad, rtol=1e-12)


def test_dtype_and_torch_inputs():
    torch = pytest.importorskip("torch")
    layer = Dense(3, dtype="float64")
    assert layer(inputs((2, 4))).dtype == np.float64  # float32 input converted to the layer's dtype
    tensor_outputs = layer(torch.ones(2, 4, dtype=torch.float64))
    assert isinstance(tensor_outputs, torch.Tensor) and layer.kernel.device == "cpu"
    grad = layer.backward(torch.ones(2, 3, dtype=torch.float64))
    assert isinstance(grad, torch.Tensor) and isinstance(layer.kernel.grad, torch.Tensor)


def test_a_subclass_written_to_the_protocol_works():
    class Scale(Layer):
        def build(self, input_shape):
            self.scale = self.add_weight((input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs, training=False):
            self.inputs = inputs
            return inputs * self.scale.value

        def backward(self, grad_outputs):
            self.scale.grad = (grad_outputs * self.inputs).sum(axis=0)
            return grad_outputs * self.scale.value

    layer = Scale()
    assert layer.name == "scale" and layer.compute_output_shape((None, 3)) == (None, 3)
    assert [w.path for w in layer.weights] == ["scale/scale"]


# ---------------------------------------------------------------- docstring examples


@pytest.mark.parametrize("module_name", CHAPTER_MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module_name} has no docstring example"
    assert result.failed == 0


# ---------------------------------------------------------------- trainable follows the layer (Keras 3)


def test_setting_layer_trainable_sets_each_weights_trainable():
    layer = Dense(3)
    layer.build((None, 2))
    layer.trainable = False
    assert [weight.trainable for weight in layer.weights] == [False, False]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    layer.trainable = True
    assert [weight.trainable for weight in layer.weights] == [True, True]
    assert len(layer.trainable_weights) == 2


def test_a_layer_made_non_trainable_builds_non_trainable_weights():
    layer = Dense(3, trainable=False)
    layer.build((None, 2))
    assert [weight.trainable for weight in layer.weights] == [False, False]
    layer.trainable = True
    assert [weight.trainable for weight in layer.weights] == [True, True]


def test_a_weight_created_non_trainable_stays_so():
    class WithStatistic(Layer):
        def build(self, input_shape):
            self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")
            self.count = self.add_weight((), "zeros", name="count", trainable=False)

    layer = WithStatistic()
    layer.build((None, 2))
    layer.trainable = False
    layer.trainable = True
    assert [(weight.name, weight.trainable) for weight in layer.weights] == [("scale", True), ("count", False)]


def test_trainable_flags_match_keras():
    keras = pytest.importorskip("keras")
    for make in (lambda module: module.layers.Dense(3, trainable=False), lambda module: module.layers.Dense(3)):
        ours, theirs = make(__import__("teachkeras")), make(keras)
        ours.build((None, 2))
        theirs.build((None, 2))
        for value in (False, True, False):
            ours.trainable = value
            theirs.trainable = value
            assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
            assert len(ours.trainable_weights) == len(theirs.trainable_weights)


# ---------------------------------------------------------------- bad input found before any harm


def test_a_scalar_input_is_a_named_value_error_not_an_index_error():
    with pytest.raises(ValueError, match=r"Input of layer 'dense' \(Dense\): expected at least 2 dimensions "
                                         r"\(batch, ..., input_dim\), received shape \(\)"):
        Dense(3)(np.float32(1))


def test_a_one_dimensional_input_fails_before_build():
    layer = Dense(3)
    with pytest.raises(ValueError, match=r"expected at least 2 dimensions .*received shape \(4,\)"):
        layer(np.ones(4, dtype="float32"))
    assert not layer.built and layer.weights == []
    assert layer(np.ones((2, 5), dtype="float32")).shape == (2, 3)  # still free to build for the right input


@pytest.mark.parametrize("shared_axes", ["a", [1.5], [0], [True], {1: 2}, 1.0])
def test_prelu_shared_axes_are_checked_at_init(shared_axes):
    with pytest.raises(ValueError, match=r"PReLU 'p_re_lu': shared_axes must be an axis .*received "
                                         rf"shared_axes={re.escape(repr(shared_axes))}"):
        PReLU(shared_axes=shared_axes)


def test_prelu_shared_axes_accept_an_int_a_list_or_a_tuple():
    assert PReLU(shared_axes=np.int64(2)).shared_axes == [2]
    assert PReLU(shared_axes=(1, 2)).shared_axes == [1, 2]


@pytest.mark.parametrize("value", ["a", 0, -3, 2.5, True])
def test_input_dim_is_named_when_it_is_wrong(value):
    with pytest.raises(ValueError, match=rf"Dense 'dense': input_dim must be a positive integer, "
                                         rf"received input_dim={re.escape(repr(value))}"):
        Dense(3, input_dim=value)


def test_input_shape_is_named_when_it_is_wrong():
    with pytest.raises(ValueError, match=r"Dense 'dense': input_shape: expected a shape"):
        Dense(3, input_shape=("a",))


@pytest.mark.parametrize("make", [lambda: Dense(3), lambda: LeakyReLU(), lambda: PReLU(), lambda: Activation("tanh")])
def test_backward_before_any_call_says_to_call_the_layer_first(make):
    layer = make()
    with pytest.raises(ValueError, match=r"backward\(\) needs the inputs of a forward pass; call the layer on an "
                                         r"input first"):
        layer.backward(np.ones((2, 3), dtype="float32"))


def test_backward_pre_activation_before_any_call_is_named_too():
    layer = Dense(3)
    layer.build((None, 2))
    with pytest.raises(ValueError, match=r"Dense 'dense': backward_pre_activation\(\) needs the inputs"):
        layer.backward_pre_activation(np.ones((2, 3), dtype="float32"))


def test_an_attribute_error_inside_backward_after_a_call_is_not_hidden():
    class Broken(Layer):
        def call(self, inputs, training=False):
            return inputs

        def backward(self, grad_outputs):
            return grad_outputs.no_such_attribute

    layer = Broken()
    layer(np.ones((1, 2)))
    with pytest.raises(AttributeError, match="no_such_attribute"):
        layer.backward(np.ones((1, 2)))


# ---------------------------------------------------------------- regularizer arguments and old spellings


@pytest.mark.parametrize("make, penalty", [
    (lambda: Dense(3, activity_regularizer="l2"), lambda outputs: 0.01 * np.sum(outputs**2)),
    (lambda: Activation("relu", activity_regularizer="l1"), lambda outputs: 0.01 * np.sum(np.abs(outputs))),
    (lambda: PReLU(activity_regularizer="l2"), lambda outputs: 0.01 * np.sum(outputs**2)),
])
def test_activity_regularizer_adds_a_loss_per_call(make, penalty):
    layer = make()
    outputs = layer(np.full((2, 3), 2.0, dtype="float32"))
    assert [float(loss) for loss in layer.losses] == pytest.approx([penalty(outputs) / 2])  # over the batch size


def test_activity_regularizer_none_is_accepted_as_in_keras_configs():
    assert Dense(3, activity_regularizer=None).units == 3


@pytest.mark.parametrize("make, message", [
    (lambda layers: layers.Conv2D(4, 3, dim_ordering="th"),
     r"Conv2D: dim_ordering= is the Keras 1/2 spelling; use data_format='channels_first' instead"),
    (lambda layers: layers.Conv2D(4, 3, dim_ordering="tf"), r"use data_format='channels_last' instead"),
    (lambda layers: layers.Conv1D(nb_filter=4, filter_length=3),
     r"Conv1D: nb_filter=, filter_length= are Keras 1/2 spellings; use filters=4, kernel_size=3 instead"),
    (lambda layers: layers.Conv2D(nb_filter=8, nb_row=3, nb_col=2),
     r"use filters=8, kernel_size=\(3, 2\) instead"),
    (lambda layers: layers.MaxPooling1D(pool_length=3, stride=1),
     r"MaxPooling1D: pool_length=, stride= are Keras 1/2 spellings; use pool_size=3, strides=1 instead"),
    (lambda layers: layers.Conv1D(4, 3, subsample_length=2), r"subsample_length= is the Keras 1/2 spelling; use strides=2"),
    (lambda layers: layers.Conv2D(4, 3, subsample=(2, 2)), r"use strides=\(2, 2\) instead"),
])
def test_keras_1_convolution_spellings_name_the_keras_3_ones(make, message):
    from teachkeras import layers

    with pytest.raises(TypeError, match=message):
        make(layers)


# ---------------------------------------------------------------- ReLU, Softmax and ELU layers (Keras 3)


@pytest.mark.parametrize("name, kwargs", [
    ("ReLU", {}), ("ReLU", {"max_value": 6.0}), ("ReLU", {"negative_slope": 0.1, "threshold": 0.5}),
    ("ReLU", {"max_value": 2.0, "negative_slope": 0.2, "threshold": 1.0}),
    ("Softmax", {}), ("Softmax", {"axis": 1}), ("Softmax", {"axis": (1, 2)}),
    ("ELU", {}), ("ELU", {"alpha": 0.5}),
])
def test_activation_layers_match_keras(name, kwargs):
    keras = pytest.importorskip("keras")
    from teachkeras import layers

    inputs = np.random.default_rng(4).normal(scale=3.0, size=(2, 3, 4)).astype("float32")
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(ours(inputs), to_numpy(theirs(inputs)), rtol=1e-6, atol=1e-7)
    assert set(theirs.get_config()) - KERAS_ONLY_KEYS == set(ours.get_config())


@pytest.mark.parametrize("make, message", [
    (lambda layers: layers.ReLU(max_value=-1), r"ReLU 're_lu': max_value must be a number >= 0 or None, received max_value=-1"),
    (lambda layers: layers.ReLU(negative_slope="a"), r"negative_slope must be a number >= 0, received negative_slope='a'"),
    (lambda layers: layers.ReLU(threshold=None), r"threshold must be a number >= 0, received threshold=None"),
    (lambda layers: layers.ReLU(threshold=-1.0), r"threshold must be a number >= 0, received threshold=-1.0"),
    (lambda layers: layers.Softmax(axis=1.5), r"Softmax 'softmax': axis must be an integer or a tuple of integers"),
    (lambda layers: layers.Softmax(axis=3)(np.ones((2, 3))), r"Softmax 'softmax': axis must be in \[-2, 1\]"),
    (lambda layers: layers.ELU(alpha="big"), r"ELU 'elu': alpha must be a number, received alpha='big'"),
])
def test_activation_layers_refuse_bad_arguments(make, message):
    from teachkeras import layers

    with pytest.raises(ValueError, match=message):
        make(layers)


@pytest.mark.parametrize("kwargs", [
    {}, {"max_value": 6.0}, {"max_value": 2.0}, {"negative_slope": 0.1}, {"negative_slope": 0.1, "threshold": 0.5},
    {"max_value": 2.0, "negative_slope": 0.2}, {"max_value": 2.0, "negative_slope": 0.2, "threshold": 1.0},
    {"max_value": 6.0, "negative_slope": 0.3}, {"max_value": 1.0, "threshold": 1.0}, {"max_value": 0.0},
])
def test_relu_layer_gradient_matches_keras_off_its_kinks_and_is_a_subgradient_on_them(kwargs):
    # Away from its kinks (0, threshold, max_value) ReLU's derivative is unique, and ours must equal
    # Keras' (torch autograd of its formula). At a kink there is no single slope; which one torch
    # autograd picks there changed between torch releases, so there the test checks our documented
    # rule (the slope of the piece on the left), not a third party's choice.
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    from teachkeras import layers

    inputs = np.array([[-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 6.0, 7.0]])
    kinks = {0.0, kwargs.get("threshold", 0.0), kwargs.get("max_value", 0.0)}
    tensor = torch.tensor(inputs, requires_grad=True)
    keras.layers.ReLU(**kwargs, dtype="float64")(tensor).sum().backward()
    ours = layers.ReLU(**kwargs, dtype="float64")
    ours(inputs)
    gradient = ours.backward(np.ones_like(inputs))
    smooth = ~np.isin(inputs, list(kinks))
    np.testing.assert_array_equal(gradient[smooth], tensor.grad.numpy()[smooth])
    step = 1e-6
    for index in np.flatnonzero(~smooth[0]):
        at = inputs[0, index]
        left_piece = (ours(np.array([[at - step]]))[0, 0] - ours(np.array([[at - 2 * step]]))[0, 0]) / step
        assert gradient[0, index] == pytest.approx(left_piece, abs=1e-6), (at, gradient[0, index], left_piece)


def test_softmax_layer_takes_inputs_of_another_rank_on_a_later_call():
    keras = pytest.importorskip("keras")
    from teachkeras import layers

    ours, theirs = layers.Softmax(), keras.layers.Softmax()
    for shape in ((2, 3), (2, 3, 4), (5,)):
        inputs = np.random.default_rng(len(shape)).normal(size=shape).astype("float32")
        np.testing.assert_allclose(ours(inputs), to_numpy(theirs(inputs)), rtol=1e-6, atol=1e-7)
    over_two = layers.Softmax(axis=(1, 2))
    over_two(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Softmax 'softmax(_\d+)?': axis must be in \[-2, 1\] for input with 2 "
                                         r"dimensions, received axis=\(1, 2\) \(input of layer 'softmax(_\d+)?', "
                                         r"received shape \(2, 3\)\)"):
        over_two(np.ones((2, 3)))


def test_a_custom_layer_may_take_keras_1_names_through_kwargs():
    from teachkeras import layers

    class Strided(layers.Layer):
        def __init__(self, units, **kwargs):
            self.stride = kwargs.pop("stride", 1)
            self.init = kwargs.pop("init", "zeros")
            super().__init__(**kwargs)
            self.units = units

    layer = Strided(3, stride=2, init="ones")
    assert (layer.units, layer.stride, layer.init) == (3, 2, "ones")
    # one that does not use the name still hears about it, from Layer.__init__
    class Plain(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)

    with pytest.raises(TypeError, match=r"Plain: stride= is the Keras 1/2 spelling; use strides=2 instead"):
        Plain(3, stride=2)
    # teachkeras' own layers still refuse the old names before __init__ runs
    with pytest.raises(TypeError, match=r"Dense: output_dim= is the Keras 1/2 spelling; use units=10 instead"):
        layers.Dense(output_dim=10)
    with pytest.raises(TypeError, match=r"MaxPooling1D: pool_length=, stride= are Keras 1/2 spellings"):
        layers.MaxPooling1D(pool_length=3, stride=1)
    with pytest.raises(TypeError, match=r"Dense: init= is the Keras 1/2 spelling"):
        layers.Dense(4, init="uniform")


def test_a_subclass_may_set_trainable_before_calling_the_base_init():
    keras = pytest.importorskip("keras")
    from teachkeras import layers

    def make(base):
        class Frozen(base):
            def __init__(self, **kwargs):
                self.trainable = False
                super().__init__(**kwargs)

        return Frozen()

    ours = make(layers.Layer)
    assert ours.trainable == make(keras.layers.Layer).trainable  # the base __init__ sets it again (True)
    assert ours.weights == []


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bias_added_in_place_gives_the_formula_s_numbers_and_leaves_the_input_alone(backend):
    layer = Dense(5, activation="tanh", bias_initializer="random_normal")
    batch = inputs((4, 3, 6))
    if backend == "torch":
        torch = pytest.importorskip("torch")
        batch = torch.from_numpy(batch)
    before = to_numpy(batch).copy()
    outputs = layer(batch)
    expected = activations.tanh(batch @ layer.kernel.value + layer.bias.value)  # the formula, same library
    assert to_numpy(outputs).tobytes() == to_numpy(expected).tobytes()
    np.testing.assert_array_equal(to_numpy(batch), before)


def test_dense_on_torch_tensors_that_require_grad_matches_autograd():
    torch = pytest.importorskip("torch")
    layer = Dense(4, activation="relu", dtype="float64")
    batch = torch.from_numpy(np.random.default_rng(3).normal(size=(5, 3))).requires_grad_()
    layer(batch.detach())
    layer.kernel.value.requires_grad_()
    layer.bias.value.requires_grad_()
    outputs = layer(batch)  # the product's fresh tensor takes the bias in place: autograd allows it
    outputs.sum().backward()
    grad_inputs = layer.backward(torch.ones(5, 4, dtype=torch.float64))
    np.testing.assert_allclose(grad_inputs.detach().numpy(), batch.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.kernel.grad.detach().numpy(), layer.kernel.value.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.detach().numpy(), layer.bias.value.grad.numpy(), rtol=1e-12)


def test_plain_relu_layer_backward_equals_the_kink_rule_form():
    from teachkeras import layers

    values = np.concatenate([[-1.0, -0.0, 0.0, 1e-30, 2.0], np.random.default_rng(4).normal(size=300)])
    values = values.astype("float32")
    grad = np.random.default_rng(5).normal(size=values.shape).astype("float32")
    layer = layers.ReLU()
    layer(values[None])
    ours = layer.backward(grad[None])[0]
    passes = np.where(values > 0, grad, 0.0 * grad) + np.where(values <= 0, 0.0 * grad, 0.0 * grad)
    assert ours.tobytes() == passes.tobytes()  # the general two-where form, bit for bit
