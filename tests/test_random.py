"""keras.random (teachkeras.random): seeds as Keras 3 takes them, dropout through the tape, bad input."""

import numpy as np
import pytest

import teachkeras as tk
from teachkeras import ops
from teachkeras import random as tk_random
from teachkeras.autodiff import GradientTape


def test_an_integer_seed_repeats_a_seed_generator_advances():
    np.testing.assert_array_equal(tk_random.normal((3,), seed=5), tk_random.normal((3,), seed=5))
    seeds = tk_random.SeedGenerator(5)
    first, second = tk_random.uniform((3,), seed=seeds), tk_random.uniform((3,), seed=seeds)
    assert not np.allclose(first, second)
    again = tk_random.SeedGenerator(5)
    np.testing.assert_array_equal(tk_random.uniform((3,), seed=again), first)


def test_set_random_seed_repeats_unseeded_draws():
    tk.utils.set_random_seed(3)
    first = tk_random.normal((4,))
    tk.utils.set_random_seed(3)
    np.testing.assert_array_equal(tk_random.normal((4,)), first)


def test_distributions_and_dtypes():
    values = tk_random.uniform((20000,), minval=2.0, maxval=3.0, seed=1)
    assert values.dtype == np.float32 and values.min() >= 2.0 and values.max() < 3.0
    normal = tk_random.normal((20000,), mean=1.0, stddev=2.0, dtype="float64", seed=1)
    assert normal.dtype == np.float64 and abs(normal.mean() - 1.0) < 0.05 and abs(normal.std() - 2.0) < 0.05
    assert np.abs(tk_random.truncated_normal((1000,), seed=2)).max() <= 2.0


def test_dropout_zeroes_and_scales_and_shares_along_noise_shape():
    out = tk_random.dropout(np.ones((200, 50), dtype="float32"), 0.25, seed=0)
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert 0.2 < (out == 0).mean() < 0.3
    shared = tk_random.dropout(np.ones((4, 6)), 0.5, noise_shape=(None, 1), seed=1)
    assert all(len(set(row)) == 1 for row in shared)


def test_dropout_inside_a_tape_lets_the_gradient_through_the_kept_entries():
    x = np.ones((3, 4))
    with GradientTape() as tape:
        traced = tape.watch(x)
        y = ops.sum(tk_random.dropout(traced, 0.5, seed=3))
    grad = tape.gradient(y, traced)
    expected = tk_random.dropout(np.ones((3, 4)), 0.5, seed=3)
    np.testing.assert_allclose(grad, expected)


def test_shuffle_permutes_along_an_axis():
    x = np.arange(12).reshape(3, 4)
    shuffled = tk_random.shuffle(x, axis=1, seed=2)
    assert sorted(shuffled[0].tolist()) == [0, 1, 2, 3]
    np.testing.assert_array_equal(shuffled - shuffled[:, :1], x[:, shuffled[0]] - x[:, shuffled[0]][:, :1])


def test_torch_draws_land_on_the_tensor_device():
    torch = pytest.importorskip("torch")
    out = tk_random.dropout(torch.ones(3, 4), 0.5, seed=0)
    assert isinstance(out, torch.Tensor)
    shuffled = tk_random.shuffle(torch.arange(5), seed=1)
    assert sorted(shuffled.tolist()) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("call, message", [
    (lambda: tk_random.normal((2,), seed=-1), r"normal: seed must be a non-negative integer.*seed=-1"),
    (lambda: tk_random.uniform((2,), seed="a"), r"uniform: seed must be .*received seed='a'"),
    (lambda: tk_random.dropout(np.ones(2), 1.0), r"dropout: rate must be a number in \[0, 1\), received rate=1.0"),
    (lambda: tk_random.normal((2, -1)), r"normal: shape must not hold negative sizes"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_custom_layer_uses_keras_random_as_the_guides_do():
    class Noise(tk.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = tk_random.SeedGenerator(1337)

        def call(self, inputs, training=False):
            if training:
                return inputs + tk_random.normal(inputs.shape, stddev=0.1, seed=self.seed_generator)
            return inputs

    model = tk.Sequential([tk.Input(shape=(3,)), Noise(), tk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 3), dtype="float32")
    history = model.fit(x, np.zeros((8, 1)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
