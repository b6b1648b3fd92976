"""One contract, applied to every layer: a new layer gets all of it by being listed in CASES, and
``test_every_public_layer_has_a_case`` finds every public Layer subclass by itself, so none escapes.

For each case: output shape matches ``compute_output_shape``; config round-trips and the copy
computes the same outputs; weights get/set round-trip and wrong shapes are refused; backward
matches finite differences (float64) and torch autograd, in inference and in training mode (with the
layer's random numbers restarted before each call, so a Dropout mask is one fixed function); numpy
and torch agree (float32); a built layer called with an incompatible shape raises a ValueError
naming the layer.
"""

import inspect

import numpy as np
import pytest

import teachkeras
from teachkeras import layers
from teachkeras.backend import RandomGenerator, clear_session, namespace, to_numpy
from teachkeras.testing import check_backend_parity, check_gradients, check_torch_autograd


class Case:
    def __init__(self, make, input_shape, bad_shape=None, id=None, positive=False):
        self.make = make              # keyword arguments -> a new layer
        self.input_shape = input_shape  # one batch, e.g. (4, 3)
        self.bad_shape = bad_shape    # a shape the built layer must refuse
        self.id = id
        self.positive = positive      # keep inputs away from kinks (relu at 0)

    def inputs(self, dtype="float64", seed=0):
        values = np.random.default_rng(seed).normal(size=self.input_shape)
        if self.positive:
            values = np.sign(values) * (np.abs(values) + 0.1)
        return values.astype(dtype)


CASES = [
    Case(lambda **kw: layers.Dense(5, **kw), (4, 3), bad_shape=(4, 2), id="dense"),
    Case(lambda **kw: layers.Dense(2, activation="tanh", use_bias=False, **kw), (2, 3, 4), bad_shape=(2, 3, 5),
         id="dense-3d-tanh-nobias"),
    Case(lambda **kw: layers.Dense(4, activation="softmax", **kw), (3, 6), id="dense-softmax"),
    Case(lambda **kw: layers.Dense(3, activation="relu", **kw), (5, 4), id="dense-relu", positive=True),
    Case(lambda **kw: layers.Activation("sigmoid", **kw), (3, 4), id="activation-sigmoid"),
    Case(lambda **kw: layers.Activation("softplus", **kw), (3, 4), id="activation-softplus"),
    Case(lambda **kw: layers.Activation("gelu", **kw), (3, 4), id="activation-gelu"),
    Case(lambda **kw: layers.LeakyReLU(**kw), (3, 4), id="leaky_relu", positive=True),
    Case(lambda **kw: layers.PReLU(alpha_initializer="random_uniform", **kw), (3, 4, 2), bad_shape=(3, 5, 2),
         id="prelu", positive=True),
    Case(lambda **kw: layers.PReLU(alpha_initializer=layers.base.initializers.Constant(0.25), shared_axes=[1], **kw),
         (3, 4, 2), id="prelu-shared", positive=True),
    Case(lambda **kw: layers.ReLU(**kw), (3, 4), id="relu-layer", positive=True),
    Case(lambda **kw: layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.05, **kw), (3, 4, 2),
         id="relu-layer-options", positive=True),
    Case(lambda **kw: layers.Softmax(**kw), (3, 5), id="softmax-layer"),
    Case(lambda **kw: layers.Softmax(axis=(1, 2), **kw), (2, 3, 4), bad_shape=(2, 3), id="softmax-layer-axes"),
    Case(lambda **kw: layers.ELU(alpha=0.7, **kw), (3, 4), id="elu-layer", positive=True),
    # chapter 03: dropout (the contract runs at training=False; tests/test_dropout.py covers training=True)
    Case(lambda **kw: layers.Dropout(0.4, seed=1, **kw), (3, 5), id="dropout"),
    Case(lambda **kw: layers.Dropout(0.5, noise_shape=(None, 1, None), **kw), (2, 3, 4), id="dropout-noise-shape"),
    # chapter 05: convolution, pooling, reshaping
    Case(lambda **kw: layers.Conv1D(3, 3, activation="tanh", **kw), (2, 7, 2), bad_shape=(2, 7, 3), id="conv1d"),
    Case(lambda **kw: layers.Conv1D(2, 2, padding="causal", dilation_rate=2, **kw), (2, 6, 3), bad_shape=(2, 6),
         id="conv1d-causal-dilated"),
    Case(lambda **kw: layers.Conv2D(3, (3, 2), strides=2, padding="same", **kw), (2, 5, 6, 2),
         bad_shape=(2, 5, 6, 3), id="conv2d-same-strided"),
    Case(lambda **kw: layers.Conv2D(2, 2, data_format="channels_first", use_bias=False, **kw), (2, 3, 4, 5),
         bad_shape=(2, 4, 4, 5), id="conv2d-channels_first"),
    Case(lambda **kw: layers.Conv3D(2, 2, **kw), (1, 3, 4, 3, 2), bad_shape=(1, 3, 4, 3), id="conv3d"),
    Case(lambda **kw: layers.Conv2D(4, 2, groups=2, **kw), (2, 4, 3, 4), bad_shape=(2, 4, 3, 2), id="conv2d-groups"),
    Case(lambda **kw: layers.Conv1DTranspose(2, 3, strides=2, **kw), (2, 4, 3), bad_shape=(2, 4, 2),
         id="conv1d-transpose"),
    Case(lambda **kw: layers.Conv2DTranspose(3, (3, 2), strides=2, padding="same", **kw), (2, 3, 4, 2),
         bad_shape=(2, 3, 4, 3), id="conv2d-transpose"),
    Case(lambda **kw: layers.Conv3DTranspose(2, 2, **kw), (1, 2, 3, 2, 2), bad_shape=(1, 2, 3, 2, 1),
         id="conv3d-transpose"),
    Case(lambda **kw: layers.MaxPooling1D(**kw), (2, 6, 3), bad_shape=(2, 6), id="max_pooling1d"),
    Case(lambda **kw: layers.MaxPooling2D(3, strides=2, padding="same", **kw), (2, 5, 6, 2), bad_shape=(2, 5, 6),
         id="max_pooling2d-same"),
    Case(lambda **kw: layers.MaxPooling3D(**kw), (1, 4, 4, 2, 2), bad_shape=(1, 4, 4, 2), id="max_pooling3d"),
    Case(lambda **kw: layers.AveragePooling1D(3, strides=1, padding="same", **kw), (2, 5, 2), bad_shape=(2, 5),
         id="average_pooling1d-same"),
    Case(lambda **kw: layers.AveragePooling2D(2, **kw), (2, 4, 5, 3), bad_shape=(2, 4, 5), id="average_pooling2d"),
    Case(lambda **kw: layers.AveragePooling3D(2, data_format="channels_first", **kw), (1, 2, 4, 4, 2),
         bad_shape=(1, 2, 4, 4), id="average_pooling3d-channels_first"),
    Case(lambda **kw: layers.GlobalMaxPooling1D(**kw), (2, 5, 3), bad_shape=(2, 5), id="global_max_pooling1d"),
    Case(lambda **kw: layers.GlobalMaxPooling2D(keepdims=True, **kw), (2, 3, 4, 2), bad_shape=(2, 3, 4),
         id="global_max_pooling2d-keepdims"),
    Case(lambda **kw: layers.GlobalAveragePooling1D(**kw), (2, 5, 3), bad_shape=(2, 5), id="global_average_pooling1d"),
    Case(lambda **kw: layers.GlobalAveragePooling2D(data_format="channels_first", **kw), (2, 3, 4, 2),
         bad_shape=(2, 3, 4), id="global_average_pooling2d"),
    Case(lambda **kw: layers.GlobalMaxPooling3D(**kw), (2, 2, 3, 2, 2), bad_shape=(2, 2, 3, 2),
         id="global_max_pooling3d"),
    Case(lambda **kw: layers.GlobalAveragePooling3D(keepdims=True, **kw), (2, 2, 3, 2, 2), bad_shape=(2, 2, 3, 2),
         id="global_average_pooling3d-keepdims"),
    Case(lambda **kw: layers.Flatten(**kw), (2, 3, 4), id="flatten"),
    Case(lambda **kw: layers.Reshape((-1, 2), **kw), (2, 3, 4), id="reshape"),
    Case(lambda **kw: layers.ZeroPadding1D(**kw), (2, 4, 3), bad_shape=(2, 4), id="zero_padding1d"),
    Case(lambda **kw: layers.ZeroPadding2D(((1, 0), (0, 2)), **kw), (2, 3, 4, 2), bad_shape=(2, 3, 4),
         id="zero_padding2d"),
    Case(lambda **kw: layers.Cropping1D((1, 2), **kw), (2, 6, 3), bad_shape=(2, 6), id="cropping1d"),
    Case(lambda **kw: layers.Cropping2D(((1, 0), (0, 2)), **kw), (2, 4, 5, 2), bad_shape=(2, 4, 5),
         id="cropping2d"),
    Case(lambda **kw: layers.ZeroPadding3D((1, 0, 2), **kw), (1, 2, 3, 2, 2), bad_shape=(1, 2, 3, 2),
         id="zero_padding3d"),
    Case(lambda **kw: layers.Cropping3D(((1, 0), (0, 1), (1, 1)), data_format="channels_first", **kw),
         (1, 2, 3, 3, 4), bad_shape=(1, 2, 3, 3), id="cropping3d-channels_first"),
    # chapter 11: normalization, noise, spatial dropout, up-sampling, TimeDistributed
    Case(lambda **kw: layers.BatchNormalization(beta_initializer="random_normal", gamma_initializer="random_normal",
                                                **kw), (6, 3), bad_shape=(6, 4), id="batch_normalization"),
    Case(lambda **kw: layers.BatchNormalization(axis=1, momentum=0.5, center=False, **kw), (3, 2, 4),
         bad_shape=(3, 3, 4), id="batch_normalization-axis1"),
    Case(lambda **kw: layers.BatchNormalization(axis=[1, 3], **kw), (2, 3, 2, 2), bad_shape=(2, 3, 2, 3),
         id="batch_normalization-two-axes"),
    Case(lambda **kw: layers.LayerNormalization(gamma_initializer="random_normal", **kw), (3, 5),
         bad_shape=(3, 4), id="layer_normalization"),
    Case(lambda **kw: layers.LayerNormalization(axis=[1, 2], scale=False, **kw), (2, 3, 4), bad_shape=(2, 3, 5),
         id="layer_normalization-two-axes"),
    Case(lambda **kw: layers.GaussianNoise(0.3, seed=2, **kw), (3, 4), id="gaussian_noise"),
    Case(lambda **kw: layers.SpatialDropout1D(0.5, seed=1, **kw), (2, 4, 3), bad_shape=(2, 4), id="spatial_dropout1d"),
    Case(lambda **kw: layers.SpatialDropout2D(0.4, seed=1, **kw), (2, 3, 3, 2), bad_shape=(2, 3, 3),
         id="spatial_dropout2d"),
    Case(lambda **kw: layers.UpSampling1D(3, **kw), (2, 4, 3), bad_shape=(2, 4), id="up_sampling1d"),
    Case(lambda **kw: layers.UpSampling2D((2, 3), **kw), (2, 3, 2, 2), bad_shape=(2, 3, 2), id="up_sampling2d"),
    Case(lambda **kw: layers.UpSampling2D(2, data_format="channels_first", **kw), (1, 2, 3, 2), bad_shape=(1, 2, 3),
         id="up_sampling2d-channels_first"),
    Case(lambda **kw: layers.TimeDistributed(layers.Dense(2, dtype=kw.get("dtype")), **kw), (2, 3, 4),
         bad_shape=(2, 3, 5), id="time_distributed"),
]

# chapter 09: merge layers take a list of tensors; SplitInputs (below) feeds them one array cut in pieces
CASES += [
    Case(lambda **kw: SplitInputs(layers.Add(dtype=kw.get("dtype")), [3, 3], **kw), (4, 6), id="add"),
    Case(lambda **kw: SplitInputs(layers.Subtract(dtype=kw.get("dtype")), [3, 3], **kw), (4, 6), id="subtract"),
    Case(lambda **kw: SplitInputs(layers.Multiply(dtype=kw.get("dtype")), [2, 2, 2], **kw), (3, 2, 6),
         id="multiply-three"),
    Case(lambda **kw: SplitInputs(layers.Average(dtype=kw.get("dtype")), [3, 3], **kw), (4, 6), id="average"),
    Case(lambda **kw: SplitInputs(layers.Maximum(dtype=kw.get("dtype")), [3, 3], **kw), (4, 6), id="maximum"),
    Case(lambda **kw: SplitInputs(layers.Minimum(dtype=kw.get("dtype")), [3, 3], **kw), (4, 6), id="minimum"),
    Case(lambda **kw: SplitInputs(layers.Concatenate(dtype=kw.get("dtype")), [3, 2], **kw), (4, 5),
         id="concatenate"),
    Case(lambda **kw: SplitInputs(layers.Dot(1, dtype=kw.get("dtype")), [3, 3], **kw), (4, 6), id="dot"),
    Case(lambda **kw: SplitInputs(layers.Dot(1, normalize=True, dtype=kw.get("dtype")), [3, 3], **kw), (4, 6),
         id="dot-normalize"),
    Case(lambda **kw: SplitInputs(layers.Dot(2, dtype=kw.get("dtype")), [4, 4], **kw), (2, 3, 8), id="dot-3d"),
]


class SplitInputs(layers.Layer):
    """The contract calls a layer on one array; a merge layer takes a list. This wrapper cuts the
    last axis of its input into pieces of ``sizes`` and calls ``merge`` on them; its backward joins
    the pieces' gradients, so every check below reaches the merge layer's own ``backward``."""

    def __init__(self, merge, sizes, **kwargs):
        super().__init__(**kwargs)
        self.merge, self.sizes = merge, list(sizes)

    def call(self, inputs, training=False):
        pieces, start = [], 0
        for size in self.sizes:
            pieces.append(inputs[..., start:start + size])
            start += size
        return self.merge(pieces)

    def backward(self, grad_outputs):
        grads = self.merge.backward(grad_outputs)
        return namespace(grads[0]).concat(list(grads), axis=-1)

    def compute_output_shape(self, input_shape):
        return self.merge.compute_output_shape([tuple(input_shape[:-1]) + (size,) for size in self.sizes])

    def get_config(self):
        merge = {"class_name": type(self.merge).__name__, "config": self.merge.get_config()}
        return {**super().get_config(), "merge": merge, "sizes": self.sizes}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        merge = config.pop("merge")
        return cls(getattr(layers, merge["class_name"]).from_config(merge["config"]), **config)


# Public Layer subclasses that need no case, and why.
EXEMPT = {
    "Layer": "the abstract base: every case exercises it",
    "InputLayer": "computes nothing: it stands for a model's input (tests/test_training.py)",
    "Model": "models are tested by tests/test_training.py",
    "Sequential": "models are tested by tests/test_training.py",
    "Lambda": "no hand-written backward: the tape differentiates it (tests/test_custom_code.py, vs Keras)",
    "Functional": "models are tested by tests/test_functional.py",
    "Merge": "the abstract base of the merge layers, each of which has a case (through SplitInputs)",
    "SymbolicOp": "an op node of a functional graph, no weights nor backward (tests/test_symbolic_ops.py, vs Keras)",
}


def public_layer_classes():
    """Every public Layer subclass that teachkeras defines: the classes in the ``teachkeras.layers``
    namespace and, recursively, every subclass of Layer whose module is in teachkeras."""
    found = {obj for name, obj in vars(layers).items()
             if inspect.isclass(obj) and issubclass(obj, layers.Layer) and not name.startswith("_")}
    pending = [layers.Layer]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("teachkeras.") and not sub.__name__.startswith("_"):
                found.add(sub)
    return found


def test_every_public_layer_has_a_case():
    assert teachkeras.layers.Dense in public_layer_classes()
    covered = {type(getattr(layer, "merge", layer)) for layer in (case.make() for case in CASES)}
    classes = public_layer_classes()
    # Abstract bases named as Keras names them (BaseConv, BasePooling, ...) are covered through
    # their subclasses, each of which must have a case.
    bases = {cls for cls in classes if cls.__name__.startswith("Base")}
    for base in bases:
        assert any(issubclass(cls, base) for cls in covered), f"no case covers a subclass of {base.__name__}"
    missing = sorted(cls.__name__ for cls in classes - covered - bases if cls.__name__ not in EXEMPT)
    assert not missing, f"add a Case to CASES (or a reason to EXEMPT) for: {missing}"


class FrozenRandomness:
    """The layer, with every RandomGenerator it owns restarted from its seed before each call: at
    training=True a Dropout layer then applies one fixed mask, a function that finite differences
    and torch autograd can differentiate."""

    def __init__(self, layer):
        object.__setattr__(self, "layer", layer)

    def __call__(self, *args, **kwargs):
        for name, value in list(vars(self.layer).items()):
            if isinstance(value, RandomGenerator):
                setattr(self.layer, name, RandomGenerator(value.seed))
        return self.layer(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.layer, name)


def owns_randomness(layer):
    return any(isinstance(value, RandomGenerator) for value in vars(layer).values())


@pytest.fixture(params=CASES, ids=lambda case: case.id)
def case(request):
    clear_session()
    return request.param


def test_output_shape_matches_compute_output_shape(case):
    layer = case.make()
    outputs = layer(case.inputs("float32"))
    assert outputs.dtype == np.float32
    assert layer.compute_output_shape((None,) + case.input_shape[1:]) == (None,) + tuple(outputs.shape[1:])
    assert case.make().compute_output_shape(case.input_shape) == tuple(outputs.shape)


def test_config_round_trip_computes_the_same(case):
    layer = case.make()
    inputs = case.inputs("float32")
    outputs = layer(inputs)
    config = layer.get_config()
    copy = type(layer).from_config(config)
    assert copy.get_config() == config
    copy(inputs)
    copy.set_weights(layer.get_weights())
    np.testing.assert_allclose(copy(inputs), outputs, rtol=1e-6)


def test_weights_get_set_round_trip_and_refuse_wrong_shapes(case):
    layer = case.make()
    layer(case.inputs("float32"))
    weights = layer.get_weights()
    assert layer.count_params() == sum(w.size for w in weights)
    shifted = [w + 1 for w in weights]
    layer.set_weights(shifted)
    for got, expected in zip(layer.get_weights(), shifted):
        np.testing.assert_array_equal(got, expected)
    if weights:
        with pytest.raises(ValueError, match=layer.name):
            layer.set_weights([np.zeros(w.shape + (1,)) for w in weights])
        with pytest.raises(ValueError, match="expected a list of"):
            layer.set_weights(weights[:-1])


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_backward_matches_finite_differences(case, training):
    check_gradients(FrozenRandomness(case.make(dtype="float64")), case.inputs("float64"), training=training)


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_backward_matches_torch_autograd(case, training):
    pytest.importorskip("torch")
    check_torch_autograd(FrozenRandomness(case.make(dtype="float64")), case.inputs("float64"), training=training)


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_numpy_and_torch_agree(case, training):
    pytest.importorskip("torch")
    if training and owns_randomness(case.make()):
        pytest.skip("numpy and torch draw different random numbers; the gradient tests cover training mode")
    check_backend_parity(lambda: case.make(), case.inputs("float32"), training=training)


def test_training_mode_really_differs_for_dropout():
    """The training-mode cases are not inference in disguise: Dropout zeroes entries there."""
    layer = FrozenRandomness(layers.Dropout(0.5, seed=3, dtype="float64"))
    inputs = np.ones((4, 8))
    assert (np.asarray(layer(inputs, training=True)) == 0).any()
    assert (np.asarray(layer(inputs, training=False)) == 1).all()


def test_incompatible_input_is_refused_with_the_layer_named(case):
    if case.bad_shape is None:
        pytest.skip("this layer accepts any shape")
    layer = case.make()
    layer(case.inputs("float32"))
    with pytest.raises(ValueError, match=rf"layer {layer.name!r}.*received shape {case.bad_shape}".replace("(", r"\(").replace(")", r"\)")):
        layer(np.zeros(case.bad_shape, dtype="float32"))


def restart_randomness(layer):
    for name, value in list(vars(layer).items()):
        if isinstance(value, RandomGenerator):
            setattr(layer, name, RandomGenerator(value.seed))


# Layers whose call the tape cannot trace op by op, each with the reason (the test then expects a
# TapeError, never a wrong gradient). None today: padding into zeros (`padded[interior] = inputs`),
# accumulating windows (`total[window] += columns`), a grouped kernel's block diagonal and numpy's
# `out=` are functional updates on the tape (chapter 08, "Writing into an array").
NOT_TRACEABLE = {}

# A few cases also traced on torch tensors (the same tape, array_api_compat.torch underneath).
TORCH_TRACED = {"dense-softmax", "conv1d-causal-dilated", "conv2d-same-strided", "conv2d-groups", "conv2d-transpose",
                "max_pooling2d-same", "average_pooling1d-same", "zero_padding2d", "activation-gelu"}


def hand_and_tape_gradients(case, training, convert=lambda array: array):
    """The gradients of the input and of every weight, by the hand-written backward and by the tape
    tracing ``layer.call`` op by op, for one random output gradient (float64; ``convert`` moves
    arrays to the backend)."""
    from teachkeras.autodiff import GradientTape

    layer = case.make(dtype="float64")
    inputs = case.inputs("float64")
    layer(inputs)  # build
    if convert(inputs) is not inputs:
        layer.to("cpu")
    inputs = convert(inputs)
    weights = layer.trainable_weights  # BatchNormalization's moving statistics take no gradient
    restart_randomness(layer)
    outputs = layer.call(inputs, training=training)
    grad_outputs = convert(np.random.default_rng(1).normal(size=tuple(outputs.shape)))
    by_hand = [layer.backward(grad_outputs)] + [weight.grad for weight in weights]
    by_hand = [np.array(to_numpy(one)) for one in by_hand]
    restart_randomness(layer)
    with GradientTape() as tape:
        traced = tape.watch(inputs)
        tape.watch(weights)
        traced_outputs = layer.call(traced, training=training)
    by_tape = tape.gradient(traced_outputs, [traced, *weights], output_gradients=grad_outputs,
                            unconnected_gradients="zero")
    assert all(type(one) is type(inputs) for one in by_tape), "the tape's gradients are the backend's arrays"
    names = ["inputs"] + [weight.name for weight in weights]
    return names, by_hand, [to_numpy(one) for one in by_tape]


@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_backward_equals_the_tape(case, training):
    """Chapter 08's tape, tracing ``layer.call`` op by op, gives the gradients the hand-written
    backward gives: for the input and every weight (the tape is the contract's third oracle).
    For the layers in NOT_TRACEABLE the tape must refuse loudly instead."""
    from teachkeras.autodiff import GradientTape, TapeError

    if case.id in NOT_TRACEABLE:
        layer = case.make(dtype="float64")
        with pytest.raises(TapeError, match="traced array"), GradientTape() as tape:
            layer.call(tape.watch(case.inputs("float64")), training=training)
        return
    names, by_hand, by_tape = hand_and_tape_gradients(case, training)
    assert len(by_tape) == len(by_hand) == len(names)
    for name, hand, taped in zip(names, by_hand, by_tape):
        np.testing.assert_allclose(taped, hand, rtol=1e-9, atol=1e-12, err_msg=f"{case.id}: {name}")


def test_every_case_is_traced_or_has_a_reason():
    ids = {case.id for case in CASES}
    assert set(NOT_TRACEABLE) <= ids and all(reason.strip() for reason in NOT_TRACEABLE.values())
    assert TORCH_TRACED <= ids - set(NOT_TRACEABLE)


@pytest.mark.parametrize("case", [case for case in CASES if case.id in TORCH_TRACED], ids=lambda case: case.id)
def test_backward_equals_the_tape_on_torch(case):
    torch = pytest.importorskip("torch")
    clear_session()
    names, by_hand, by_tape = hand_and_tape_gradients(case, False, lambda array: torch.tensor(array))
    for name, hand, taped in zip(names, by_hand, by_tape):
        np.testing.assert_allclose(taped, hand, rtol=1e-9, atol=1e-12, err_msg=f"{case.id} on torch: {name}")
