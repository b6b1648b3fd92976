"""Sequential, compile, fit, evaluate, predict, train_on_batch / test_on_batch, and their errors.

Keras 3 (torch backend) is the oracle where the semantics must match: the same initial weights
and plain SGD give the same History; skipped when keras cannot be imported.
"""

import math
import re

import numpy as np
import pytest

import teachkeras as tk
from teachkeras import callbacks, layers, losses
from teachkeras.backend import clear_session
from teachkeras.models import Model, Sequential
from teachkeras.optimizers import SGD


@pytest.fixture(autouse=True)
def fresh_names():
    clear_session()
    tk.utils.set_random_seed(0)


def blobs(samples=120, features=4, classes=3, seed=0):
    """Separable-ish clusters: x (samples, features) float32, integer labels (samples,)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, samples)
    centers = rng.normal(scale=3.0, size=(classes, features))
    x = centers[labels] + rng.normal(size=(samples, features))
    return x.astype("float32"), labels


def mlp(features=4, classes=3, activation="softmax", hidden=16, dropout=None):
    stack = [tk.Input(shape=(features,)), layers.Dense(hidden, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(dropout, seed=1))
    stack.append(layers.Dense(classes, activation=activation))
    return Sequential(stack)


# ---------------------------------------------------------------- Sequential


def test_sequential_builds_from_input_and_counts_parameters():
    model = Sequential([tk.Input(shape=(784,)), layers.Dense(512, activation="relu"), layers.Dense(10)])
    assert model.built and model.output_shape == (None, 10)
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]  # the Input is not a layer
    assert model.get_layer("dense_1") is model.layers[1] and model.get_layer(index=0) is model.layers[0]


def test_sequential_input_dim_and_input_shape_as_in_the_notes():
    by_dim = Sequential()
    by_dim.add(layers.Dense(2, kernel_initializer="uniform", input_dim=64))
    by_dim.add(layers.Activation("softmax"))
    assert by_dim.input_shape == (None, 64) and by_dim.output_shape == (None, 2)
    by_shape = Sequential([layers.Dense(32, activation="relu", input_shape=(784,))])
    assert by_shape.output_shape == (None, 32)


def test_sequential_without_input_shape_builds_on_first_batch():
    model = Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built and model.weights == []
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 5)), np.ones((4,)), verbose=0)
    assert model.built and [w.shape for w in model.weights] == [(5, 3), (3,), (3, 1), (1,)]


def test_pop_removes_the_last_layer_as_in_the_notes():
    model = Sequential()
    model.add(layers.Dense(32, activation="relu", input_dim=784))
    model.add(layers.Dense(32, activation="relu"))
    assert len(model.layers) == 2
    popped = model.pop()
    assert len(model.layers) == 1 and popped.name == "dense_1" and model.output_shape == (None, 32)
    model.pop()
    with pytest.raises(ValueError, match="pop from a model with no layers"):
        model.pop()


def test_summary_lists_layers_shapes_and_parameter_counts(capsys):
    mlp().summary()
    text = capsys.readouterr().out
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 16)" in text and "80" in text
    assert "Total params: 131 (524.00 B)" in text and "Trainable params: 131" in text
    assert "Non-trainable params: 0" in text


def test_get_and_set_weights_round_trip_and_refuse_wrong_shapes():
    model, other = mlp(), mlp()
    other.set_weights(model.get_weights())
    x = np.ones((2, 4), dtype="float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"expected a list of 4 arrays"):
        model.set_weights(model.get_weights()[:3])
    with pytest.raises(ValueError, match=r"dense/kernel.*\(4, 16\).*\(3, 16\)"):
        model.set_weights([np.zeros((3, 16))] + model.get_weights()[1:])


def test_sequential_refuses_non_layers_and_late_input():
    with pytest.raises(TypeError, match="expected a Layer"):
        Sequential([np.zeros(3)])
    with pytest.raises(ValueError, match="Input must be the first entry"):
        Sequential([layers.Dense(2), tk.Input(shape=(3,))])


def test_get_layer_errors_name_what_exists():
    model = mlp()
    with pytest.raises(ValueError, match=r"no layer named 'nope'.*\['dense', 'dense_1'\]"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index must be in"):
        model.get_layer(index=5)


# ---------------------------------------------------------------- fit and friends


def test_fit_learns_and_returns_history_with_keras_shape():
    x, labels = blobs()
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=5, batch_size=16, verbose=0, validation_split=0.25)
    assert history is model.history
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == [0, 1, 2, 3, 4]
    assert history.params == {"verbose": 0, "epochs": 5, "steps": math.ceil(90 / 16)}
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9


def test_epoch_loss_is_batch_size_weighted_mean_of_pre_update_batch_losses():
    x, labels = blobs(samples=50)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    twin = mlp()
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    history = model.fit(x, labels, epochs=1, batch_size=16, shuffle=False, verbose=0)
    batch_losses = [twin.train_on_batch(x[start:start + 16], labels[start:start + 16]) for start in range(0, 50, 16)]
    expected = np.average(batch_losses, weights=[16, 16, 16, 2])
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(model.get_weights()[0], twin.get_weights()[0], rtol=1e-6)


def test_train_on_batch_returns_the_loss_before_the_update():
    x, labels = blobs(samples=32)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.test_on_batch(x, labels)
    trained = model.train_on_batch(x, labels)
    after = model.test_on_batch(x, labels)
    assert trained[0] == pytest.approx(before[0], rel=1e-6) and after[0] < before[0]
    assert model.train_on_batch(x, labels, return_dict=True).keys() == {"accuracy", "loss"}


def test_evaluate_returns_scalar_list_or_dict():
    x, labels = blobs(samples=40)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, labels, verbose=0), float)
    one_hot = tk.utils.to_categorical(labels, 3)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["mae", "accuracy"])
    values = model.evaluate(x, one_hot, verbose=0)
    as_dict = model.evaluate(x, one_hot, verbose=0, return_dict=True)
    assert list(as_dict) == ["accuracy", "loss", "mae"]
    assert values == [as_dict["loss"], as_dict["mae"], as_dict["accuracy"]]  # loss, then compile order


def test_evaluate_batch_size_does_not_change_the_result():
    x, labels = blobs(samples=37)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    small = model.evaluate(x, labels, batch_size=5, verbose=0)
    whole = model.evaluate(x, labels, batch_size=37, verbose=0)
    np.testing.assert_allclose(small, whole, rtol=1e-5)


def test_predict_is_batched_and_matches_calling_the_model():
    x, _ = blobs(samples=70)
    model = mlp(dropout=0.5)
    predicted = model.predict(x, batch_size=8, verbose=0)
    assert predicted.shape == (70, 3) and isinstance(predicted, np.ndarray)
    np.testing.assert_allclose(predicted, model(x), rtol=1e-6)  # Dropout is off at inference
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), predicted[:5], rtol=1e-6)


class Watch(layers.Layer):
    """A pass-through layer that calls ``see(inputs, training)`` on every forward pass: what fit,
    evaluate and predict feed the model, batch by batch."""

    def __init__(self, see, **kwargs):
        super().__init__(**kwargs)
        self.see = see

    def call(self, inputs, training=False):
        self.see(inputs, training)
        return inputs

    def backward(self, grad_outputs):
        return grad_outputs

    def compute_output_shape(self, input_shape):
        return input_shape


def test_fit_uses_training_mode_and_evaluate_does_not():
    seen = []
    model = Sequential([tk.Input(shape=(2,)), Watch(lambda inputs, training: seen.append(training)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones(4), batch_size=4, verbose=0)
    assert seen == [True]
    model.evaluate(np.ones((4, 2)), np.ones(4), verbose=0)
    model.predict(np.ones((4, 2)), verbose=0)
    assert seen == [True, False, False]


def test_validation_split_takes_the_last_rows_before_shuffling():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    seen = []
    model = Sequential([tk.Input(shape=(1,)), Watch(lambda inputs, training: seen.append((training, inputs[:, 0].tolist()))),
                        layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, 0], validation_split=0.25, batch_size=100, epochs=2, verbose=0)
    training_rows = [rows for training, rows in seen if training]
    validation_rows = [rows for training, rows in seen if not training]
    assert validation_rows == [[7.0, 8.0, 9.0]] * 2  # training keeps floor(10 * 0.75) = 7 rows
    assert all(sorted(rows) == list(range(7)) for rows in training_rows)


def test_shuffle_true_reshuffles_each_epoch_false_keeps_order_batch_keeps_batches():
    x = np.arange(12, dtype="float32").reshape(12, 1)
    orders = []

    def record(inputs, training):
        if training:
            orders.append(inputs[:, 0].tolist())

    model = Sequential([tk.Input(shape=(1,)), Watch(record), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, 0], batch_size=12, epochs=2, shuffle=True, verbose=0)
    assert orders[0] != orders[1] and sorted(orders[0]) == list(range(12))
    orders.clear()
    model.fit(x, x[:, 0], batch_size=12, epochs=2, shuffle=False, verbose=0)
    assert orders == [list(range(12))] * 2
    orders.clear()
    model.fit(x, x[:, 0], batch_size=4, epochs=1, shuffle="batch", verbose=0)
    assert [sorted(batch) for batch in orders] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_same_seed_same_training():
    x, labels = blobs()
    results = []
    for _ in range(2):
        clear_session()
        tk.utils.set_random_seed(7)
        model = mlp(dropout=0.3)
        model.compile(optimizer=SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
        results.append(model.fit(x, labels, epochs=2, verbose=0).history["loss"])
    assert results[0] == results[1]


def test_initial_epoch_numbers_the_epochs():
    x, labels = blobs(samples=20)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, labels, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4] and len(history.history["loss"]) == 2


def test_validation_data_and_validation_freq():
    x, labels = blobs()
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:100], labels[:100], validation_data=(x[100:], labels[100:]), epochs=1, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x[100:], labels[100:], verbose=0)[0])
    history = model.fit(x, labels, validation_split=0.2, validation_freq=2, epochs=4, verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


def test_sample_weight_scales_the_loss_keras_style():
    x, labels = blobs(samples=16)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    weights = np.linspace(0.0, 2.0, 16).astype("float32")
    plain = model.test_on_batch(x, labels)
    per_sample = losses.sparse_categorical_crossentropy(labels, model.predict(x, verbose=0))
    weighted = model.test_on_batch(x, labels, sample_weight=weights)
    assert plain == pytest.approx(float(per_sample.mean()), rel=1e-5)
    assert weighted == pytest.approx(float((weights * per_sample).sum() / 16), rel=1e-5)  # / batch, not / sum(w)


def test_class_weight_equals_the_matching_sample_weight():
    x, labels = blobs(samples=30)
    one_hot = tk.utils.to_categorical(labels, 3)
    results = []
    for kwargs in [{"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}},
                   {"sample_weight": np.array([1.0, 3.0, 0.5])[labels]}]:
        clear_session()
        tk.utils.set_random_seed(1)
        model = mlp()
        model.compile(optimizer=SGD(learning_rate=0.1), loss="categorical_crossentropy")
        results.append(model.fit(x, one_hot, epochs=2, batch_size=8, shuffle=False, verbose=0, **kwargs).history)
    assert results[0] == results[1]


def test_torch_tensors_train_the_same_layer_code():
    torch = pytest.importorskip("torch")
    x, labels = blobs(samples=64)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin = mlp()
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    on_numpy = model.fit(x, labels, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    on_torch = twin.fit(torch.from_numpy(x), torch.from_numpy(labels), epochs=2, batch_size=16, shuffle=False,
                        verbose=0).history
    assert twin.device == "cpu"
    for key in on_numpy:
        np.testing.assert_allclose(on_numpy[key], on_torch[key], rtol=1e-5)


def test_subclassed_model_trains_through_its_own_call_and_backward():
    class Residual(Model):
        def __init__(self):
            super().__init__()
            self.inner = layers.Dense(4, activation="tanh")
            self.head = layers.Dense(1)

        def call(self, inputs, training=False):
            return self.head(inputs + self.inner(inputs, training=training), training=training)

        def backward(self, grad_outputs):
            grad = self.head.backward(grad_outputs)
            return grad + self.inner.backward(grad)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = Residual()
    model.compile(optimizer=SGD(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, epochs=20, verbose=0)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"] and len(model.trainable_weights) == 4
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


def test_fused_softmax_crossentropy_gradient_equals_the_chain_rule():
    x, labels = blobs(samples=8)
    one_hot = tk.utils.to_categorical(labels, 3)
    model = Sequential([tk.Input(shape=(4,)), layers.Dense(3, activation="softmax", dtype="float64")])
    model.compile(optimizer=SGD(learning_rate=0.0), loss="categorical_crossentropy")
    y_pred = model(x.astype("float64"), training=True)
    model._backward_from_loss(one_hot, y_pred, None)
    fused = model.layers[0].kernel.grad.copy()
    model.layers[0].backward(model.loss.backward(one_hot, y_pred, None))  # softmax Jacobian, then Dense
    np.testing.assert_allclose(fused, model.layers[0].kernel.grad, rtol=1e-6, atol=1e-9)


def test_fused_sigmoid_binary_crossentropy_through_an_activation_layer():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 3))
    y = (rng.random((10, 1)) > 0.5).astype("float64")
    model = Sequential([tk.Input(shape=(3,)), layers.Dense(1, dtype="float64"), layers.Activation("sigmoid", dtype="float64")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    y_pred = model(x, training=True)
    weights = rng.random(10)
    model._backward_from_loss(y, y_pred, weights)
    fused = model.layers[0].kernel.grad.copy()
    model.backward(model.loss.backward(y, y_pred, weights))
    np.testing.assert_allclose(fused, model.layers[0].kernel.grad, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- bad input


def compiled(loss="sparse_categorical_crossentropy", **kwargs):
    model = mlp()
    model.compile(optimizer="sgd", loss=loss, **kwargs)
    return model


def test_x_and_y_of_different_lengths():
    x, labels = blobs(samples=10)
    with pytest.raises(ValueError, match=r"same number of samples.*x with 10 samples \(shape \(10, 4\)\).*y with 9"):
        compiled().fit(x, labels[:9], verbose=0)


def test_integer_labels_with_categorical_crossentropy_suggest_the_fixes():
    x, labels = blobs(samples=10)
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*shape \(10,\).*\(10, 3\).*"
                                         r"sparse_categorical_crossentropy.*to_categorical"):
        compiled("categorical_crossentropy").fit(x, labels, verbose=0)


def test_one_hot_labels_with_sparse_crossentropy_suggest_categorical():
    x, labels = blobs(samples=10)
    with pytest.raises(ValueError, match=r"one class index per sample.*\(10, 3\).*use loss='categorical_crossentropy'"):
        compiled().fit(x, tk.utils.to_categorical(labels, 3), verbose=0)


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5, "0.2"])
def test_validation_split_outside_zero_one(split):
    x, labels = blobs(samples=10)
    with pytest.raises(ValueError, match=rf"validation_split must be a fraction in \[0, 1\), received validation_split={split!r}"):
        compiled().fit(x, labels, validation_split=split, verbose=0)


def test_validation_split_that_leaves_nothing():
    x, labels = blobs(samples=3)
    with pytest.raises(ValueError, match="leaves 0 for training"):
        compiled().fit(x, labels, validation_split=0.9, verbose=0)


@pytest.mark.parametrize("method, args", [("fit", 2), ("evaluate", 2), ("train_on_batch", 2), ("test_on_batch", 2)])
def test_training_before_compile(method, args):
    x, labels = blobs(samples=4)
    with pytest.raises(ValueError, match=rf"must be compiled first.*before model.{method}\(\)"):
        getattr(mlp(), method)(x, labels)


def test_unknown_loss_metric_and_optimizer_names():
    model = mlp()
    with pytest.raises(ValueError, match=r"unknown loss 'mean_square_error'.*Did you mean 'mean_squared_error'"):
        model.compile(optimizer="sgd", loss="mean_square_error")
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'.*Did you mean 'accuracy'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match=r"unknown optimizer 'sgdd'"):
        model.compile(optimizer="sgdd", loss="mse")


def test_the_notes_nb_epoch_names_epochs():
    x, labels = blobs(samples=4)
    with pytest.raises(TypeError, match=r"nb_epoch= is the Keras 1 spelling; use epochs="):
        compiled().fit(x, labels, nb_epoch=3)
    with pytest.raises(TypeError, match=r"show_accuracy.*metrics=\['accuracy'\]"):
        compiled().fit(x, labels, show_accuracy=True)
    with pytest.raises(TypeError, match=r"class_mode= is the Keras 1 API.*metrics=\['accuracy'\]"):
        mlp().compile(optimizer="sgd", loss="mse", class_mode="categorical")
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['bacth_size'\]"):
        compiled().fit(x, labels, bacth_size=3)


@pytest.mark.parametrize("argument, value, message", [
    ("batch_size", 0, "batch_size must be a positive integer"),
    ("epochs", -1, "epochs must be an integer >= 0"),
    ("verbose", 3, "verbose must be 'auto', 0, 1 or 2"),
    ("shuffle", "yes", "shuffle must be True, False or 'batch'"),
    ("callbacks", [print], "expected Callback instances"),
])
def test_bad_fit_arguments(argument, value, message):
    x, labels = blobs(samples=4)
    with pytest.raises(ValueError, match=message):
        compiled().fit(x, labels, **{argument: value})


def nan_at(epoch_batches, bad_batch, batch_size=4):
    """Regression data whose targets are NaN in one batch: the loss of exactly that batch is NaN."""
    x = np.ones((epoch_batches * batch_size, 1), dtype="float32")
    y = np.ones(epoch_batches * batch_size, dtype="float32")
    y[bad_batch * batch_size] = np.nan
    return x, y


def test_nan_loss_with_terminate_on_nan_stops_and_prints_where(capsys):
    x, y = nan_at(epoch_batches=4, bad_batch=2)
    model = Sequential([tk.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=4, shuffle=False, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"
    assert history.epoch == [0] and math.isnan(history.history["loss"][-1])


def test_nan_loss_stops_training_by_default_and_warns_once_where():
    """Issue 3: a NaN loss stops training with a message naming epoch and batch (Keras trains on)."""
    x, y = nan_at(epoch_batches=4, bad_batch=3)
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model = Sequential([tk.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(RuntimeWarning) as caught:
        history = model.fit(x, y, epochs=5, batch_size=4, shuffle=False, verbose=0, callbacks=[record])
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 1 and caught[0].filename == __file__
    assert "epoch 1/5, batch 3 (0-based" in messages[0]
    for cause in ("learning rate too high", "NaN or inf in the inputs", "from_logits"):
        assert cause in messages[0]
    assert model.stop_training and seen == [0, 1, 2, 3]  # stopped at the end of batch 3
    assert history.epoch == [0] and math.isnan(history.history["loss"][0])


class _PoisonAt(callbacks.Callback):
    """Sets the first kernel to NaN before batch ``batch`` of epoch ``epoch``: a NaN loss exactly there."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            kernel = self.model.layers[0].kernel
            kernel.assign(np.full(kernel.shape, np.nan, dtype=kernel.value.dtype))


def test_nan_in_a_later_epoch_keeps_the_epochs_done():
    # Keras, when stop_training is set mid-epoch, still ends that epoch with on_epoch_end, so
    # History records the stopped epoch (its loss averages the batches run, NaN included).
    x, labels = blobs(samples=64)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    with pytest.warns(RuntimeWarning, match=r"loss became nan at epoch 3/20, batch 1 \(0-based"):
        with np.errstate(all="ignore"):
            history = model.fit(x, labels, epochs=20, batch_size=8, verbose=0, callbacks=[_PoisonAt(2, 1)])
    assert history.epoch == [0, 1, 2]
    assert all(math.isfinite(value) for value in history.history["loss"][:2])
    assert math.isnan(history.history["loss"][2])


def test_compile_without_loss_predicts_but_does_not_fit():
    model = mlp()
    model.compile(optimizer="sgd")
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 3)
    with pytest.raises(ValueError, match="compiled without a loss"):
        model.fit(np.ones((2, 4)), np.zeros(2), verbose=0)


def test_model_with_inputs_and_outputs_is_functional_and_checks_its_outputs():
    # chapter 09 built the functional API: Model(inputs, outputs) no longer says "later chapter"
    with pytest.raises(ValueError, match="all outputs must be KerasTensors"):
        Model(inputs=tk.Input(shape=(3,)), outputs=None)


def test_predict_classes_from_the_notes_works_with_a_warning():
    model = mlp()
    with pytest.warns(DeprecationWarning, match=r"np.argmax\(model.predict\(x\), axis=-1\)"):
        classes = model.predict_classes(np.ones((3, 4)))
    np.testing.assert_array_equal(classes, model.predict(np.ones((3, 4)), verbose=0).argmax(axis=-1))


# ---------------------------------------------------------------- Keras as the oracle


def keras_twin(model, keras, loss, optimizer_rate, metrics=()):
    """A Keras model with the same layers and weights as ``model`` (Dense stacks only)."""
    stack = [keras.Input(shape=model.input_shape[1:])]
    for layer in model.layers:
        stack.append(keras.layers.Dense(layer.units, activation=layer.activation.__name__))
    twin = keras.Sequential(stack)
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=keras.optimizers.SGD(learning_rate=optimizer_rate), loss=loss, metrics=list(metrics))
    return twin


@pytest.mark.parametrize("loss, targets, activation, metrics", [
    ("sparse_categorical_crossentropy", "labels", "softmax", ["accuracy"]),
    ("categorical_crossentropy", "one_hot", "softmax", ["accuracy", "mae"]),
    ("mse", "one_hot", "sigmoid", ["mae", "accuracy"]),
])
def test_history_matches_keras(loss, targets, activation, metrics):
    keras = pytest.importorskip("keras")
    x, labels = blobs(samples=90)
    y = labels if targets == "labels" else tk.utils.to_categorical(labels, 3).astype("float32")
    model = mlp(activation=activation)
    model.compile(optimizer=SGD(learning_rate=0.05), loss=loss, metrics=metrics)
    twin = keras_twin(model, keras, loss, 0.05, metrics)
    weights = np.linspace(0.5, 1.5, 90).astype("float32")
    kwargs = dict(epochs=2, batch_size=16, shuffle=False, verbose=0, validation_split=0.2, sample_weight=weights)
    ours = model.fit(x, y, **kwargs).history
    theirs = twin.fit(x, y, **kwargs).history
    assert list(ours) == list(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for ours_weight, theirs_weight in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(ours_weight, theirs_weight, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), twin.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x[:16], y[:16]), twin.train_on_batch(x[:16], y[:16]), rtol=1e-5)


@pytest.mark.parametrize("validation_split", [0.0, 0.25])
def test_class_weight_matches_keras(validation_split):
    """With validation_split, Keras weights the training samples only: val_loss is unweighted."""
    keras = pytest.importorskip("keras")
    x, labels = blobs(samples=48)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin = keras_twin(model, keras, "sparse_categorical_crossentropy", 0.05, ["accuracy"])
    kwargs = dict(epochs=2, batch_size=10, shuffle=False, verbose=0, class_weight={0: 2.0, 2: 0.25},
                  validation_split=validation_split)
    ours, theirs = model.fit(x, labels, **kwargs).history, twin.fit(x, labels, **kwargs).history
    assert list(ours) == list(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, err_msg=key)
    if validation_split:  # and the unweighted loss of the last rows is what val_loss reports
        unweighted = model.evaluate(x[36:], labels[36:], verbose=0)[0]
        assert ours["val_loss"][-1] == pytest.approx(unweighted, rel=1e-5)


# ---------------------------------------------------------------- sparse labels out of range


@pytest.mark.parametrize("labels, bad", [([1, 2, 3], 3), ([0, -1, 2], -1)])
def test_sparse_labels_out_of_range_name_the_label_and_the_fix(labels, bad):
    y_pred = np.full((3, 3), 1 / 3)
    model = Sequential([tk.Input(shape=(2,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.zeros((3, 2))
    for check in (lambda: losses.sparse_categorical_crossentropy(np.array(labels), y_pred),
                  lambda: losses.SparseCategoricalCrossentropy()(np.array(labels), y_pred),
                  lambda: model.fit(x, np.array(labels), verbose=0),
                  lambda: model.evaluate(x, np.array(labels), verbose=0),
                  lambda: model.train_on_batch(x, np.array(labels))):
        with pytest.raises(ValueError, match=rf"class index in the model's 3 classes, \[0, 3\), received the label {bad}"):
            check()
    with pytest.raises(ValueError, match=r"labels 1\.\.3\? subtract 1.*use Dense\(4\)"):
        model.fit(x, np.array([1, 2, 3]), verbose=0)


def test_sparse_labels_out_of_range_are_caught_when_the_model_builds_late():
    model = Sequential([layers.Dense(3, activation="softmax")])  # no input shape: classes known at the first batch
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"received the label 10.*Dense\(11\)"):
        model.fit(np.zeros((4, 2)), np.array([0, 1, 2, 10]), verbose=0)


def test_fractional_sparse_labels_are_refused_not_truncated():
    model = Sequential([tk.Input(shape=(2,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="labels must be whole class indices.*received the label 1.5"):
        model.fit(np.zeros((2, 2)), np.array([0.0, 1.5]), verbose=0)
    with pytest.raises(ValueError, match="received the label 2.7"):
        losses.sparse_categorical_crossentropy(np.array([2.7]), np.full((1, 3), 1 / 3))
    with pytest.raises(ValueError, match="received the label nan"):
        losses.sparse_categorical_crossentropy(np.array([np.nan]), np.full((1, 3), 1 / 3))


@pytest.mark.parametrize("on_torch", [False, True])
def test_sparse_labels_checked_once_per_fit_on_torch_too(monkeypatch, on_torch):
    torch = pytest.importorskip("torch") if on_torch else None
    checked = []
    original = losses.check_class_labels
    monkeypatch.setattr(losses, "check_class_labels",
                        lambda labels, *args, **kwargs: (checked.append(tuple(labels.shape)),
                                                         original(labels, *args, **kwargs))[1])
    x, labels = blobs(samples=64)
    if on_torch:
        x, labels = torch.from_numpy(x), torch.from_numpy(labels)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, labels, batch_size=16, epochs=2, validation_split=0.25, verbose=0)
    assert checked == [(64,)]  # the whole array once; no step (forward or fused backward) again
    checked.clear()
    model.evaluate(x, labels, batch_size=16, verbose=0)
    assert checked == [(64,)]
    checked.clear()
    loss = losses.SparseCategoricalCrossentropy()
    predictions = model.predict(x[:5], verbose=0)
    loss(labels[:5], predictions if not on_torch else torch.from_numpy(predictions))
    assert checked == [(5,)]  # a direct call checks its own labels, once
    bad = torch.tensor([0, 1, 2, 3]) if on_torch else np.array([0, 1, 2, 3])
    with pytest.raises(ValueError, match="received the label 3"):
        model.fit(x[:4], bad, verbose=0)


def test_sparse_label_too_large_for_an_unbuilt_model_is_still_caught():
    # No Input: the classes are known only at the first batch, so fit checks the largest label then.
    model = Sequential([layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="received the label 3.*Dense\\(4\\)"):
        model.fit(np.zeros((4, 2)), np.array([0, 1, 2, 3]), verbose=0)
    with pytest.raises(ValueError, match="received the label 5"):
        model.evaluate(np.zeros((2, 2)), np.array([0, 5]), verbose=0)


def test_check_class_labels_is_one_combined_test():
    for labels, message in [(np.array([0.0, 1.5]), "received the label 1.5"), (np.array([0, -1]), "label -1"),
                            (np.array([0, 3]), "label 3"), (np.array([np.nan, 1.0]), "label nan")]:
        with pytest.raises(ValueError, match=message):
            losses.check_class_labels(labels, 3)
    losses.check_class_labels(np.array([0.0, 2.0]), 3)
    losses.check_class_labels(np.array([0, 7]))  # no class count: only >= 0 and whole


# ---------------------------------------------------------------- smaller Keras behaviours


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_zero_samples_are_an_error_as_in_keras(method):
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    arguments = (np.zeros((0, 4)),) if method == "predict" else (np.zeros((0, 4)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=f"{method}: num_samples should be a positive integer"):
        getattr(model, method)(*arguments, verbose=0)


def test_sample_weight_may_be_a_column():
    x, labels = blobs(samples=16)
    weights = np.linspace(0.5, 2.0, 16)
    model, twin = mlp(), mlp()
    twin.set_weights(model.get_weights())
    for network in (model, twin):
        network.compile(optimizer=SGD(0.1), loss="sparse_categorical_crossentropy")
    flat = model.fit(x, labels, sample_weight=weights, shuffle=False, verbose=0).history["loss"]
    column = twin.fit(x, labels, sample_weight=weights[:, None], shuffle=False, verbose=0).history["loss"]
    assert flat == column
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, 1\), received shape \(16, 2\)"):
        model.fit(x, labels, sample_weight=np.ones((16, 2)), verbose=0)


@pytest.mark.parametrize("name", ["ACC", "Accuracy", "acc"])
def test_accuracy_names_are_case_insensitive_as_in_keras_compile(name):
    x, labels = blobs(samples=16)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[name])
    logs = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert set(logs) == {"loss", name}


def test_metric_and_loss_class_names_as_keras_get_accepts_them():
    keras = pytest.importorskip("keras")
    x, labels = blobs(samples=16)
    one_hot = tk.utils.to_categorical(labels, 3)
    model = mlp()
    model.compile(optimizer="sgd", loss="CategoricalCrossentropy", metrics=["CategoricalAccuracy", "MeanSquaredError"])
    twin = keras_twin(model, keras, "CategoricalCrossentropy", 0.01, ["CategoricalAccuracy", "MeanSquaredError"])
    ours, theirs = model.evaluate(x, one_hot, verbose=0, return_dict=True), twin.evaluate(x, one_hot, verbose=0,
                                                                                           return_dict=True)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert ours[key] == pytest.approx(theirs[key], rel=1e-5), key


@pytest.mark.parametrize("verbose, expected_output", [(True, True), (False, False)])
def test_verbose_true_and_false_mean_1_and_0(capsys, verbose, expected_output):
    x, labels = blobs(samples=16)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, labels, verbose=verbose)
    model.evaluate(x, labels, verbose=verbose)
    model.predict(x, verbose=verbose)
    assert bool(capsys.readouterr().out) == expected_output


def test_sequential_refuses_a_string():
    with pytest.raises(TypeError, match="received the string 'dense'"):
        Sequential("dense")


def test_summary_accepts_keras_arguments_and_marks_unbuilt_layers(capsys):
    unbuilt = Sequential([layers.Dense(2)])
    unbuilt.summary()
    assert "0 (unbuilt)" in capsys.readouterr().out
    model = mlp()
    model.summary(line_length=70, positions=[0.4, 0.7, 1.0], expand_nested=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines[1]) == 70 and all(len(line) <= 70 for line in lines)
    model.summary(show_trainable=True, layer_range=["dense_1", "dense_1"])
    text = capsys.readouterr().out
    assert "Trainable" in text and "dense_1 (Dense)" in text and "dense (Dense)" not in text
    with pytest.raises(ValueError, match="layer_range=\\['nothing', 'dense'\\] matches no range"):
        model.summary(layer_range=["nothing", "dense"])


def test_input_layer_input_shape_and_batch_size_as_in_keras():
    with pytest.warns(UserWarning, match="input_shape` is deprecated"):
        layer = layers.InputLayer(input_shape=(4,))
    assert layer.batch_shape == (None, 4)
    model = Sequential([tk.Input(shape=(4,), batch_size=8), layers.Dense(2)])
    assert model.output_shape == (8, 2) and model.layers[0].output_shape == (8, 2)
    keras = pytest.importorskip("keras")
    assert keras.Sequential([keras.Input(shape=(4,), batch_size=8), keras.layers.Dense(2)]).output_shape == (8, 2)


# ---------------------------------------------------------------- the notes' examples


def test_compile_defaults_to_rmsprop_as_keras():
    model = mlp()
    model.compile(loss="mse")
    assert type(model.optimizer).__name__ == "RMSprop"


def test_notes_000_sequential_example(capsys):
    rng = np.random.default_rng(0)
    x_train, y_train = rng.normal(size=(420, 64)), tk.utils.to_categorical(rng.integers(0, 2, 420), 2)
    model = Sequential()
    with pytest.raises(TypeError, match=r"init= is the Keras 1/2 spelling; use kernel_initializer="):
        model.add(layers.Dense(2, init="uniform", input_dim=64))
    model.add(layers.Dense(2, kernel_initializer="uniform", input_dim=64))
    model.add(layers.Activation("softmax"))
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(TypeError, match="use epochs="):
        model.fit(x_train, y_train, nb_epoch=3, batch_size=16, verbose=1)
    history = model.fit(x_train, y_train, epochs=3, batch_size=16, verbose=2, validation_split=0.1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/3" and lines[1].startswith("24/24 - ")  # 378 training samples, 42 validation
    assert " - loss: " in lines[1] and " - val_loss: " in lines[1]
    assert history.params["steps"] == 24


def test_notes_002_freezing_pop_and_history():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(50, 784)).astype("float32"), rng.normal(size=(50, 32)).astype("float32")
    frozen = layers.Dense(32, trainable=False)
    model = Sequential([layers.Dense(32, activation="relu", input_dim=784), frozen])
    model.compile(optimizer="rmsprop", loss="mse")
    before = frozen.get_weights()
    hist = model.fit(x, y, validation_split=0.2, verbose=0)
    assert sorted(hist.history) == ["loss", "val_loss"]
    for kept, now in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(kept, now)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.pop()
    assert len(model.layers) == 1


def test_notes_003_mnist_network_runs():
    rng = np.random.default_rng(2)
    train_images = rng.integers(0, 256, size=(256, 28, 28)).astype("uint8")
    train_labels = rng.integers(0, 10, size=256)
    network = Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    train_images = train_images.reshape((256, 28 * 28)).astype("float32") / 255
    train_labels = tk.utils.to_categorical(train_labels)
    assert train_labels.shape == (256, 10)
    network.fit(train_images, train_labels, epochs=2, batch_size=128, verbose=0)
    test_loss, test_acc = network.evaluate(train_images, train_labels, verbose=0)
    assert math.isfinite(test_loss) and 0.0 <= test_acc <= 1.0


def test_sequential_config_round_trip_rebuilds_the_same_model():
    model = Sequential([tk.Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dropout(0.3, seed=2),
                        layers.Dense(3, activation="softmax")], name="classifier")
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]] == ["InputLayer", "Dense", "Dropout", "Dense"]
    copy = Sequential.from_config(config)
    assert copy.name == "classifier" and copy.output_shape == (None, 3)
    copy.set_weights(model.get_weights())
    x = np.ones((2, 4), dtype="float32")
    np.testing.assert_allclose(copy.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="unknown layer class 'Nope'"):
        Sequential.from_config({"name": "m", "layers": [{"class_name": "Nope", "config": {}}]})


def test_input_declares_shapes_and_refuses_nonsense():
    x = tk.Input(shape=(28, 28, 1), batch_size=16)
    assert x.shape == (16, 28, 28, 1) and x.dtype == "float32" and x.source_layer.name.startswith("input_layer")
    assert tk.Input(batch_shape=(None, 5)).shape == (None, 5)
    with pytest.raises(ValueError, match=r"shape is required, e.g. shape=\(784,\)"):
        tk.Input()
    with pytest.raises(ValueError, match="pass batch_shape, or shape and batch_size, not both"):
        tk.Input(shape=(3,), batch_shape=(None, 3))
    with pytest.raises(ValueError, match="expected a shape"):
        tk.Input(shape="wide")


def test_inputs_are_converted_once_to_the_model_float_type():
    model = mlp()
    assert model._standardize_inputs(np.ones((2, 4), dtype="float64")).dtype == np.float32
    same = np.ones((2, 4), dtype="float32")
    assert model._standardize_inputs(same) is same  # already right: no copy
    torch = pytest.importorskip("torch")
    assert model._standardize_inputs(torch.ones(2, 4, dtype=torch.float64)).dtype == torch.float32
    with pytest.raises(ValueError, match="x: expected numbers, received an array of dtype <U1"):
        model._standardize_inputs(np.array([["a"]]))


def test_each_fit_warns_about_its_own_nan_loss():
    x, labels = blobs(samples=16)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=1e30), loss="sparse_categorical_crossentropy")
    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="loss became"), np.errstate(all="ignore"):
            model.fit(x * 1e3, labels, epochs=2, batch_size=8, verbose=0)


def test_a_model_moved_to_torch_trains_on_numpy_data_batch_by_batch():
    torch = pytest.importorskip("torch")
    x, labels = blobs(samples=48)
    model = mlp()
    model.compile(optimizer=SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin = mlp()
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin.to("cpu")  # a torch device: every batch is moved there, the model stays
    expected = model.fit(x, labels, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    got = twin.fit(x, labels, epochs=2, batch_size=16, shuffle=False, verbose=0, validation_split=0.0,
                   sample_weight=np.ones(48)).history
    assert twin.device == "cpu" and all(isinstance(w.value, torch.Tensor) for w in twin.weights)
    for key in expected:
        np.testing.assert_allclose(expected[key], got[key], rtol=1e-5)
    assert isinstance(twin.predict(x, verbose=0), np.ndarray)


# ---------------------------------------------------------------- summary, trainable and Input as in Keras


def _keras_summary_names(model, **kwargs):
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text), **kwargs)
    text = "\n".join(lines)
    return [layer.name for layer in model.layers if f"{layer.name} (" in text]


@pytest.mark.parametrize("layer_range", [["dense", "dense"], ["out", "dense"], ["dense_1", "dense"], ["d", "d"],
                                         ["dense_1", "out"]])
def test_summary_layer_range_matches_keras(layer_range):
    keras = pytest.importorskip("keras")
    ours = Sequential([tk.Input(shape=(3,)), layers.Dense(4, name="dense"), layers.Dense(5, name="dense_1"),
                       layers.Dense(6, name="out")])
    theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, name="dense"),
                               keras.layers.Dense(5, name="dense_1"), keras.layers.Dense(6, name="out")])
    assert _keras_summary_names(ours, layer_range=layer_range) == _keras_summary_names(theirs, layer_range=layer_range)


def test_model_trainable_sets_every_layer_as_in_keras():
    keras = pytest.importorskip("keras")

    def state(model):
        return [(layer.trainable, len(layer.trainable_weights), [w.trainable for w in layer.weights])
                for layer in model.layers] + [(len(model.trainable_weights), len(model.non_trainable_weights))]

    ours = Sequential([tk.Input(shape=(3,)), layers.Dense(4), layers.Flatten(), layers.Dense(2)])
    theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4), keras.layers.Flatten(),
                               keras.layers.Dense(2)])
    for value in (False, True):
        ours.trainable = theirs.trainable = value
        assert state(ours) == state(theirs)
        lines = []
        ours.summary(show_trainable=True, print_fn=lines.append)
        marks = [line.split()[-1] for line in lines[0].splitlines()[4:7]]
        assert marks == (["Y", "-", "Y"] if value else ["N", "-", "N"])  # Keras: '-' for no weights


@pytest.mark.parametrize("line_length", [40, 50, 70])
@pytest.mark.parametrize("show_trainable", [False, True])
def test_summary_columns_stay_apart_and_rows_are_as_wide_as_the_rule(capsys, line_length, show_trainable):
    model = Sequential([tk.Input(shape=(3,)), layers.Dense(4, name="a_rather_long_layer_name"), layers.Dense(2)])
    model.summary(line_length=line_length, show_trainable=show_trainable)
    table = capsys.readouterr().out.splitlines()[1:7]  # rule, header, rule, 2 rows, rule
    assert {len(line) for line in table} == {line_length}
    header = table[1]
    assert "Output ShapeParam" not in header and "  " in header
    assert "a_rather_long_layer_name (Dense)" not in table[3] and "…" in table[3]  # cut visibly
    with pytest.raises(ValueError, match="line_length=20 .* narrower than 4"):
        model.summary(line_length=20, show_trainable=True)


@pytest.mark.parametrize("batch_size", [None, 0, 3, True, np.int64(4)])
def test_input_batch_size_accepts_what_keras_accepts(batch_size):
    expected = None if batch_size is None else int(batch_size)
    assert tk.Input(shape=(3,), batch_size=batch_size).shape == (expected, 3)
    keras = pytest.importorskip("keras")
    assert keras.Input(shape=(3,), batch_size=batch_size).shape == (expected, 3)


@pytest.mark.parametrize("batch_size", [-1, 2.5, "8"])
def test_input_batch_size_refuses_what_keras_refuses(batch_size):
    with pytest.raises(ValueError, match=f"batch_size must be a whole number >= 0 or None, received "
                                         f"batch_size={re.escape(repr(batch_size))}"):
        tk.Input(shape=(3,), batch_size=batch_size)
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError):
        keras.Input(shape=(3,), batch_size=batch_size)


def test_compile_accepts_an_optimizer_built_outside_the_package():
    """Chapter 04's notebook builds its own SGD class (the student's update_step): compile takes it."""

    class NotebookSGD:
        def __init__(self, learning_rate):
            self.learning_rate = learning_rate

        def apply(self, grads, variables):
            for grad, variable in zip(grads, variables):
                self.update_step(grad, variable, self.learning_rate)

        def update_step(self, gradient, variable, learning_rate):
            variable.value -= learning_rate * gradient

    x, labels = blobs(samples=64)
    ours, theirs = mlp(), mlp()
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizer=NotebookSGD(0.1), loss="sparse_categorical_crossentropy")
    theirs.compile(optimizer=SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    first = ours.fit(x, labels, epochs=2, shuffle=False, verbose=0).history["loss"]
    second = theirs.fit(x, labels, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(first, second, rtol=1e-6)
    with pytest.raises(ValueError, match="expected an optimizer name or an Optimizer"):
        ours.compile(optimizer=SGD, loss="mse")  # the class, not an instance
