"""fit skips the input gradient of a model's first layer (its input is data), and nothing else."""

import numpy as np
import pytest

import teachkeras as keras
from teachkeras.backend import clear_session


def make_model(first):
    clear_session()
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(shape=(6, 6, 2)), first, keras.layers.Flatten(),
                             keras.layers.Dense(3, activation="softmax")])


@pytest.mark.parametrize("first", [lambda: keras.layers.Conv2D(4, 3, activation="relu"),
                                   lambda: keras.layers.Dense(5, activation="tanh")], ids=["conv2d", "dense"])
def test_weight_gradients_are_the_same_with_and_without_the_input_gradient(first):
    x = np.random.default_rng(0).normal(size=(8, 6, 6, 2)).astype("float32")
    y = keras.utils.to_categorical(np.arange(8) % 3, 3)
    model = make_model(first())
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    y_pred = model(x, training=True)

    grad_outputs = model.loss.backward(y, y_pred, None)
    grad_inputs = model.backward(grad_outputs)             # the full pass, as a user calls it
    assert grad_inputs.shape == x.shape
    full = [w.grad.copy() for w in model.trainable_weights]

    assert model._backward_from_loss(y, y_pred, None) is None   # fit's pass: no input gradient
    for expected, weight in zip(full, model.trainable_weights):
        np.testing.assert_allclose(weight.grad, expected, rtol=1e-5, atol=1e-7)
    assert model.layers[0].compute_input_gradient, "the flag is restored after the pass"
    model(x, training=True)  # fit's pass freed what a convolution keeps for one backward (backward_cache)
    assert model.backward(grad_outputs, input_gradient=False) is None


def test_a_layer_after_the_first_still_returns_its_input_gradient():
    model = make_model(keras.layers.Dense(5))
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((2, 6, 6, 2), "float32")
    outputs = model(x)
    last = model.layers[-1]
    assert last.backward(np.ones_like(outputs)).shape == (2, 6 * 6 * 5)
