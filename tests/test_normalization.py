"""BatchNormalization, LayerNormalization and the other chapter-11 layers against real Keras 3 on the
same weights and data (both modes, moving statistics, frozen layers inside fit), gradients against
torch's own batch norm, and bad input."""

import numpy as np
import pytest

import teachkeras
from teachkeras import layers
from teachkeras.utils import set_random_seed

RNG = np.random.default_rng(0)


def _copy_weights(ours, theirs, keras):
    ours.set_weights([keras.ops.convert_to_numpy(weight) for weight in theirs.weights])


@pytest.mark.parametrize("options, shape", [
    ({}, (8, 3)),
    ({"axis": 1, "momentum": 0.8, "epsilon": 1e-2}, (4, 3, 5)),
    ({"axis": 2, "center": False}, (3, 2, 4, 2)),
    ({"scale": False}, (5, 2, 2, 3)),
], ids=["default", "axis1", "axis2-no-center", "no-scale"])
def test_batch_normalization_matches_keras_in_both_modes(keras, options, shape):
    x = (RNG.normal(size=shape) * 3 + 2).astype("float32")
    theirs = keras.layers.BatchNormalization(beta_initializer="random_normal", **options)
    ours = layers.BatchNormalization(**options)
    theirs(x), ours(x)
    if "gamma" in [weight.name for weight in theirs.weights]:
        theirs.gamma.assign(RNG.normal(1, 0.2, size=theirs.gamma.shape).astype("float32"))
    _copy_weights(ours, theirs, keras)
    assert [weight.name for weight in ours.weights] == [weight.name for weight in theirs.weights]
    for step in range(3):                 # training mode: batch statistics, moving averages updated
        batch = x + step
        assert np.allclose(ours(batch, training=True), keras.ops.convert_to_numpy(theirs(batch, training=True)),
                           atol=1e-5)
    for ours_weight, theirs_weight in zip(ours.weights, theirs.weights):
        assert np.allclose(ours_weight.numpy(), keras.ops.convert_to_numpy(theirs_weight), atol=1e-5), ours_weight.name
    assert np.allclose(ours(x), keras.ops.convert_to_numpy(theirs(x, training=False)), atol=1e-5)   # moving statistics


def test_moving_variance_is_the_biased_one_unlike_torch(keras):
    torch = pytest.importorskip("torch")
    x = (RNG.normal(size=(6, 2)) * [1.0, 4.0]).astype("float32")
    ours = layers.BatchNormalization(momentum=0.0)       # moving statistics = the last batch's
    ours(x, training=True)
    assert np.allclose(ours.moving_variance.numpy(), x.var(axis=0), rtol=1e-5)
    theirs = keras.layers.BatchNormalization(momentum=0.0)
    theirs(x, training=True)
    assert np.allclose(ours.moving_variance.numpy(), keras.ops.convert_to_numpy(theirs.moving_variance), rtol=1e-5)
    torch_layer = torch.nn.BatchNorm1d(2, momentum=1.0)   # torch's momentum is Keras' 1 - momentum
    torch_layer(torch.tensor(x))
    assert np.allclose(torch_layer.running_var.numpy(), x.var(axis=0, ddof=1), rtol=1e-5)
    assert not np.allclose(torch_layer.running_var.numpy(), ours.moving_variance.numpy(), rtol=1e-3)


def test_batch_normalization_gradients_match_torch_batch_norm():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(7, 4)) * 2 + 1
    layer = layers.BatchNormalization(dtype="float64", epsilon=1e-3)
    layer(x)
    gamma, beta = RNG.normal(1, 0.3, size=4), RNG.normal(0, 0.3, size=4)
    layer.set_weights([gamma, beta, np.zeros(4), np.ones(4)])
    grad_outputs = RNG.normal(size=(7, 4))
    for training in (True, False):
        outputs = layer(x, training=training)
        grad_inputs = layer.backward(grad_outputs)
        tensors = [torch.tensor(array, requires_grad=True) for array in (x, gamma, beta)]
        mean, variance = torch.tensor(layer.moving_mean.numpy()), torch.tensor(layer.moving_variance.numpy())
        expected = torch.nn.functional.batch_norm(tensors[0], mean.clone(), variance.clone(), tensors[1], tensors[2],
                                                  training=training, eps=1e-3)
        expected.backward(torch.tensor(grad_outputs))
        if not training:
            assert np.allclose(outputs, expected.detach().numpy(), atol=1e-10)
        assert np.allclose(grad_inputs, tensors[0].grad.numpy(), atol=1e-10)
        assert np.allclose(layer.gamma.grad, tensors[1].grad.numpy(), atol=1e-10)
        assert np.allclose(layer.beta.grad, tensors[2].grad.numpy(), atol=1e-10)


def test_frozen_batch_normalization_runs_in_inference_mode_inside_fit(keras):
    x = (RNG.normal(size=(32, 3)) * 2 + 5).astype("float32")
    y = RNG.normal(size=(32, 1)).astype("float32")

    def train(module, frozen):
        model = module.Sequential([module.layers.Input((3,)), module.layers.BatchNormalization(),
                                   module.layers.Dense(1, kernel_initializer="ones")])
        model.layers[0].trainable = not frozen
        model.compile(optimizer=module.optimizers.SGD(0.01), loss="mse")
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
        return model, history

    for frozen in (True, False):
        ours, our_losses = train(teachkeras, frozen)
        theirs, their_losses = train(keras, frozen)
        assert np.allclose(our_losses, their_losses, rtol=1e-4), frozen
        our_moving = ours.layers[0].moving_mean.numpy()
        assert np.allclose(our_moving, keras.ops.convert_to_numpy(theirs.layers[0].moving_mean), atol=1e-5)
        assert np.allclose(our_moving, 0) == frozen      # frozen: the moving statistics never moved


def test_batch_normalization_in_a_model_trains_on_the_fast_path_and_on_the_tape():
    x = RNG.normal(size=(16, 4)).astype("float32")
    y = RNG.normal(size=(16, 1)).astype("float32")
    results = []
    for penalty in (None, teachkeras.regularizers.L2(0.0)):      # a (zero) penalty sends the step to the tape
        set_random_seed(0)
        model = teachkeras.Sequential([layers.Input((4,)), layers.Dense(3, kernel_regularizer=penalty),
                                       layers.BatchNormalization(), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        assert model._needs_tape() == (penalty is not None)
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for fast, taped in zip(*results):
        assert np.allclose(fast, taped, atol=1e-6)


@pytest.mark.parametrize("options, shape", [({}, (4, 5)), ({"axis": [1, 2]}, (2, 3, 4)), ({"center": False}, (3, 4, 2))],
                         ids=["default", "two-axes", "no-center"])
def test_layer_normalization_matches_keras(keras, options, shape):
    x = (RNG.normal(size=shape) * 2 + 1).astype("float32")
    theirs, ours = keras.layers.LayerNormalization(gamma_initializer="random_normal", **options), \
        layers.LayerNormalization(**options)
    theirs(x), ours(x)
    _copy_weights(ours, theirs, keras)
    for training in (True, False):
        assert np.allclose(ours(x, training=training), keras.ops.convert_to_numpy(theirs(x, training=training)),
                           atol=1e-5)
    config = ours.get_config()
    assert {key: config[key] for key in ("axis", "epsilon", "center", "scale", "rms_scaling")} == \
        {key: theirs.get_config()[key] for key in ("axis", "epsilon", "center", "scale", "rms_scaling")}


def test_batch_normalization_over_two_axes_normalizes_each_pair():
    """Keras 3's BatchNormalization takes one axis; teachkeras also takes a list, as LayerNormalization does."""
    x = RNG.normal(size=(6, 2, 3, 2)) * 3 + 1
    outputs = layers.BatchNormalization(axis=[1, 3], dtype="float64")(x, training=True)
    assert np.allclose(outputs.mean(axis=(0, 2)), 0, atol=1e-8) and np.allclose(outputs.std(axis=(0, 2)), 1, atol=1e-3)


def test_batch_normalization_config_matches_keras_keys(keras):
    ours = layers.BatchNormalization(axis=1, gamma_regularizer="l2", beta_constraint="non_neg").get_config()
    theirs = keras.layers.BatchNormalization(axis=1).get_config()
    assert set(theirs) - set(ours) <= {"renorm", "renorm_clipping", "renorm_momentum"}
    for key in ("axis", "momentum", "epsilon", "center", "scale", "synchronized"):
        assert ours[key] == theirs[key], key
    copy = layers.BatchNormalization.from_config(ours)
    assert isinstance(copy.gamma_regularizer, teachkeras.regularizers.L2)
    assert isinstance(copy.beta_constraint, teachkeras.constraints.NonNeg)


@pytest.mark.parametrize("make_ours, make_theirs, shape", [
    (lambda: layers.UpSampling1D(3), lambda keras: keras.layers.UpSampling1D(3), (2, 4, 3)),
    (lambda: layers.UpSampling2D((2, 3)), lambda keras: keras.layers.UpSampling2D((2, 3)), (2, 3, 2, 2)),
    (lambda: layers.UpSampling2D(2, data_format="channels_first"),
     lambda keras: keras.layers.UpSampling2D(2, data_format="channels_first"), (1, 2, 3, 2)),
    (lambda: layers.GaussianNoise(0.5), lambda keras: keras.layers.GaussianNoise(0.5), (3, 4)),
    (lambda: layers.SpatialDropout1D(0.5), lambda keras: keras.layers.SpatialDropout1D(0.5), (2, 4, 3)),
    (lambda: layers.SpatialDropout2D(0.5), lambda keras: keras.layers.SpatialDropout2D(0.5), (2, 3, 3, 2)),
], ids=["up1d", "up2d", "up2d-channels_first", "noise", "spatial1d", "spatial2d"])
def test_deterministic_outputs_and_shapes_match_keras(keras, make_ours, make_theirs, shape):
    x = RNG.normal(size=shape).astype("float32")
    ours, theirs = make_ours(), make_theirs(keras)
    assert np.allclose(ours(x), keras.ops.convert_to_numpy(theirs(x, training=False)))   # inference
    assert tuple(ours(x, training=True).shape) == tuple(theirs(x, training=True).shape)
    assert ours.compute_output_shape((None,) + shape[1:]) == tuple(theirs.compute_output_shape((None,) + shape[1:]))


def test_spatial_dropout_drops_whole_channels():
    outputs = layers.SpatialDropout1D(0.5, seed=3)(np.ones((8, 5, 6), dtype="float32"), training=True)
    assert set(np.unique(outputs)) <= {0.0, 2.0}
    assert (outputs == outputs[:, :1, :]).all() and 0 < (outputs == 0).mean() < 1
    images = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=3)(np.ones((4, 6, 3, 3)), training=True)
    assert (images == images[:, :, :1, :1]).all()


def test_time_distributed_matches_keras(keras):
    x = RNG.normal(size=(2, 3, 4, 4, 1)).astype("float32")
    theirs = keras.layers.TimeDistributed(keras.layers.Conv2D(2, 3))
    ours = layers.TimeDistributed(layers.Conv2D(2, 3))
    theirs(x), ours(x)
    _copy_weights(ours, theirs, keras)
    assert np.allclose(ours(x), keras.ops.convert_to_numpy(theirs(x)), atol=1e-5)
    copy = layers.TimeDistributed.from_config(ours.get_config())
    assert isinstance(copy.layer, layers.Conv2D) and copy.layer.filters == 2


def test_time_distributed_trains_in_fit():
    set_random_seed(0)
    model = teachkeras.Sequential([layers.Input((5, 3)), layers.TimeDistributed(layers.Dense(2)), layers.Flatten(),
                                   layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = RNG.normal(size=(8, 5, 3)), RNG.normal(size=(8, 1))
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("make, shape, message", [
    (lambda: layers.BatchNormalization(axis=2), (4, 3), r"axis=2 is not a feature axis of an input of shape \(4, 3\)"),
    (lambda: layers.BatchNormalization(axis=-3), (4, 3), r"axis=-3 is not a feature axis"),
    (lambda: layers.BatchNormalization(axis=0), (4, 3), r"axis=0 is not a feature axis .* axis 0 is the batch"),
    (lambda: layers.BatchNormalization(axis=[1, 5]), (4, 3, 2), r"axis=\[1, 5\] is not a feature axis"),
    (lambda: layers.LayerNormalization(axis=3), (4, 3), r"LayerNormalization '\w+': axis=3 is not a feature axis"),
])
def test_an_axis_the_input_lacks_is_refused(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make()(np.ones(shape, dtype="float32"))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.BatchNormalization(momentum=1.5), "momentum must be a number in"),
    (lambda: layers.BatchNormalization(epsilon=0), "epsilon must be a number > 0"),
    (lambda: layers.BatchNormalization(gamma_regularizer="l3"), "gamma_regularizer: unknown regularizer 'l3'"),
    (lambda: layers.LayerNormalization(rms_scaling=True), "rms_scaling=True is deprecated"),
    (lambda: layers.GaussianNoise(-0.1), "stddev must be a number >= 0"),
    (lambda: layers.SpatialDropout1D(1.5), "rate must be a number in"),
    (lambda: layers.UpSampling1D(0), "size must be a positive integer"),
    (lambda: layers.UpSampling2D(interpolation="bilinear"), "only interpolation='nearest' is supported"),
    (lambda: layers.TimeDistributed("dense"), "expected a Layer to wrap"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_layers_of_fixed_rank_refuse_other_ranks():
    with pytest.raises(ValueError, match=r"expected 3 dimensions \(batch, steps, channels\)"):
        layers.SpatialDropout1D(0.5)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.ones((2, 3)))
