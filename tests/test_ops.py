"""Tests of teachkeras.ops (built in notebooks/01_axis_sums.ipynb): reductions, stable softmax, unbroadcast."""

import itertools
import re
import warnings

import numpy as np
import pytest

from teachkeras import ops
from teachkeras.backend import to_numpy

torch = pytest.importorskip("torch")

REDUCTIONS = [(ops.sum, np.sum), (ops.mean, np.mean), (ops.max, np.max)]
AXIS_FUNCTIONS = [ops.sum, ops.mean, ops.max, ops.logsumexp, ops.softmax, ops.log_softmax]


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(2, 3, 4))


@pytest.fixture
def no_warnings():
    """Turn every warning into an error inside the test (an overflow would fail it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def reference_softmax(rows):
    """Softmax of float64 rows computed one at a time in Python floats with the max shift."""
    out = np.empty_like(rows)
    for index, row in enumerate(rows):
        exps = [np.exp(value - row.max()) for value in row]
        out[index] = [value / np.sum(exps) for value in exps]
    return out


def loop_unbroadcast(grad, shape):
    """Add each entry of grad to the entry of a ``shape`` array it was broadcast from."""
    out = np.zeros(shape)
    added = grad.ndim - len(shape)
    for index in np.ndindex(grad.shape):
        out[tuple(0 if length == 1 else i for i, length in zip(index[added:], shape))] += grad[index]
    return out


# ---------------------------------------------------------------- sum, mean, max


def test_the_notes_example():
    a = np.array([[1, 2], [3, 4], [5, 6]])
    assert ops.sum(a, axis=0).tolist() == [9, 12]
    assert ops.sum(a, axis=1).tolist() == [3, 7, 11]
    assert ops.sum(a).item() == 21


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -3, (0, 2), (2, 0), (-1, 0), (0, 1, 2), ()])
@pytest.mark.parametrize("ours, reference", REDUCTIONS, ids=["sum", "mean", "max"])
def test_reductions_match_numpy(x, ours, reference, axis, keepdims):
    expected = reference(x, axis=axis, keepdims=keepdims)
    got = ours(x, axis=axis, keepdims=keepdims)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_axis_as_list_or_numpy_integer(x):
    np.testing.assert_allclose(ops.sum(x, axis=[0, 2]), np.sum(x, axis=(0, 2)))
    np.testing.assert_allclose(ops.mean(x, axis=np.int64(1)), np.mean(x, axis=1))
    np.testing.assert_allclose(ops.max(x, axis=(np.int32(0), -1)), np.max(x, axis=(0, -1)))


def test_sum_and_max_keep_integer_dtype_mean_gives_floatx():
    a = np.array([[1, 2], [3, 4], [5, 6]])
    assert ops.sum(a, axis=0).dtype == a.dtype
    assert ops.max(a, axis=0).dtype == a.dtype
    assert ops.mean(a, axis=0).dtype == np.float32
    assert ops.mean(a, axis=0).tolist() == [3.0, 4.0]
    assert ops.mean(torch.as_tensor(a), axis=0).dtype == torch.float32  # torch.mean refuses integers


def test_reductions_keep_float_dtype(x):
    x32 = x.astype(np.float32)
    for function in [ops.sum, ops.mean, ops.max, ops.logsumexp]:
        assert function(x32, axis=1).dtype == np.float32, function.__name__


# ---------------------------------------------------------------- bad axes


@pytest.mark.parametrize("function", AXIS_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis, complaint", [
    (2, "in [-2, 1]"), (-3, "in [-2, 1]"), ((0, 5), "in [-2, 1]"),
    ((0, -2), "same dimension twice"), ((1, 1), "same dimension twice"),
    (1.0, "an integer or a tuple"), (True, "an integer or a tuple"), ("0", "an integer or a tuple"),
    ((0, None), "an integer or a tuple"),
])
def test_bad_axis_names_function_and_axis(function, axis, complaint):
    with pytest.raises(ValueError) as error:
        function(np.ones((3, 2)), axis=axis)
    message = str(error.value)
    assert message.startswith(f"{function.__name__}: ")
    assert f"axis={axis!r}" in message and complaint in message
    assert "2 dimensions" in message or "an integer or a tuple" in message


def test_axis_on_a_scalar_input():
    with pytest.raises(ValueError, match=r"sum: axis must be None \(the input is a scalar\).*axis=0"):
        ops.sum(np.float64(3.0), axis=0)
    assert ops.sum(np.array(3.0)) == 3.0


@pytest.mark.parametrize("function", AXIS_FUNCTIONS, ids=lambda f: f.__name__)
def test_bad_axis_error_is_the_same_on_torch(function):
    with pytest.raises(ValueError, match=rf"^{function.__name__}: axis must be in \[-2, 1\].*axis=2$"):
        function(torch.ones(3, 2), axis=2)


# ---------------------------------------------------------------- logsumexp, softmax, log_softmax


def test_softmax_matches_a_reference_and_sums_to_one():
    rows = np.random.default_rng(1).normal(scale=5.0, size=(6, 5))
    probabilities = ops.softmax(rows)
    np.testing.assert_allclose(probabilities, reference_softmax(rows), rtol=1e-12)
    np.testing.assert_allclose(np.sum(probabilities, axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(ops.log_softmax(rows), np.log(probabilities), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ops.logsumexp(rows, axis=1), np.log(np.sum(np.exp(rows), axis=1)), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("offset", [1e4, -1e4])
def test_stable_at_large_and_small_scores(no_warnings, offset, dtype):
    rows = (np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 2.0]]) + offset).astype(dtype)
    base = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 2.0]])
    np.testing.assert_allclose(ops.softmax(rows), reference_softmax(base), rtol=1e-5)
    np.testing.assert_allclose(ops.log_softmax(rows), np.log(reference_softmax(base)), rtol=1e-4, atol=1e-4)
    expected = offset + np.log(np.sum(np.exp(base), axis=1))
    np.testing.assert_allclose(ops.logsumexp(rows, axis=1), expected, rtol=1e-6)
    assert np.isfinite(ops.logsumexp(rows)).all()


def test_naive_formula_would_have_overflowed():
    """The point of the shift: without it, the same rows give inf and nan."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        assert np.isnan(np.exp(np.array([1e4])) / np.exp(np.array([1e4]))).all()
        assert np.isneginf(np.log(np.sum(np.exp(np.array([-1e4, -1e4])))))
    assert np.isclose(ops.logsumexp(np.array([-1e4, -1e4])), -1e4 + np.log(2.0))


def test_all_negative_infinity_rows(no_warnings):
    rows = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 1.0]])
    totals = ops.logsumexp(rows, axis=-1)
    assert np.isneginf(totals[0]) and np.isclose(totals[1], np.log(1.0 + np.e))
    probabilities = ops.softmax(rows)
    assert np.isnan(probabilities[0]).all()  # no distribution, as in Keras and torch
    np.testing.assert_allclose(probabilities[1], [1 / (1 + np.e), 0.0, np.e / (1 + np.e)])
    log_probabilities = ops.log_softmax(rows)
    assert np.isnan(log_probabilities[0]).all()
    assert np.isneginf(log_probabilities[1, 1]) and np.isfinite(log_probabilities[1, [0, 2]]).all()
    assert np.isneginf(ops.logsumexp(np.full((2, 3), -np.inf)))
    assert np.isneginf(ops.logsumexp(torch.full((2, 3), -torch.inf), axis=1).numpy()).all()


def test_infinity_and_nan_inputs():
    with np.errstate(invalid="ignore"):
        assert np.isposinf(ops.logsumexp(np.array([np.inf, 1.0])))
        assert np.isnan(ops.logsumexp(np.array([np.nan, 1.0])))
        assert np.isnan(ops.softmax(np.array([np.inf, 1.0]))).all()  # as torch.softmax


def test_log_softmax_stays_finite_where_softmax_underflows(no_warnings):
    row = np.array([0.0, -1000.0, -2000.0])
    assert ops.softmax(row).tolist() == [1.0, 0.0, 0.0]
    assert ops.log_softmax(row).tolist() == [0.0, -1000.0, -2000.0]


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1), (1, 2), (0, 2)])
def test_softmax_family_along_any_axes(axis):
    values = np.random.default_rng(2).normal(scale=3.0, size=(2, 3, 4))
    tensor = torch.from_numpy(values)
    dim = tuple(range(values.ndim)) if axis is None else axis
    reference_lse = torch.logsumexp(tensor, dim=dim, keepdim=True)
    np.testing.assert_allclose(ops.logsumexp(values, axis=axis, keepdims=True), reference_lse.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ops.softmax(values, axis=axis), torch.exp(tensor - reference_lse).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ops.log_softmax(values, axis=axis), (tensor - reference_lse).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ops.sum(ops.softmax(values, axis=axis), axis=axis), 1.0, rtol=1e-12)


def test_logsumexp_shapes(x):
    assert ops.logsumexp(x).shape == ()
    assert ops.logsumexp(x, keepdims=True).shape == (1, 1, 1)
    assert ops.logsumexp(x, axis=1).shape == (2, 4)
    assert ops.logsumexp(x, axis=(0, 2), keepdims=True).shape == (1, 3, 1)
    assert ops.logsumexp(x, axis=(0, -1)).shape == (3,)
    assert ops.softmax(x).shape == x.shape and ops.log_softmax(x, axis=0).shape == x.shape


def test_integer_inputs_become_floatx():
    scores = np.array([[1, 2, 3]])
    for function in [ops.softmax, ops.log_softmax, ops.logsumexp]:
        assert function(scores).dtype == np.float32, function.__name__
        assert function(torch.as_tensor(scores)).dtype == torch.float32, function.__name__
    np.testing.assert_allclose(ops.softmax(scores), reference_softmax(scores.astype(float)), rtol=1e-6)


# ---------------------------------------------------------------- unbroadcast

BROADCAST_CASES = [
    ((32, 3), (3,)), ((2, 4, 3), (4, 1)), ((2, 4, 3), (1, 1, 3)), ((5, 1), (1,)), ((2, 3), (2, 3)),
    ((2, 3), ()), ((6, 5, 4), (5, 1)), ((3, 4, 5), (3, 1, 1)), ((3, 1), (1, 1)), ((4, 3), (1, 3)),
    ((2, 0, 3), (3,)),
]


@pytest.mark.parametrize("grad_shape, shape", BROADCAST_CASES)
def test_unbroadcast_matches_loop_and_torch_autograd(grad_shape, shape):
    grad = np.random.default_rng(3).normal(size=grad_shape)
    ours = ops.unbroadcast(grad, shape)
    assert ours.shape == shape
    np.testing.assert_allclose(ours, loop_unbroadcast(grad, shape), rtol=1e-12, atol=1e-12)
    parameter = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    torch.sum((torch.zeros(grad_shape, dtype=torch.float64) + parameter) * torch.from_numpy(grad)).backward()
    np.testing.assert_allclose(ours, parameter.grad.numpy(), rtol=1e-12, atol=1e-12)
    on_torch = ops.unbroadcast(torch.from_numpy(grad), shape)
    assert isinstance(on_torch, torch.Tensor)
    np.testing.assert_allclose(on_torch.numpy(), ours, rtol=1e-12, atol=1e-12)


def test_unbroadcast_bias_gradient_is_batch_sum():
    grad = np.random.default_rng(4).normal(size=(8, 5))
    np.testing.assert_allclose(ops.unbroadcast(grad, (5,)), grad.sum(axis=0))
    assert ops.unbroadcast(grad, (8, 5)) is grad  # nothing to sum: the same array back


def test_unbroadcast_accepts_any_shape_sequence():
    grad = np.ones((2, 4, 3))
    assert ops.unbroadcast(grad, [4, 1]).shape == (4, 1)
    assert ops.unbroadcast(grad, np.array([1, 3])).shape == (1, 3)
    assert ops.unbroadcast(torch.ones(2, 4, 3), torch.Size([4, 1])).shape == (4, 1)


@pytest.mark.parametrize("grad_shape, shape", [
    ((6, 1, 4), (5, 1)), ((3,), (2, 3)), ((4, 3), (4,)), ((2, 3), (3, 2)), ((), (1,)),
])
def test_unbroadcast_rejects_shapes_that_do_not_broadcast(grad_shape, shape):
    message = f"^unbroadcast: shape {re.escape(str(shape))} does not broadcast to the shape of grad {re.escape(str(grad_shape))}"
    with pytest.raises(ValueError, match=message):
        ops.unbroadcast(np.ones(grad_shape), shape)


@pytest.mark.parametrize("shape", [3, (2.0, 3), None, ("a",)])
def test_unbroadcast_rejects_a_bad_shape_argument(shape):
    with pytest.raises(ValueError, match=r"^unbroadcast: shape must be a tuple of integers, received shape="):
        ops.unbroadcast(np.ones((2, 3)), shape)


# ---------------------------------------------------------------- numpy and torch give the same answers

PARITY_CALLS = {
    "sum": lambda v: ops.sum(v, axis=(0, 2)),
    "sum_all": lambda v: ops.sum(v),
    "mean": lambda v: ops.mean(v, axis=1, keepdims=True),
    "max": lambda v: ops.max(v, axis=-1),
    "logsumexp": lambda v: ops.logsumexp(v, axis=1),
    "logsumexp_all": lambda v: ops.logsumexp(v),
    "softmax": lambda v: ops.softmax(v),
    "softmax_axis0": lambda v: ops.softmax(v, axis=0),
    "log_softmax": lambda v: ops.log_softmax(v, axis=(1, 2)),
    "unbroadcast": lambda v: ops.unbroadcast(v, (3, 1)),
}


@pytest.mark.parametrize("name", list(PARITY_CALLS))
def test_numpy_torch_parity(name):
    values = np.random.default_rng(5).normal(scale=4.0, size=(2, 3, 4)).astype(np.float32)
    on_numpy = PARITY_CALLS[name](values)
    on_torch = PARITY_CALLS[name](torch.from_numpy(values))
    assert isinstance(on_torch, torch.Tensor) and on_torch.dtype == torch.float32
    assert tuple(on_torch.shape) == np.shape(on_numpy)
    np.testing.assert_allclose(on_torch.numpy(), on_numpy, rtol=1e-5, atol=1e-6)


def test_torch_tensors_on_device_stay_there():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tensor = torch.ones(4, 3, device=device)
    for result in [ops.sum(tensor, axis=0), ops.softmax(tensor), ops.unbroadcast(tensor, (3,))]:
        assert result.device.type == device


# ---------------------------------------------------------------- Keras is the oracle


@pytest.fixture(scope="module")
def keras_ops():
    keras = pytest.importorskip("keras")
    return keras.ops


@pytest.mark.parametrize("axis, keepdims", list(itertools.product([None, 0, -1, (0, 2)], [False, True])))
def test_against_keras_reductions_and_logsumexp(keras_ops, axis, keepdims):
    values = np.random.default_rng(6).normal(scale=10.0, size=(2, 3, 4)).astype(np.float32)  # Keras' floatx
    for ours, theirs in [(ops.sum, keras_ops.sum), (ops.mean, keras_ops.mean), (ops.max, keras_ops.max),
                         (ops.logsumexp, keras_ops.logsumexp)]:
        expected = to_numpy(theirs(values, axis=axis, keepdims=keepdims))
        got = ours(values, axis=axis, keepdims=keepdims)
        if axis is None and keepdims and ours in (ops.sum, ops.max):
            # Keras' torch backend drops keepdims for sum and max over every axis (its mean and
            # logsumexp keep it); teachkeras keeps it everywhere, as numpy does.
            assert got.shape == (1, 1, 1) and expected.shape == ()
            got = got.reshape(())
        assert np.shape(got) == expected.shape, ours.__name__
        assert got.dtype == expected.dtype, ours.__name__
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=ours.__name__)


@pytest.mark.parametrize("axis", [-1, 0, 1, (1, 2)])
def test_against_keras_softmax(keras_ops, axis):
    values = np.random.default_rng(7).normal(scale=10.0, size=(2, 3, 4))
    values[0, 0] += 1e4
    for ours, theirs in [(ops.softmax, keras_ops.softmax), (ops.log_softmax, keras_ops.log_softmax)]:
        expected = to_numpy(theirs(values, axis=axis))
        np.testing.assert_allclose(ours(values, axis=axis), expected, rtol=1e-10, atol=1e-12, err_msg=ours.__name__)


def test_against_keras_on_edge_rows(keras_ops):
    rows = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 2.0], [1e4, -1e4, 0.0]])
    for ours, theirs in [(ops.softmax, keras_ops.softmax), (ops.log_softmax, keras_ops.log_softmax)]:
        np.testing.assert_allclose(ours(rows), to_numpy(theirs(rows)), equal_nan=True)
    np.testing.assert_allclose(ops.logsumexp(rows, axis=-1),
                               to_numpy(keras_ops.logsumexp(rows, axis=-1)))


# ---------------------------------------------------------------- infinities without numpy warnings

INFINITE_ROWS = [
    [[np.inf, 1.0, 2.0]], [[np.inf, np.inf, 2.0]], [[np.inf, -np.inf]], [[-np.inf, -np.inf]],
    [[-np.inf, 1.0, 2.0]], [[np.inf, 1000.0]], [[-np.inf, 1000.0]], [[np.nan, 1.0]], [[np.inf, np.nan]],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rows", INFINITE_ROWS, ids=str)
def test_infinite_rows_match_keras_without_warnings(rows, dtype):
    keras = pytest.importorskip("keras")
    rows = np.array(rows, dtype=dtype)
    expected = {name: to_numpy(function(rows)) for name, function in [
        ("softmax", keras.ops.softmax), ("log_softmax", keras.ops.log_softmax),
        ("logsumexp", lambda x: keras.ops.logsumexp(x, axis=-1))]}
    for inputs in (rows, torch.from_numpy(rows)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy's "invalid value" / "overflow" RuntimeWarnings fail
            ours = {"softmax": ops.softmax(inputs), "log_softmax": ops.log_softmax(inputs),
                    "logsumexp": ops.logsumexp(inputs, axis=-1)}
        for name, values in ours.items():
            np.testing.assert_allclose(to_numpy(values), expected[name], rtol=1e-6, equal_nan=True, err_msg=name)


def test_logsumexp_of_inf_beside_a_large_number_is_inf_without_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ops.logsumexp(np.array([np.inf, 1000.0])) == np.inf
        assert np.isnan(ops.softmax(np.array([[np.inf, 1.0, 2.0]]))).all()
        assert np.isnan(ops.log_softmax(np.array([[np.inf, 1.0, 2.0]]))).all()
