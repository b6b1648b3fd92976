"""The backend seam: dtypes, devices, seeded random numbers, names."""

import numpy as np
import pytest

from teachkeras import backend


def test_floatx_default_and_validation():
    assert backend.floatx() == "float32"
    with pytest.raises(ValueError, match="set_floatx: dtype must be one of"):
        backend.set_floatx("float8")
    backend.set_floatx("float64")
    try:
        assert backend.floatx() == "float64"
    finally:
        backend.set_floatx("float32")


def test_standardize_dtype_accepts_names_numpy_and_torch():
    torch = pytest.importorskip("torch")
    assert backend.standardize_dtype(np.float32) == "float32"
    assert backend.standardize_dtype(np.dtype("int64")) == "int64"
    assert backend.standardize_dtype(torch.float64) == "float64"
    assert backend.standardize_dtype(None) == "float32"
    with pytest.raises(ValueError, match="expected a numeric dtype"):
        backend.standardize_dtype("floaty")


def test_to_device_numpy_keeps_arrays_and_converts_lists_to_floatx():
    array = np.arange(3.0)
    assert backend.to_device(array) is array  # float64 numpy arrays are the caller's choice
    assert backend.to_device([1.0, 2.0]).dtype == np.float32
    assert backend.to_device(array, dtype="float32").dtype == np.float32


def test_to_device_torch_round_trip():
    torch = pytest.importorskip("torch")
    tensor = backend.to_device(np.arange(6, dtype="float32").reshape(2, 3), "cpu")
    assert isinstance(tensor, torch.Tensor) and backend.is_torch(tensor)
    assert backend.device_of(tensor) == "cpu" and backend.device_of(np.zeros(1)) is None
    np.testing.assert_array_equal(backend.to_numpy(tensor), np.arange(6).reshape(2, 3))
    assert backend.to_device([0.5], "cpu").dtype == torch.float32
    assert backend.to_device(tensor, None).__class__ is np.ndarray


def test_namespace_is_shared_by_numpy_and_torch_code():
    torch = pytest.importorskip("torch")
    for x in (np.ones((2, 3), "float32"), torch.ones((2, 3))):
        xp = backend.namespace(x)
        assert backend.to_numpy(xp.sum(x, axis=1)).tolist() == [3.0, 3.0]


def test_random_generator_is_repeatable_on_numpy_and_torch():
    torch = pytest.importorskip("torch")
    first, second = backend.RandomGenerator(7), backend.RandomGenerator(7)
    np.testing.assert_array_equal(first.uniform((3, 2)), second.uniform((3, 2)))
    like = torch.zeros(1)
    a, b = first.normal((4,), like=like), second.normal((4,), like=like)
    assert isinstance(a, torch.Tensor) and torch.equal(a, b)
    assert not np.array_equal(backend.RandomGenerator(8).uniform((5,)), backend.RandomGenerator(7).uniform((5,)))
    truncated = backend.RandomGenerator(0).truncated_normal((10000,), stddev=2.0, dtype="float64")
    assert np.abs(truncated).max() <= 4.0


def test_random_generator_rejects_bad_seeds():
    for seed in (-1, 1.5, True, "0"):
        with pytest.raises(ValueError, match="seed: expected a non-negative integer"):
            backend.RandomGenerator(seed)


def test_set_random_seed_makes_unseeded_draws_repeatable():
    backend.set_random_seed(3)
    first = backend.RandomGenerator().uniform((4,))
    backend.set_random_seed(3)
    np.testing.assert_array_equal(backend.RandomGenerator().uniform((4,)), first)
    with pytest.raises(ValueError, match="set_random_seed: seed must be"):
        backend.set_random_seed(-2)


def test_unique_names_follow_keras_and_reset():
    backend.clear_session()
    assert [backend.unique_name("dense") for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    backend.clear_session()
    assert backend.unique_name("dense") == "dense"
    assert backend.snake_case("Conv2DTranspose") == "conv2d_transpose"
    assert backend.snake_case("LeakyReLU") == "leaky_re_lu"
    assert backend.snake_case("MaxPooling2D") == "max_pooling2d"


def test_truncated_normal_of_a_scalar_shape_is_a_0d_array():
    value = backend.RandomGenerator(0).truncated_normal((), dtype="float32")
    assert isinstance(value, np.ndarray) and value.shape == () and value.dtype == np.float32


def test_set_random_seed_also_seeds_python_and_numpy_global_generators():
    import random

    backend.set_random_seed(7)
    first = (random.random(), np.random.rand(), np.random.permutation(10).tolist())
    backend.set_random_seed(7)
    assert (random.random(), np.random.rand(), np.random.permutation(10).tolist()) == first
    backend.set_random_seed(2**40)  # wider than numpy's 32-bit legacy seed: still accepted


def test_set_random_seed_matches_keras_for_numpy_and_python():
    keras = pytest.importorskip("keras")
    import random

    keras.utils.set_random_seed(11)
    theirs = (random.random(), np.random.rand())
    backend.set_random_seed(11)
    assert (random.random(), np.random.rand()) == theirs


def test_keras_2_backend_preamble_runs():
    import teachkeras as keras

    assert keras.backend is backend
    K = keras.backend
    assert K.image_data_format() == "channels_last" and K.backend() == "numpy" and K.epsilon() == 1e-7
    rows, columns = 28, 28
    if K.image_data_format() == "channels_first":  # the mnist_cnn.py preamble
        input_shape = (1, rows, columns)
    else:
        input_shape = (rows, columns, 1)
    assert input_shape == (28, 28, 1)


def test_image_data_format_and_epsilon_can_be_set_and_are_validated():
    try:
        backend.set_image_data_format("channels_first")
        assert backend.image_data_format() == "channels_first"
        backend.set_epsilon(1e-5)
        assert backend.epsilon() == 1e-5
    finally:
        backend.set_image_data_format("channels_last")
        backend.set_epsilon(1e-7)
    with pytest.raises(ValueError, match=r"set_image_data_format: data_format must be one of .*received 'th'"):
        backend.set_image_data_format("th")
    for bad in (0, -1e-7, "small", True):
        with pytest.raises(ValueError, match="set_epsilon: value must be a positive number"):
            backend.set_epsilon(bad)


def test_keras_3_config_module_reads_and_sets_the_backend_settings():
    import teachkeras as keras

    assert keras.config.floatx() == "float32" and keras.config.image_data_format() == "channels_last"
    assert keras.config.epsilon() == 1e-7 and keras.config.backend() == keras.backend.backend()
    try:
        keras.config.set_image_data_format("channels_first")
        assert keras.backend.image_data_format() == "channels_first"
    finally:
        keras.config.set_image_data_format("channels_last")


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_erfc_without_scipy_is_within_float32_precision(dtype):
    import math

    from teachkeras.backend import _erfc_float32

    x = np.linspace(-12, 14, 20001).astype(dtype)
    exact = np.array([math.erfc(float(value)) for value in x])
    got = _erfc_float32(x)
    assert got.dtype == np.dtype(dtype)
    tiny = np.finfo(dtype).tiny
    normal = exact > tiny * 1e3  # away from the dtype's underflow
    relative = np.abs(got[normal].astype(np.float64) - exact[normal]) / exact[normal]
    assert relative.max() < (2e-7 if dtype == "float32" else 1e-3)
    assert np.all(got[exact < tiny] <= tiny * 1e3)  # underflows to (near) zero, never nan
    assert not np.isnan(got).any()


def _bits(array):
    array = np.asarray(array.numpy() if hasattr(array, "numpy") else array)
    return array.dtype, array.shape, array.tobytes()


def _where_cases(dtype):
    """(condition, x1, x2) of numpy arrays and Python floats: specials, scalars, broadcasting, strides."""
    rng = np.random.default_rng(3)
    specials = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 5e-324, 1e-310, 1.0, -2.5]
    values = np.concatenate([np.array(specials), rng.normal(size=3048)]).astype(dtype)  # 60 x 51 in all
    other = rng.permutation(values)
    condition = rng.normal(size=values.shape) > 0
    grid, other_grid, condition_grid = values.reshape(60, 51), other.reshape(60, 51), condition.reshape(60, 51)
    return [
        (condition, values, other),
        (condition, values, 0.0), (condition, -0.0, values), (condition, 0.2, values),
        (condition_grid[:, :1], grid, other_grid),  # a broadcast condition
        (condition_grid, grid[0], other_grid[:, :1]),  # broadcast branches
        (condition_grid.T, grid.T, other.reshape(51, 60)),  # strided views
        (condition[:2000:2], values[:1000], other[1000:2000]),
        (condition[:10], values[:10], other[:10]),  # small: the library's own where
    ]


def test_where_is_numpys_where_bit_for_bit():
    for dtype in ("float16", "float32", "float64"):
        for case in _where_cases(dtype):
            assert _bits(backend.where(*case)) == _bits(np.where(*case))


def test_where_is_torchs_where_bit_for_bit():
    torch = pytest.importorskip("torch")
    for dtype in ("float16", "float32", "float64"):
        for case in _where_cases(dtype):
            case = [torch.from_numpy(one) if isinstance(one, np.ndarray) else one for one in case]
            assert _bits(backend.where(*case)) == _bits(torch.where(*case))
    x = torch.randn(2000, dtype=torch.bfloat16)
    assert torch.equal(backend.where(x > 0, x, -0.0).view(torch.int16), torch.where(x > 0, x, -0.0).view(torch.int16))


def test_where_leaves_other_types_to_their_namespace():
    torch = pytest.importorskip("torch")
    condition = np.arange(2000) % 3 == 0
    for x1, x2 in [(np.arange(2000), 7), (np.arange(2000.0), np.ones(2000, "float32")),  # ints; mixed dtypes
                   (np.ones(2000, ">f8"), 2.0), (np.ones(2000, "float32"), np.float64(2.0))]:
        expected = np.where(condition, x1, x2)
        assert _bits(backend.where(condition, x1, x2)) == _bits(expected)
    x = torch.randn(2000, dtype=torch.float64, requires_grad=True)  # torch's where, so autograd sees it
    backend.where(x > 0, x, 0.5 * x).sum().backward()
    assert torch.equal(x.grad, torch.where(x > 0, 1.0, 0.5).double())
