"""Dropout: inverted scaling, the training switch, noise_shape, seeds, gradients, devices, errors.

(The shape / config / gradient / parity contract is in test_layer_contract.py.)
"""

import numpy as np
import pytest

from teachkeras.backend import RandomGenerator
from teachkeras.layers import Dropout
from teachkeras.testing import check_torch_autograd


def test_inference_is_the_identity_forward_and_backward():
    layer = Dropout(0.7, seed=0)
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_training_drops_about_rate_and_keeps_the_mean():
    x = np.ones((400, 500), dtype="float32")
    out = Dropout(0.3, seed=1)(x, training=True)
    assert set(np.unique(out).tolist()) == {0.0, np.float32(1 / 0.7)}
    assert abs(np.mean(out == 0) - 0.3) < 0.01
    assert abs(out.mean() - 1.0) < 0.01


def test_mask_matches_a_uniform_draw_of_the_same_seed():
    x = np.arange(1, 13, dtype="float32").reshape(3, 4)
    uniform = RandomGenerator(seed=4).uniform(x.shape)
    expected = np.where(uniform < 0.6, x / 0.6, 0.0)
    np.testing.assert_allclose(Dropout(0.4, seed=4)(x, training=True), expected, rtol=1e-6)


def test_seeded_layers_repeat_and_steps_differ():
    x = np.ones((4, 8), dtype="float32")
    first, twin = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    step_one = first(x, training=True)
    np.testing.assert_array_equal(step_one, twin(x, training=True))
    assert not np.array_equal(step_one, first(x, training=True))


def test_backward_uses_the_same_mask_scaled():
    layer = Dropout(0.25, seed=2)
    x = np.random.default_rng(1).normal(size=(6, 7)).astype("float32")
    out = layer(x, training=True)
    grad = layer.backward(np.full_like(x, 3.0))
    kept = out != 0
    np.testing.assert_allclose(grad[kept], 3.0 / 0.75, rtol=1e-6)
    assert np.all(grad[~kept] == 0)


def test_backward_with_a_real_mask_matches_torch_autograd():
    pytest.importorskip("torch")
    x = np.random.default_rng(2).normal(size=(5, 4))
    check_torch_autograd(Dropout(0.5, seed=6, dtype="float64"), x, training=True)


def test_torch_tensors_get_a_mask_on_their_device():
    torch = pytest.importorskip("torch")
    out = Dropout(0.5, seed=0)(torch.ones(50, 40), training=True)
    assert isinstance(out, torch.Tensor) and set(torch.unique(out).tolist()) == {0.0, 2.0}


def test_noise_shape_broadcasts_the_mask():
    x = np.ones((3, 6, 4), dtype="float32")
    out = Dropout(0.5, noise_shape=(None, 1, None), seed=5)(x, training=True)
    assert np.all(out == out[:, :1, :])
    same_for_batch = Dropout(0.5, noise_shape=(1, 6, 4), seed=5)(x, training=True)
    assert np.all(same_for_batch == same_for_batch[:1])


def test_rate_zero_and_rate_one():
    x = np.ones((2, 3), dtype="float32")
    np.testing.assert_array_equal(Dropout(0.0)(x, training=True), x)
    np.testing.assert_array_equal(Dropout(1.0)(x, training=True), np.zeros_like(x))


@pytest.mark.parametrize("kwargs, message", [
    ({"rate": 1.5}, r"rate must be a number in \[0, 1\], received rate=1.5"),
    ({"rate": -0.1}, r"rate must be a number in \[0, 1\]"),
    ({"rate": "half"}, r"rate must be a number in \[0, 1\], received rate='half'"),
    ({"rate": 0.5, "noise_shape": (2, 0)}, r"noise_shape must hold positive integers or None"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Dropout(**kwargs)


def test_noise_shape_that_does_not_fit_the_input():
    with pytest.raises(ValueError, match=r"noise_shape \(2, 5\) does not broadcast against the input shape \(2, 3\)"):
        Dropout(0.5, noise_shape=(2, 5))(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match=r"one entry per input axis"):
        Dropout(0.5, noise_shape=(2,))(np.ones((2, 3)), training=True)


def test_keras_1_spelling_p_names_rate():
    with pytest.raises(TypeError, match=r"p= is the Keras 1 spelling; use rate="):
        Dropout(p=0.5)


def test_config_round_trip_keeps_the_seed():
    layer = Dropout(0.2, noise_shape=(None, 1), seed=9)
    copy = Dropout.from_config(layer.get_config())
    x = np.ones((4, 3), dtype="float32")
    np.testing.assert_array_equal(copy(x, training=True), Dropout(0.2, noise_shape=(None, 1), seed=9)(x, training=True))
