"""Losses: values against Keras 3 for every name, derivatives against finite differences and torch
autograd, the Keras reduction with sample weights, the fused softmax / sigmoid gradients, names
and errors."""

import numpy as np
import pytest

from teachkeras import activations, losses
from teachkeras.testing import numerical_gradient

RNG = np.random.default_rng(0)
PROBABILITIES = RNG.uniform(0.05, 0.95, size=(6, 4))
PROBABILITIES /= PROBABILITIES.sum(axis=1, keepdims=True)
BINARY = (RNG.random((6, 4)) > 0.5).astype("float64")
SOFT = RNG.dirichlet(np.ones(4), size=6)
COUNTS = RNG.integers(0, 5, size=(6, 4)).astype("float64")
LABELS = RNG.integers(0, 4, size=6)

# (function, y_true, y_pred, keyword arguments): inputs away from kinks and clip bounds
CASES = [
    (losses.mean_squared_error, COUNTS, PROBABILITIES, {}),
    (losses.mean_absolute_error, COUNTS, PROBABILITIES, {}),
    (losses.mean_absolute_percentage_error, COUNTS + 1, PROBABILITIES, {}),
    (losses.mean_squared_logarithmic_error, COUNTS, PROBABILITIES, {}),
    (losses.hinge, BINARY, PROBABILITIES * 3 - 1.2, {}),
    (losses.hinge, 2 * BINARY - 1, PROBABILITIES * 3 - 1.2, {}),
    (losses.squared_hinge, BINARY, PROBABILITIES * 3 - 1.2, {}),
    (losses.binary_crossentropy, BINARY, PROBABILITIES, {}),
    (losses.binary_crossentropy, BINARY, PROBABILITIES * 6 - 3, {"from_logits": True}),
    (losses.categorical_crossentropy, SOFT, PROBABILITIES, {}),
    (losses.categorical_crossentropy, SOFT, PROBABILITIES * 0.7, {}),  # rows not summing to 1
    (losses.categorical_crossentropy, SOFT, PROBABILITIES * 6 - 3, {"from_logits": True}),
    (losses.categorical_crossentropy, np.eye(4)[LABELS], PROBABILITIES, {"label_smoothing": 0.1}),
    (losses.categorical_crossentropy, np.eye(4)[LABELS], PROBABILITIES * 6 - 3,
     {"from_logits": True, "label_smoothing": 0.2}),
    (losses.binary_crossentropy, BINARY, PROBABILITIES, {"label_smoothing": 0.1}),
    (losses.binary_crossentropy, BINARY, PROBABILITIES * 6 - 3, {"from_logits": True, "label_smoothing": 0.3}),
    (losses.sparse_categorical_crossentropy, LABELS, PROBABILITIES, {}),
    (losses.sparse_categorical_crossentropy, LABELS[:, None], PROBABILITIES * 6 - 3, {"from_logits": True}),
    (losses.kl_divergence, SOFT, PROBABILITIES, {}),
    (losses.poisson, COUNTS, PROBABILITIES, {}),
    (losses.cosine_similarity, COUNTS + 0.5, PROBABILITIES - 0.3, {}),
]
IDS = [f"{function.__name__}{'-' + '-'.join(kwargs) if kwargs else ''}-{index}" for index, (function, _, _, kwargs)
       in enumerate(CASES)]


def wrapped(function, kwargs, reduction="sum_over_batch_size"):
    return losses.LossFunctionWrapper(function, reduction=reduction, **kwargs)


@pytest.mark.parametrize("function, y_true, y_pred, kwargs", CASES, ids=IDS)
def test_gradient_matches_finite_differences(function, y_true, y_pred, kwargs):
    loss = wrapped(function, kwargs)
    y_pred = y_pred.copy()
    weights = np.linspace(0.5, 2.0, len(y_pred))
    numeric = numerical_gradient(lambda: float(loss(y_true, y_pred, sample_weight=weights)), y_pred)
    np.testing.assert_allclose(loss.backward(y_true, y_pred, weights), numeric, atol=1e-7)


@pytest.mark.parametrize("function, y_true, y_pred, kwargs", CASES, ids=IDS)
def test_gradient_matches_torch_autograd(function, y_true, y_pred, kwargs):
    torch = pytest.importorskip("torch")
    loss = wrapped(function, kwargs)
    tensor = torch.tensor(y_pred, requires_grad=True)
    value = loss(torch.as_tensor(y_true), tensor)
    value.backward()
    np.testing.assert_allclose(float(value.detach()), float(loss(y_true, y_pred)), rtol=1e-12)
    np.testing.assert_allclose(loss.backward(y_true, y_pred), tensor.grad.numpy(), atol=1e-10)


KERAS_NAMES = sorted(set(losses.ALL))


def keras_inputs(name):
    function = losses.ALL[name]
    if function is losses.sparse_categorical_crossentropy:
        return LABELS, PROBABILITIES
    if function is losses.categorical_crossentropy:
        return np.eye(4)[LABELS], PROBABILITIES
    if function is losses.kl_divergence:
        return SOFT, PROBABILITIES
    if function in (losses.poisson, losses.mean_squared_logarithmic_error):
        return COUNTS, PROBABILITIES
    if function is losses.mean_absolute_percentage_error:
        return COUNTS + 1, PROBABILITIES
    return BINARY, PROBABILITIES


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_values_match_keras_for_every_name(name):
    keras = pytest.importorskip("keras")
    y_true, y_pred = keras_inputs(name)
    theirs = np.asarray(keras.losses.get(name)(y_true, y_pred))
    ours = losses.get(name)(y_true, y_pred)
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("class_name, kwargs", [
    ("MeanSquaredError", {}), ("MeanAbsoluteError", {}), ("MeanAbsolutePercentageError", {}),
    ("MeanSquaredLogarithmicError", {}), ("Hinge", {}), ("SquaredHinge", {}), ("BinaryCrossentropy", {}),
    ("BinaryCrossentropy", {"from_logits": True}), ("CategoricalCrossentropy", {}),
    ("CategoricalCrossentropy", {"from_logits": True}), ("SparseCategoricalCrossentropy", {}),
    ("KLDivergence", {}), ("Poisson", {}), ("CosineSimilarity", {}),
])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_classes_and_weighted_reductions_match_keras(class_name, kwargs, reduction):
    keras = pytest.importorskip("keras")
    name = losses.get(getattr(losses, class_name)().name).__name__
    y_true, y_pred = keras_inputs(name)
    if kwargs.get("from_logits"):
        y_pred = np.log(y_pred)
    weights = np.linspace(0.0, 2.0, len(y_pred))
    theirs = getattr(keras.losses, class_name)(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=weights)
    ours = getattr(losses, class_name)(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=2e-6, atol=1e-6)


def test_reduction_divides_by_the_batch_not_by_the_weights():
    per_sample = losses.mean_squared_error(COUNTS, PROBABILITIES)
    weights = np.array([0.0, 0.0, 1.0, 2.0, 0.0, 0.0])
    value = losses.MeanSquaredError()(COUNTS, PROBABILITIES, sample_weight=weights)
    assert value == pytest.approx((per_sample * weights).sum() / 6)


def test_sequence_targets_reduce_over_every_step():
    y_true, y_pred = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 4))
    loss = losses.MeanSquaredError()
    assert float(loss(y_true, y_pred)) == pytest.approx(np.mean((y_true - y_pred) ** 2))
    weights = np.array([1.0, 3.0])
    expected = (np.mean((y_true - y_pred) ** 2, axis=-1) * weights[:, None]).sum() / 6
    assert float(loss(y_true, y_pred, sample_weight=weights)) == pytest.approx(expected)
    numeric = numerical_gradient(lambda: float(loss(y_true, y_pred, sample_weight=weights)), y_pred)
    np.testing.assert_allclose(loss.backward(y_true, y_pred, weights), numeric, atol=1e-7)


@pytest.mark.parametrize("loss, activation, targets", [
    (losses.CategoricalCrossentropy(), activations.softmax, np.eye(4)[LABELS]),
    (losses.CategoricalCrossentropy(), activations.softmax, SOFT),
    (losses.SparseCategoricalCrossentropy(), activations.softmax, LABELS),
    (losses.BinaryCrossentropy(), activations.sigmoid, BINARY),
    (losses.CategoricalCrossentropy(label_smoothing=0.1), activations.softmax, np.eye(4)[LABELS]),
    (losses.BinaryCrossentropy(label_smoothing=0.2), activations.sigmoid, BINARY),
])
def test_fused_gradient_equals_the_chain_rule(loss, activation, targets):
    logits = RNG.normal(size=(6, 4))
    outputs = activation(logits)
    weights = np.linspace(0.1, 1.0, 6)
    chain = activations.backward(activation, loss.backward(targets, outputs, weights), logits, outputs)
    np.testing.assert_allclose(loss.fused_gradient(activation, targets, outputs, weights), chain, atol=1e-12)


def test_no_fusion_where_it_does_not_apply():
    outputs = activations.softmax(RNG.normal(size=(3, 4)))
    assert losses.MeanSquaredError().fused_gradient(activations.softmax, SOFT[:3], outputs) is None
    assert losses.CategoricalCrossentropy().fused_gradient(activations.sigmoid, SOFT[:3], outputs) is None
    assert losses.CategoricalCrossentropy(from_logits=True).fused_gradient(activations.softmax, SOFT[:3], outputs) is None


def test_fused_gradient_stays_finite_where_softmax_underflows():
    outputs = activations.softmax(np.array([[0.0, 120.0, 0.0]], dtype="float32"))
    targets = np.array([[1.0, 0.0, 0.0]], dtype="float32")
    grad = losses.CategoricalCrossentropy().fused_gradient(activations.softmax, targets, outputs)
    np.testing.assert_allclose(grad, [[-1.0, 1.0, 0.0]], atol=1e-6)


def test_from_logits_is_stable_for_extreme_logits():
    logits = np.array([[1000.0, -1000.0]])
    assert np.isfinite(losses.categorical_crossentropy(np.array([[0.0, 1.0]]), logits, from_logits=True)).all()
    assert np.isfinite(losses.binary_crossentropy(np.array([[0.0, 1.0]]), logits, from_logits=True)).all()


def test_hinge_converts_zero_one_labels():
    np.testing.assert_allclose(losses.hinge(np.array([[0.0, 1.0]]), np.array([[0.3, 0.3]])),
                               losses.hinge(np.array([[-1.0, 1.0]]), np.array([[0.3, 0.3]])))


def test_names_and_the_functions_they_give():
    assert losses.get("mse") is losses.mean_squared_error is losses.get("MSE")
    assert losses.get("kld") is losses.kl_divergence
    assert isinstance(losses.as_loss("mae"), losses.Loss) and losses.as_loss("mae").name == "mae"
    custom = losses.CategoricalCrossentropy(from_logits=True)
    assert losses.as_loss(custom) is custom


def test_the_notes_old_names_work_with_a_warning_naming_the_new_one():
    with pytest.warns(DeprecationWarning, match="Keras 3 calls it 'cosine_similarity'"):
        assert losses.get("cosine_proximity") is losses.cosine_similarity
    with pytest.warns(DeprecationWarning, match="'kl_divergence'"):
        assert losses.get("kullback_leibler_divergence") is losses.kl_divergence


def test_cosine_similarity_is_negative_for_aligned_vectors():
    assert float(losses.cosine_similarity(np.array([[1.0, 2.0]]), np.array([[2.0, 4.0]]))[0]) == pytest.approx(-1.0)


@pytest.mark.parametrize("identifier, message", [
    ("mean_square_error", r"unknown loss 'mean_square_error'.*Did you mean 'mean_squared_error'"),
    (3, r"expected a name, a loss function or a Loss, received 3"),
])
def test_unknown_losses(identifier, message):
    with pytest.raises(ValueError, match=message):
        losses.get(identifier)


def test_a_custom_function_without_a_derivative_is_refused_with_the_fix(monkeypatch):
    # Chapter 04 alone: without chapter 08's tape (which `import teachkeras` registers) nothing can
    # differentiate it. With the tape, fit trains it: tests/test_custom_code.py.
    from teachkeras import hooks

    monkeypatch.setattr(hooks, "tape", None)
    with pytest.raises(ValueError, match=r"subclass teachkeras.losses.Loss and define call\(\) and gradient\(\)"):
        losses.as_loss(lambda y_true, y_pred: (y_true - y_pred) ** 2)


def test_shape_errors_name_both_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"same shape.*\(6,\).*\(6, 4\).*sparse_categorical_crossentropy.*to_categorical"):
        losses.categorical_crossentropy(LABELS, PROBABILITIES)
    with pytest.raises(ValueError, match=r"one class index per sample.*received y_true with shape \(6, 4\).*'categorical_crossentropy'"):
        losses.sparse_categorical_crossentropy(np.eye(4)[LABELS], PROBABILITIES)
    with pytest.raises(ValueError, match=r"mean_squared_error: .*\(6, 3\).*\(6, 4\)"):
        losses.mean_squared_error(COUNTS[:, :3], PROBABILITIES)
    with pytest.raises(ValueError, match=r"sample_weight: expected one weight per sample"):
        losses.MeanSquaredError()(COUNTS, PROBABILITIES, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match=r"reduction must be one of"):
        losses.MeanSquaredError(reduction="mean_of_everything")


def test_reduction_none_cannot_train():
    with pytest.raises(ValueError, match=r"reduction='none' gives one value per sample"):
        losses.MeanSquaredError(reduction="none").backward(COUNTS, PROBABILITIES)


def test_serialize_round_trips_names_and_configs():
    assert losses.serialize(losses.as_loss("mse")) == "mse"
    config = losses.serialize(losses.CategoricalCrossentropy(from_logits=True))
    assert config == {"class_name": "CategoricalCrossentropy",
                      "config": {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
                                 "from_logits": True, "label_smoothing": 0.0, "axis": -1}}  # Keras 3's keys
    assert losses.CategoricalCrossentropy.from_config(config["config"]).fn_kwargs["from_logits"] is True


@pytest.mark.parametrize("name", ["CategoricalCrossentropy", "MeanSquaredError", "SparseCategoricalCrossentropy",
                                  "BinaryCrossentropy", "CosineSimilarity", "Hinge"])
def test_loss_class_names_as_keras_get_accepts_them(name):
    loss = losses.get(name)
    assert type(loss).__name__ == name and losses.as_loss(name).name == loss.name


def test_sparse_crossentropy_refuses_labels_outside_the_classes_instead_of_a_zero_loss():
    y_pred = np.full((2, 10), 0.1)
    with pytest.raises(ValueError, match=r"\[0, 10\), received the label 10\. labels 1\.\.10\? subtract 1"):
        losses.sparse_categorical_crossentropy(np.array([1, 10]), y_pred)
    with pytest.raises(ValueError, match="received the label 10"):
        losses.SparseCategoricalCrossentropy().backward(np.array([1, 10]), y_pred)


# ---------------------------------------------------------------- label smoothing


@pytest.mark.parametrize("name, y_true, kwargs", [
    ("categorical_crossentropy", np.eye(4)[LABELS], {"label_smoothing": 0.1}),
    ("categorical_crossentropy", np.eye(4)[LABELS], {"label_smoothing": 0.25, "from_logits": True}),
    ("binary_crossentropy", BINARY, {"label_smoothing": 0.1}),
    ("binary_crossentropy", BINARY, {"label_smoothing": 0.4, "from_logits": True}),
])
def test_label_smoothing_matches_keras_functions_and_classes(name, y_true, kwargs):
    keras = pytest.importorskip("keras")
    y_pred = np.log(PROBABILITIES) if kwargs.get("from_logits") else PROBABILITIES
    theirs = np.asarray(getattr(keras.losses, name)(y_true, y_pred, **kwargs))
    np.testing.assert_allclose(getattr(losses, name)(y_true, y_pred, **kwargs), theirs, rtol=2e-6, atol=1e-6)
    class_name = "".join(part.capitalize() for part in name.split("_"))
    weights = np.linspace(0.0, 2.0, len(y_pred))
    ours_loss, theirs_loss = getattr(losses, class_name)(**kwargs), getattr(keras.losses, class_name)(**kwargs)
    np.testing.assert_allclose(ours_loss(y_true, y_pred, sample_weight=weights),
                               np.asarray(theirs_loss(y_true, y_pred, sample_weight=weights)), rtol=2e-6)
    ours_config, theirs_config = ours_loss.get_config(), theirs_loss.get_config()
    assert {key: ours_config[key] for key in ours_config} == {key: theirs_config[key] for key in ours_config}
    assert losses.serialize(ours_loss)["config"]["label_smoothing"] == kwargs["label_smoothing"]


def test_label_smoothing_formula_and_argument_order():
    y_true, y_pred = np.array([[0.0, 1.0, 0.0]]), np.array([[0.2, 0.5, 0.3]])
    expected = -(np.array([0.1 / 3, 0.9 + 0.1 / 3, 0.1 / 3]) * np.log(y_pred)).sum()
    assert float(losses.categorical_crossentropy(y_true, y_pred, False, 0.1)[0]) == pytest.approx(expected)
    assert float(losses.binary_crossentropy(np.array([[1.0]]), np.array([[0.7]]), False, 0.2)[0]) == pytest.approx(
        -(0.9 * np.log(0.7) + 0.1 * np.log(0.3)))
    assert float(losses.CategoricalCrossentropy(False, 0.1)(y_true, y_pred)) == pytest.approx(expected)
    assert float(losses.categorical_crossentropy(y_true, y_pred, label_smoothing=0.0)[0]) == pytest.approx(-np.log(0.5))


def test_fused_gradient_with_label_smoothing_is_p_minus_smoothed_targets():
    outputs = activations.softmax(RNG.normal(size=(6, 4)))
    targets = np.eye(4)[LABELS]
    grad = losses.CategoricalCrossentropy(label_smoothing=0.2).fused_gradient(activations.softmax, targets, outputs)
    np.testing.assert_allclose(grad, (outputs - (targets * 0.8 + 0.05)) / 6, atol=1e-12)
    binary_outputs = activations.sigmoid(RNG.normal(size=(6, 4)))
    grad = losses.BinaryCrossentropy(label_smoothing=0.2).fused_gradient(activations.sigmoid, BINARY, binary_outputs)
    np.testing.assert_allclose(grad, (binary_outputs - (BINARY * 0.8 + 0.1)) / 4 / 6, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: losses.CategoricalCrossentropy(label_smoothing=1.5),
    lambda: losses.BinaryCrossentropy(label_smoothing=-0.1),
    lambda: losses.categorical_crossentropy(np.eye(2), np.full((2, 2), 0.5), label_smoothing="0.1"),
    lambda: losses.binary_crossentropy(np.eye(2), np.full((2, 2), 0.5), label_smoothing=True),
])
def test_label_smoothing_outside_zero_one_is_refused(make):
    with pytest.raises(ValueError, match="label_smoothing must be a number in \\[0, 1\\], received"):
        make()


def test_sparse_crossentropy_has_no_label_smoothing_as_in_keras():
    keras = pytest.importorskip("keras")
    for module in (keras.losses, losses):
        with pytest.raises(TypeError):
            module.SparseCategoricalCrossentropy(label_smoothing=0.1)
        with pytest.raises(TypeError):
            module.sparse_categorical_crossentropy(LABELS, PROBABILITIES, label_smoothing=0.1)
    with pytest.raises(TypeError, match="CategoricalCrossentropy\\(label_smoothing=...\\) on to_categorical"):
        losses.SparseCategoricalCrossentropy(label_smoothing=0.1)


@pytest.mark.parametrize("loss_name, activation, from_logits", [
    ("CategoricalCrossentropy", "softmax", False),
    ("CategoricalCrossentropy", None, True),
    ("BinaryCrossentropy", "sigmoid", False),
])
def test_fit_with_label_smoothing_matches_keras(loss_name, activation, from_logits):
    keras = pytest.importorskip("keras")
    import teachkeras as tk
    from teachkeras.backend import clear_session
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 5)).astype("float32")
    units = 3 if loss_name == "CategoricalCrossentropy" else 2
    y = np.eye(units, dtype="float32")[rng.integers(0, units, size=40)]
    clear_session()
    ours = tk.Sequential([tk.Input(shape=(5,)), tk.layers.Dense(8, activation="tanh"),
                          tk.layers.Dense(units, activation=activation)])
    theirs = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(8, activation="tanh"),
                               keras.layers.Dense(units, activation=activation)])
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizer=tk.optimizers.SGD(0.5),
                 loss=getattr(losses, loss_name)(from_logits=from_logits, label_smoothing=0.2))
    theirs.compile(optimizer=keras.optimizers.SGD(0.5),
                   loss=getattr(keras.losses, loss_name)(from_logits=from_logits, label_smoothing=0.2))
    ours_history = ours.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0).history
    theirs_history = theirs.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(ours_history["loss"], theirs_history["loss"], atol=1e-5)
    assert ours_history["loss"][-1] < ours_history["loss"][0]
