"""Metrics: values and running means against Keras 3, 'accuracy' chosen from shapes, names in the
History, weighted metrics, errors."""

import numpy as np
import pytest

import teachkeras as tk
from teachkeras import metrics
from teachkeras.backend import clear_session

RNG = np.random.default_rng(1)
PROBABILITIES = RNG.dirichlet(np.ones(4), size=10)
LABELS = RNG.integers(0, 4, size=10)
ONE_HOT = np.eye(4)[LABELS]
BINARY_TARGETS = (RNG.random((10, 1)) > 0.5).astype("float64")
BINARY_OUTPUTS = RNG.random((10, 1))


def run_batches(metric, y_true, y_pred, sizes=(3, 3, 4), sample_weight=None):
    start = 0
    for size in sizes:
        weights = None if sample_weight is None else sample_weight[start:start + size]
        metric.update_state(y_true[start:start + size], y_pred[start:start + size], weights)
        start += size
    return float(metric.result())


@pytest.mark.parametrize("ours, theirs, y_true, y_pred", [
    ("BinaryAccuracy", "BinaryAccuracy", BINARY_TARGETS, BINARY_OUTPUTS),
    ("CategoricalAccuracy", "CategoricalAccuracy", ONE_HOT, PROBABILITIES),
    ("SparseCategoricalAccuracy", "SparseCategoricalAccuracy", LABELS, PROBABILITIES),
    ("SparseCategoricalAccuracy", "SparseCategoricalAccuracy", LABELS[:, None], PROBABILITIES),
    ("MeanSquaredError", "MeanSquaredError", ONE_HOT, PROBABILITIES),
    ("MeanAbsoluteError", "MeanAbsoluteError", ONE_HOT, PROBABILITIES),
])
@pytest.mark.parametrize("weighted", [False, True])
def test_running_values_match_keras(ours, theirs, y_true, y_pred, weighted):
    keras = pytest.importorskip("keras")
    weights = np.linspace(0.0, 2.0, 10) if weighted else None
    expected = run_batches(getattr(keras.metrics, theirs)(), y_true, y_pred, sample_weight=weights)
    assert run_batches(getattr(metrics, ours)(), y_true, y_pred, sample_weight=weights) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", ["mape", "msle", "hinge", "squared_hinge", "binary_crossentropy",
                                  "categorical_crossentropy", "kl_divergence", "poisson"])
def test_loss_named_metrics_match_keras(name):
    keras = pytest.importorskip("keras")
    y_true = ONE_HOT + (1.0 if name == "mape" else 0.0)
    expected = run_batches(keras.metrics.get(name), y_true, PROBABILITIES)
    assert run_batches(metrics.get(name), y_true, PROBABILITIES) == pytest.approx(expected, rel=1e-5)


def test_running_mean_is_over_samples_not_batches():
    metric = metrics.SparseCategoricalAccuracy()
    predictions = np.eye(3)[[0, 1, 2, 0]]
    metric.update_state(np.array([0, 1, 2]), predictions[:3])  # 3 of 3
    metric.update_state(np.array([1]), predictions[3:])       # 0 of 1
    assert metric.result() == 0.75
    metric.reset_state()
    assert metric.result() == 0.0


@pytest.mark.parametrize("y_true, y_pred, kind", [
    (BINARY_TARGETS, BINARY_OUTPUTS, metrics.BinaryAccuracy),
    (BINARY_TARGETS[:, 0], BINARY_OUTPUTS, metrics.BinaryAccuracy),
    (LABELS, PROBABILITIES, metrics.SparseCategoricalAccuracy),
    (LABELS[:, None], PROBABILITIES, metrics.SparseCategoricalAccuracy),
    (ONE_HOT, PROBABILITIES, metrics.CategoricalAccuracy),
])
def test_accuracy_is_chosen_from_the_shapes_as_keras_does(y_true, y_pred, kind):
    metric = metrics.get("accuracy", y_true, y_pred)
    assert type(metric) is kind and metric.name == "accuracy"
    assert metrics.get("acc", y_true, y_pred).name == "acc"


@pytest.mark.parametrize("loss, y, names", [
    ("sparse_categorical_crossentropy", "labels", ["acc", "loss", "mse"]),
    ("categorical_crossentropy", "one_hot", ["acc", "loss", "mse"]),
])
def test_metric_names_in_history_match_keras(loss, y, names):
    keras = pytest.importorskip("keras")
    x = RNG.normal(size=(10, 3)).astype("float32")
    targets = LABELS if y == "labels" else ONE_HOT.astype("float32")
    metric_names = ["acc"] + (["mse"] if y == "one_hot" else [])
    clear_session()
    ours = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(4, activation="softmax")])
    ours.compile(optimizer="sgd", loss=loss, metrics=metric_names)
    theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="softmax")])
    theirs.compile(optimizer="sgd", loss=loss, metrics=metric_names)
    ours_keys = list(ours.fit(x, targets, verbose=0, validation_split=0.2).history)
    theirs_keys = list(theirs.fit(x, targets, verbose=0, validation_split=0.2).history)
    assert ours_keys == theirs_keys


def test_weighted_metrics_use_sample_weight_and_get_keras_names():
    keras = pytest.importorskip("keras")
    x = RNG.normal(size=(10, 3)).astype("float32")
    weights = np.linspace(0.0, 3.0, 10)
    ours = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(4, activation="softmax")])
    ours.compile(optimizer=tk.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"], weighted_metrics=["accuracy"])
    theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="softmax")])
    theirs.set_weights(ours.get_weights())
    theirs.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"], weighted_metrics=["accuracy"])
    ours_history = ours.fit(x, LABELS, sample_weight=weights, batch_size=4, verbose=0).history
    theirs_history = theirs.fit(x, LABELS, sample_weight=weights, batch_size=4, verbose=0).history
    assert list(ours_history) == list(theirs_history) == ["accuracy", "loss", "weighted_accuracy"]
    for key in theirs_history:
        assert ours_history[key][0] == pytest.approx(theirs_history[key][0], rel=1e-5), key


def test_function_metrics_are_named_by_the_function():
    metric = metrics.get(tk.losses.mean_absolute_error)
    assert metric.name == "mean_absolute_error"
    metric.update_state(np.zeros((2, 1)), np.array([[1.0], [3.0]]))
    assert metric.result() == 2.0


def test_unknown_metrics_suggest_a_name():
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'.*Did you mean 'accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="expected a name, a function or a Metric, received 5"):
        metrics.get(5)
    with pytest.raises(ValueError, match="needs y_true and y_pred"):
        metrics.get("accuracy")


def test_metric_function_forms_are_exported_as_in_keras():
    from teachkeras import losses, metrics

    assert metrics.mean_squared_error is metrics.mse is losses.mean_squared_error
    assert metrics.mean_absolute_error is metrics.mae is losses.mean_absolute_error
    keras = pytest.importorskip("keras")
    y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])
    assert float(metrics.mean_squared_error(y_true, y_pred)[0]) == pytest.approx(
        float(keras.metrics.mean_squared_error(y_true, y_pred)[0]))


@pytest.mark.parametrize("cls, y_true, y_pred", [
    ("MeanSquaredError", [1.0, 2.0], [1.5, 2.0]),
    ("MeanAbsoluteError", [[1, 2]], [[1, 3]]),
    ("CategoricalAccuracy", [[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]),
    ("SparseCategoricalAccuracy", [1, 0], [[0.2, 0.8], [0.3, 0.7]]),
    ("BinaryAccuracy", [1, 0, 1], [0.9, 0.2, 0.1]),
])
def test_update_state_accepts_python_lists_as_keras_does(cls, y_true, y_pred):
    from teachkeras import metrics

    ours = getattr(metrics, cls)()
    ours.update_state(y_true, y_pred)
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.metrics, cls)()
    theirs.update_state(y_true, y_pred)
    assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-6)


@pytest.mark.parametrize("name", ["CategoricalAccuracy", "BinaryAccuracy", "MeanSquaredError", "MSE", "MAE"])
def test_metric_class_names_and_capital_aliases(name):
    from teachkeras import metrics

    metric = metrics.get(name)
    assert isinstance(metric, metrics.Metric) and metric.name == name


# ---------------------------------------------------------------- Accuracy and CosineSimilarity


@pytest.mark.parametrize("y_true, y_pred", [
    (LABELS, np.where(RNG.random(10) > 0.5, LABELS, (LABELS + 1) % 4)),       # predicted labels
    (LABELS[:, None], np.where(RNG.random(10) > 0.3, LABELS, 0)),            # (batch, 1) against (batch,)
    (ONE_HOT, np.round(PROBABILITIES)),                                       # element by element
    (LABELS, PROBABILITIES[:, 0]),                                            # probabilities: never equal
])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_accuracy_matches_keras(y_true, y_pred, weighted):
    keras = pytest.importorskip("keras")
    weights = np.linspace(0.0, 2.0, 10) if weighted else None
    y_pred = y_pred.astype("float64")
    expected = run_batches(keras.metrics.Accuracy(), y_true, y_pred, sample_weight=weights)
    assert run_batches(metrics.Accuracy(), y_true, y_pred, sample_weight=weights) == pytest.approx(expected, rel=1e-6)


def test_exact_accuracy_is_equality_not_argmax():
    metric = metrics.Accuracy()
    metric.update_state([1, 2, 3, 4], [0, 2, 3, 4])
    assert metric.result() == 0.75
    assert metrics.Accuracy().name == "accuracy" and metrics.CLASSES["Accuracy"] is metrics.Accuracy


@pytest.mark.parametrize("weighted", [False, True])
def test_cosine_similarity_matches_keras(weighted):
    keras = pytest.importorskip("keras")
    weights = np.linspace(0.0, 2.0, 10) if weighted else None
    y_true, y_pred = RNG.normal(size=(10, 4)), RNG.normal(size=(10, 4))
    expected = run_batches(keras.metrics.CosineSimilarity(), y_true, y_pred, sample_weight=weights)
    ours = run_batches(metrics.CosineSimilarity(), y_true, y_pred, sample_weight=weights)
    assert ours == pytest.approx(expected, rel=1e-5)
    assert ours == pytest.approx(-float(tk.losses.CosineSimilarity()(y_true, y_pred, sample_weight=weights))
                                 * 10 / (weights.sum() if weighted else 10), rel=1e-9)
    assert type(metrics.get("cosine_similarity")) is metrics.CosineSimilarity


def test_accuracy_and_cosine_similarity_in_fit_history_match_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = rng.normal(size=(24, 2)).astype("float32")

    def histories(targets, learning_rate, zero_weights):
        clear_session()
        ours = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(2)])
        theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        weights = [np.zeros_like(w) for w in ours.get_weights()] if zero_weights else ours.get_weights()
        ours.set_weights(weights)
        theirs.set_weights(weights)
        ours.compile(optimizer=tk.optimizers.SGD(learning_rate), loss="mse",
                     metrics=[tk.metrics.Accuracy(), "cosine_similarity"])
        theirs.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse",
                       metrics=[keras.metrics.Accuracy(), "cosine_similarity"])
        fit = dict(batch_size=8, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
        return ours.fit(x, targets, **fit).history, theirs.fit(x, targets, **fit).history

    # training: cosine similarity moves; a frozen all-zero model: exact accuracy is the share of
    # targets that are exactly 0 (rounded targets), a value that is neither 0 nor 1
    for targets, learning_rate, zero_weights in [(y, 0.1, False), (np.round(y / 2), 0.0, True)]:
        ours_history, theirs_history = histories(targets, learning_rate, zero_weights)
        assert list(ours_history) == list(theirs_history)
        for key in theirs_history:
            np.testing.assert_allclose(ours_history[key], theirs_history[key], atol=1e-5, err_msg=key)
    assert 0 < ours_history["accuracy"][0] < 1
