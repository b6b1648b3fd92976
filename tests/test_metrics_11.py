"""Chapter 11's metrics (Precision, Recall, AUC, top-k accuracy, MeanIoU) against Keras 3 on the same
inputs, sample weights included; standalone (update_state / result / reset_state, numpy and torch),
inside compile / evaluate / fit, and their errors for bad input."""

import numpy as np
import pytest
import torch

import teachkeras as tk
from teachkeras import metrics
from teachkeras.backend import clear_session, set_random_seed


def binary_data(samples=300, seed=0, rare=0.1):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(samples) < rare).astype("float32")
    scores = np.clip(rng.normal(0.3 + 0.35 * y_true, 0.2), 0, 1).astype("float32")
    weights = rng.uniform(0, 2, samples).astype("float32")
    return y_true, scores, weights


def multiclass_data(samples=120, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, samples)
    logits = rng.normal(size=(samples, classes)) + 1.5 * np.eye(classes)[labels]
    scores = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")
    return labels, np.eye(classes, dtype="float32")[labels], scores


def both(keras, name, arguments, *batches):
    """The results of teachkeras' and Keras' metric ``name`` after the same batches of
    (y_true, y_pred[, sample_weight]), and our metric."""
    ours, theirs = getattr(metrics, name)(**arguments), getattr(keras.metrics, name)(**arguments)
    for batch in batches:
        ours.update_state(*batch)
        theirs.update_state(*batch)
    return np.asarray(ours.result(), dtype=np.float64), np.asarray(theirs.result(), dtype=np.float64), ours


CONFUSION_CASES = [
    ("Precision", {}), ("Recall", {}), ("Precision", {"thresholds": [0.2, 0.4, 0.6]}),
    ("Recall", {"thresholds": [0.1, 0.5, 0.9]}), ("Precision", {"thresholds": 0.3}), ("Recall", {"thresholds": 0.0}),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, arguments", CONFUSION_CASES)
def test_precision_and_recall_match_keras(keras, name, arguments, weighted):
    y_true, scores, weights = binary_data()
    first = (y_true[:150], scores[:150]) + ((weights[:150],) if weighted else ())
    second = (y_true[150:, None], scores[150:, None]) + ((weights[150:],) if weighted else ())  # (n, 1) columns
    ours, theirs, _ = both(keras, name, arguments, first, second)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


@pytest.mark.parametrize("name", ["Precision", "Recall"])
@pytest.mark.parametrize("arguments", [{"top_k": 1}, {"top_k": 2}, {"class_id": 2}, {"class_id": 1, "top_k": 2},
                                       {"class_id": 3, "thresholds": [0.2, 0.6]}])
def test_precision_and_recall_top_k_and_class_id_match_keras(keras, name, arguments):
    _, one_hot, scores = multiclass_data()
    weights = np.random.default_rng(1).uniform(0, 2, len(scores)).astype("float32")
    ours, theirs, _ = both(keras, name, arguments, (one_hot[:60], scores[:60]),
                           (one_hot[60:], scores[60:], weights[60:]))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


AUC_CASES = [
    {}, {"curve": "PR"}, {"summation_method": "minoring"}, {"summation_method": "majoring"},
    {"curve": "PR", "summation_method": "majoring"}, {"num_thresholds": 7}, {"thresholds": [0.25, 0.5, 0.6]},
    {"curve": "pr", "num_thresholds": 50},
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("arguments", AUC_CASES, ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items()) or "defaults")
def test_auc_matches_keras(keras, arguments, weighted):
    y_true, scores, weights = binary_data(seed=2, rare=0.3)
    batches = [(y_true[:100], scores[:100]), (y_true[100:], scores[100:])]
    if weighted:
        batches = [batch + (weights[:100] if i == 0 else weights[100:],) for i, batch in enumerate(batches)]
    ours, theirs, _ = both(keras, "AUC", arguments, *batches)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_auc_from_logits_and_multi_output_match_keras(keras):
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, (50, 3)).astype("float32")
    logits = (rng.normal(size=(50, 3)) + 2 * y_true - 1).astype("float32")
    ours, theirs, _ = both(keras, "AUC", {"from_logits": True}, (y_true, logits))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_auc_is_the_probability_that_a_positive_outranks_a_negative():
    y_true, scores, _ = binary_data(2000, seed=4, rare=0.2)
    auc = metrics.AUC(num_thresholds=1000)
    auc.update_state(y_true, scores)
    pairs = scores[y_true == 1][:, None] - scores[y_true == 0][None, :]
    assert abs(auc.result() - (np.mean(pairs > 0) + 0.5 * np.mean(pairs == 0))) < 2e-3


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracies_match_keras_with_weights(keras, k):
    labels, one_hot, scores = multiclass_data()
    scores[:10, :2] = 0.3  # ties: Keras counts the true class in when it ties with the k-th score
    scores[:10, 2:] = 0.1
    weights = np.random.default_rng(2).uniform(0, 2, len(labels)).astype("float32")
    for name, targets in (("TopKCategoricalAccuracy", one_hot), ("SparseTopKCategoricalAccuracy", labels)):
        ours, theirs, _ = both(keras, name, {"k": k}, (targets[:60], scores[:60]), (targets[60:], scores[60:],
                                                                                       weights[60:]))
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_top_k_larger_than_the_number_of_classes_counts_every_sample():
    """Keras on torch fails there (torch.topk); TensorFlow's in_top_k, and teachkeras, say True."""
    labels, _, scores = multiclass_data()
    assert metrics.sparse_top_k_categorical_accuracy(labels, scores, k=10).tolist() == [1.0] * len(labels)


@pytest.mark.parametrize("arguments, weighted", [({"num_classes": 4}, False), ({"num_classes": 4}, True),
                                                 ({"num_classes": 4, "ignore_class": 0}, True),
                                                 ({"num_classes": 3}, False)])
def test_mean_iou_matches_keras(keras, arguments, weighted):
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 4, (6, 8, 8))
    guess = np.where(rng.random((6, 8, 8)) < 0.7, truth, rng.integers(0, 4, (6, 8, 8)))
    weights = rng.integers(0, 3, (6, 8, 8))  # whole numbers: Keras keeps the matrix in integers
    batches = [(truth[:3], guess[:3]) + ((weights[:3],) if weighted else ()),
               (truth[3:], guess[3:]) + ((weights[3:],) if weighted else ())]
    ours, theirs, _ = both(keras, "MeanIoU", arguments, *batches)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_mean_iou_from_scores_matches_keras(keras):
    rng = np.random.default_rng(6)
    truth = rng.integers(0, 3, 40)
    scores = rng.random((40, 3)).astype("float32")
    ours, theirs, _ = both(keras, "MeanIoU", {"num_classes": 3, "sparse_y_pred": False}, (truth, scores))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


@pytest.mark.parametrize("name, arguments", [("Precision", {}), ("Recall", {"thresholds": [0.3, 0.7]}), ("AUC", {}),
                                             ("TopKCategoricalAccuracy", {"k": 2}), ("MeanIoU", {"num_classes": 5})])
def test_metrics_are_stateful_reset_and_accept_torch_tensors(name, arguments):
    labels, one_hot, scores = multiclass_data()
    y_true = labels if name == "MeanIoU" else one_hot
    y_pred = scores.argmax(-1) if name == "MeanIoU" else scores
    whole, halves, tensors = (getattr(metrics, name)(**arguments) for _ in range(3))
    whole.update_state(y_true, y_pred)
    halves.update_state(y_true[:50], y_pred[:50])
    halves.update_state(y_true[50:], y_pred[50:])
    tensors.update_state(torch.tensor(y_true), torch.tensor(y_pred))
    expected = np.asarray(whole.result())
    np.testing.assert_allclose(halves.result(), expected, rtol=1e-6)
    np.testing.assert_allclose(tensors.result(), expected, rtol=1e-6)
    assert np.any(expected != 0)
    halves.reset_state()
    assert np.all(np.asarray(halves.result()) == 0)


def test_string_names_resolve_through_chapter_04s_get():
    for name, cls in [("precision", metrics.Precision), ("recall", metrics.Recall), ("auc", metrics.AUC),
                      ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
                      ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
                      ("AUC", metrics.AUC), ("Precision", metrics.Precision)]:
        metric = metrics.get(name)
        assert type(metric) is cls and metric.name == name
    with pytest.raises(ValueError, match="Did you mean 'precision'"):
        metrics.get("precison")


def twin_models(keras):
    clear_session()
    set_random_seed(11)
    ours = tk.Sequential([tk.Input(shape=(4,)), tk.layers.Dense(8, activation="relu"),
                          tk.layers.Dense(1, activation="sigmoid")])
    theirs = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                               keras.layers.Dense(1, activation="sigmoid")])
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def test_compiled_metrics_in_evaluate_and_fit_match_keras(keras):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] + 0.5 * rng.normal(size=200) > 0.8).astype("float32")
    sample_weight = rng.uniform(0.5, 2, 200).astype("float32")
    ours, theirs = twin_models(keras)
    for model, module in ((ours, tk), (theirs, keras)):
        model.compile(optimizer=module.optimizers.SGD(0.1), loss="binary_crossentropy",
                      metrics=["precision", "recall", "auc"],
                      weighted_metrics=[module.metrics.AUC(name="weighted_auc", curve="PR")])
    results = [model.evaluate(x, y, sample_weight=sample_weight, batch_size=32, verbose=0, return_dict=True)
               for model in (ours, theirs)]
    assert sorted(results[0]) == sorted(results[1])
    for key in results[1]:
        np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-4, err_msg=key)
    histories = [model.fit(x, y, epochs=3, batch_size=32, shuffle=False, validation_split=0.25, verbose=0).history
                 for model in (ours, theirs)]
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-3, err_msg=key)


@pytest.mark.parametrize("make, message", [
    (lambda: metrics.Precision(thresholds=1.5), r"thresholds must be a number in \[0, 1\], received thresholds=1.5"),
    (lambda: metrics.Recall(thresholds=[0.2, -0.1]), r"thresholds must be a number in \[0, 1\]"),
    (lambda: metrics.Precision(top_k=0), "top_k must be an integer >= 1 or None, received top_k=0"),
    (lambda: metrics.Recall(class_id=-1), "class_id must be an integer >= 0"),
    (lambda: metrics.AUC(num_thresholds=1), "num_thresholds must be an integer >= 2, received num_thresholds=1"),
    (lambda: metrics.AUC(curve="DET"), "curve must be 'ROC' or 'PR', received curve='DET'"),
    (lambda: metrics.AUC(summation_method="simpson"), "summation_method must be"),
    (lambda: metrics.TopKCategoricalAccuracy(k=0), "k must be an integer >= 1"),
    (lambda: metrics.MeanIoU(num_classes=0), "num_classes must be an integer >= 1"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unbuilt_options_and_bad_shapes_say_so():
    with pytest.raises(NotImplementedError, match="multi_label"):
        metrics.AUC(multi_label=True)
    with pytest.raises(ValueError, match=r"same shape, received \(4,\) and \(4, 2\)"):
        metrics.Precision().update_state(np.zeros(4), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"class_id needs predictions of shape \(samples, classes\)"):
        metrics.Recall(class_id=1).update_state(np.zeros(4), np.zeros(4))
