"""The tape (chapter 08): every op's VJP against finite differences (float64) and torch autograd,
on numpy arrays and torch tensors, with broadcasting and repeated inputs; the errors for gradients
that cannot flow; Dense's hand-written backward equals the tape; the scalar Value engine."""

import math

import numpy as np
import pytest

from teachkeras import activations, ops
from teachkeras.autodiff import GradientTape, TapeError, Tensor, Value, grad, value_and_grad
from teachkeras.backend import erf, erfc, namespace, to_numpy
from teachkeras.layers import Conv2D, Dense
from teachkeras.testing import numerical_gradient

torch = pytest.importorskip("torch")
import array_api_compat.numpy as np_xp  # noqa: E402
import array_api_compat.torch as torch_xp  # noqa: E402

NORMAL, POSITIVE = "normal", "positive"


def case(name, function, *shapes, kinds=None):
    return pytest.param(function, shapes, kinds or (NORMAL,) * len(shapes), id=name)


# Each case is a function of (xp, *arrays) written against the array API, so the same function runs
# on traced arrays (numpy and torch) and, as the reference, on torch tensors under torch's autograd.
CASES = [
    case("add-broadcast", lambda xp, a, b: a + b, (3, 4), (4,)),
    case("add-repeated", lambda xp, a: a + a * a, (3, 4)),
    case("subtract-broadcast", lambda xp, a, b: a - b, (2, 1, 4), (3, 1)),
    case("multiply-repeated", lambda xp, a, b: a * b * a, (3, 4), (3, 1)),
    case("divide", lambda xp, a, b: a / b, (3, 4), (4,), kinds=(NORMAL, POSITIVE)),
    case("pow-arrays", lambda xp, a, b: a ** b, (3, 4), (3, 4), kinds=(POSITIVE, NORMAL)),
    case("pow-number", lambda xp, a: a ** 3, (3, 4)),
    case("reflected", lambda xp, a: 2.0 - a + 3 * a + 1.0 / (a * a + 1) + 2.0 ** a, (3, 4)),
    case("negative", lambda xp, a: -a, (3, 4)),
    case("matmul", lambda xp, a, b: a @ b, (3, 4), (4, 2)),
    case("matmul-batched-broadcast", lambda xp, a, b: a @ b, (2, 3, 4), (4, 5)),
    case("matmul-vector-left", lambda xp, a, b: a @ b, (4,), (2, 4, 3)),
    case("matmul-vector-right", lambda xp, a, b: a @ b, (3, 4), (4,)),
    case("matmul-vectors", lambda xp, a, b: xp.matmul(a, b), (4,), (4,)),
    case("exp", lambda xp, a: xp.exp(a), (3, 4)),
    case("log", lambda xp, a: xp.log(a), (3, 4), kinds=(POSITIVE,)),
    case("log1p-expm1", lambda xp, a: xp.log1p(a) + xp.expm1(a), (3, 4), kinds=(POSITIVE,)),
    case("sqrt-square", lambda xp, a: xp.sqrt(a) + xp.square(a), (3, 4), kinds=(POSITIVE,)),
    case("tanh-sin-cos-abs", lambda xp, a: xp.tanh(a) + xp.sin(a) * xp.cos(a) + xp.abs(a), (3, 4)),
    case("sum-all", lambda xp, a: xp.sum(a), (3, 4)),
    case("sum-axis", lambda xp, a: xp.sum(a, axis=1), (3, 4)),
    case("sum-axes-keepdims", lambda xp, a: xp.sum(a, axis=(0, 2), keepdims=True), (2, 3, 4)),
    case("mean-axis", lambda xp, a: xp.mean(a, axis=0), (3, 4)),
    case("max-axis", lambda xp, a: xp.max(a, axis=1), (3, 4)),
    case("min-all", lambda xp, a: xp.min(a), (3, 4)),
    case("var-std", lambda xp, a: xp.var(a, axis=0) + xp.std(a, axis=1, keepdims=True), (3, 4)),
    case("reshape-permute", lambda xp, a: xp.permute_dims(xp.reshape(a, (4, 3, 2)), (2, 0, 1)), (2, 3, 4)),
    case("transposes", lambda xp, a: a.T + a.mT * 2, (3, 3)),
    case("expand-squeeze", lambda xp, a: xp.squeeze(xp.expand_dims(a, axis=1), axis=1) * 2, (3, 4)),
    case("concat-repeated", lambda xp, a, b: xp.concat([a, b, a], axis=1), (3, 2), (3, 4)),
    case("stack", lambda xp, a, b: xp.stack([a, b, a * b], axis=-1), (3, 4), (3, 4)),
    case("moveaxis-broadcast_to", lambda xp, a: xp.moveaxis(xp.broadcast_to(a, (2, 3, 4)), 0, -1), (3, 4)),
    case("getitem-slices", lambda xp, a: a[1:, ::2] * a[0, 1::2], (3, 4)),
    case("getitem-repeated-indices", lambda xp, a: a[[0, 2, 0, 0]], (3, 4)),
    case("getitem-mask", lambda xp, a: a[a > 0], (3, 4)),
    case("where", lambda xp, a, b: xp.where(a > 0, a * b, b), (3, 4), (4,)),
    case("clip", lambda xp, a: xp.clip(a, -0.5, 0.7), (3, 4)),
    case("maximum-minimum", lambda xp, a, b: xp.maximum(a, b) + xp.minimum(a, 0.1), (3, 4), (4,)),
    case("astype", lambda xp, a: xp.astype(a, xp.float64) * 2, (3, 4)),
    case("ops-softmax", lambda xp, a: ops.softmax(a, axis=-1), (3, 4)),
    case("ops-log_softmax-axis0", lambda xp, a: ops.log_softmax(a, axis=0), (3, 4)),
    case("ops-logsumexp", lambda xp, a: ops.logsumexp(a, axis=1), (3, 4)),
    case("ops-mean-std-norm", lambda xp, a: ops.mean(a, axis=0) * ops.std(a) + ops.norm(a), (3, 4)),
    case("ops-clip-where-maximum", lambda xp, a: ops.clip(a, -1, 1) + ops.where(a > 0, a, 0.0) + ops.maximum(a, 0.2), (3, 4)),
    case("ops-reshape-transpose-concat-stack",
         lambda xp, a: ops.concatenate([ops.transpose(a), ops.reshape(a, (4, 3))], axis=0)
         + ops.sum(ops.stack([a, a], axis=0), axis=(0, 2)), (3, 4)),
    case("activations", lambda xp, a: activations.relu(a) + activations.sigmoid(a) + activations.tanh(a)
         + activations.softplus(a) + activations.silu(a) + activations.elu(a) + activations.leaky_relu(a)
         + activations.softsign(a) + activations.selu(a) + activations.gelu(a, approximate=True), (3, 4)),
    case("erf-erfc", lambda xp, a: erf(a) * erfc(0.5 * a) + erfc(-a), (3, 4)),
    case("gelu-exact", lambda xp, a: activations.gelu(a), (3, 4)),
    # Writing into arrays: functional updates on the tape, in-place writes under torch's autograd.
    case("setitem-into-zeros", lambda xp, a: write_into_zeros(xp, a) ** 2, (3, 4)),
    case("setitem-overwrite-broadcast", lambda xp, a, b: overwrite(xp, a, b), (3, 4), (2,)),
    case("setitem-mask-and-integers", lambda xp, a, b: overwrite_where(xp, a, b), (3, 4), (3, 4)),
    case("iadd-windows-and-in-place-operators", lambda xp, a, b: add_windows(xp, a, b), (3, 4), (4,)),
    case("creation-functions", lambda xp, a: made_arrays(xp, a), (3, 4)),
]


def write_into_zeros(xp, a):
    """Zeros around ``a`` (one row before, two after), written as numpy code pads."""
    padded = xp.zeros((a.shape[0] + 3, a.shape[1]), dtype=a.dtype)
    padded[1:-2] = a
    return padded


def overwrite(xp, a, b):
    """A computed array, partly overwritten by a broadcast ``b``; ``a`` is used again afterwards."""
    c = a * 1.5
    c[:, 1:3] = b
    c[0] = c[1] + b[0]           # a row of the new array, written into it (add saves no input: torch agrees)
    return c * a


def overwrite_where(xp, a, b):
    c = a * b
    c[a > 0] = 0.0               # a boolean mask from a traced comparison
    c[[0, 2], 1] = b[1, 1:3]     # integer arrays
    return c + a


def add_windows(xp, a, b):
    """Each row of ``a * b`` added into three windows, then the other in-place operators."""
    total = xp.zeros((a.shape[0] + 2, a.shape[1]), dtype=a.dtype)
    for offset in range(3):
        total[offset:offset + a.shape[0]] += a * b * (offset + 1)
    total -= b
    total *= b
    total /= 3.0
    total **= 2
    return total


def made_arrays(xp, a):
    """Arrays made by the namespace's creation functions, written into and computed with."""
    z = xp.zeros_like(a)
    z[..., 0] = a[..., 1]
    eye = xp.eye(a.shape[0], dtype=a.dtype)
    eye[0, 1] = a[0, 0]
    return (z + xp.ones_like(a) * a + xp.full_like(a, 2.0) * a * a + eye @ a
            + xp.full(a.shape, 0.5, dtype=a.dtype) * a + xp.arange(a.shape[1], dtype=a.dtype) * a)


def make_inputs(shapes, kinds, seed):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, kind in zip(shapes, kinds):
        if kind == POSITIVE:
            arrays.append(rng.uniform(0.5, 2.0, size=shape))
        else:  # away from the kinks of relu, abs, max, clip (|x| > 0.05, not near the clip bounds)
            values = rng.normal(size=shape)
            values = np.where(np.abs(values) < 0.05, 0.3, values)
            values = np.where(np.abs(values - 0.7) < 0.05, 0.3, values)
            values = np.where(np.abs(values + 0.5) < 0.05, 0.3, values)
            values = np.where(np.abs(values - 0.1) < 0.05, 0.3, values)
            values = np.where(np.abs(values - 0.2) < 0.05, 0.3, values)
            arrays.append(np.where(np.abs(np.abs(values) - 1) < 0.05, 0.3, values))
    return arrays


def torch_reference(function, arrays, weights):
    tensors = [torch.tensor(array, requires_grad=True) for array in arrays]
    torch.sum(function(torch_xp, *tensors) * torch.tensor(weights)).backward()
    return [tensor.grad.numpy() for tensor in tensors]


def tape_gradients(function, arrays, weights):
    with GradientTape() as tape:
        traced = tape.watch(list(arrays))
        xp = traced[0].__array_namespace__()
        output = function(xp, *traced)
    return tape.gradient(output, traced, output_gradients=weights)


@pytest.mark.parametrize("function, shapes, kinds", CASES)
def test_vjp_matches_finite_differences_and_torch_autograd(function, shapes, kinds):
    arrays = make_inputs(shapes, kinds, seed=len(shapes) + sum(map(len, shapes)))
    weights = np.random.default_rng(99).normal(size=np.shape(function(np_xp, *arrays)))
    expected = torch_reference(function, arrays, weights)
    numeric = [numerical_gradient(lambda: np.sum(function(np_xp, *arrays) * weights), array) for array in arrays]
    for name, to_backend in [("numpy", lambda a: a), ("torch", torch.tensor)]:
        gradients = tape_gradients(function, [to_backend(array) for array in arrays], to_backend(weights))
        for position, gradient in enumerate(gradients):
            assert type(gradient) is type(to_backend(arrays[position])), name
            gradient = ops.convert_to_numpy(gradient)
            assert gradient.shape == arrays[position].shape
            np.testing.assert_allclose(gradient, expected[position], rtol=1e-9, atol=1e-10, err_msg=f"{name} vs torch")
            np.testing.assert_allclose(gradient, numeric[position], rtol=1e-5, atol=1e-6, err_msg=f"{name} vs fd")


def test_at_ties_and_bounds_the_gradient_follows_the_documented_rule():
    # At a tie or a clip bound the derivative does not exist, and what torch autograd picks there is a
    # release's choice (it changed between torch 2.13 and 2.14), so this tests our documented rule:
    # tied inputs share the gradient equally; clip passes it on its closed interval [min, max].
    x = np.array([0.0, 1.0, -1.0, 1.0])
    expected = {"maximum": [0.5, 1.0, 0.0, 1.0], "max": [0.0, 0.5, 0.0, 0.5], "clip": [1.0, 0.0, 1.0, 0.0]}
    functions = {"maximum": lambda xp, a: xp.maximum(a, 0.0), "max": lambda xp, a: xp.max(a),
                 "clip": lambda xp, a: xp.clip(a, -1.0, 0.5)}
    for name, function in functions.items():
        ones = np.ones_like(function(np_xp, x))
        for to_backend in (np.asarray, torch.from_numpy):
            (gradient,) = tape_gradients(function, [to_backend(x)], to_backend(ones))
            np.testing.assert_array_equal(to_numpy(gradient), expected[name], err_msg=name)
    # Away from ties and bounds the rule is the derivative, as torch computes it.
    smooth = np.array([0.3, 1.2, -0.7, 2.0])
    for function in functions.values():
        (gradient,) = tape_gradients(function, [smooth], np.ones_like(function(np_xp, smooth)))
        np.testing.assert_allclose(gradient, torch_reference(function, [smooth], np.ones_like(function(np_xp, smooth)))[0])


def test_float32_gradients_keep_their_dtype_and_mixed_plain_arrays_work():
    x = np.ones((2, 3), dtype="float32")
    constant = np.arange(3.0, dtype="float32")
    with GradientTape() as tape:
        w = tape.watch(x)
        loss = ops.sum(constant * w) + ops.sum(w @ np.ones((3, 2), dtype="float32"))  # plain array left
    gradient = tape.gradient(loss, w)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, np.broadcast_to(constant + 2, (2, 3)))
    t = torch.ones(2, 3, dtype=torch.float64)
    with GradientTape() as tape:
        w = tape.watch(t)
        loss = ops.sum(torch.arange(3.0, dtype=torch.float64) * w)           # plain tensor on the left
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), [[0, 1, 2], [0, 1, 2]])


def test_functional_forms_persistent_tape_and_unconnected_sources():
    value, gradient = value_and_grad(lambda x: ops.sum(x ** 2))(np.array([1.0, 2.0]))
    assert float(value) == 5.0 and gradient.tolist() == [2.0, 4.0]
    assert grad(lambda x, y: ops.sum(x * y), argnums=(0, 1))(np.ones(2), np.full(2, 3.0))[1].tolist() == [1.0, 1.0]
    with GradientTape(persistent=True) as tape:
        x, unused = tape.watch([np.array([3.0]), np.array([1.0])])
        y = x * x
        z = y * 2
    assert tape.gradient(z, y).tolist() == [2.0] and tape.gradient(z, x).tolist() == [12.0]
    assert tape.gradient(z, unused) is None
    assert tape.gradient(z, [unused], unconnected_gradients="zero")[0].tolist() == [0.0]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "softmax", "sigmoid", None])
def test_dense_hand_written_backward_equals_the_tape(backend, activation):
    layer = Dense(5, activation=activation)
    layer.build_for((4, 3))
    rng = np.random.default_rng(3)
    inputs, grad_outputs = rng.normal(size=(4, 3)), rng.normal(size=(4, 5))
    layer.kernel.assign(rng.normal(size=(3, 5)))
    layer.bias.assign(rng.normal(size=(5,)))
    convert = (lambda a: a.astype("float32")) if backend == "numpy" else (lambda a: torch.tensor(a, dtype=torch.float32))
    layer.to(None if backend == "numpy" else "cpu")
    inputs, grad_outputs = convert(inputs), convert(grad_outputs)
    with GradientTape() as tape:
        traced = tape.watch(inputs)
        tape.watch([layer.kernel, layer.bias])
        outputs = layer.call(traced)
    by_tape = tape.gradient(outputs, [traced, layer.kernel, layer.bias], output_gradients=grad_outputs)
    assert not isinstance(layer.kernel.value, type(traced))  # the variable holds its plain array again
    layer.call(inputs)
    by_hand = [layer.backward(grad_outputs), layer.kernel.grad, layer.bias.grad]
    for a, b in zip(by_tape, by_hand):
        np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b), rtol=1e-5, atol=1e-6)


def watched_loss(make_loss, x=None):
    with GradientTape() as tape:
        w = tape.watch(np.linspace(-1, 1, 6).reshape(2, 3) if x is None else x)
        loss = make_loss(w)
    return tape.gradient(loss, w)


@pytest.mark.parametrize("make_loss, op", [
    (lambda w: ops.sum(ops.cast(ops.argmax(w, axis=1), "float32")), "argmax"),
    (lambda w: ops.sum(ops.round(w * 3)), "round"),
    (lambda w: ops.sum(ops.sign(w) * 2), "sign"),
    (lambda w: ops.mean(ops.cast(w > 0, "float64")), "greater"),
    (lambda w: ops.sum(ops.cast(ops.equal(w, 0.2), "float64") * 3), "equal"),
])
def test_a_loss_through_a_non_differentiable_op_names_it(make_loss, op):
    with pytest.raises(TapeError, match=f"passes '{op}', which is not differentiable"):
        watched_loss(make_loss)


@pytest.mark.parametrize("escape, named", [
    (np.asarray, "np.asarray"), (lambda a: float(ops.sum(a)), "float()"), (np.exp, "np.exp"),
    (lambda a: a.item() if a.size == 1 else np.sum(a), "np.sum"), (lambda a: np.array(a), "np.asarray"),
])
def test_leaving_the_tape_is_an_error(escape, named):
    with pytest.raises(TapeError, match=f"{named}.*off the tape"):
        watched_loss(lambda w: ops.sum(escape(w * 2)))
    with pytest.raises(TapeError, match="torch.exp"):
        watched_loss(lambda w: torch.exp(w), x=torch.ones(2))


def test_an_op_without_vjp_is_named_when_a_gradient_reaches_it():
    with pytest.raises(TapeError, match="prod has no vector-Jacobian product"):
        watched_loss(lambda w: ops.prod(w))
    watched_loss(lambda w: ops.sum(w) + 0 * ops.prod(w).__class__.__name__.count("x"))  # not reached: fine


def test_freed_tape_and_in_place_changes_are_detected():
    with GradientTape() as tape:
        w = tape.watch(np.ones(3))
        loss = ops.sum(w * w)
    tape.gradient(loss, w)
    with pytest.raises(TapeError, match="freed by its first gradient"):
        tape.gradient(loss, w)
    plain = np.ones(3)
    with GradientTape() as tape:
        w = tape.watch(plain)
        loss = ops.sum(ops.exp(w))
    plain += 1
    with pytest.raises(TapeError, match="changed in place"):
        tape.gradient(loss, w)
    layer = Dense(2)
    layer.build_for((1, 3))
    for device in (None, "cpu"):
        layer.to(device)
        with GradientTape() as tape:
            tape.watch(layer.kernel)
            loss = ops.sum(layer.call(ops.ones((1, 3)) if device is None else torch.ones(1, 3)))
        layer.kernel.assign(layer.kernel.numpy() + 1)  # an optimizer step, too early
        with pytest.raises(TapeError, match="Variable .*kernel' was changed in place"):
            tape.gradient(loss, layer.kernel)
    with GradientTape() as tape:
        w = tape.watch(np.ones(3))
        with pytest.raises(TapeError, match="in place"):
            w += 1
        with pytest.raises(TapeError, match="in place"):
            w[0] = 2.0
        with pytest.raises(TapeError, match="in place"):
            namespace(w).maximum(w, 0.0, out=w)


def test_targets_and_sources_that_are_not_on_the_tape():
    with GradientTape() as tape:
        w = tape.watch(np.ones(3))
        loss = ops.sum(w)
    with pytest.raises(TapeError, match="target is a plain float"):
        tape.gradient(1.5, w)
    layer = Dense(2)
    layer.build_for((1, 3))
    with pytest.raises(TapeError, match="was not watched"):
        tape.gradient(loss, layer.kernel)
    assert float(loss) == 3.0 and np.asarray(w).tolist() == [1.0, 1.0, 1.0]  # after the block: plain values


def test_scalar_value_engine_matches_the_chain_rule():
    a, b = Value(2.0), Value(-3.0)
    c = (a * b + a / b - 2) ** 2 + (1 - a).tanh() * 3
    c.backward()
    def f(x, y):
        return (x * y + x / y - 2) ** 2 + math.tanh(1 - x) * 3
    step = 1e-6
    assert abs(a.grad - (f(2 + step, -3) - f(2 - step, -3)) / (2 * step)) < 1e-6
    assert abs(b.grad - (f(2, -3 + step) - f(2, -3 - step)) / (2 * step)) < 1e-6
    c.backward()  # twice: same answer, gradients are reset first
    assert abs(a.grad - (f(2 + step, -3) - f(2 - step, -3)) / (2 * step)) < 1e-6


# ---------------------------------------------------------------- writing into arrays on the tape

def test_a_write_makes_a_new_array_and_keeps_what_earlier_nodes_saved():
    def square_then_write(x):
        y = x * 1.0
        z = y * y                  # saves y for its VJP
        alias = y
        y[0] = 10.0                # the name y (and its alias) move on to a copy
        assert alias is y and float(ops.convert_to_numpy(y)[0]) == 10.0
        return ops.sum(z) + ops.sum(y)

    with GradientTape() as tape:
        x = tape.watch(np.array([1.0, 2.0, 3.0]))
        saved = x * 1.0
        before = saved.data
        loss = square_then_write(x)
    assert tape.gradient(loss, x).tolist() == [2.0, 5.0, 7.0]   # 2 * x + [0, 1, 1]
    assert before.tolist() == [1.0, 2.0, 3.0]


def test_constants_are_not_on_the_tape_and_may_leave_it():
    with GradientTape() as tape:
        x = tape.watch(np.ones((2, 3)))
        xp = namespace(x)
        zeros = xp.zeros((2, 3), dtype=x.dtype)
        assert isinstance(zeros, Tensor) and zeros.op == "constant" and zeros.tape is None
        both = xp.ones_like(x) + zeros * 2            # constants alone: a constant, no node
        assert isinstance(both, Tensor) and both.op == "constant"
        assert np.asarray(both).tolist() == [[1.0] * 3] * 2 and float(xp.sum(both)) == 6.0  # leaving is fine
        assert not tape.nodes
        y = ops.sum(x * both)
    assert [node.op for node in tape.nodes] == ["multiply", "sum"]
    assert tape.gradient(y, x).tolist() == [[1.0] * 3] * 2
    assert not isinstance(np.zeros(2) + 1, Tensor)  # no tape records: plain arrays as before
    assert type(namespace(x).zeros(2)) is np.ndarray


def test_out_argument_is_a_write_like_the_others():
    a_plain, b_plain = np.array([[-1.0, 2.0], [0.5, -3.0]]), np.array([0.0, 1.0])
    results = []
    for use_out in (True, False):
        with GradientTape() as tape:
            a, b = tape.watch([a_plain, b_plain])
            xp = namespace(a)
            c = a * 2.0
            if use_out:
                assert xp.maximum(c, b, out=c) is c
            else:
                c = xp.maximum(c, b)
            loss = ops.sum(c * c)
        results.append(tape.gradient(loss, [a, b]))
    for with_out, without in zip(*results):
        np.testing.assert_array_equal(with_out, without)


def test_writes_that_cannot_be_functional_updates_are_refused():
    with GradientTape() as tape:
        x = tape.watch(np.ones((3, 4)))
        y = x * 2.0
        with pytest.raises(TapeError, match="view of another one"):
            y[1:][0] = 5.0                             # numpy would write into y; a copy would not
        with pytest.raises(TapeError, match="view of another one"):
            namespace(y).reshape(y, (4, 3))[0] = 1.0
        plain = np.zeros((3, 4))
        with pytest.raises(TapeError, match="off the tape"):
            plain[0] = y[0]                            # a plain array cannot hold a traced one
        with pytest.raises(TapeError, match="off the tape"):
            plain += y
        y[1:] += 1.0                                   # through y itself: fine
    np.testing.assert_array_equal(y.data, [[2.0] * 4, [3.0] * 4, [3.0] * 4])


def test_a_built_in_layer_stays_one_node():
    """The layers' own writes (padding into zeros) run on plain arrays inside their one node."""
    layer = Conv2D(2, 3, padding="same", dtype="float64")
    layer.build_for((1, 5, 5, 2))
    with GradientTape() as tape:
        x = tape.watch(np.random.default_rng(0).normal(size=(1, 5, 5, 2)))
        y = layer(x)
        loss = ops.sum(y * y)
    assert [node.op for node in tape.nodes] == [f"layer {layer.name}", "multiply", "sum"]
    assert tape.gradient(loss, x).shape == (1, 5, 5, 2)
