"""The functional API (chapter 09): graphs of layers checked against Keras 3 and torch autograd.

The Keras functional-API guide's examples (a toy ResNet, multi-input / multi-output, shared layers,
nested models, feature extraction; Embedding and LSTM replaced by Dense until the sequences
chapter) are built in both libraries by the same function; from the same weights, one SGD step
gives the same loss, the same History keys and the same config.
"""

import json

import numpy as np
import pytest
import torch

import teachkeras as tk
from teachkeras import layers
from teachkeras.autodiff import GradientTape

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- graphs, written once for both libraries

def toy_resnet(k):
    inputs = k.Input(shape=(12, 12, 3), name="img")
    x = k.layers.Conv2D(8, 3, activation="relu", name="c1")(inputs)
    x = k.layers.Conv2D(8, 3, activation="relu", name="c2")(x)
    block_1_output = k.layers.MaxPooling2D(2, name="pool")(x)
    x = k.layers.Conv2D(8, 3, activation="relu", padding="same", name="c3")(block_1_output)
    x = k.layers.Conv2D(8, 3, activation="relu", padding="same", name="c4")(x)
    block_2_output = k.layers.add([x, block_1_output], name="add1")
    x = k.layers.Conv2D(8, 3, activation="relu", name="c5")(block_2_output)
    x = k.layers.GlobalAveragePooling2D(name="gap")(x)
    x = k.layers.Dense(16, activation="relu", name="d1")(x)
    outputs = k.layers.Dense(3, name="logits")(x)
    return k.Model(inputs, outputs, name="toy_resnet")


def multi_io(k):
    title = k.Input(shape=(6,), name="title")
    body = k.Input(shape=(10,), name="body")
    tags = k.Input(shape=(4,), name="tags")
    title_features = k.layers.Dense(5, activation="tanh", name="title_dense")(title)
    body_features = k.layers.Dense(5, activation="tanh", name="body_dense")(body)
    x = k.layers.concatenate([title_features, body_features, tags], name="joined")
    priority = k.layers.Dense(1, name="priority")(x)
    department = k.layers.Dense(3, name="department")(x)
    return k.Model([title, body, tags], [priority, department], name="ticket_classifier")


def shared(k):
    a, b = k.Input(shape=(5,), name="a"), k.Input(shape=(5,), name="b")
    encoder = k.layers.Dense(4, activation="tanh", name="shared")
    merged = k.layers.Subtract(name="difference")([encoder(a), encoder(b)])
    product = k.layers.Multiply(name="product")([encoder(a), merged])
    return k.Model([a, b], k.layers.Dense(1, name="out")(k.layers.Maximum(name="max")([merged, product])))


def nested(k):
    encoder_input = k.Input(shape=(8,), name="original")
    encoder = k.Model(encoder_input, k.layers.Dense(3, activation="relu", name="code")(encoder_input), name="encoder")
    decoder_input = k.Input(shape=(3,), name="encoded")
    decoder = k.Model(decoder_input, k.layers.Dense(8, name="rebuilt")(decoder_input), name="decoder")
    autoencoder_input = k.Input(shape=(8,), name="img")
    return k.Model(autoencoder_input, decoder(encoder(autoencoder_input)), name="autoencoder")


def dict_io(k):
    x1, x2 = k.Input(shape=(3,), name="x1"), k.Input(shape=(2,), name="x2")
    joined = k.layers.Concatenate(name="cat")([x1, x2])
    hidden = k.layers.Dense(4, activation="relu", name="hidden")(joined)
    averaged = k.layers.Average(name="avg")([hidden, k.layers.Dense(4, name="side")(joined)])
    return k.Model({"x1": x1, "x2": x2}, {"y1": k.layers.Dense(1, name="y1")(averaged),
                                          "y2": k.layers.Dense(2, name="y2")(hidden)})


def data(model_name):
    if model_name == "toy_resnet":
        return RNG.normal(size=(4, 12, 12, 3)).astype("float32"), RNG.normal(size=(4, 3)).astype("float32")
    if model_name == "multi_io":
        x = [RNG.normal(size=(6, n)).astype("float32") for n in (6, 10, 4)]
        return x, [RNG.normal(size=(6, 1)).astype("float32"), RNG.normal(size=(6, 3)).astype("float32")]
    if model_name == "shared":
        return [RNG.normal(size=(6, 5)).astype("float32") for _ in range(2)], RNG.normal(size=(6, 1)).astype("float32")
    if model_name == "nested":
        x = RNG.normal(size=(6, 8)).astype("float32")
        return x, x
    x = {"x1": RNG.normal(size=(6, 3)).astype("float32"), "x2": RNG.normal(size=(6, 2)).astype("float32")}
    return x, {"y1": RNG.normal(size=(6, 1)).astype("float32"), "y2": RNG.normal(size=(6, 2)).astype("float32")}


GRAPHS = {"toy_resnet": toy_resnet, "multi_io": multi_io, "shared": shared, "nested": nested, "dict_io": dict_io}


def twins(keras, name):
    theirs = GRAPHS[name](keras)
    ours = GRAPHS[name](tk)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


# ---------------------------------------------------------------- against Keras

@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_layers_and_predictions_match_keras(keras, name):
    ours, theirs = twins(keras, name)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    x, _ = data(name)
    predicted, expected = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    assert type(predicted) is type(expected)
    for a, b in zip(tk.tree.flatten(predicted), tk.tree.flatten(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_one_sgd_step_gives_the_same_loss_as_keras(keras, name):
    ours, theirs = twins(keras, name)
    x, y = data(name)
    for model, library in [(ours, tk), (theirs, keras)]:
        model.compile(optimizer=library.optimizers.SGD(learning_rate=0.1), loss="mse")
    first = [ours.train_on_batch(x, y), theirs.train_on_batch(x, y)]
    second = [ours.test_on_batch(x, y), theirs.test_on_batch(x, y)]
    np.testing.assert_allclose(first[0], first[1], rtol=1e-4)
    np.testing.assert_allclose(second[0], second[1], rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


COMPILES = [
    dict(loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], ["mse", "mae"]]),
    dict(loss="mse"),
    dict(loss="mse", metrics=[["mae"], ["mae"]]),
    dict(loss={"priority": "mse", "department": "mae"}, loss_weights={"priority": 2.0, "department": 1.0},
         metrics={"department": ["mae"]}),
]


@pytest.mark.parametrize("arguments", COMPILES)
def test_multi_output_history_and_evaluate_match_keras(keras, arguments):
    ours, theirs = twins(keras, "multi_io")
    x, y = data("multi_io")
    histories = []
    for model, library in [(ours, tk), (theirs, keras)]:
        model.compile(optimizer=library.optimizers.SGD(learning_rate=0.05), **arguments)
        histories.append(model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_data=(x, y),
                                   shuffle=False).history)
    assert sorted(histories[0]) == sorted(histories[1])
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-4, err_msg=key)
    ours_logs, theirs_logs = ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(ours_logs, theirs_logs, rtol=1e-4)


def test_dict_data_and_outputs_match_keras(keras):
    ours, theirs = twins(keras, "dict_io")
    x, y = data("dict_io")
    histories = []
    for model, library in [(ours, tk), (theirs, keras)]:
        model.compile(optimizer=library.optimizers.SGD(learning_rate=0.05), loss={"y1": "mse", "y2": "mae"},
                      metrics={"y1": ["mae"]})
        histories.append(model.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False).history)
    assert sorted(histories[0]) == sorted(histories[1]) == ["loss", "y1_loss", "y1_mae", "y2_loss"]
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-4)
    assert sorted(ours.predict(x, verbose=0)) == ["y1", "y2"]


def _comparable(config):
    """A functional config with each layer's own settings reduced to the keys both libraries write."""
    config = json.loads(json.dumps(config))
    for entry in config["layers"]:
        entry["config"] = {key: value for key, value in entry["config"].items()
                           if key in ("name", "units", "axis", "axes", "filters", "batch_shape")}
        entry.pop("build_config", None)
    return config


@pytest.mark.parametrize("name", ["multi_io", "shared", "dict_io", "toy_resnet"])
def test_config_matches_keras_and_round_trips(keras, name):
    ours, theirs = twins(keras, name)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert _comparable(ours_config)["layers"] == _comparable(theirs_config)["layers"]
    assert ours_config["input_layers"] == theirs_config["input_layers"]
    assert ours_config["output_layers"] == theirs_config["output_layers"]
    for ours_entry, theirs_entry in zip(ours_config["layers"], theirs_config["layers"]):
        assert (ours_entry["module"], ours_entry["class_name"]) == (theirs_entry["module"], theirs_entry["class_name"])
        assert ours_entry.get("build_config") == theirs_entry.get("build_config")
    copy = tk.Model.from_config(json.loads(json.dumps(ours_config)))
    assert copy.get_config() == ours_config
    from_keras = tk.Model.from_config(json.loads(json.dumps(theirs_config)))  # Keras' own config, read by us
    from_keras.set_weights(theirs.get_weights())
    x, _ = data(name)
    for a, b in zip(tk.tree.flatten(from_keras.predict(x, verbose=0)), tk.tree.flatten(theirs.predict(x, verbose=0))):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_summary_connected_to_matches_keras(keras):
    ours, theirs = twins(keras, "shared")
    lines = []
    ours.summary(print_fn=lines.append)
    text = lines[0]
    assert "Connected to" in text
    assert "shared[0][0], shared[1][0]" in text.replace("\n", " ") or "shared[0][0]" in text
    for row in ["difference (Subtract)", "a[0][0]", "b[0][0]"]:
        assert row in text


# ---------------------------------------------------------------- gradients through shared layers

def test_shared_layer_gradients_match_torch():
    model = shared(tk)
    x, _ = data("shared")
    weights = model.trainable_weights
    with GradientTape() as tape:
        tape.watch(weights)
        total = tk.ops.sum(model(x) ** 2)
    grads = tape.gradient(total, weights)
    kernel, bias, out_kernel, out_bias = (torch.tensor(w.numpy(), dtype=torch.float64, requires_grad=True)
                                          for w in weights)
    a, b = (torch.tensor(one, dtype=torch.float64) for one in x)
    ea, eb = torch.tanh(a @ kernel + bias), torch.tanh(b @ kernel + bias)
    merged = ea - eb
    product = torch.tanh(a @ kernel + bias) * merged
    out = torch.maximum(merged, product) @ out_kernel + out_bias
    (out ** 2).sum().backward()
    for ours, theirs in zip(grads, [kernel, bias, out_kernel, out_bias]):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_a_shared_layer_is_one_layer_with_several_nodes():
    model = shared(tk)
    layer = model.get_layer("shared")
    assert len(layer.inbound_nodes) == 3 and [l.name for l in model.layers].count("shared") == 1
    assert layer.input is layer.inbound_nodes[0].inputs
    assert len(model.trainable_weights) == 4


# ---------------------------------------------------------------- structure, Sequential, freezing

def test_feature_extraction_and_get_layer_output():
    model = toy_resnet(tk)
    extractor = tk.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x, _ = data("toy_resnet")
    features = extractor.predict(x, verbose=0)
    assert len(features) == len(model.layers)
    np.testing.assert_allclose(features[-1], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    pooled = tk.Model(model.input, model.get_layer("pool").output).predict(x, verbose=0)
    assert pooled.shape == (4, 4, 4, 8)


def test_a_built_sequential_is_a_graph_and_pop_works():
    model = tk.Sequential([tk.Input(shape=(3,)), layers.Dense(4), layers.Dense(2), layers.Dense(1)])
    assert model.inputs[0].shape == (None, 3) and model.outputs[0].shape == (None, 1)
    assert model.layers[0].input is model.inputs[0]
    middle = tk.Model(model.inputs, model.layers[1].output)
    x = RNG.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(middle.predict(x, verbose=0), model.layers[1](model.layers[0](x)), rtol=1e-6)
    model.pop()
    assert model.outputs[0].shape == (None, 2)
    unbuilt = tk.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built yet"):
        unbuilt.inputs


def test_freezing_is_read_at_fit_time_without_recompiling():
    model = nested(tk)
    model.compile(optimizer="sgd", loss="mse")
    encoder = model.get_layer("encoder")
    x, y = data("nested")
    encoder.trainable = False
    before = [w.copy() for w in encoder.get_weights()]
    model.fit(x, y, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, encoder.get_weights()))
    encoder.trainable = True
    model.fit(x, y, verbose=0)
    assert not all(np.array_equal(a, b) for a, b in zip(before, encoder.get_weights()))


def test_plot_model_draws_every_layer():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    figure = tk.utils.plot_model(multi_io(tk), show_shapes=True)
    positions = figure.graph_positions
    assert len(positions) == len(multi_io(tk).layers) == 8
    assert positions["title"][1] > positions["title_dense"][1] > positions["joined"][1] > positions["priority"][1]


# ---------------------------------------------------------------- bad input

def test_an_output_needing_an_input_not_given_names_it():
    a, b = tk.Input(shape=(2,), name="a"), tk.Input(shape=(2,), name="b")
    with pytest.raises(ValueError, match="needs the input 'b'.*inputs \\['a'\\]"):
        tk.Model(a, layers.add([a, b]))


def test_an_output_that_is_not_from_the_graph_is_refused():
    with pytest.raises(ValueError, match="all outputs must be KerasTensors.*ndarray"):
        tk.Model(tk.Input(shape=(2,)), np.ones((1, 2)))
    orphan = tk.layers.KerasTensor((None, 2))
    with pytest.raises(ValueError, match="not the output of a layer"):
        tk.Model(tk.Input(shape=(2,)), orphan)


def test_model_given_arrays_instead_of_inputs():
    with pytest.raises(ValueError, match="all inputs must be KerasTensors"):
        tk.Model(np.ones((2, 3)), layers.Dense(1)(tk.Input(shape=(3,))))


def test_incompatible_shapes_at_graph_build_time_name_layer_and_shapes():
    dense = layers.Dense(2, name="fixed")
    dense(tk.Input(shape=(5,)))
    with pytest.raises(ValueError, match=r"'fixed'.*\(None, 3\)"):
        dense(tk.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"Add 'plus'.*\(None, 2\).*\(None, 3\)"):
        layers.Add(name="plus")([tk.Input(shape=(2,)), tk.Input(shape=(3,))])


def test_data_that_does_not_match_the_inputs_and_outputs():
    model = multi_io(tk)
    model.compile(optimizer="sgd", loss="mse")
    x, y = data("multi_io")
    with pytest.raises(ValueError, match=r"3 inputs \['title', 'body', 'tags'\].*holds 2 arrays"):
        model.fit(x[:2], y, verbose=0)
    with pytest.raises(ValueError, match=r"missing: \['tags'\]; unknown: \['tag'\]"):
        model.fit({"title": x[0], "body": x[1], "tag": x[2]}, y, verbose=0)
    with pytest.raises(ValueError, match=r"outputs \['priority', 'department'\].*holds 1 arrays"):
        model.fit(x, y[:1], verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, [y[0][:3], y[1]], verbose=0)
    with pytest.raises(ValueError, match="not output names"):
        model.compile(optimizer="sgd", loss={"priority": "mse", "dept": "mse"})
    with pytest.raises(ValueError, match="list of lists"):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])


def test_keras_1_spellings_point_to_the_functional_api():
    with pytest.raises(TypeError, match="keras.Model\\(inputs, outputs\\)"):
        tk.models.Graph()
    with pytest.raises(NotImplementedError, match="keras.Model\\(inputs=model.inputs"):
        tk.backend.function([tk.Input(shape=(2,))], [])


@pytest.mark.parametrize("weights", ["one", "list"])
def test_sample_weights_for_several_outputs_match_keras(keras, weights):
    ours, theirs = twins(keras, "multi_io")
    x, y = data("multi_io")
    first = np.linspace(0.5, 2.0, 6).astype("float32")
    sample_weight = first if weights == "one" else [first, first[::-1].copy()]
    losses = []
    for model, library in [(ours, tk), (theirs, keras)]:
        model.compile(optimizer=library.optimizers.SGD(learning_rate=0.05), loss=["mse", "mae"])
        losses.append(model.fit(x, y, sample_weight=sample_weight, epochs=1, batch_size=3, verbose=0,
                                shuffle=False).history)
    for key in losses[1]:
        np.testing.assert_allclose(losses[0][key], losses[1][key], rtol=1e-4, err_msg=key)


def test_layer_input_before_any_symbolic_call_and_mixed_inputs_are_refused():
    with pytest.raises(ValueError, match="never been called on a KerasTensor"):
        layers.Dense(2, name="lonely").output
    with pytest.raises(TypeError, match="mixed with ndarray"):
        layers.Add()([tk.Input(shape=(2,)), np.ones((1, 2), dtype="float32")])


def test_plot_model_refuses_what_it_cannot_draw():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    model = multi_io(tk)
    with pytest.raises(ValueError, match="rankdir"):
        tk.utils.plot_model(model, rankdir="BT")
    with pytest.raises(NotImplementedError, match="expand_nested"):
        tk.utils.plot_model(model, expand_nested=True)
    with pytest.raises(TypeError):
        tk.utils.plot_model(model, show_shape=True)  # a misspelt argument is not ignored
    figure = tk.utils.plot_model(model, rankdir="LR", show_dtype=True, show_trainable=True)
    assert figure.graph_positions["title"][0] < figure.graph_positions["priority"][0]


@pytest.mark.parametrize("name", ["multi_io", "shared", "toy_resnet"])
def test_a_graph_runs_on_torch_tensors_as_on_numpy(name):
    model = GRAPHS[name](tk)
    x, _ = data(name)
    on_numpy = tk.tree.flatten(model(x))
    on_torch = tk.tree.flatten(model(tk.tree.map_structure(torch.tensor, x)))
    assert all(isinstance(one, torch.Tensor) for one in on_torch)
    for a, b in zip(on_numpy, on_torch):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- KerasTensors beyond the first argument

def endpoint_graph(library):
    """The training guide's endpoint pattern: a layer called on two KerasTensors, and on one as a keyword."""

    class Endpoint(library.layers.Layer):
        def call(self, targets, logits, scale=None):
            return library.ops.softmax(logits * scale) + 0.0 * targets

    inputs = library.Input(shape=(3,), name="inputs")
    targets = library.Input(shape=(4,), name="targets")
    logits = library.layers.Dense(4, name="logits")(inputs)
    scale = library.layers.Dense(4, name="scale")(inputs)
    outputs = Endpoint(name="endpoint")(targets, logits, scale=scale)
    return library.Model([inputs, targets], outputs), Endpoint


def test_a_layer_called_on_several_keras_tensors_records_them_all():
    model, _ = endpoint_graph(tk)
    node = model.get_layer("endpoint").inbound_nodes[0]
    assert [tensor._keras_history[0].name for tensor in node.input_tensors] == ["targets", "logits", "scale"]
    assert [layer.name for layer in model.layers[-1:]] == ["endpoint"] and len(model.layers) == 5
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    t = np.zeros((5, 4), "float32")
    dense, scale = model.get_layer("logits"), model.get_layer("scale")
    expected = tk.ops.softmax((x @ dense.kernel.numpy() + dense.bias.numpy()) * (x @ scale.kernel.numpy() + scale.bias.numpy()))
    np.testing.assert_allclose(model.predict([x, t], verbose=0), np.asarray(expected), rtol=1e-5, atol=1e-7)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")  # no backward written: the tape trains it
    before = scale.kernel.numpy().copy()
    model.fit([x, t], np.eye(4, dtype="float32")[[0, 1, 2, 3, 0]], verbose=0)
    assert not np.array_equal(before, scale.kernel.numpy())


def test_several_keras_tensors_round_trip_through_the_config():
    model, endpoint = endpoint_graph(tk)
    config = model.get_config()
    entry = next(layer for layer in config["layers"] if layer["name"] == "endpoint")
    (node,) = entry["inbound_nodes"]
    assert [arg["config"]["keras_history"] for arg in node["args"]] == [["targets", 0, 0], ["logits", 0, 0]]
    assert node["kwargs"]["scale"]["config"]["keras_history"] == ["scale", 0, 0]
    copy = tk.Model.from_config(json.loads(json.dumps(config)), custom_objects={"Endpoint": endpoint})
    x = np.random.default_rng(1).normal(size=(2, 3)).astype("float32")
    copy.set_weights(model.get_weights())
    np.testing.assert_allclose(copy.predict([x, np.zeros((2, 4), "float32")], verbose=0),
                               model.predict([x, np.zeros((2, 4), "float32")], verbose=0), rtol=1e-6)


def test_several_keras_tensors_are_written_as_keras_writes_them(keras):
    ours, _ = endpoint_graph(tk)
    theirs, _ = endpoint_graph(keras)

    def nodes(model):
        entry = next(layer for layer in model.get_config()["layers"] if layer["name"] == "endpoint")
        return json.loads(json.dumps(entry["inbound_nodes"]))

    assert nodes(ours) == nodes(theirs)


def logistic_endpoint_model(library):
    """The Keras training guide's LogisticEndpoint: the loss is added by a layer, compile has none."""

    class LogisticEndpoint(library.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = library.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            return library.ops.softmax(logits)

    inputs = library.Input(shape=(3,), name="inputs")
    targets = library.Input(shape=(10,), name="targets")
    logits = library.layers.Dense(10, name="logits")(inputs)
    model = library.Model(inputs=[inputs, targets], outputs=LogisticEndpoint(name="predictions")(targets, logits))
    model.compile(optimizer=library.optimizers.SGD(learning_rate=0.5))
    return model


def test_a_model_compiled_without_a_loss_trains_on_what_its_layers_add_as_keras_does(keras):
    ours, theirs = logistic_endpoint_model(tk), logistic_endpoint_model(keras)
    theirs.set_weights(ours.get_weights())
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((8, 3)).astype("float32"), "targets": rng.random((8, 10)).astype("float32")}
    histories = [model.fit(data, batch_size=4, epochs=3, shuffle=False, verbose=0).history for model in (ours, theirs)]
    assert histories[0].keys() == histories[1].keys() == {"loss"}
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(data, verbose=0), theirs.evaluate(data, verbose=0), rtol=1e-5)


def test_a_model_with_no_loss_at_all_says_what_to_pass():
    model, _ = endpoint_graph(tk)
    model.compile(optimizer="sgd")
    x = [np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")]
    with pytest.raises(ValueError, match=r"compiled without a loss and none of its layers added one.*compile\(loss="):
        model.fit(x, verbose=0)
