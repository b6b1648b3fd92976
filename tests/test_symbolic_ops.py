"""Arithmetic and keras.ops calls on KerasTensors: op nodes of a functional graph (chapter 09),
checked against Keras 3 built from the same weights."""

import numpy as np
import pytest

import teachkeras
from teachkeras import ops as tk_ops


def _graph(k, ops):
    """``/``, ``+``, ``*``, ``-``, slicing, ``ops.square``, ``ops.mean(axis=-1)``, ``ops.concatenate``."""
    x = k.Input(shape=(6,), name="x")
    scaled = x / 255.0
    hidden = k.layers.Dense(4, activation="tanh", name="hidden")(scaled)
    mixed = hidden + scaled[:, 0:4]
    doubled = 2.0 * hidden - 1.0
    joined = ops.concatenate([ops.square(mixed), doubled, ops.mean(mixed, axis=-1, keepdims=True)], axis=-1)
    flat = ops.mean(joined, axis=-1)
    out = k.layers.Dense(2, name="out")(joined)
    return k.Model(x, [out, flat])


def _data():
    rng = np.random.default_rng(0)
    return (rng.uniform(0, 255, size=(16, 6)).astype("float32"), rng.normal(size=(16, 2)).astype("float32"),
            rng.normal(size=(16,)).astype("float32"))


def test_graph_with_ops_matches_keras_predictions_and_training(keras):
    ours, theirs = _graph(teachkeras, tk_ops), _graph(keras, keras.ops)
    theirs.set_weights(ours.get_weights())
    x, y, y_flat = _data()
    for got, want in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers] == ["x", "hidden", "out"]
    for model, k in [(ours, teachkeras), (theirs, keras)]:
        model.compile(optimizer=k.optimizers.SGD(0.05), loss=["mse", "mse"])
    ours_history = ours.fit(x, [y, y_flat], epochs=2, batch_size=16, shuffle=False, verbose=0).history["loss"]
    theirs_history = theirs.fit(x, [y, y_flat], epochs=2, batch_size=16, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ours_history, theirs_history, rtol=1e-5)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda x, ops: ops.sum(x),
    lambda x, ops: ops.sum(x, axis=0),
    lambda x, ops: ops.mean(x, axis=-1),
    lambda x, ops: x[:, 0],
    lambda x, ops: x[:, 1:3] * x[:, :2],
    lambda x, ops: ops.concatenate([x, -x], axis=-1),
    lambda x, ops: ops.reshape(x, (-1,)),
    lambda x, ops: ops.expand_dims(abs(x), 0),
    lambda x, ops: x @ np.ones((6, 3), dtype="float32"),
    lambda x, ops: 1.0 / (x ** 2 + 1.0),
])
def test_output_shapes_match_keras(keras, make):
    ours = make(teachkeras.Input(shape=(6,)), tk_ops)
    theirs = make(keras.Input(shape=(6,)), keras.ops)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.dtype


def _vae_parts(k, ops):
    original = k.Input(shape=(8,), name="encoder_input")
    hidden = k.layers.Dense(6, activation="relu", name="encode")(original)
    return original, k.layers.Dense(2, name="z_mean")(hidden), k.layers.Dense(2, name="z_log_var")(hidden)


def _decoder(k, original, z):
    decoded = k.layers.Dense(6, activation="relu", name="decode")(z)
    return k.Model(original, k.layers.Dense(8, activation="sigmoid", name="decoder_output")(decoded), name="vae")


def _kl(ops, z_mean, z_log_var):
    return -0.5 * ops.sum(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)


def _vae(k, ops):
    """The subclassing guide's functional VAE, with epsilon = zeros so that both libraries agree."""
    original, z_mean, z_log_var = _vae_parts(k, ops)
    z = z_mean + ops.exp(0.5 * z_log_var) * ops.zeros_like(z_mean)
    vae = _decoder(k, original, z)
    vae.add_loss(_kl(ops, z_mean, z_log_var))
    return vae


def _keras_vae(keras):
    """Keras 3's Functional.add_loss refuses a KerasTensor (NotImplementedError), so the oracle adds
    the same KL term from a layer's call, as Keras 3's guides do."""
    class Sampling(keras.layers.Layer):
        def call(self, z_mean, z_log_var):
            self.add_loss(_kl(keras.ops, z_mean, z_log_var))
            return z_mean + keras.ops.exp(0.5 * z_log_var) * keras.ops.zeros_like(z_mean)

    original, z_mean, z_log_var = _vae_parts(keras, keras.ops)
    return _decoder(keras, original, Sampling()(z_mean, z_log_var))


def test_functional_vae_with_add_loss_trains_as_keras(keras):
    ours, theirs = _vae(teachkeras, tk_ops), _keras_vae(keras)
    theirs.set_weights(ours.get_weights())
    data = np.random.default_rng(1).uniform(size=(32, 8)).astype("float32")
    for model, k in [(ours, teachkeras), (theirs, keras)]:
        model.compile(optimizer=k.optimizers.SGD(0.01), loss="mse")
    ours_history = ours.fit(data, data, epochs=3, batch_size=32, shuffle=False, verbose=0).history["loss"]
    theirs_history = theirs.fit(data, data, epochs=3, batch_size=32, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ours_history, theirs_history, rtol=1e-4)
    assert ours_history[-1] < ours_history[0]
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_add_loss_alone_is_minimised():
    teachkeras.utils.set_random_seed(3)
    x = teachkeras.Input(shape=(3,))
    hidden = teachkeras.layers.Dense(4)(x)
    model = teachkeras.Model(x, hidden)
    model.add_loss(tk_ops.mean(tk_ops.square(hidden)))
    model.compile(optimizer=teachkeras.optimizers.SGD(0.1), loss=None)
    data = np.random.default_rng(3).normal(size=(8, 3)).astype("float32")
    kernel, bias = model.get_weights()
    losses = model.fit(data, epochs=4, batch_size=8, verbose=0).history["loss"]
    np.testing.assert_allclose(losses[0], np.mean((data @ kernel + bias) ** 2), rtol=1e-5)
    assert losses[-1] < losses[0]


def test_op_on_incompatible_shapes_names_op_and_shapes():
    x = teachkeras.Input(shape=(3,))
    with pytest.raises(ValueError, match=r"'add'.*\(None, 3\).*\(5, 2\)"):
        x + np.ones((5, 2), dtype="float32")
    with pytest.raises(ValueError, match=r"'concatenate'.*\(None, 3\).*\(None, 2\)"):
        tk_ops.concatenate([x, teachkeras.Input(shape=(2,))], axis=0)


def test_iterating_a_placeholder_is_refused():
    with pytest.raises(TypeError, match="Iterating over a KerasTensor"):
        list(teachkeras.Input(shape=(3,)))


def test_placeholders_ops_run_on_torch_and_inside_another_model():
    torch = pytest.importorskip("torch")
    x = teachkeras.Input(shape=(4,))
    inner = teachkeras.Model(x, teachkeras.layers.Dense(2)(tk_ops.concatenate([x / 2.0, x[:, :1]], axis=-1)))
    outer_in = teachkeras.Input(shape=(4,))
    outer = teachkeras.Model(outer_in, inner(outer_in) * 3)
    data = np.arange(8, dtype="float32").reshape(2, 4)
    np.testing.assert_allclose(outer(torch.from_numpy(data)).numpy(), 3 * inner(data), rtol=1e-6)


def test_config_of_an_op_node_says_to_use_a_layer():
    x = teachkeras.Input(shape=(3,))
    model = teachkeras.Model(x, teachkeras.layers.Dense(2)(x * 2))
    with pytest.raises(NotImplementedError, match=r"'multiply'.*Layer"):
        model.get_config()


def test_ops_on_arrays_unchanged_and_shape_of_placeholder():
    array = np.array([[1.0, -2.0]], dtype="float32")
    assert tk_ops.square(array).tolist() == [[1.0, 4.0]]
    assert tk_ops.shape(teachkeras.Input(shape=(3,))) == (None, 3)
    assert tk_ops.square.__wrapped__(array).tolist() == [[1.0, 4.0]]
