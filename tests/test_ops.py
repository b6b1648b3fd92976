"""Tests of teachkeras.ops: the core built in notebooks/01_axis_sums.ipynb (reductions, stable softmax,
unbroadcast) and the hand-written thin wrappers of teachkeras.ops.numpy and teachkeras.ops.nn."""

import itertools
import re
import warnings

import numpy as np
import pytest

from teachkeras import ops
from teachkeras.backend import is_torch, to_numpy

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


# ---------------------------------------------------------------- the package: chapter core, hand-written wrappers

CHAPTER_01 = ["sum", "mean", "max", "logsumexp", "softmax", "log_softmax", "unbroadcast"]


def test_the_package_gathers_the_chapter_core_and_the_wrappers():
    from teachkeras.ops import core, nn
    from teachkeras.ops import numpy as numpy_wrappers

    assert core.__all__ == CHAPTER_01
    assert ops.__all__ == core.__all__ + numpy_wrappers.__all__ + nn.__all__
    assert len(ops.__all__) == len(set(ops.__all__)) == 7 + 59
    for name in core.__all__:  # wrapped, so that a KerasTensor makes an op node (chapter 09)
        assert getattr(ops, name).__wrapped__ is getattr(core, name), name
    for module in (numpy_wrappers, nn):
        for name in module.__all__:
            assert getattr(ops, name) is getattr(module, name), name
    assert ops._normalize_axis is core._normalize_axis  # chapter 02 imports it from teachkeras.ops


def test_the_core_is_generated_from_chapter_01_and_the_wrappers_are_hand_written():
    from pathlib import Path

    folder = Path(ops.__file__).parent
    assert (folder / "core.py").read_text(encoding="utf-8").startswith(
        "# AUTOGENERATED from notebooks/01_axis_sums.ipynb ")
    for name in ("__init__.py", "numpy.py", "nn.py"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not text.startswith("# AUTOGENERATED"), name
        docstring = text.split('"""')[1]
        assert docstring.rstrip().endswith("Hand-written plumbing: no chapter builds this module."), name


# ---------------------------------------------------------------- the rest of keras.ops: thin wrappers

POSITIVE = np.random.default_rng(8).uniform(0.5, 3.0, size=(2, 3, 4))
SIGNED = np.random.default_rng(9).normal(scale=3.0, size=(2, 3, 4))
ELEMENTWISE = ["abs", "absolute", "square", "sqrt", "exp", "log", "log1p", "expm1", "sign", "floor", "ceil",
               "round", "tanh", "sigmoid", "relu", "logical_not"]
BINARY = ["power", "maximum", "minimum", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
          "logical_and", "logical_or", "matmul", "dot"]
AXIS_REDUCTIONS = ["min", "prod", "std", "var", "any", "all", "norm"]


def assert_same(got, expected, name):
    """Values, shape and (loosely) kind of ``got`` equal Keras' / numpy's ``expected``."""
    got, expected = to_numpy(got), to_numpy(expected)
    assert got.shape == expected.shape, name
    assert got.dtype.kind == expected.dtype.kind or {got.dtype.kind, expected.dtype.kind} <= {"i", "u"}, name
    np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-5, atol=1e-6,
                               err_msg=name)


def both_kinds(function, *arrays):
    """``function`` on numpy arrays and on torch tensors; assert the two agree and return the numpy one."""
    on_numpy = function(*arrays)
    on_torch = function(*[torch.from_numpy(np.asarray(a)) if isinstance(a, np.ndarray) else a for a in arrays])
    if isinstance(on_numpy, tuple):
        for one, other in zip(on_numpy, on_torch):
            assert_same(other, one, "torch vs numpy")
    else:
        assert is_torch(on_torch)
        assert_same(on_torch, on_numpy, "torch vs numpy")
    return on_numpy


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("values", [SIGNED.astype(np.float32), POSITIVE, np.array([[-2, 0, 3]])],
                         ids=["float32", "float64", "int"])
def test_elementwise_against_keras(keras_ops, name, values):
    if name in ("log", "log1p", "sqrt"):
        values = np.abs(values) + 1
    got = both_kinds(getattr(ops, name), values)
    assert_same(got, getattr(keras_ops, name)(values), name)


def test_round_decimals_and_clip_and_where(keras_ops):
    values = SIGNED.astype(np.float32)
    for function, theirs in [(lambda x: ops.round(x, decimals=2), lambda x: keras_ops.round(x, decimals=2)),
                             (lambda x: ops.clip(x, -1.0, 2.0), lambda x: keras_ops.clip(x, -1.0, 2.0)),
                             (lambda x: ops.where(x > 0, x, 0.0), lambda x: keras_ops.where(x > 0, x, 0.0))]:
        assert_same(both_kinds(function, values), theirs(values), "round/clip/where")
    for ours, theirs in zip(both_kinds(ops.where, values > 1), keras_ops.where(values > 1)):
        assert_same(ours, theirs, "where(condition)")
    with pytest.raises(ValueError, match="where: give both x1 and x2"):
        ops.where(values > 0, values)


def test_sigmoid_is_stable_at_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ops.sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("name", BINARY)
def test_binary_against_keras(keras_ops, name):
    rng = np.random.default_rng(10)
    pairs = [(rng.normal(size=(3, 4)).round(), rng.normal(size=(4,)).round()), (rng.normal(size=(2, 3)), 1.5)]
    if name in ("power",):
        pairs = [(POSITIVE, rng.normal(size=(4,))), (POSITIVE, 2)]
    if name in ("matmul", "dot"):
        pairs = [(rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), (rng.normal(size=(3, 4)), rng.normal(size=(4,))),
                 (rng.normal(size=(4,)), rng.normal(size=(4,)))]
    for x1, x2 in pairs:
        got = both_kinds(getattr(ops, name), x1, x2)
        assert_same(got, getattr(keras_ops, name)(x1, x2), name)


def test_dot_of_higher_ranks_is_numpys_dot():
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4, 6))
    assert_same(both_kinds(ops.dot, a, b), np.dot(a, b), "dot")
    assert_same(ops.dot(np.array(2.0), a), 2 * a, "dot with a scalar")


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("name", AXIS_REDUCTIONS)
def test_axis_reductions_against_keras(keras_ops, name, axis, keepdims):
    values = SIGNED.astype(np.float32)
    if name in ("any", "all"):
        values = values > -2.0
    if name == "norm" and isinstance(axis, tuple):
        axis = (0, 2)  # Keras' norm takes a pair of axes as a matrix norm: Frobenius for ord=None
    got = both_kinds(lambda x: getattr(ops, name)(x, axis=axis, keepdims=keepdims), values)
    expected = getattr(keras_ops, name)(values, axis=axis, keepdims=keepdims)
    if axis is None and keepdims and tuple(expected.shape) == ():  # Keras' torch backend drops keepdims here
        got = got.reshape(())
    assert_same(got, expected, name)


@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin_against_keras(keras_ops, axis, keepdims):
    values = SIGNED.astype(np.float32)
    for name in ("argmax", "argmin"):
        got = both_kinds(lambda x: getattr(ops, name)(x, axis=axis, keepdims=keepdims), values)
        expected = getattr(keras_ops, name)(values, axis=axis, keepdims=keepdims)
        assert got.dtype == np.int32 and got.tolist() == to_numpy(expected).tolist(), name


def test_integers_become_floatx_where_keras_does(keras_ops):
    integers = np.array([[1, 2], [3, 4]])
    for name in ("sqrt", "exp", "floor", "std", "var", "mean"):
        assert ops.__dict__[name](integers).dtype == np.float32 == to_numpy(getattr(keras_ops, name)(integers)).dtype
    for name in ("abs", "square", "sign"):
        assert ops.__dict__[name](integers).dtype == integers.dtype


def test_shape_functions_against_keras(keras_ops):
    values = SIGNED
    cases = [
        (lambda o, x: o.reshape(x, (4, -1)), None), (lambda o, x: o.reshape(x, 24), None),
        (lambda o, x: o.transpose(x), None), (lambda o, x: o.transpose(x, (1, 0, 2)), None),
        (lambda o, x: o.expand_dims(x, 1), None), (lambda o, x: o.expand_dims(x, -1), None),
        (lambda o, x: o.expand_dims(x, (0, 4)), None),
        (lambda o, x: o.squeeze(o.expand_dims(x, 1)), None), (lambda o, x: o.squeeze(x[:, :1], axis=1), None),
        (lambda o, x: o.concatenate([x, x], axis=-1), None), (lambda o, x: o.stack([x, x], axis=1), None),
        (lambda o, x: o.zeros_like(x), None), (lambda o, x: o.ones_like(x, dtype="int32"), None),
        (lambda o, x: o.full_like(x, 7.0), None), (lambda o, x: o.cast(x, "int32"), None),
    ]
    for index, (function, _) in enumerate(cases):
        got = both_kinds(lambda x: function(ops, x), values)
        assert_same(got, function(keras_ops, values), f"case {index}")
    assert ops.shape(torch.ones(2, 3)) == (2, 3) == tuple(keras_ops.shape(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"squeeze: axis 0 must have length 1"):
        ops.squeeze(values, axis=0)


def test_creation_and_conversion_against_keras(keras_ops):
    for ours, theirs in [
        (ops.zeros((2, 3)), keras_ops.zeros((2, 3))), (ops.ones(4, dtype="int32"), keras_ops.ones(4, dtype="int32")),
        (ops.full((2,), 3.5), keras_ops.full((2,), 3.5)), (ops.arange(5), keras_ops.arange(5)),
        (ops.arange(1, 2, 0.25), keras_ops.arange(1, 2, 0.25)), (ops.linspace(0, 1, 5), keras_ops.linspace(0, 1, 5)),
        (ops.convert_to_tensor([1.0, 2.0]), keras_ops.convert_to_tensor([1.0, 2.0])),
        (ops.convert_to_tensor([1, 2]), keras_ops.convert_to_tensor([1, 2])),
        (ops.one_hot(np.array([2, 0, -1]), 3), keras_ops.one_hot(np.array([2, 0, -1]), 3)),
        (ops.one_hot(np.array([[1, 0]]), 3, axis=1), keras_ops.one_hot(np.array([[1, 0]]), 3, axis=1)),
    ]:
        assert to_numpy(ours).dtype == to_numpy(theirs).dtype
        assert_same(ours, theirs, "creation")
    tensor = torch.arange(3)
    assert ops.convert_to_tensor(tensor) is tensor and ops.convert_to_numpy(tensor).tolist() == [0, 1, 2]
    assert is_torch(ops.one_hot(tensor, 3)) and ops.one_hot(tensor, 3).tolist() == np.eye(3).tolist()
    with pytest.raises(ValueError, match="norm: only ord=None"):
        ops.norm(SIGNED, ord=1)


def test_custom_metric_written_with_ops_matches_keras_in_fit():
    keras = pytest.importorskip("keras")
    from teachkeras import layers, models, optimizers

    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(32, 4)).astype(np.float32), rng.normal(size=(32, 2)).astype(np.float32)
    kernel, bias = rng.normal(size=(4, 2)).astype(np.float32), np.zeros(2, np.float32)

    def custom_mae(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    def keras_mae(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)

    ours = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    ours.set_weights([kernel, bias])
    ours.compile(optimizer=optimizers.SGD(0.1), loss="mse", metrics=[custom_mae])
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    theirs.set_weights([kernel, bias])
    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=[keras_mae])
    history = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    expected = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["custom_mae"], expected["keras_mae"], rtol=1e-4)
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-4)
