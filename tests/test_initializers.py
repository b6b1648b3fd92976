"""Initializers (chapter 02): shapes and dtypes, seeds, Glorot/He spreads against the theory on
large samples, fans of convolution kernels, config round-trips, lookup and errors."""

import math

import numpy as np
import pytest

from teachkeras import initializers
from teachkeras.backend import set_random_seed, to_numpy
from teachkeras.initializers import (
    Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal, LecunUniform, Ones,
    Orthogonal, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, Zeros, compute_fans,
)

TRUNCATION = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]
RANDOM_CLASSES = [RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
                  GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal]
# Matrices only: orthogonal needs 2 axes or more, identity exactly 2 (as in Keras).
SHAPE_RULES = {"orthogonal": lambda shape: len(shape) >= 2, "identity": lambda shape: len(shape) == 2}


@pytest.mark.parametrize("name", sorted(initializers.ALL))
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (3, 3, 2, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_initializer_returns_the_shape_and_dtype_asked_for(name, shape, dtype):
    if not SHAPE_RULES.get(name, lambda shape: True)(shape):
        with pytest.raises(ValueError, match=rf"{type(initializers.get(name)).__name__}: needs a"):
            initializers.get(name)(shape, dtype=dtype)
        return
    values = initializers.get(name)(shape, dtype=dtype)
    assert isinstance(values, np.ndarray)
    assert values.shape == shape and values.dtype == np.dtype(dtype)
    assert np.isfinite(values).all()


def test_dtype_defaults_to_floatx():
    assert GlorotUniform(seed=0)((2, 2)).dtype == np.float32
    assert Zeros()((2, 2)).dtype == np.float32


def test_constant_initializers():
    assert (Zeros()((2, 3)) == 0).all() and (Ones()((2, 3)) == 1).all()
    np.testing.assert_array_equal(Constant(0.25)((2, 2), dtype="float64"), np.full((2, 2), 0.25))


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_a_seed_gives_the_same_numbers_every_call_and_other_seeds_differ(cls):
    first = cls(seed=7)((20, 30))
    np.testing.assert_array_equal(first, cls(seed=7)((20, 30)))
    seeded = cls(seed=7)
    np.testing.assert_array_equal(seeded((20, 30)), seeded((20, 30)))
    assert not np.array_equal(first, cls(seed=8)((20, 30)))


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_unseeded_draws_differ_but_follow_set_random_seed(cls):
    set_random_seed(3)
    first, second = cls()((10, 10)), cls()((10, 10))
    assert not np.array_equal(first, second)
    set_random_seed(3)
    np.testing.assert_array_equal(cls()((10, 10)), first)


# ---------------------------------------------------------------- spreads against the theory

FAN_IN, FAN_OUT = 1000, 500


def test_glorot_uniform_limit_and_spread():
    values = GlorotUniform(seed=0)((FAN_IN, FAN_OUT), dtype="float64")
    limit = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(values).max() <= limit
    assert values.max() > 0.999 * limit and values.min() < -0.999 * limit
    assert abs(values.std() / (limit / math.sqrt(3)) - 1) < 0.005
    assert abs(values.mean()) < 0.001


def test_he_uniform_limit_and_spread():
    values = HeUniform(seed=0)((FAN_IN, FAN_OUT), dtype="float64")
    limit = math.sqrt(6 / FAN_IN)
    assert np.abs(values).max() <= limit and values.max() > 0.999 * limit
    assert abs(values.std() / math.sqrt(2 / FAN_IN) - 1) < 0.005


@pytest.mark.parametrize("cls, variance", [
    (GlorotNormal, 2 / (FAN_IN + FAN_OUT)),
    (HeNormal, 2 / FAN_IN),
])
def test_truncated_normal_initializers_have_the_theoretical_spread(cls, variance):
    values = cls(seed=0)((FAN_IN, FAN_OUT), dtype="float64")
    stddev = math.sqrt(variance)
    assert abs(values.std() / stddev - 1) < 0.005       # the truncation correction restores the variance
    assert np.abs(values).max() <= 2 * stddev / TRUNCATION  # nothing beyond two (pre-correction) deviations
    assert abs(values.mean()) < 0.001


def test_random_defaults_match_keras():
    uniform = RandomUniform(seed=0)((200, 200), dtype="float64")
    assert -0.05 <= uniform.min() and uniform.max() < 0.05 and uniform.max() > 0.0499
    normal = RandomNormal(seed=0)((400, 400), dtype="float64")
    assert abs(normal.std() / 0.05 - 1) < 0.01
    truncated = TruncatedNormal(seed=0)((400, 400), dtype="float64")
    assert np.abs(truncated).max() <= 0.1 and abs(truncated.std() / (0.05 * TRUNCATION) - 1) < 0.01


@pytest.mark.parametrize("mode, n", [("fan_in", FAN_IN), ("fan_out", FAN_OUT), ("fan_avg", (FAN_IN + FAN_OUT) / 2)])
def test_variance_scaling_modes(mode, n):
    values = VarianceScaling(scale=3.0, mode=mode, distribution="untruncated_normal", seed=1)((FAN_IN, FAN_OUT),
                                                                                              dtype="float64")
    assert abs(values.std() / math.sqrt(3.0 / n) - 1) < 0.005


# ---------------------------------------------------------------- fans


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((784, 512), (784, 512)),
    ((3, 16, 32), (48, 96)),                # Conv1D: (kernel_size, in, out)
    ((3, 3, 16, 32), (144, 288)),           # Conv2D: (kh, kw, in, out)
    ((2, 2, 2, 4, 8), (32, 64)),            # Conv3D
])
def test_fans(shape, fans):
    assert compute_fans(shape) == fans


def test_glorot_uses_the_receptive_field_for_conv_kernels():
    values = GlorotUniform(seed=2)((5, 5, 64, 64), dtype="float64")
    limit = math.sqrt(6 / (25 * 64 + 25 * 64))
    assert np.abs(values).max() <= limit and values.max() > 0.99 * limit


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "random_uniform",
                                  "random_normal", "truncated_normal", "lecun_uniform", "lecun_normal", "orthogonal"])
def test_spread_matches_keras_for_a_conv_kernel(name):
    keras = pytest.importorskip("keras")
    shape = (3, 3, 32, 64)
    theirs = to_numpy(keras.initializers.get(name)(shape))
    ours = initializers.get(name)(shape)
    assert abs(ours.std() / theirs.std() - 1) < 0.03
    # A high quantile, not the max: Keras' torch backend draws truncated normals as "first of four
    # draws inside 2 sigma", which lets a rare value through beyond 2 sigma.
    assert abs(np.quantile(np.abs(ours), 0.995) / np.quantile(np.abs(theirs), 0.995) - 1) < 0.1


# ---------------------------------------------------------------- config, lookup, errors


@pytest.mark.parametrize("initializer", [
    Zeros(), Ones(), Constant(0.3), RandomUniform(-1.0, 2.0, seed=4), RandomNormal(1.0, 0.5, seed=5),
    TruncatedNormal(0.0, 2.0), VarianceScaling(2.0, "fan_out", "uniform", seed=6), GlorotUniform(seed=7),
    GlorotNormal(), HeUniform(seed=8), HeNormal(seed=9), LecunUniform(seed=10), LecunNormal(),
    Orthogonal(gain=0.5, seed=11), Identity(gain=3.0),
])
def test_config_round_trips(initializer):
    config = initializers.serialize(initializer)
    assert set(config) == {"class_name", "config"} and config["class_name"] == type(initializer).__name__
    copy = initializers.deserialize(config)
    assert type(copy) is type(initializer) and copy.get_config() == initializer.get_config()
    assert initializers.get(config).get_config() == initializer.get_config()
    assert type(initializer).from_config(initializer.get_config()).get_config() == initializer.get_config()
    if getattr(initializer, "seed", 0) is not None:  # deterministic: the copy draws the same numbers
        np.testing.assert_array_equal(copy((3, 4)), initializer((3, 4)))


def test_lookup_accepts_names_aliases_classes_instances_and_functions():
    assert isinstance(initializers.get("uniform"), RandomUniform)       # the notes' init='uniform'
    assert isinstance(initializers.get("normal"), RandomNormal)
    assert isinstance(initializers.get("GlorotUniform"), GlorotUniform)
    assert isinstance(initializers.get(HeNormal), HeNormal)
    instance = HeUniform(seed=1)
    assert initializers.get(instance) is instance

    def halves(shape, dtype=None):
        return np.full(shape, 0.5, dtype=dtype)

    assert initializers.get(halves) is halves
    assert initializers.serialize(halves) == {"class_name": "halves", "config": {}}


@pytest.mark.parametrize("make, message", [
    (lambda: initializers.get("glorot_unifrom"), r"unknown initializer 'glorot_unifrom' \(did you mean 'glorot_uniform'\?\)"),
    (lambda: initializers.get(3), r"expected an initializer name, an Initializer or a callable, received 3"),
    (lambda: initializers.get(None), r"received None"),
    (lambda: initializers.deserialize({"class_name": "Orthogonal2", "config": {}}), r"unknown class_name 'Orthogonal2'"),
    (lambda: RandomUniform(minval=1.0, maxval=0.0), r"RandomUniform: expected minval < maxval, received minval=1.0"),
    (lambda: RandomNormal(stddev=-1.0), r"RandomNormal: stddev must be >= 0, received stddev=-1.0"),
    (lambda: GlorotUniform(seed=-1), r"GlorotUniform: seed must be a non-negative integer or None, received -1"),
    (lambda: GlorotUniform(seed=1.5), r"seed must be a non-negative integer or None, received 1.5"),
    (lambda: HeNormal(seed=True), r"seed must be a non-negative integer or None, received True"),
    (lambda: VarianceScaling(scale=0), r"VarianceScaling: scale must be > 0, received scale=0"),
    (lambda: VarianceScaling(mode="fan"), r"mode must be one of \('fan_in', 'fan_out', 'fan_avg'\), received 'fan'"),
    (lambda: VarianceScaling(distribution="normal"), r"distribution must be one of .*received 'normal'"),
    (lambda: Constant("a"), r"Constant: value must be a number, received value='a'"),
])
def test_bad_arguments_raise_value_errors_that_say_what_was_expected(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ---------------------------------------------------------------- lecun, orthogonal, identity


def test_lecun_limits_follow_fan_in():
    uniform = LecunUniform(seed=0)((300, 50), dtype="float64")
    limit = math.sqrt(3 / 300)
    assert np.abs(uniform).max() <= limit and uniform.max() > 0.99 * limit
    normal = LecunNormal(seed=0)((400, 300), dtype="float64")
    assert abs(normal.std() / math.sqrt(1 / 400) - 1) < 0.02
    assert np.abs(normal).max() <= 2 * math.sqrt(1 / 400) / TRUNCATION + 1e-12


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (3, 3, 2, 8)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(shape):
    values = Orthogonal(gain=2.0, seed=1)(shape, dtype="float64")
    matrix = values.reshape(-1, shape[-1])
    smaller = min(matrix.shape)
    product = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(product, 4.0 * np.eye(smaller), atol=1e-12)


def test_identity_matches_keras_and_refuses_other_ranks():
    keras = pytest.importorskip("keras")
    for shape, gain in [((3, 3), 1.0), ((2, 4), 2.5), ((4, 2), 1.0)]:
        expected = to_numpy(keras.initializers.Identity(gain=gain)(shape))
        np.testing.assert_array_equal(Identity(gain=gain)(shape), expected)
    with pytest.raises(ValueError, match=r"Identity: needs a 2-D shape \(a matrix\), received shape=\(2, 3, 4\)"):
        Identity()((2, 3, 4))


def test_new_names_and_config_keys_match_keras():
    keras = pytest.importorskip("keras")
    for name in ["lecun_uniform", "lecun_normal", "orthogonal", "identity"]:
        ours, theirs = initializers.get(name), keras.initializers.get(name)
        assert type(ours).__name__ == type(theirs).__name__
        # Keras 3 adds input_axes/output_axes to the lecun configs; its Identity config leaves gain out.
        assert set(ours.get_config()) - {"gain"} <= set(theirs.get_config())
