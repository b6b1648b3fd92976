"""Custom code trains through fit with no backward written (chapter 08, part 2).

The examples are Keras' guides' (custom loss function, Loss subclass, custom layer, subclassed model,
add_loss, custom metric, Lambda), written once against a module ``lib`` and run on teachkeras and on
Keras 3 (torch backend) from the same weights: the losses after one step (which depend on the first
update) and the updated weights must agree. Shared layers get exact gradients (torch autograd); the
step chooses the tape only when something has no hand-written derivative; bad input names the op.
"""

import numpy as np
import pytest

import teachkeras as tk
from teachkeras import hooks, layers, losses, ops
from teachkeras.autodiff import GradientTape, TapeError
from teachkeras.backend import clear_session
from teachkeras.models import Model, Sequential
from teachkeras.optimizers import SGD


@pytest.fixture(autouse=True)
def fresh_names():
    clear_session()
    tk.utils.set_random_seed(0)


def data(samples=24, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, features)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2]).astype("float32")
    return x, y


def to_numpy(value):
    return np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)


def same_steps(ours, theirs, x, y, steps=3, batch=8, rtol=1e-5, atol=1e-6):
    """Copy our weights into Keras' twin, then run ``steps`` train_on_batch on both: every loss (each
    measured after the previous update) and the final weights agree."""
    theirs.set_weights(ours.get_weights())
    for step in range(steps):
        rows = slice(step * batch, (step + 1) * batch)
        ours_loss = ours.train_on_batch(x[rows], y[rows])
        theirs_loss = theirs.train_on_batch(x[rows], y[rows])
        np.testing.assert_allclose(np.ravel(ours_loss), np.ravel(to_numpy(theirs_loss)), rtol=rtol, atol=atol,
                                   err_msg=f"loss at step {step}")
    for ours_weight, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(ours_weight, theirs_weight, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- the guides' examples, both libraries


def my_loss_for(lib):
    def my_loss(y_true, y_pred):  # Keras' training guide and note 004
        return lib.ops.mean(lib.ops.square(y_true - y_pred), axis=-1)
    return my_loss


def custom_mse_for(lib):
    class CustomMSE(lib.losses.Loss):  # Keras' training guide: a Loss subclass with only call
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = lib.ops.mean(lib.ops.square(y_true - y_pred), axis=-1)
            reg = lib.ops.mean(lib.ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor
    return CustomMSE


def linear_for(lib):
    class Linear(lib.layers.Layer):  # "Making new layers and models via subclassing"
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.w) + self.b
    return Linear


def mlp_block_for(lib):
    Linear = linear_for(lib)

    class MLPBlock(lib.layers.Layer):  # the guide's block of sublayers
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(1)

        def call(self, inputs):
            return self.linear_2(lib.ops.relu(self.linear_1(inputs)))
    return MLPBlock


def activity_regularization_for(lib):
    class ActivityRegularizationLayer(lib.layers.Layer):  # the guide's add_loss example
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * lib.ops.mean(lib.ops.square(inputs)))
            return inputs
    return ActivityRegularizationLayer


def residual_model_for(lib):
    Linear = linear_for(lib)

    class Residual(lib.Model):  # a subclassed model: training= passed on, one layer used twice
        def __init__(self):
            super().__init__()
            self.inner = Linear(4)
            self.shared = lib.layers.Dense(4, activation="tanh")
            self.dropout = lib.layers.Dropout(0.5)
            self.head = lib.layers.Dense(1)

        def call(self, inputs, training=False):
            hidden = self.shared(self.shared(self.inner(inputs)) + inputs)
            return self.head(self.dropout(hidden, training=training))
    return Residual


def true_positives_for(lib):
    class CategoricalTruePositives(lib.metrics.Metric):  # Keras' training guide
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = lib.ops.reshape(lib.ops.argmax(y_pred, axis=1), (-1, 1))
            values = lib.ops.cast(y_true, "int32") == lib.ops.cast(y_pred, "int32")
            values = lib.ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = lib.ops.cast(sample_weight, "float32")
                values = lib.ops.multiply(values, sample_weight)
            self.true_positives.assign_add(lib.ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)
    return CategoricalTruePositives


def dense_model(lib, *middle, outputs=1):
    return lib.Sequential([lib.Input(shape=(4,)), lib.layers.Dense(6, activation="tanh"), *middle,
                           lib.layers.Dense(outputs)])


@pytest.mark.parametrize("make_loss", [my_loss_for, lambda lib: custom_mse_for(lib)()],
                         ids=["loss-function", "loss-subclass"])
def test_a_loss_with_only_call_matches_keras(keras, make_loss):
    x, y = data()
    ours, theirs = dense_model(tk), dense_model(keras)
    ours.compile(optimizer=SGD(learning_rate=0.1), loss=make_loss(tk))
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=make_loss(keras))
    assert ours._needs_tape()
    same_steps(ours, theirs, x, y)


def test_a_loss_function_sees_labels_of_the_predictions_rank_as_in_keras(keras):
    x, y = data()
    ours, theirs = dense_model(tk), dense_model(keras)
    ours.compile(optimizer=SGD(learning_rate=0.1), loss=my_loss_for(tk))
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=my_loss_for(keras))
    same_steps(ours, theirs, x, y[:, 0])  # (batch,) targets, (batch, 1) predictions


@pytest.mark.parametrize("make_layer", [lambda lib: linear_for(lib)(5), lambda lib: mlp_block_for(lib)(),
                                        lambda lib: activity_regularization_for(lib)()],
                         ids=["linear", "block-of-sublayers", "add_loss"])
def test_a_layer_with_only_build_and_call_matches_keras(keras, make_layer):
    x, y = data()
    ours, theirs = dense_model(tk, make_layer(tk)), dense_model(keras, make_layer(keras))
    ours.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    assert ours._needs_tape()
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    same_steps(ours, theirs, x, y)


def test_add_loss_is_in_the_loss_and_model_losses_as_in_keras(keras):
    x, y = data()
    ours = dense_model(tk, activity_regularization_for(tk)(rate=0.5))
    theirs = dense_model(keras, activity_regularization_for(keras)(rate=0.5))
    for model in (ours, theirs):
        model.compile(optimizer="sgd", loss="mse")
    theirs.set_weights(ours.get_weights())
    ours(x), theirs(x)
    assert len(ours.losses) == len(theirs.losses) == 1
    np.testing.assert_allclose(float(ours.losses[0]), float(to_numpy(theirs.losses[0])), rtol=1e-5)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    plain_mse = float(losses.MeanSquaredError()(y, ours.predict(x, verbose=0)))
    assert ours.evaluate(x, y, verbose=0) > plain_mse + 1e-3  # the penalty really is added


def test_a_subclassed_model_with_only_call_matches_keras(keras):
    x, y = data(samples=32)
    ours, theirs = residual_model_for(tk)(), residual_model_for(keras)()
    ours(x[:1]), theirs(x[:1])
    ours.compile(optimizer=SGD(learning_rate=0.05), loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 6  # the shared layer once
    theirs.set_weights(ours.get_weights())
    # evaluate runs with training=False: Dropout is off, so both compute the same function
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), to_numpy(theirs.predict(x, verbose=0)), rtol=1e-5,
                               atol=1e-6)


def test_a_subclassed_model_trains_with_dropout_passed_on():
    x, y = data(samples=64)
    model = residual_model_for(tk)()
    model.compile(optimizer=SGD(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    # training=True reached the Dropout: two training calls differ, inference calls do not
    assert not np.allclose(model(x, training=True), model(x, training=True))
    np.testing.assert_array_equal(model(x), model(x))


def test_a_custom_metric_with_add_variable_matches_keras(keras):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 4)).astype("float32")
    labels = rng.integers(0, 3, size=(40, 1))
    ours, theirs = dense_model(tk, outputs=3), dense_model(keras, outputs=3)
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizer=SGD(learning_rate=0.1), loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                 metrics=[true_positives_for(tk)()])
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   metrics=[true_positives_for(keras)()])
    kwargs = dict(epochs=2, batch_size=16, shuffle=False, verbose=0)
    ours_history, theirs_history = ours.fit(x, labels, **kwargs).history, theirs.fit(x, labels, **kwargs).history
    assert sorted(ours_history) == sorted(theirs_history) == ["categorical_true_positives", "loss"]
    for key in ours_history:
        np.testing.assert_allclose(ours_history[key], theirs_history[key], rtol=1e-5, err_msg=key)
    assert ours_history["categorical_true_positives"][0] > 0  # it counted something, and was reset per epoch
    assert ours_history["categorical_true_positives"][0] <= 40


def test_a_lambda_layer_matches_keras(keras):
    x, y = data()
    ours = dense_model(tk, tk.layers.Lambda(lambda t: tk.ops.square(t) - 0.5 * t))
    theirs = dense_model(keras, keras.layers.Lambda(lambda t: keras.ops.square(t) - 0.5 * t))
    ours.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    same_steps(ours, theirs, x, y)


def test_lambda_passes_arguments_and_knows_its_output_shape():
    layer = layers.Lambda(lambda t, power: t ** power, arguments={"power": 3}, output_shape=(2,))
    np.testing.assert_allclose(layer(np.array([[1.0, 2.0]])), [[1.0, 8.0]])
    assert layer.compute_output_shape((None, 2)) == (None, 2)
    with pytest.raises(TypeError, match="Lambda: function must be callable, received 3"):
        layers.Lambda(3)


# ---------------------------------------------------------------- shared layers: exact gradients


def torch_step_gradients(weights, x, forward):
    torch = pytest.importorskip("torch")
    tensors = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    loss = torch.mean(forward(torch.tensor(x, dtype=torch.float64), *tensors) ** 2)
    loss.backward()
    return [t.grad.numpy() for t in tensors]


def test_a_dense_layer_used_twice_gets_exact_gradients():
    """dense(tanh(dense(x))): before the tape the second call's inputs replaced the first's."""
    torch = pytest.importorskip("torch")
    dense = layers.Dense(3, activation="tanh", dtype="float64")

    class Twice(Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.dense = dense

        def call(self, inputs):
            return self.dense(self.dense(inputs))

    model = Twice()
    x = np.random.default_rng(2).normal(size=(5, 3))
    model(x)
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    model.train_on_batch(x, np.zeros((5, 3)))
    expected = torch_step_gradients([dense.kernel.numpy(), dense.bias.numpy()], x,
                                    lambda t, k, b: torch.tanh(torch.tanh(t @ k + b) @ k + b))
    np.testing.assert_allclose(dense.kernel.grad, expected[0], rtol=1e-10)
    np.testing.assert_allclose(dense.bias.grad, expected[1], rtol=1e-10)


def test_a_weight_tied_autoencoder_gets_exact_gradients():
    torch = pytest.importorskip("torch")

    class Tied(Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.encoder = layers.Dense(2, activation="tanh", dtype="float64")

        def call(self, inputs):
            code = self.encoder(inputs)
            return ops.matmul(code, ops.transpose(self.encoder.kernel))  # the decoder reuses the kernel

    model = Tied()
    x = np.random.default_rng(3).normal(size=(6, 4))
    model(x)
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")
    model.train_on_batch(x, x)
    expected = torch_step_gradients([model.encoder.kernel.numpy(), model.encoder.bias.numpy()], x,
                                    lambda t, k, b: torch.tanh(t @ k + b) @ k.T - t)
    np.testing.assert_allclose(model.encoder.kernel.grad, expected[0], rtol=1e-10)
    np.testing.assert_allclose(model.encoder.bias.grad, expected[1], rtol=1e-10)


def test_each_call_keeps_its_own_state_in_its_node():
    """Two calls of one Dense on different inputs: each node's backward uses its own inputs."""
    dense = layers.Dense(2, dtype="float64", kernel_initializer="ones")
    dense.build((None, 2))
    first, second = np.ones((1, 2)), np.full((1, 2), 3.0)
    with GradientTape() as tape:
        tape.watch([dense.kernel, dense.bias])
        loss = ops.sum(dense(first)) + 2.0 * ops.sum(dense(second))
    assert [node.op for node in tape.nodes if node.op.startswith("layer")] == ["layer dense", "layer dense"]
    kernel_grad, bias_grad = tape.gradient(loss, [dense.kernel, dense.bias])
    np.testing.assert_allclose(kernel_grad, np.full((2, 2), 1.0 + 2.0 * 3.0))
    np.testing.assert_allclose(bias_grad, [3.0, 3.0])


# ---------------------------------------------------------------- which step fit takes


def test_built_in_layers_and_losses_keep_the_hand_written_step(monkeypatch):
    model = dense_model(tk, layers.Dropout(0.1))
    model.compile(optimizer="sgd", loss="mse")
    assert not model._needs_tape()
    monkeypatch.setattr(hooks.tape, "train_step", lambda *args: pytest.fail("the tape was used"))
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0)


def test_a_subclass_of_dense_that_changes_call_is_not_trusted_with_dense_backward():
    class Doubled(layers.Dense):
        def call(self, inputs, training=False):
            return 2.0 * super().call(inputs, training=training)

    model = dense_model(tk, Doubled(3))
    model.compile(optimizer="sgd", loss="mse")
    assert model._needs_tape()


def test_without_the_tape_chapter_04_refuses_what_it_cannot_differentiate(monkeypatch):
    monkeypatch.setattr(hooks, "tape", None)
    with pytest.raises(ValueError, match=r"subclass teachkeras.losses.Loss and define call\(\) and gradient\(\)"):
        losses.as_loss(my_loss_for(tk))
    model = dense_model(tk, linear_for(tk)(3))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(NotImplementedError, match=r"no hand-written backward.*teachkeras.autodiff"):
        model.fit(*data(), verbose=0)


def test_a_loss_subclass_backward_still_needs_its_gradient():
    loss = custom_mse_for(tk)()
    assert not loss.has_gradient() and losses.MeanSquaredError().has_gradient()
    with pytest.raises(NotImplementedError, match=r"CustomMSE does not define gradient\(\); fit differentiates"):
        loss.backward(np.zeros((2, 1)), np.ones((2, 1)))


# ---------------------------------------------------------------- call signatures


def test_call_without_training_works_at_inference_and_in_fit():
    class Scale(layers.Layer):
        def call(self, inputs):
            return 2.0 * inputs

    model = dense_model(tk, Scale())
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    assert model.predict(x, verbose=0).shape == (24, 1)
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_allclose(Scale()(np.ones((1, 2)), training=True), [[2.0, 2.0]])


def test_training_reaches_call_only_if_it_takes_it_and_is_inherited():
    seen = []

    class Spy(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.spy = Spy()

        def call(self, inputs):
            return self.spy(inputs)  # no training= given: inherited from the outer call

    outer = Outer()
    outer(np.ones((1, 2)), training=True)
    outer(np.ones((1, 2)))
    Spy()(np.ones((1, 2)))
    assert seen == [True, None, None]


def test_mask_reaches_call_only_if_it_takes_it():
    class Masked(layers.Layer):
        def call(self, inputs, mask=None):
            return inputs * mask

    class Plain(layers.Layer):
        def call(self, inputs):
            return inputs

    np.testing.assert_allclose(Masked()(np.ones((1, 2)), mask=np.array([[1.0, 0.0]])), [[1.0, 0.0]])
    np.testing.assert_allclose(Plain()(np.ones((1, 2)), mask=None), [[1.0, 1.0]])
    with pytest.raises(TypeError, match=r"Plain 'plain_1': mask= was given, but its call\(\) takes no mask"):
        Plain()(np.ones((1, 2)), mask=np.ones((1, 2)))


# ---------------------------------------------------------------- Variables compute as their values


def test_variables_take_part_in_ops_on_numpy_and_torch():
    layer = layers.Dense(2)
    layer.build((None, 3))
    x = np.ones((4, 3), dtype="float32")
    np.testing.assert_allclose(ops.matmul(x, layer.kernel), x @ layer.kernel.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.kernel * 2 - 1, layer.kernel.numpy() * 2 - 1)
    np.testing.assert_allclose(-layer.bias + ops.exp(layer.bias), np.ones(2))
    assert layer.kernel in layer.weights and layer.bias not in [layer.kernel]  # == stays identity
    torch = pytest.importorskip("torch")
    layer.to("cpu")
    result = ops.matmul(torch.ones(4, 3), layer.kernel)
    assert isinstance(result, torch.Tensor) and tuple(result.shape) == (4, 2)


def test_mixing_numpy_and_torch_still_names_both():
    torch = pytest.importorskip("torch")
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(TypeError, match="Multiple namespaces"):
        ops.matmul(torch.ones(4, 3), layer.kernel)


# ---------------------------------------------------------------- bad input through fit


@pytest.mark.parametrize("make_loss, op", [
    (lambda y_true, y_pred: ops.mean(ops.abs(y_true - ops.round(y_pred)), axis=-1), "round"),
    (lambda y_true, y_pred: ops.cast(ops.argmax(y_pred, axis=-1), "float32") - y_true[:, 0], "argmax"),
    (lambda y_true, y_pred: ops.mean(ops.cast(y_pred > y_true, "float32"), axis=-1), "greater"),
])
def test_a_loss_through_a_non_differentiable_op_names_it_in_fit(make_loss, op):
    model = dense_model(tk, outputs=1)
    model.compile(optimizer="sgd", loss=make_loss)
    with pytest.raises(TapeError, match=rf"passes '{op}', which is not differentiable"):
        model.fit(*data(), verbose=0)


def test_a_loss_leaving_the_tape_names_how_in_fit():
    model = dense_model(tk)
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: np.mean((np.asarray(y_pred) - y_true) ** 2, axis=-1))
    with pytest.raises(TapeError, match=r"np.asarray\(\) \(or np.array\) takes a traced array .* off the tape"):
        model.fit(*data(), verbose=0)


def test_torch_tensors_train_custom_code_too():
    torch = pytest.importorskip("torch")
    x, y = data(samples=32)
    results = []
    for convert in (lambda a: a, torch.from_numpy):
        clear_session()
        tk.utils.set_random_seed(4)
        model = dense_model(tk, linear_for(tk)(5))
        model.compile(optimizer=SGD(learning_rate=0.1), loss=my_loss_for(tk))
        results.append(model.fit(convert(x), convert(y), epochs=2, batch_size=8, shuffle=False, verbose=0).history)
    np.testing.assert_allclose(results[0]["loss"], results[1]["loss"], rtol=1e-5)
