"""Regularizers and constraints (chapter 11): values against real Keras 3 on the same weights, penalty
gradients against finite differences and torch autograd, penalties in ``losses`` and in fit's and
evaluate's loss, constraints applied after each optimizer step, names, configs and bad input."""

import numpy as np
import pytest

import teachkeras
from teachkeras import constraints, layers, regularizers
from teachkeras.autodiff import GradientTape
from teachkeras.testing import numerical_gradient
from teachkeras.utils import set_random_seed

RNG = np.random.default_rng(0)
WEIGHTS = RNG.normal(size=(5, 4)).astype("float32")

REGULARIZER_CASES = [
    ("L1", {"l1": 0.05}),
    ("L2", {"l2": 0.03}),
    ("L1L2", {"l1": 0.02, "l2": 0.04}),
    ("L1L2", {}),
    ("OrthogonalRegularizer", {"factor": 0.1, "mode": "rows"}),
    ("OrthogonalRegularizer", {"factor": 0.2, "mode": "columns"}),
]
CONSTRAINT_CASES = [
    ("MaxNorm", {"max_value": 1.5, "axis": 0}),
    ("MaxNorm", {"max_value": 0.5, "axis": 1}),
    ("MaxNorm", {"max_value": 2, "axis": [0, 1]}),
    ("NonNeg", {}),
    ("UnitNorm", {"axis": 0}),
    ("UnitNorm", {"axis": 1}),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 1.0, "axis": 0}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5, "rate": 0.3, "axis": 1}),
]


# ---------------------------------------------------------------- against real Keras

@pytest.mark.parametrize("name, config", REGULARIZER_CASES)
def test_regularizer_matches_keras(keras, name, config):
    ours = getattr(regularizers, name)(**config)(WEIGHTS)
    theirs = getattr(keras.regularizers, name)(**config)(keras.ops.convert_to_tensor(WEIGHTS))
    assert np.isclose(float(ours), float(keras.ops.convert_to_numpy(theirs)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name, config", CONSTRAINT_CASES)
def test_constraint_matches_keras(keras, name, config):
    ours = getattr(constraints, name)(**config)(WEIGHTS)
    theirs = keras.ops.convert_to_numpy(getattr(keras.constraints, name)(**config)(keras.ops.convert_to_tensor(WEIGHTS)))
    assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("identifier", ["l1", "l2", "l1l2", "L1L2", "orthogonal_regularizer", "L2"])
def test_regularizer_names_match_keras(keras, identifier):
    ours, theirs = regularizers.get(identifier), keras.regularizers.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config().keys() == theirs.get_config().keys()
    for key, value in theirs.get_config().items():
        assert ours.get_config()[key] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-6))


@pytest.mark.parametrize("identifier", ["max_norm", "non_neg", "unit_norm", "min_max_norm", "MaxNorm"])
def test_constraint_names_match_keras(keras, identifier):
    ours, theirs = constraints.get(identifier), keras.constraints.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == theirs.get_config()


def test_lower_case_names_are_the_classes_as_in_keras(keras):
    assert regularizers.l2 is regularizers.L2 and regularizers.l1_l2 is regularizers.L1L2
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert keras.regularizers.l1_l2 is keras.regularizers.L1L2


def _keras_dense_model(keras, **options):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, **options), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def _our_dense_model(**options):
    model = teachkeras.Sequential([layers.Input((5,)), layers.Dense(3, **options), layers.Dense(1)])
    model.compile(optimizer=teachkeras.optimizers.SGD(0.1), loss="mse")
    return model


@pytest.mark.parametrize("options", [
    {"kernel_regularizer": "l2"},
    {"kernel_regularizer": {"class_name": "L1", "config": {"l1": 0.05}}, "bias_regularizer": "l2"},
    {"activity_regularizer": "l2", "kernel_regularizer": "l1"},
], ids=["l2", "l1-and-bias", "activity"])
def test_fit_and_evaluate_losses_match_keras(keras, options):
    """Same weights, same data, three SGD steps: the reported losses (penalties included), the
    weights after training and ``model.losses`` agree with Keras 3."""
    x = RNG.normal(size=(12, 5)).astype("float32")
    y = RNG.normal(size=(12, 1)).astype("float32")
    keras_options = {key: (keras.regularizers.get(value) if isinstance(value, dict) else value)
                     for key, value in options.items()}
    theirs = _keras_dense_model(keras, **keras_options)
    ours = _our_dense_model(**options)
    ours.set_weights(theirs.get_weights())
    their_history = theirs.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history
    assert np.allclose(our_history["loss"], their_history["loss"], rtol=1e-4)
    for ours_weight, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert np.allclose(ours_weight, theirs_weight, atol=1e-5)
    assert np.isclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-4)
    ours(x), theirs(x)
    assert np.allclose(sorted(float(loss) for loss in ours.losses),
                       sorted(float(keras.ops.convert_to_numpy(loss)) for loss in theirs.losses), rtol=1e-4)


def test_max_norm_in_fit_matches_keras(keras):
    x = RNG.normal(size=(16, 5)).astype("float32")
    y = 10 * RNG.normal(size=(16, 1)).astype("float32")
    theirs = _keras_dense_model(keras, kernel_constraint=keras.constraints.MaxNorm(0.5), bias_constraint="non_neg")
    ours = _our_dense_model(kernel_constraint=constraints.MaxNorm(0.5), bias_constraint="non_neg")
    ours.set_weights(theirs.get_weights())
    theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for ours_weight, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert np.allclose(ours_weight, theirs_weight, atol=1e-5)
    assert np.linalg.norm(ours.layers[0].kernel.numpy(), axis=0).max() <= 0.5 + 1e-6
    assert (ours.layers[0].bias.numpy() >= 0).all()


def test_conv_regularizers_and_constraints_match_keras(keras):
    x = RNG.normal(size=(4, 6, 6, 2)).astype("float32")
    options = dict(kernel_regularizer="l2", bias_regularizer="l1", activity_regularizer="l2")
    theirs = keras.layers.Conv2D(3, 3, kernel_constraint="unit_norm", **options)
    ours = layers.Conv2D(3, 3, kernel_constraint="unit_norm", **options)
    their_outputs = theirs(x)
    ours(x)
    ours.set_weights([keras.ops.convert_to_numpy(weight) for weight in theirs.weights])
    ours(x)
    assert np.allclose(sorted(float(loss) for loss in ours.losses),
                       sorted(float(keras.ops.convert_to_numpy(loss)) for loss in theirs.losses), rtol=1e-4)
    assert their_outputs.shape == tuple(ours(x).shape)
    config = ours.get_config()
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}
    assert config["kernel_constraint"] == {"class_name": "UnitNorm", "config": {"axis": 0}}
    assert layers.Conv2D.from_config(config).activity_regularizer.get_config() == {"l2": 0.01}


# ---------------------------------------------------------------- gradients of the penalties

@pytest.mark.parametrize("name, config", [case for case in REGULARIZER_CASES if case[1]])
def test_penalty_gradient_matches_finite_differences_and_torch(name, config):
    torch = pytest.importorskip("torch")
    regularizer = getattr(regularizers, name)(**config)
    weights = RNG.normal(size=(4, 3))
    variable = teachkeras.variables.Variable(weights.copy(), name="w")
    with GradientTape() as tape:
        tape.watch([variable])
        penalty = regularizer(variable.value)
    (tape_gradient,) = tape.gradient(penalty, [variable])
    numeric = numerical_gradient(lambda: regularizer(weights), weights)
    assert np.allclose(tape_gradient, numeric, atol=1e-6)
    tensor = torch.tensor(weights, requires_grad=True)
    regularizer(tensor).backward()
    assert np.allclose(tape_gradient, tensor.grad.numpy(), atol=1e-10)


def test_the_tape_gets_the_penalty_gradient_and_plain_models_keep_the_fast_path():
    set_random_seed(0)
    x = RNG.normal(size=(8, 5)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")
    plain, penalized = _our_dense_model(), _our_dense_model(kernel_regularizer=regularizers.L2(0.5))
    penalized.set_weights(plain.get_weights())
    assert not plain._needs_tape() and penalized._needs_tape()
    kernel = plain.layers[0].kernel.numpy()
    plain.train_on_batch(x, y)
    penalized.train_on_batch(x, y)
    step_difference = plain.layers[0].kernel.numpy() - penalized.layers[0].kernel.numpy()
    assert np.allclose(step_difference, 0.1 * 2 * 0.5 * kernel, atol=1e-5)   # lr * 2 * l2 * w


def test_losses_are_computed_from_the_current_weights():
    layer = layers.Dense(2, kernel_regularizer=regularizers.L1(1.0), bias_regularizer="l2")
    layer(np.ones((1, 3), dtype="float32"))
    layer.kernel.assign(np.ones((3, 2)))
    layer.bias.assign(np.full((2,), 2.0))
    assert [float(loss) for loss in layer.losses] == pytest.approx([6.0, 0.08])
    layer.trainable = False      # Keras 3: only trainable weights are penalized
    assert layer.losses == []


def test_activity_penalty_is_divided_by_the_batch_size():
    layer = layers.Dense(2, kernel_initializer="ones", activity_regularizer=regularizers.L1(0.1))
    outputs = layer(np.ones((4, 3), dtype="float32"))
    assert [float(loss) for loss in layer.losses] == pytest.approx([0.1 * np.abs(outputs).sum() / 4])


def test_configs_round_trip():
    for regularizer in [regularizers.L1(0.2), regularizers.L1L2(0.1, 0.3), regularizers.OrthogonalRegularizer(0.5, "columns")]:
        copy = regularizers.deserialize(regularizers.serialize(regularizer))
        assert type(copy) is type(regularizer) and copy.get_config() == regularizer.get_config()
    for constraint in [constraints.MaxNorm(3, axis=1), constraints.MinMaxNorm(0.1, 0.9, 0.5), constraints.NonNeg()]:
        copy = constraints.deserialize(constraints.serialize(constraint))
        assert type(copy) is type(constraint) and copy.get_config() == constraint.get_config()
    dense = layers.Dense(3, kernel_regularizer="l1", bias_constraint="non_neg", activity_regularizer="l2")
    copy = layers.Dense.from_config(dense.get_config())
    assert isinstance(copy.kernel_regularizer, regularizers.L1) and isinstance(copy.bias_constraint, constraints.NonNeg)
    assert copy.get_config() == dense.get_config() | {"name": copy.name}


def test_custom_functions_work_as_regularizer_and_constraint():
    layer = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=lambda w: 3.0 * teachkeras.ops.sum(w),
                         kernel_constraint=lambda w: w * 0.0)
    layer(np.ones((1, 2), dtype="float32"))
    assert [float(loss) for loss in layer.losses] == [12.0]
    model = teachkeras.Sequential([layer])
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(np.ones((1, 2)), np.ones((1, 2)))
    assert np.array_equal(layer.kernel.numpy(), np.zeros((2, 2)))


def test_the_notes_snippets_in_keras_3_form():
    from teachkeras.constraints import max_norm
    from teachkeras.regularizers import l2

    model = teachkeras.Sequential([
        layers.Dense(64, input_dim=64, kernel_regularizer=l2(0.01), activity_regularizer=l2(0.01)),
        layers.Dense(64, kernel_constraint=max_norm(2)),
    ])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 64)), np.ones((4, 64)), verbose=0)
    assert len(model.losses) == 2


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("make, message", [
    (lambda: regularizers.L2(-0.01), "L2: l2 must be a non-negative number, received l2=-0.01"),
    (lambda: regularizers.L1(-1), "L1: l1 must be a non-negative number, received l1=-1"),
    (lambda: regularizers.L1L2(l2=-0.5), "L1L2: l2 must be a non-negative number"),
    (lambda: regularizers.L1L2(l1=float("nan")), "L1L2: l1 must be a non-negative number"),
    (lambda: regularizers.OrthogonalRegularizer(-0.1), "OrthogonalRegularizer: factor must be a non-negative"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diagonal"), "mode must be 'rows' or 'columns'"),
    (lambda: layers.Dense(2, kernel_regularizer=regularizers.L2(-1)), "l2 must be a non-negative number"),
    (lambda: constraints.MaxNorm(0), "MaxNorm: max_value must be a number > 0, received max_value=0"),
    (lambda: constraints.MaxNorm(-2), "MaxNorm: max_value must be a number > 0"),
    (lambda: constraints.MinMaxNorm(2.0, 1.0), "MinMaxNorm: max_value must be a number >= 2.0"),
    (lambda: constraints.MinMaxNorm(rate=1.5), "MinMaxNorm: rate must be a number in"),
    (lambda: constraints.MaxNorm(axis="rows"), "MaxNorm: axis must be an integer or a list"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        make()


def test_unknown_names_are_refused_naming_the_layer():
    with pytest.raises(ValueError, match=r"Dense 'dense\w*': kernel_regularizer: unknown regularizer 'l3'"):
        layers.Dense(2, kernel_regularizer="l3")
    with pytest.raises(ValueError, match=r"Conv1D 'conv1d\w*': bias_constraint: unknown constraint 'positive'"):
        layers.Conv1D(2, 3, bias_constraint="positive")
    with pytest.raises(ValueError, match="OrthogonalRegularizer: expected a 2-D weight"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2)))


def test_keras_1_spellings_name_the_keras_3_ones():
    with pytest.raises(TypeError, match="W_regularizer= is the Keras 1/2 spelling; use kernel_regularizer="):
        layers.Dense(2, W_regularizer=regularizers.l2(0.01))
    with pytest.raises(TypeError, match="W_constraint= is the Keras 1/2 spelling; use kernel_constraint="):
        layers.Dense(2, W_constraint=constraints.max_norm(2))
    with pytest.raises(TypeError, match="b_regularizer= is the Keras 1/2 spelling; use bias_regularizer="):
        layers.Dense(2, b_regularizer="l2")
    with pytest.raises(AttributeError, match="activity_l2 is the Keras 1 spelling; use teachkeras.regularizers.l2"):
        regularizers.activity_l2
    with pytest.raises(AttributeError, match="maxnorm is the Keras 1 spelling; use teachkeras.constraints.max_norm"):
        constraints.maxnorm
    with pytest.raises(ValueError, match="maxnorm is the Keras 1 spelling"):
        layers.Dense(2, kernel_constraint="maxnorm")
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        regularizers.nothing


def test_penalties_constraints_and_batch_normalization_train_on_torch_tensors():
    torch = pytest.importorskip("torch")
    set_random_seed(0)
    model = teachkeras.Sequential([
        layers.Input((5,)),
        layers.Dense(4, kernel_regularizer="l2", activity_regularizer="l1", kernel_constraint=constraints.MaxNorm(0.5)),
        layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.to("cpu")
    x, y = torch.randn(16, 5, generator=torch.Generator().manual_seed(0)), torch.ones(16, 1)
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    kernel = model.layers[0].kernel.value
    assert isinstance(kernel, torch.Tensor) and float(torch.linalg.vector_norm(kernel, dim=0).max()) <= 0.5 + 1e-6
    assert len(model.losses) == 2          # the kernel's penalty and the latest call's activity penalty
