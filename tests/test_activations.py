"""Activations (chapter 02): forward against Keras 3, derivatives against finite differences
(float64) and torch autograd, stability at extreme inputs, dtypes, and the custom-function path."""

import math
import re
import warnings

import numpy as np
import pytest

from teachkeras import activations
from teachkeras.backend import to_numpy
from teachkeras.layers import Activation, Dense
from teachkeras.testing import check_gradients, numerical_gradient

NAMES = sorted(activations.ALL)
UNBOUNDED = {"exponential"}  # exp(1e4) is inf, in Keras too; every other activation stays finite
FINITE_NAMES = [name for name in NAMES if name not in UNBOUNDED]
# Keras' float32 gelu (torch's) computes 1 + erf(x / sqrt(2)), which loses about 2e-7 in the left tail;
# ours uses erfc there and matches float64 (checked separately below).
KERAS_TOLERANCE = {"gelu": {"rtol": 2e-6, "atol": 5e-7}}
KINKS = (-3.0, 0.0, 3.0, 6.0)  # relu and leaky_relu at 0, hard_sigmoid at -3 and 3, relu6 at 0 and 6


def points(shape=(4, 6), seed=0, scale=2.5):
    """Random float64 inputs kept at least 0.05 away from every kink."""
    values = np.random.default_rng(seed).normal(scale=scale, size=shape)
    for kink in KINKS:
        values[np.abs(values - kink) < 0.05] += 0.1
    return values


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------- forward


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_keras(keras, name):
    ours = activations.get(name)
    theirs = keras.activations.get(name)
    for inputs in (points().astype("float32"),
                   np.array([[-1e4, -100.0, -20.0, -1.0, 0.5, 20.0, 100.0, 1e4]], dtype="float32")):
        expected = to_numpy(theirs(inputs))
        tolerance = KERAS_TOLERANCE.get(name, {"rtol": 2e-6, "atol": 1e-7})
        with np.errstate(over="ignore" if name in UNBOUNDED else "warn"):  # exp(1e4): inf, as in Keras
            actual = ours(inputs)
        np.testing.assert_allclose(actual, expected, **tolerance, err_msg=name)


def test_gelu_matches_keras_in_float64_and_is_exact_in_the_left_tail(keras):
    inputs = np.linspace(-8.0, 8.0, 161)
    np.testing.assert_allclose(activations.gelu(inputs), to_numpy(keras.activations.gelu(inputs)), rtol=1e-9, atol=1e-13)
    exact = np.array([0.5 * value * math.erfc(-value / math.sqrt(2.0)) for value in inputs])
    np.testing.assert_allclose(activations.gelu(inputs), exact, rtol=1e-13)
    np.testing.assert_allclose(activations.gelu(inputs.astype("float32")), exact, rtol=1e-5)  # a few float32 ulps
    approximate = to_numpy(keras.activations.gelu(inputs, approximate=True))
    np.testing.assert_allclose(activations.gelu(inputs, approximate=True), approximate, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("options", [{"negative_slope": 0.1}, {"max_value": 6.0}, {"threshold": 1.0},
                                     {"negative_slope": 0.2, "max_value": 3.0, "threshold": -1.0}])
def test_relu_options_match_keras(keras, options):
    inputs = points((5, 7), seed=3, scale=4.0)
    np.testing.assert_allclose(activations.relu(inputs, **options), to_numpy(keras.activations.relu(inputs, **options)))


def test_swish_is_silu_as_in_keras(keras):
    assert activations.get("swish") is activations.silu
    assert activations.serialize(activations.get("swish")) == keras.activations.serialize(keras.activations.get("swish"))


def test_hard_sigmoid_is_the_keras_3_form(keras):
    inputs = np.array([-4.0, -3.0, -1.5, 0.0, 1.0, 3.0, 4.0])
    expected = np.array([0.0, 0.0, 0.25, 0.5, 4 / 6, 1.0, 1.0])  # relu6(x + 3) / 6
    np.testing.assert_allclose(activations.hard_sigmoid(inputs), expected, rtol=1e-12)
    keras_2_form = np.clip(0.2 * inputs + 0.5, 0, 1)
    assert not np.allclose(activations.hard_sigmoid(inputs), keras_2_form)
    np.testing.assert_allclose(
        to_numpy(keras.activations.hard_sigmoid(inputs.astype("float32"))), expected, rtol=1e-6
    )


def test_leaky_relu_string_has_slope_0_2():
    function = activations.get("leaky_relu")
    np.testing.assert_allclose(function(np.array([-2.0, -1.0, 3.0])), [-0.4, -0.2, 3.0])
    slopes = activations.backward(function, np.ones(3), np.array([-2.0, -1.0, 3.0]), None)
    np.testing.assert_allclose(slopes, [0.2, 0.2, 1.0])


def test_softmax_runs_over_the_last_axis():
    inputs = points((2, 3, 5))
    outputs = activations.softmax(inputs)
    np.testing.assert_allclose(outputs.sum(axis=-1), np.ones((2, 3)), rtol=1e-12)
    assert (outputs > 0).all()
    np.testing.assert_allclose(outputs[1, 2], np.exp(inputs[1, 2]) / np.exp(inputs[1, 2]).sum(), rtol=1e-12)


def test_sigmoid_keeps_relative_precision_far_left():
    # 1 / (1 + exp(50)) is about 1.9e-22: a form that rounds to 0 there loses all relative precision.
    inputs = np.array([-50.0, -80.0], dtype="float32")
    np.testing.assert_allclose(activations.sigmoid(inputs), np.exp(inputs.astype("float64")), rtol=1e-5)


# ---------------------------------------------------------------- derivatives


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_finite_differences(name):
    function = activations.get(name)
    inputs = points((3, 5), seed=1)
    projection = np.random.default_rng(2).normal(size=inputs.shape)
    analytic = activations.backward(function, projection, inputs, function(inputs))
    numeric = numerical_gradient(lambda: np.sum(function(inputs) * projection), inputs)
    np.testing.assert_allclose(analytic, numeric, atol=1e-8, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_torch_autograd(torch, name):
    function = activations.get(name)
    inputs = torch.tensor(points((3, 5), seed=3), dtype=torch.float64, requires_grad=True)
    projection = torch.tensor(np.random.default_rng(4).normal(size=(3, 5)), dtype=torch.float64)
    outputs = function(inputs)
    (outputs * projection).sum().backward()
    ours = activations.backward(function, projection, inputs.detach(), outputs.detach())
    assert isinstance(ours, torch.Tensor)
    np.testing.assert_allclose(ours.numpy(), inputs.grad.numpy(), atol=1e-12, rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("name", NAMES)
def test_dense_with_each_activation_passes_the_gradient_check(name):
    check_gradients(Dense(4, activation=name, dtype="float64"), points((3, 5), seed=5, scale=1.0))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_forward_and_backward_keep_float32(name, backend):
    function = activations.get(name)
    inputs = points().astype("float32")
    if backend == "torch":
        torch = pytest.importorskip("torch")
        inputs = torch.from_numpy(inputs)
        ones, float32 = torch.ones_like(inputs), torch.float32
    else:
        ones, float32 = np.ones_like(inputs), np.float32
    outputs = function(inputs)
    grads = activations.backward(function, ones, inputs, outputs)
    assert outputs.dtype == float32 and grads.dtype == float32, name


# ---------------------------------------------------------------- stability


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", FINITE_NAMES)
def test_extreme_inputs_give_finite_values_without_warnings(name, dtype):
    function = activations.get(name)
    inputs = np.array([[-1e4, -1e3, -100.0, -1.0, 0.0, 1.0, 100.0, 1e3, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = function(inputs)
        grads = activations.backward(function, np.ones_like(inputs), inputs, outputs)
    assert np.isfinite(outputs).all() and np.isfinite(grads).all(), name


TAIL = np.array([-10.0, -20.0, -50.0, -100.0])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, derivative", [
    ("elu", lambda x: np.exp(x)),
    ("selu", lambda x: SELU_SCALE * SELU_ALPHA * np.exp(x)),
])
def test_elu_and_selu_gradients_keep_their_value_far_left(name, derivative, dtype):
    # grad * (y + alpha) cancels to exactly 0 below about -17 (float64) or -10 (float32, selu)
    inputs = TAIL.astype(dtype)
    function = activations.get(name)
    grads = activations.backward(function, np.ones_like(inputs), inputs, function(inputs))
    expected = derivative(TAIL)  # float64, analytic
    assert (grads > 0).all(), (name, dtype, grads)
    if dtype == "float64":
        np.testing.assert_allclose(grads, expected, rtol=1e-12)
    else:  # exp(-100) is subnormal in float32: a few ulps of 1.4e-45 absolute there
        np.testing.assert_allclose(grads, expected, rtol=1e-5, atol=1e-44)


def test_elu_and_selu_tails_match_torch_autograd(torch):
    from teachkeras.layers import ELU

    for dtype in (torch.float32, torch.float64):
        layer = ELU(alpha=0.5, dtype=str(dtype).split(".")[-1])
        for function, reference in ((activations.selu, torch.nn.functional.selu),
                                    (activations.elu, torch.nn.functional.elu),
                                    (layer, lambda t: torch.nn.functional.elu(t, alpha=0.5))):
            inputs = torch.tensor(TAIL, dtype=dtype, requires_grad=True)
            reference(inputs).sum().backward()
            plain = inputs.detach()
            if isinstance(function, ELU):
                function(plain)
                grads = function.backward(torch.ones_like(plain))
            else:
                grads = activations.backward(function, torch.ones_like(plain), plain, function(plain))
            assert (grads > 0).all(), (function, dtype)
            np.testing.assert_allclose(grads.numpy(), inputs.grad.numpy(), rtol=1e-5 if dtype == torch.float32 else 1e-12,
                                       atol=1e-44)


def test_extreme_inputs_on_torch(torch):
    inputs = torch.tensor([[-1e4, -100.0, 100.0, 1e4]])
    for name in FINITE_NAMES:
        function = activations.get(name)
        outputs = function(inputs)
        grads = activations.backward(function, torch.ones_like(inputs), inputs, outputs)
        assert torch.isfinite(outputs).all() and torch.isfinite(grads).all(), name


def test_saturated_derivatives_are_zero_not_nan():
    inputs = np.array([-1e4, 1e4])
    for name in ("sigmoid", "tanh", "hard_sigmoid"):
        function = activations.get(name)
        np.testing.assert_array_equal(activations.backward(function, np.ones(2), inputs, function(inputs)), [0.0, 0.0])


# ---------------------------------------------------------------- custom functions and lookup


def cube(x):
    return x ** 3


def test_custom_callable_is_used_as_is_and_differentiated_numerically():
    assert activations.get(cube) is cube
    assert activations.serialize(cube) == "cube"
    inputs = np.array([-1.5, -0.2, 0.7, 2.0])
    estimated = activations.backward(cube, np.ones(4), inputs, cube(inputs))
    np.testing.assert_allclose(estimated, 3 * inputs ** 2, rtol=1e-7)
    float32 = activations.backward(cube, np.ones(4, dtype="float32"), inputs.astype("float32"), None)
    assert float32.dtype == np.float32


def test_custom_callable_on_torch(torch):
    inputs = torch.tensor([-1.5, 0.7, 2.0], dtype=torch.float32)
    estimated = activations.backward(cube, torch.ones(3), inputs, cube(inputs))
    assert estimated.dtype == torch.float32
    np.testing.assert_allclose(estimated.numpy(), 3 * inputs.numpy() ** 2, rtol=1e-5)


def test_layers_accept_a_custom_callable_and_its_gradient_checks():
    layer = Dense(3, activation=cube, dtype="float64")
    assert layer.get_config()["activation"] == "cube"
    check_gradients(layer, points((2, 4), seed=6, scale=0.5))
    check_gradients(Activation(np.sin, dtype="float64"), points((2, 4), seed=7))


def test_lookup_by_name_round_trips_and_none_is_linear():
    assert activations.get(None) is activations.linear
    for name in NAMES:
        function = activations.get(name)
        assert activations.serialize(function) == name
        assert activations.deserialize(name) is function


@pytest.mark.parametrize("identifier, message", [
    ("relux", r"unknown activation 'relux' \(did you mean 'relu'\?\); expected one of \['elu'"),
    ("Tanh", r"unknown activation 'Tanh'"),
    (3, r"expected an activation name, a function or None, received 3"),
])
def test_bad_identifiers_are_refused_with_a_clear_message(identifier, message):
    with pytest.raises(ValueError, match=message):
        activations.get(identifier)


# ---------------------------------------------------------------- custom callables that are not elementwise


@pytest.mark.parametrize("function, name", [
    (lambda x: activations.softmax(2 * x), "<lambda>"),          # mixes the entries of a row
    (lambda x: x - x.mean(axis=0, keepdims=True), "<lambda>"),    # mixes the samples of a batch
    (lambda x: x[..., :1] * x, "<lambda>"),                       # every output reads the first column
])
def test_non_elementwise_callable_is_refused_not_trained_on_a_wrong_gradient(function, name):
    inputs = points((3, 4), seed=8)
    with pytest.raises(ValueError, match=rf"activation '{re.escape(name)}' is not elementwise.*"
                                         r"Subclass teachkeras.layers.Activation"):
        activations.backward(function, np.ones_like(inputs), inputs, function(inputs))
    layer = Dense(3, activation=function, dtype="float64")
    layer(inputs)
    with pytest.raises(ValueError, match="is not elementwise"):
        layer.backward(np.ones((3, 3)))


def test_non_elementwise_callable_is_refused_on_torch(torch):
    def doubled_softmax(x):
        return activations.softmax(2 * x)

    inputs = torch.from_numpy(points((2, 5), seed=9))
    with pytest.raises(ValueError, match="'doubled_softmax' is not elementwise"):
        activations.backward(doubled_softmax, torch.ones_like(inputs), inputs, doubled_softmax(inputs))


def test_a_callable_that_changes_the_shape_is_refused():
    def row_sums(x):
        return x.sum(axis=-1)

    inputs = points((2, 3), seed=10)
    with pytest.raises(ValueError, match="'row_sums' is not elementwise"):
        activations.backward(row_sums, np.ones(2), inputs, row_sums(inputs))


def test_an_elementwise_callable_is_checked_once_and_then_trusted():
    def square(x):
        return x * x

    calls = []

    def counted(x):
        calls.append(1)
        return square(x)

    inputs = points((2, 3), seed=11)
    first = activations.backward(counted, np.ones_like(inputs), inputs, None)
    calls_first = len(calls)
    second = activations.backward(counted, np.ones_like(inputs), inputs, None)
    np.testing.assert_allclose(first, 2 * inputs, rtol=1e-7)
    np.testing.assert_array_equal(first, second)
    assert len(calls) - calls_first < calls_first  # the second call skips the elementwise check


class SlotsTanh:
    """A callable with __slots__ and no __weakref__: it refuses weak references, as numpy ufuncs do."""
    __slots__ = ("calls",)

    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return np.tanh(x)


def test_callables_that_refuse_weak_references_are_checked_once(monkeypatch):
    inputs = points((2, 3), seed=14)
    counted = SlotsTanh()
    for _ in range(5):
        activations.backward(counted, np.ones_like(inputs), inputs, None)
    # 3 float64 passes for the check, then 2 per step for the central differences (25 if re-checked)
    assert counted.calls == 3 + 2 * 5
    probes = []
    original = activations._probe_elementwise
    monkeypatch.setattr(activations, "_probe_elementwise", lambda f, x: (probes.append(f), original(f, x)))
    layer = Dense(3, activation=np.sin, dtype="float64")
    tanh_layer = Activation(np.tanh, dtype="float64")
    for _ in range(5):  # five training steps
        layer(inputs)
        layer.backward(np.ones((2, 3)))
        tanh_layer(inputs)
        tanh_layer.backward(np.ones_like(inputs))
    assert probes.count(np.sin) <= 1 and probes.count(np.tanh) <= 1, probes
    assert activations._known_elementwise(np.sin) and activations._known_elementwise(np.tanh)
    np.testing.assert_allclose(tanh_layer.backward(np.ones_like(inputs)), 1 - np.tanh(inputs) ** 2, atol=1e-8)


def test_a_non_weak_referenceable_callable_that_mixes_entries_is_still_refused():
    class SlotsSoftmax:
        __slots__ = ()

        def __call__(self, x):
            return activations.softmax(2 * x)

    inputs = points((2, 3), seed=15)
    for _ in range(2):  # refused every time: only functions that passed are remembered
        with pytest.raises(ValueError, match="is not elementwise"):
            activations.backward(SlotsSoftmax(), np.ones_like(inputs), inputs, None)


@pytest.mark.parametrize("name", NAMES)
def test_numpy_and_torch_agree_in_float32(torch, name):
    function = activations.get(name)
    inputs = points((4, 6), seed=12).astype("float32")
    grad_outputs = np.random.default_rng(13).normal(size=inputs.shape).astype("float32")
    outputs_numpy = function(inputs)
    grads_numpy = activations.backward(function, grad_outputs, inputs, outputs_numpy)
    tensor = torch.from_numpy(inputs)
    outputs_torch = function(tensor)
    grads_torch = activations.backward(function, torch.from_numpy(grad_outputs), tensor, outputs_torch)
    assert isinstance(outputs_torch, torch.Tensor) and isinstance(grads_torch, torch.Tensor)
    np.testing.assert_allclose(outputs_torch.numpy(), outputs_numpy, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads_torch.numpy(), grads_numpy, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- the fast relu (issue 16)

SPECIAL_VALUES = [-math.inf, -2.0, -1e-30, -0.0, 0.0, 1e-30, 2.0, math.inf, math.nan]


def relu_inputs(dtype, size=600, seed=20):
    """Special values (signed zeros, infinities, a tiny number, NaN), then random ones."""
    values = np.concatenate([SPECIAL_VALUES, np.random.default_rng(seed).normal(size=size)])
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_fast_relu_equals_the_clear_form_on_numpy(torch, dtype):
    inputs = relu_inputs(dtype)
    outputs = activations.relu(inputs)
    assert isinstance(outputs, np.ndarray) and outputs.dtype == inputs.dtype
    np.testing.assert_array_equal(outputs, np.maximum(inputs, 0))  # equal values (NaN where NaN)
    # bit for bit torch's relu, the sign of -0.0 included (maximum writes +0.0 there)
    assert outputs.tobytes() == torch.relu(torch.from_numpy(inputs)).numpy().tobytes()
    assert np.signbit(activations.relu(np.array([-0.0], dtype=dtype)))[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fast_relu_equals_the_clear_form_on_torch(torch, dtype):
    inputs = torch.from_numpy(relu_inputs(dtype))
    outputs = activations.relu(inputs)
    assert isinstance(outputs, torch.Tensor) and outputs.dtype == inputs.dtype
    np.testing.assert_array_equal(outputs.numpy(), torch.maximum(inputs, torch.zeros(())).numpy())


def test_relu_keeps_maximum_for_integers_and_zero_dimensional_arrays():
    integers = np.array([-2, 0, 3])
    assert activations.relu(integers).dtype == integers.dtype
    np.testing.assert_array_equal(activations.relu(integers), [0, 0, 3])
    assert float(activations.relu(np.float32(-1.5))) == 0.0 and float(activations.relu(np.array(2.5))) == 2.5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_is_grad_times_the_mask(torch, dtype):
    inputs = relu_inputs(dtype)
    grad = np.random.default_rng(21).normal(size=inputs.shape).astype(dtype)
    expected = grad * (inputs > 0)
    ours = activations.backward(activations.relu, grad, inputs, activations.relu(inputs))
    assert ours.tobytes() == expected.tobytes()  # numpy: the product itself
    tensor, grad_tensor = torch.from_numpy(inputs), torch.from_numpy(grad)
    fast = activations.backward(activations.relu, grad_tensor, tensor, activations.relu(tensor))
    assert fast.dtype == tensor.dtype
    numbers = ~np.isnan(inputs)  # at a NaN input torch's threshold_backward passes grad on
    np.testing.assert_array_equal(fast.numpy()[numbers], expected[numbers])
    assert (fast.numpy()[inputs == 0] == 0).all()  # the kink rule: slope 0 at 0


def test_relu_backward_on_torch_falls_back_to_the_product(torch, monkeypatch):
    inputs = torch.from_numpy(relu_inputs("float64"))
    grad = torch.from_numpy(np.random.default_rng(22).normal(size=tuple(inputs.shape)))
    expected = grad * (inputs > 0)
    # mixed dtypes and broadcast shapes keep the product's dtype and shape
    mixed = activations.backward(activations.relu, grad.float(), inputs, None)
    assert mixed.dtype == torch.float32 and torch.equal(mixed, grad.float() * (inputs > 0))
    row = activations.backward(activations.relu, torch.ones(3, 1, dtype=torch.float64), inputs[:4], None)
    assert tuple(row.shape) == (3, 4)
    # a torch without threshold_backward takes the product
    monkeypatch.setattr(activations, "_torch_threshold_backward", lambda: None)
    fallback = activations.backward(activations.relu, grad, inputs, None)
    assert fallback.numpy().tobytes() == expected.numpy().tobytes()


def test_relu_works_on_torch_tensors_that_require_grad(torch):
    inputs = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    outputs = activations.relu(inputs)
    outputs.sum().backward()
    np.testing.assert_array_equal(inputs.grad.numpy(), [0.0, 0.0, 1.0])  # torch's relu: slope 0 at 0, our rule
    grad = torch.ones(3, dtype=torch.float64, requires_grad=True)
    ours = activations.backward(activations.relu, grad, inputs, outputs)
    np.testing.assert_array_equal(ours.detach().numpy(), [0.0, 0.0, 1.0])
    ours.sum().backward()  # differentiable, as the product was
    np.testing.assert_array_equal(grad.grad.numpy(), [0.0, 0.0, 1.0])


# ---------------------------------------------------------------- backend.where (issue 16)

SELECTING = ["sigmoid", "leaky_relu", "elu", "selu", "silu", "softplus", "mish", "gelu"]


def where_inputs(dtype, seed=30):
    """Special values (denormals too), then enough random ones for where's bit route (8192 on torch)."""
    specials = SPECIAL_VALUES + [1e-40, -1e-40, 1e-310, -1e-310]
    return np.concatenate([specials, np.random.default_rng(seed).normal(scale=3.0, size=9000)]).astype(dtype)


def assert_same_with_the_library_where(monkeypatch, results):
    """``results()`` gives the same bytes through ``backend.where``'s bit route and through the library's
    own ``where`` alone (inf * 0 makes NaN on purpose: numpy's RuntimeWarnings are silenced)."""
    with np.errstate(invalid="ignore", over="ignore"):
        fast = results()
        library_where_only(monkeypatch)
        assert fast == results()


def library_where_only(monkeypatch):
    """Make backend.where hand every call to the library's own where (the clear form)."""
    from teachkeras import backend

    monkeypatch.setattr(backend, "_BRANCH_FREE_MIN_SIZE", {"numpy": math.inf, "torch": math.inf})


@pytest.mark.parametrize("library", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activations_through_where_are_bitwise_the_library_where(torch, monkeypatch, library, dtype):
    inputs = where_inputs(dtype)
    grad = np.random.default_rng(31).normal(size=inputs.shape).astype(dtype)
    if library == "torch":
        inputs, grad = torch.from_numpy(inputs), torch.from_numpy(grad)

    def results():
        out = {}
        for name in SELECTING:
            function = activations.get(name)
            outputs = function(inputs)
            grad_inputs = activations.backward(function, grad, inputs, outputs)
            out[name] = to_numpy(outputs).tobytes(), to_numpy(grad_inputs).tobytes()
        out["relu options"] = to_numpy(activations.relu(inputs, 0.1, 6.0, 0.5)).tobytes()
        return out

    assert_same_with_the_library_where(monkeypatch, results)


@pytest.mark.parametrize("library", ["numpy", "torch"])
def test_activation_layers_through_where_are_bitwise_the_library_where(torch, monkeypatch, library):
    from teachkeras import initializers
    from teachkeras.layers import ELU, LeakyReLU, PReLU, ReLU

    inputs = where_inputs("float32").reshape(1, -1)
    grad = np.random.default_rng(32).normal(size=inputs.shape).astype("float32")
    if library == "torch":
        inputs, grad = torch.from_numpy(inputs), torch.from_numpy(grad)

    def results():
        out = []
        for layer in (LeakyReLU(), PReLU(alpha_initializer=initializers.RandomUniform(seed=3)),
                      ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5), ELU(alpha=0.5)):
            outputs = layer(inputs)
            out.append((to_numpy(outputs).tobytes(), to_numpy(layer.backward(grad)).tobytes()))
            if isinstance(layer, PReLU):
                out.append(to_numpy(layer.alpha.grad).tobytes())
        return out

    assert_same_with_the_library_where(monkeypatch, results)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_adds_relu_as_it_added_maximum(torch, dtype):
    inputs = where_inputs(dtype)
    expected = np.log1p(np.exp(-np.abs(inputs))) + np.maximum(inputs, 0)  # maximum writes +0.0 at -0.0; same sum
    assert activations.softplus(inputs).tobytes() == expected.tobytes()
    tensor = torch.from_numpy(inputs)
    expected = torch.log1p(torch.exp(-torch.abs(tensor))) + torch.maximum(tensor, torch.zeros(()))
    ours, numbers = activations.softplus(tensor).numpy(), ~np.isnan(inputs)
    assert ours[numbers].tobytes() == expected.numpy()[numbers].tobytes()
    assert np.isnan(ours[~numbers]).all()  # torch's maximum writes a NaN with other bits (all ones), relu the input's
