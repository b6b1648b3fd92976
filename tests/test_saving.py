"""Chapter 10: saving and loading. Our files against our loader, against real Keras 3 in both
directions, optimizer state and exact resumption, and every kind of bad input."""

import json
import os
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import teachkeras as tk
from teachkeras import layers
from teachkeras.saving import serialization_lib
from teachkeras.saving.saving_utils import OPTIMIZER_SLOTS


def data(n=16, features=3, outputs=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    return x, (x @ rng.normal(size=(features, outputs))).astype("float32")


def small_model(optimizer="adam", names=("hidden", "out"), dropout=True):
    model = tk.Sequential([tk.Input(shape=(3,), name="x"), layers.Dense(4, activation="relu", name=names[0]),
                           *([layers.Dropout(0.2, seed=1)] if dropout else []), layers.Dense(2, name=names[1])])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def trained(optimizer="adam", epochs=2, dropout=True):
    model = small_model(optimizer, dropout=dropout)
    x, y = data()
    model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
    return model


def same_weights(a, b):
    return len(a.get_weights()) == len(b.get_weights()) and all(
        np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def quiet_legacy_save(model, path):
    with pytest.warns(UserWarning, match="HDF5 file via `model.save\\(\\)`.*considered legacy"):
        model.save(path)


# ---------------------------------------------------------------- our files, our loader

def test_keras_file_layout_and_round_trip(tmp_path):
    model = trained()
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zipped:
        assert zipped.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(zipped.read("config.json"))
        assert set(json.loads(zipped.read("metadata.json"))) >= {"keras_version", "date_saved"}
    assert (config["module"], config["class_name"], config["registered_name"]) == ("keras", "Sequential", None)
    dense = config["config"]["layers"][1]
    assert dense["module"] == "keras.layers" and dense["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert dense["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert config["compile_config"]["loss"] == "mse" and config["compile_config"]["metrics"] == ["mae"]
    copy = tk.saving.load_model(path)
    x, _ = data()
    assert np.array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))
    assert copy.optimizer.iterations == model.optimizer.iterations == 4
    assert [layer.name for layer in copy.layers] == ["hidden", "dropout", "out"]


def test_weights_file_groups_are_named_by_class_with_optimizer_state(tmp_path):
    model = trained()
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as file:
        assert file["layers/dense/vars"].attrs["name"] == "hidden"
        assert file["layers/dense_1/vars"].attrs["name"] == "out"
        assert len(file["layers/dropout/vars"]) == 0 and file["vars"].attrs["name"] == model.name
        assert file["layers/dense/vars/0"].shape == (3, 4) and file["layers/dense/vars/1"].shape == (4,)
        optimizer = file["optimizer/vars"]
        assert len(optimizer) == 2 + 2 * 4 and int(optimizer["0"][()]) == 4
        # Keras 3 order: iteration, learning_rate, then momentum and velocity of each weight in turn
        assert [optimizer[str(i)].shape for i in range(2, 6)] == [(3, 4), (3, 4), (4,), (4,)]
        kernel_momentum = model.optimizer.slot(model.layers[0].kernel, "momentum")
        np.testing.assert_array_equal(optimizer["2"][()], kernel_momentum)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad", "adadelta", "nadam", "adamw"])
def test_fit_resumed_after_loading_continues_exactly(tmp_path, optimizer):
    if optimizer == "sgd":
        optimizer = tk.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    elif optimizer == "rmsprop":
        optimizer = tk.optimizers.RMSprop(momentum=0.5, centered=True)
    x, y = data()

    def model(optimizer):  # no Dropout: its random masks are not part of a saved model (in Keras either)
        model = tk.Sequential([tk.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
        model.compile(optimizer=optimizer, loss="mse")
        return model

    straight = model(optimizer if isinstance(optimizer, str) else type(optimizer).from_config(optimizer.get_config()))
    start = straight.get_weights()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    first = model(optimizer)
    first.set_weights(start)
    first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first.save(tmp_path / "half.keras")
    resumed = tk.saving.load_model(tmp_path / "half.keras")
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 8
    assert same_weights(resumed, straight), "training resumed from the file drifted from the uninterrupted run"


def test_unsaved_optimizer_state_would_change_the_next_step(tmp_path):
    """The check above can fail: without the optimizer's state the next step differs."""
    model = trained()
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = small_model()
    fresh.set_weights(model.get_weights())
    x, y = data()
    model.train_on_batch(x, y)
    fresh.train_on_batch(x, y)
    assert not same_weights(model, fresh)


def test_save_weights_load_weights_round_trip_and_keras_file_weights(tmp_path):
    model = trained()
    model.save_weights(tmp_path / "m.weights.h5")
    model.save(tmp_path / "m.keras")
    for path in ("m.weights.h5", "m.keras"):
        copy = small_model()
        copy.load_weights(tmp_path / path)
        assert same_weights(copy, model)
        assert copy.optimizer.iterations == 4


def test_legacy_h5_layout_and_round_trip(tmp_path):
    model = trained(dropout=False)
    quiet_legacy_save(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as file:
        assert json.loads(file.attrs["model_config"])["class_name"] == "Sequential"
        assert "optimizer_config" in json.loads(file.attrs["training_config"])
        weights = file["model_weights"]
        assert [name.decode() if isinstance(name, bytes) else name for name in weights.attrs["layer_names"]] == [
            "hidden", "out"]
        names = [name.decode() if isinstance(name, bytes) else name for name in weights["hidden"].attrs["weight_names"]]
        assert names == [f"{model.name}/hidden/kernel", f"{model.name}/hidden/bias"]
        assert weights["hidden"][names[0]].shape == (3, 4)
        assert len(file["optimizer_weights"].attrs["weight_names"]) == 10  # iteration, learning rate, 2 slots x 4
    copy = tk.models.load_model(tmp_path / "m.h5")
    assert same_weights(copy, model) and copy.optimizer.iterations == 4
    x, y = data()
    assert np.array_equal(copy.train_on_batch(x, y), model.train_on_batch(x, y))


def test_load_weights_by_name_and_skip_mismatch_for_transfer_learning(tmp_path):
    """The notes' example: only the layer whose name is in the file receives weights."""
    old = tk.Sequential([layers.Dense(2, input_dim=3, name="dense_1"), layers.Dense(3, name="dense_2")])
    old.compile("sgd", "mse")
    quiet_legacy_save(old, tmp_path / "old.h5")
    new = tk.Sequential([layers.Dense(2, input_dim=3, name="dense_1"), layers.Dense(10, name="new_dense")])
    before = new.layers[1].get_weights()
    new.load_weights(tmp_path / "old.h5", by_name=True)
    assert all(np.array_equal(a, b) for a, b in zip(new.layers[0].get_weights(), old.layers[0].get_weights()))
    assert all(np.array_equal(a, b) for a, b in zip(new.layers[1].get_weights(), before))
    changed = tk.Sequential([layers.Dense(2, input_dim=3, name="dense_1"), layers.Dense(5, name="dense_2")])
    with pytest.raises(ValueError, match=r"layer 'dense_2' expected 2 weights of shapes \[\(2, 5\), \(5,\)\].*"
                                         r"\[\(2, 3\), \(3,\)\]"):
        changed.load_weights(tmp_path / "old.h5", by_name=True)
    with pytest.warns(UserWarning, match="dense_2.*skipped"):
        changed.load_weights(tmp_path / "old.h5", by_name=True, skip_mismatch=True)
    assert np.array_equal(changed.layers[0].get_weights()[0], old.layers[0].get_weights()[0])
    with pytest.raises(ValueError, match="by_name=True works with legacy .h5 files only"):
        changed.load_weights(tmp_path / "x.weights.h5", by_name=True)


def test_to_json_and_model_from_json_and_clone_model():
    model = trained()
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Sequential"
    copy = tk.models.model_from_json(text)
    assert [type(layer).__name__ for layer in copy.layers] == ["Dense", "Dropout", "Dense"]
    assert [w.shape for w in copy.weights] == [w.shape for w in model.weights]
    assert not same_weights(copy, model)  # the architecture only: fresh weights
    clone = tk.models.clone_model(model)
    assert clone is not model and clone.layers[0] is not model.layers[0]
    assert [layer.get_config()["units"] for layer in clone.layers if hasattr(layer, "units")] == [4, 2]
    assert not same_weights(clone, model)


# ---------------------------------------------------------------- real Keras, both ways

def keras_model(keras, dropout=True):
    model = keras.Sequential([keras.Input((3,), name="x"), keras.layers.Dense(4, activation="relu", name="hidden"),
                              *([keras.layers.Dropout(0.2)] if dropout else []), keras.layers.Dense(2, name="out")])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return model


def test_keras_loads_our_keras_file_and_continues_training_identically(tmp_path, keras):
    model = trained(dropout=False)  # Dropout's random masks differ between libraries; the rest must not
    model.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    x, y = data()
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-6)
    assert int(theirs.optimizer.iterations) == 4
    theirs.train_on_batch(x, y)
    model.train_on_batch(x, y)
    for ours, keras_weight in zip(model.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(keras_weight, ours, atol=1e-6)


def test_we_load_a_keras_file(tmp_path, keras):
    theirs = keras_model(keras, dropout=False)
    theirs.save(tmp_path / "theirs.keras")
    model = tk.saving.load_model(tmp_path / "theirs.keras")
    x, y = data()
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-6)
    assert model.optimizer.iterations == 4 and type(model.optimizer).__name__ == "Adam"
    model.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    for ours, keras_weight in zip(model.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(ours, keras_weight, atol=1e-6)


def test_weights_files_cross_both_ways(tmp_path, keras):
    model = trained()
    model.save_weights(tmp_path / "ours.weights.h5")
    theirs = keras_model(keras)
    theirs.load_weights(tmp_path / "ours.weights.h5")
    x, _ = data()
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-6)
    theirs = keras_model(keras)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    model.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-6)


def test_legacy_h5_crosses_both_ways(tmp_path, keras):
    model = trained()
    quiet_legacy_save(model, tmp_path / "ours.h5")
    theirs = keras.saving.load_model(tmp_path / "ours.h5")
    x, _ = data()
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-6)
    keras_saved = keras_model(keras)
    keras_saved.save(tmp_path / "theirs.h5")
    loaded = tk.saving.load_model(tmp_path / "theirs.h5", compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.asarray(keras_saved.predict(x, verbose=0)), atol=1e-6)
    fresh = small_model()
    fresh.load_weights(tmp_path / "theirs.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), np.asarray(keras_saved.predict(x, verbose=0)), atol=1e-6)


def test_keras_2_names_are_accepted_in_a_weights_only_h5(tmp_path):
    """A Keras 2 weights file: groups at the root, names like ``dense/kernel:0``, bytes attributes."""
    model = small_model()
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=w.shape).astype("float32") for w in model.weights]
    with h5py.File(tmp_path / "keras2.h5", "w") as file:
        file.attrs["layer_names"] = [b"dense", b"dropout", b"dense_1"]
        file.attrs["keras_version"] = b"2.4.0"
        for layer_name, names, values in [("dense", [b"dense/kernel:0", b"dense/bias:0"], arrays[:2]),
                                          ("dropout", [], []), ("dense_1", [b"dense_1/kernel:0", b"dense_1/bias:0"],
                                                                arrays[2:])]:
            group = file.create_group(layer_name)
            group.attrs["weight_names"] = names
            for name, value in zip(names, values):
                group.create_dataset(name.decode(), data=value)
    model.load_weights(tmp_path / "keras2.h5")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), arrays))


def test_keras_optimizer_slot_order_table_matches_keras(keras):
    variables = [keras.Variable(np.ones((1, 2)), name="a"), keras.Variable(np.ones(1), name="b")]
    spellings = {"SGD": dict(momentum=0.9), "RMSprop": dict(momentum=0.5, centered=True), "Adam": dict(amsgrad=True),
                 "AdamW": dict(amsgrad=True), "Nadam": {}, "Adagrad": {}, "Adadelta": {}}
    for name, slot_groups in OPTIMIZER_SLOTS.items():
        optimizer = getattr(keras.optimizers, name)(**spellings[name])
        optimizer.build(variables)
        paths = [variable.path.split("/")[-1] for variable in optimizer.variables][2:]
        expected = [f"{v}_{slot}" for group in slot_groups for v in ("a", "b") for slot in group]
        assert paths[:len(expected)] == expected, name


# ---------------------------------------------------------------- your own classes

@serialization_lib.register_keras_serializable(package="tests")
class TwoLayers(tk.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = layers.Dense(units, activation="tanh")
        self.second = layers.Dense(1, name="top")

    def call(self, inputs, training=False):
        return self.second(self.first(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_round_trips_through_keras_file_and_weights(tmp_path):
    model = TwoLayers(units=5)
    model.compile("adam", "mse")
    x, y = data(outputs=1)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "sub.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "sub.keras").read("config.json"))
    assert config["registered_name"] == "tests>TwoLayers" and config["build_config"]["input_shape"][-1] == 3
    model.save_weights(tmp_path / "sub.weights.h5")
    with h5py.File(tmp_path / "sub.weights.h5", "r") as file:
        assert {"first", "second", "optimizer", "vars"} <= set(file)
    copy = tk.saving.load_model(tmp_path / "sub.keras")
    assert isinstance(copy, TwoLayers) and copy.units == 5
    np.testing.assert_array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))
    other = TwoLayers(units=5)
    other(x[:1])
    other.load_weights(tmp_path / "sub.weights.h5")
    assert same_weights(other, model)


def test_subclassed_model_crosses_to_keras_when_keras_knows_the_class(tmp_path, keras):
    @keras.saving.register_keras_serializable(package="tests")
    class TwoLayers(keras.Model):  # the same class, written for Keras
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.first = keras.layers.Dense(units, activation="tanh")
            self.second = keras.layers.Dense(1, name="top")

        def call(self, inputs, training=False):
            return self.second(self.first(inputs))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    ours = globals()["TwoLayers"](units=5)
    x, _ = data(outputs=1)
    ours(x[:1])
    ours.save_weights(tmp_path / "sub.weights.h5")
    theirs = TwoLayers(units=5)
    theirs(x[:1])
    theirs.load_weights(tmp_path / "sub.weights.h5")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), atol=1e-6)


def test_custom_objects_and_scope_and_unknown_class_error(tmp_path):
    class Plain(tk.Model):  # not registered
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(2)

        def call(self, inputs, training=False):
            return self.dense(inputs)

    model = Plain()
    model(np.ones((1, 3), dtype="float32"))
    model.save(tmp_path / "plain.keras")
    serialization_lib._GLOBAL_CUSTOM_OBJECTS.pop("Plain", None)
    with pytest.raises(TypeError, match=r"unknown (layer )?class 'Plain'.*custom_objects=\{'Plain': Plain\}.*"
                                        r"register_keras_serializable"):
        tk.saving.load_model(tmp_path / "plain.keras")
    assert isinstance(tk.saving.load_model(tmp_path / "plain.keras", custom_objects={"Plain": Plain}), Plain)
    with tk.saving.custom_object_scope({"Plain": Plain}):
        assert isinstance(tk.saving.load_model(tmp_path / "plain.keras"), Plain)
    assert "Plain" not in tk.saving.get_custom_objects()


# ---------------------------------------------------------------- safe mode

def test_a_lambda_in_a_file_is_refused_in_safe_mode_and_never_runs(tmp_path):
    marker = str(tmp_path / "the_lambda_ran")  # the function's side effect shows whether it ever ran
    model = tk.Sequential([tk.Input(shape=(2,)), layers.Lambda(lambda x: (open(marker, "w").close(), x * 2.0)[1]),
                           layers.Dense(1)])
    model.save(tmp_path / "lambda.keras")  # saving runs it here, to know its output shape
    json_text = model.to_json()
    os.remove(marker)
    config = json.loads(zipfile.ZipFile(tmp_path / "lambda.keras").read("config.json"))
    function = config["config"]["layers"][1]["config"]["function"]
    assert function["class_name"] == "__lambda__" and set(function["config"]) == {"code", "defaults", "closure"}
    with pytest.raises(ValueError, match="Refusing to load a Python lambda.*safe_mode=False"):
        tk.saving.load_model(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        tk.models.model_from_json(json_text)
    assert not os.path.exists(marker)
    copy = tk.saving.load_model(tmp_path / "lambda.keras", safe_mode=False)
    x = np.ones((2, 2), dtype="float32")
    np.testing.assert_array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))
    assert os.path.exists(marker)  # with safe_mode=False the file's code did run


def test_keras_reads_our_lambda_bytecode(tmp_path, keras):
    model = tk.Sequential([tk.Input(shape=(2,)), layers.Lambda(lambda x: x * 2.0 + 1.0)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(tmp_path / "lambda.keras")
    theirs = keras.saving.load_model(tmp_path / "lambda.keras", safe_mode=False)
    np.testing.assert_allclose(np.asarray(theirs(np.ones((1, 2), dtype="float32"))), [[3.0, 3.0]])


# ---------------------------------------------------------------- bad input

def test_truncated_or_corrupt_files_give_clear_errors(tmp_path):
    model = trained()
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    whole = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="cut.keras.*truncated or corrupt"):
        tk.saving.load_model(tmp_path / "cut.keras")
    weights = (tmp_path / "m.weights.h5").read_bytes()
    (tmp_path / "cut.weights.h5").write_bytes(weights[: len(weights) // 3])
    with pytest.raises(ValueError, match="cut.weights.h5.*truncated or corrupt"):
        small_model().load_weights(tmp_path / "cut.weights.h5")
    (tmp_path / "empty.keras").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.keras.*should be a .keras file.*empty, truncated or corrupt"):
        tk.saving.load_model(tmp_path / "empty.keras")


def test_a_file_of_another_format_under_a_known_extension(tmp_path):
    model = trained()
    quiet_legacy_save(model, tmp_path / "really_h5.h5")
    os.replace(tmp_path / "really_h5.h5", tmp_path / "really_h5.keras")
    with pytest.raises(ValueError, match=r"really_h5.keras' should be a .keras file \(a zip archive\), but it is "
                                         r"an HDF5 file"):
        tk.saving.load_model(tmp_path / "really_h5.keras")
    model.save(tmp_path / "zip.keras")
    os.replace(tmp_path / "zip.keras", tmp_path / "zip.h5")
    with pytest.raises(ValueError, match="should be an HDF5 file.*but it is a .keras file"):
        tk.saving.load_model(tmp_path / "zip.h5")
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as zipped:
        zipped.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"is a zip but not a .keras file: it lacks \['config.json'"):
        tk.saving.load_model(tmp_path / "other.keras")
    with pytest.raises(FileNotFoundError, match="no file at"):
        tk.saving.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="must end in .keras or .h5"):
        tk.saving.load_model(tmp_path / "model.pkl")


def test_weights_for_another_architecture_name_the_first_layer_that_differs(tmp_path):
    trained().save_weights(tmp_path / "m.weights.h5")
    other = tk.Sequential([tk.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.Dropout(0.2),
                           layers.Dense(7)])
    with pytest.raises(ValueError, match=r"layer 'dense_\d+' \(Dense, 'layers/dense_1/vars' in the file\) does not "
                                         r"match: expected 2 weights of shapes \[\(4, 7\), \(7,\)\], the file has 2 of "
                                         r"shapes \[\(4, 2\), \(2,\)\]"):
        other.load_weights(tmp_path / "m.weights.h5")
    with pytest.warns(UserWarning, match="skipped"):
        other.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)


def test_save_weights_needs_the_weights_h5_ending():
    model = small_model()
    for name in ("my_model_weights.h5", "model.keras", "weights"):
        with pytest.raises(ValueError, match=r"must end in `.weights.h5` \(e.g. 'model.weights.h5'\).*"
                                             r"model.save\('m.keras'\)"):
            model.save_weights(name)
    with pytest.raises(ValueError, match="must end in .keras .*or .h5"):
        model.save("model.pkl")
    with pytest.raises(TypeError, match="save_format"):
        model.save("m.keras", save_format="tf")


def test_overwrite_false_refuses_an_existing_file(tmp_path):
    model = small_model()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(tmp_path / "w.weights.h5", overwrite=False)
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)


@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5", "m.h5"])
def test_an_interrupted_save_leaves_the_old_file_intact(tmp_path, monkeypatch, name):
    model = trained()
    path = tmp_path / name
    save = model.save_weights if name.endswith(".weights.h5") else model.save
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy format's warning
        save(path)
        before = path.read_bytes()
        model.train_on_batch(*data())

        def fail(*args, **kwargs):
            raise KeyboardInterrupt("interrupted while writing")

        monkeypatch.setattr(os, "replace", fail)  # the last step of an atomic write
        with pytest.raises(KeyboardInterrupt):
            save(path)
        monkeypatch.undo()
        assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == [name]
        copy = small_model()
        copy.load_weights(path)
    assert copy.optimizer.iterations == 4 or name == "m.h5"  # a legacy file's load_weights: weights only
    assert not same_weights(copy, model)  # the file still holds the weights from before the last step


def test_a_full_disk_leaves_the_old_file_intact(tmp_path, monkeypatch):
    model = trained()
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle, mode):
            self.file = real_fdopen(handle, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(OSError, match="No space left"):
        model.save(tmp_path / "m.keras")
    monkeypatch.undo()
    assert (tmp_path / "m.keras").read_bytes() == before and os.listdir(tmp_path) == ["m.keras"]


def test_a_model_that_is_not_built_says_so(tmp_path):
    trained().save_weights(tmp_path / "m.weights.h5")
    unbuilt = tk.Sequential([layers.Dense(4), layers.Dropout(0.2), layers.Dense(2)])
    with pytest.raises(ValueError, match="not built yet"):
        unbuilt.load_weights(tmp_path / "m.weights.h5")


# ---------------------------------------------------------------- serialization_lib

def test_serialize_plain_values_and_numpy_and_registered_functions():
    assert serialization_lib.serialize_keras_object([1, (2.5, "a"), None]) == [1, [2.5, "a"], None]
    array = serialization_lib.serialize_keras_object(np.arange(3, dtype="int32"))
    assert array["class_name"] == "__numpy__"
    assert np.array_equal(serialization_lib.deserialize_keras_object(array), np.arange(3))

    @serialization_lib.register_keras_serializable(package="tests", name="double")
    def double(x):
        return 2 * x

    config = serialization_lib.serialize_keras_object(double)
    assert config == {"module": __name__, "class_name": "function", "config": "tests>double",
                      "registered_name": "tests>double"}
    assert serialization_lib.deserialize_keras_object(config) is double
    assert serialization_lib.get_registered_name(double) == "tests>double"


def test_keras_only_options_with_their_default_are_dropped_and_others_refused():
    config = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
              "config": {"units": 2, "quantization_config": None, "name": "d"}}
    assert serialization_lib.deserialize_keras_object(config).units == 2
    config["config"]["quantization_config"] = {"mode": "int8"}
    with pytest.raises(ValueError, match="quantization_config=.*a Keras option that teachkeras does not have"):
        serialization_lib.deserialize_keras_object(config)


def test_sequential_config_is_keras_layout(keras):
    model = small_model()
    theirs = keras.Sequential.from_config(model.get_config())
    assert [layer.name for layer in theirs.layers] == ["hidden", "dropout", "out"]
    ours = tk.Sequential.from_config(keras_model(keras).get_config())
    assert [type(layer).__name__ for layer in ours.layers] == ["Dense", "Dropout", "Dense"]
    assert ours.output_shape == (None, 2)


# ---------------------------------------------------------------- callbacks

def test_model_checkpoint_fills_the_template_and_keeps_the_best(tmp_path, capsys):
    model = small_model()
    x, y = data(n=32)
    template = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    checkpoint = tk.callbacks.ModelCheckpoint(template, save_best_only=True, verbose=1)
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, shuffle=False, verbose=0,
                        callbacks=[checkpoint])
    val_losses = history.history["val_loss"]
    expected = [f"ckpt-{epoch + 1:02d}-{loss:.2f}.keras" for epoch, loss in enumerate(val_losses)
                if loss == min(val_losses[:epoch + 1])]
    assert sorted(os.listdir(tmp_path)) == expected
    assert checkpoint.best == min(val_losses)
    assert "val_loss improved from inf to" in capsys.readouterr().out
    best = tk.saving.load_model(tmp_path / expected[-1])
    assert best.optimizer.iterations == 3 * int(expected[-1][5:7])  # 24 training samples: 3 batches per epoch


def test_model_checkpoint_modes_and_weights_only_and_batches(tmp_path):
    assert tk.callbacks.ModelCheckpoint("a.keras", monitor="val_accuracy").mode == "max"
    assert tk.callbacks.ModelCheckpoint("a.keras", monitor="loss").mode == "min"
    with pytest.raises(ValueError, match="must end in .weights.h5"):
        tk.callbacks.ModelCheckpoint("a.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="must end in .keras or .h5"):
        tk.callbacks.ModelCheckpoint("a.weights", save_weights_only=False)
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        tk.callbacks.ModelCheckpoint("a.keras", mode="largest")
    with pytest.raises(ValueError, match="save_freq"):
        tk.callbacks.ModelCheckpoint("a.keras", save_freq="batch")
    model = small_model()
    x, y = data(n=32)
    every_epoch = tk.callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch}.weights.h5"), save_weights_only=True)
    every_two = tk.callbacks.ModelCheckpoint(str(tmp_path / "b-{epoch}-{batch}.keras"), save_freq=2)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[every_epoch, every_two])
    assert sorted(os.listdir(tmp_path)) == ["b-1-1.keras", "b-1-3.keras", "b-2-1.keras", "b-2-3.keras",
                                            "w-1.weights.h5", "w-2.weights.h5"]
    copy = small_model()
    copy.load_weights(tmp_path / "w-2.weights.h5")
    assert same_weights(copy, model)
    bad = tk.callbacks.ModelCheckpoint(str(tmp_path / "{val_acc}.keras"))
    with pytest.raises(KeyError, match="names 'val_acc', which is not in the logs"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[bad])


class Interrupt(tk.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt(f"stopped at epoch {epoch}")


def test_backup_and_restore_keeps_a_backup_after_an_interruption(tmp_path):
    x, y = data(n=32)
    model = small_model(dropout=False)
    backup = tk.callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0, callbacks=[backup, Interrupt(2)])
    assert sorted(os.listdir(tmp_path / "backup")) == ["latest.weights.h5", "training_metadata.json"]
    assert json.loads((tmp_path / "backup" / "training_metadata.json").read_text()) == {"epoch": 1}
    fresh = small_model(dropout=False)
    restorer = tk.callbacks.BackupAndRestore(tmp_path / "backup")
    restorer.set_model(fresh)
    restorer.on_train_begin()
    assert same_weights(fresh, model) and fresh.optimizer.iterations == 8 and fresh._initial_epoch == 2
    with pytest.raises(NotImplementedError, match="save_freq='epoch'"):
        tk.callbacks.BackupAndRestore(tmp_path, save_freq=3)


def test_backup_and_restore_resumes_fit_as_if_never_interrupted(tmp_path):
    x, y = data(n=32)
    straight = small_model(dropout=False)
    start = straight.get_weights()
    straight.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0)
    model = small_model(dropout=False)
    model.set_weights(start)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[tk.callbacks.BackupAndRestore(tmp_path), Interrupt(3)])
    history = model.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[tk.callbacks.BackupAndRestore(tmp_path)])
    assert history.epoch == [3, 4]
    assert same_weights(model, straight) and not os.listdir(tmp_path)


# ---------------------------------------------------------------- functional models (chapter 09)

def functional_model():
    inputs = tk.Input(shape=(3,), name="x")
    hidden = layers.Dense(4, activation="relu", name="hidden")(inputs)
    model = tk.Model(inputs, layers.Dense(2, name="out")(hidden))
    model.compile("adam", "mse")
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return model


def test_functional_model_round_trips_in_every_format(tmp_path):
    model = functional_model()
    x, y = data()
    model.save(tmp_path / "f.keras")
    copy = tk.saving.load_model(tmp_path / "f.keras")
    assert type(copy).__name__ == "Functional" and [layer.name for layer in copy.layers] == ["x", "hidden", "out"]
    assert same_weights(copy, model) and copy.optimizer.iterations == 4
    with h5py.File(io_bytes(tmp_path / "f.keras"), "r") as file:
        assert {"layers/input_layer/vars", "layers/dense/vars", "layers/dense_1/vars"} <= set(paths(file))
    quiet_legacy_save(model, tmp_path / "f.h5")
    assert same_weights(tk.saving.load_model(tmp_path / "f.h5"), model)
    model.save_weights(tmp_path / "f.weights.h5")
    clone = tk.models.clone_model(model)
    clone.load_weights(tmp_path / "f.weights.h5")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def io_bytes(path):
    import io

    return io.BytesIO(zipfile.ZipFile(path).read("model.weights.h5"))


def paths(file):
    found = []
    file.visit(found.append)
    return found


def test_functional_model_crosses_to_keras_both_ways(tmp_path, keras):
    model = functional_model()
    x, _ = data()
    model.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-6)
    assert int(theirs.optimizer.iterations) == 4
    theirs.save(tmp_path / "theirs.keras")
    back = tk.saving.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    quiet_legacy_save(model, tmp_path / "ours.h5")
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(tmp_path / "ours.h5").predict(x, verbose=0)),
                               model.predict(x, verbose=0), atol=1e-6)


# ---------------------------------------------------------------- the Keras saving guide, with teachkeras

def test_the_keras_saving_guide_runs_with_teachkeras(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    keras = tk

    @keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    @keras.saving.register_keras_serializable(package="MyLayers")
    class CustomLayer(keras.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    @keras.saving.register_keras_serializable(package="MyModels")
    class CustomModel(keras.Model):
        def __init__(self, hidden_units, **kwargs):
            super().__init__(**kwargs)
            self.hidden_units = hidden_units
            self.dense_layers = [keras.layers.Dense(u) for u in hidden_units]

        def call(self, inputs):
            x = inputs
            for layer in self.dense_layers:
                x = layer(x)
            return x

        def get_config(self):
            return {"hidden_units": self.hidden_units}

    model = CustomModel([16, 16, 10])
    input_data = np.random.default_rng(0).random((32, 32))
    pred = model(input_data)
    model.save("model.keras")
    reconstructed_model = keras.models.load_model("model.keras")
    np.testing.assert_allclose(pred, reconstructed_model(input_data))
    model.save_weights("model.weights.h5")
    with h5py.File("model.weights.h5", "r") as file:  # a list attribute: named by class, counted
        assert {"dense_layers/dense/vars", "dense_layers/dense_1/vars", "dense_layers/dense_2/vars"} <= set(paths(file))

    model = keras.Sequential([keras.Input((4,)), CustomLayer(0.5), keras.layers.Dense(3, activation=custom_fn)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).random((2, 4)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unbuilt optimizer's state loads without a warning
        model.save("custom_model.keras")
        reloaded = keras.models.load_model("custom_model.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert reloaded.layers[1].activation is custom_fn
    config = keras.saving.serialize_keras_object(CustomLayer(3.0))
    assert config["registered_name"] == "MyLayers>CustomLayer"
    assert keras.saving.deserialize_keras_object(config).factor == 3.0
    assert keras.saving.get_registered_object("my_package>custom_fn") is custom_fn
    json_config = model.to_json()
    new_model = keras.models.model_from_json(json_config)
    model.save_weights("custom.weights.h5")
    new_model.load_weights("custom.weights.h5")
    np.testing.assert_allclose(new_model.predict(x, verbose=0), model.predict(x, verbose=0))
    clone = keras.models.clone_model(model)
    assert [type(layer).__name__ for layer in clone.layers] == ["CustomLayer", "Dense"]
    assert clone.layers[0] is not model.layers[0] and clone.layers[0].factor == 0.5


# ---------------------------------------------------------------- every layer of the contract, through files

from test_layer_contract import CASES  # noqa: E402  (the one list of every public layer and an input for it)


def case_model(case):
    model = tk.Sequential([tk.Input(shape=case.input_shape[1:]), case.make()])
    return model, case.inputs(dtype="float32")


KERAS_CANNOT_READ = {"batch_normalization-two-axes": "Keras 3.15's BatchNormalization takes one axis only; "
                                                    "teachkeras' takes a list (its files stay teachkeras-only)"}
SEQUENTIAL_CASES = [case for case in CASES if type(case.make()).__name__ != "SplitInputs"]  # merge layers: see
# test_functional_model_crosses_to_keras_both_ways (they need several inputs, so a functional model)


@pytest.mark.parametrize("case", SEQUENTIAL_CASES, ids=[case.id for case in SEQUENTIAL_CASES])
def test_every_layer_round_trips_through_a_keras_file_and_through_keras(case, tmp_path, keras):
    model, x = case_model(case)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(tk.saving.load_model(tmp_path / "ours.keras").predict(x, verbose=0), expected,
                               rtol=1e-6, atol=1e-6)
    if case.id in KERAS_CANNOT_READ:
        pytest.skip(KERAS_CANNOT_READ[case.id])
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), expected, rtol=1e-4, atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = tk.saving.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_several_outputs_and_a_schedule_keep_their_compile_arguments(tmp_path, keras):
    x, _ = data()
    inputs = tk.Input(shape=(3,), name="x")
    hidden = layers.Dense(4, activation="relu")(inputs)
    model = tk.Model(inputs, [layers.Dense(1, name="y1")(hidden), layers.Dense(2, name="y2")(hidden)])
    model.compile("adam", loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], ["mse"]])
    targets = [x[:, :1], x[:, :2]]
    model.fit(x, targets, epochs=1, verbose=0)
    model.save(tmp_path / "two.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "two.keras").read("config.json"))["compile_config"]
    assert config["loss"] == ["mse", "mae"] and config["loss_weights"] == [1.0, 0.5]
    assert config["metrics"] == [["mae"], ["mse"]]
    copy = tk.saving.load_model(tmp_path / "two.keras")
    assert copy.evaluate(x, targets, verbose=0) == model.evaluate(x, targets, verbose=0)

    schedule = tk.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    model = small_model(tk.optimizers.SGD(schedule, momentum=0.9), dropout=False)
    model.fit(x, data()[1], epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "schedule.keras")
    with h5py.File(io_bytes(tmp_path / "schedule.keras"), "r") as file:
        assert len(file["optimizer/vars"]) == 1 + 4  # iteration, no learning-rate variable, one slot per weight
    copy = tk.saving.load_model(tmp_path / "schedule.keras")
    assert copy.optimizer.learning_rate_schedule.get_config() == schedule.get_config()
    assert copy.optimizer.iterations == 4
    theirs = keras.saving.load_model(tmp_path / "schedule.keras")
    assert int(theirs.optimizer.iterations) == 4
    assert isinstance(theirs.optimizer._learning_rate, keras.optimizers.schedules.ExponentialDecay)


def test_a_keras_2_model_file_loads_and_its_optimizer_state_is_dropped_with_a_warning(tmp_path):
    """A file as tf.keras 2 wrote it: ``batch_input_shape``, plain dtype strings, ``decay``, names with ``:0``."""
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=2).astype("float32")
    model_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "batch_input_shape": [None, 3],
                                           "dtype": "float32", "units": 2, "activation": "softmax", "use_bias": True,
                                           "kernel_initializer": {"class_name": "GlorotUniform",
                                                                  "config": {"seed": None}},
                                           "bias_initializer": {"class_name": "Zeros", "config": {}},
                                           "kernel_regularizer": None, "bias_regularizer": None,
                                           "activity_regularizer": None, "kernel_constraint": None,
                                           "bias_constraint": None}}]},
        "keras_version": "2.4.0", "backend": "tensorflow"}
    training_config = {"loss": "categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": None,
                       "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {
                           "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
                           "epsilon": 1e-07, "amsgrad": False}}}
    with h5py.File(tmp_path / "keras2.h5", "w") as file:
        file.attrs["keras_version"], file.attrs["backend"] = b"2.4.0", b"tensorflow"
        file.attrs["model_config"] = json.dumps(model_config).encode()
        file.attrs["training_config"] = json.dumps(training_config).encode()
        weights = file.create_group("model_weights")
        weights.attrs["layer_names"] = [b"dense"]
        group = weights.create_group("dense")
        group.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        group.create_dataset("dense/kernel:0", data=kernel)
        group.create_dataset("dense/bias:0", data=bias)
        optimizer = file.create_group("optimizer_weights")
        optimizer.attrs["weight_names"] = [b"Adam/iter:0"]
        optimizer.create_dataset("Adam/iter:0", data=np.int64(7))
    with pytest.warns(UserWarning, match="optimizer state in this file \\(written by Keras 2.4.0\\)"):
        model = tk.saving.load_model(tmp_path / "keras2.h5")
    assert np.array_equal(model.layers[0].get_weights()[0], kernel) and model.input_shape == (None, 3)
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.iterations == 0
    x = np.ones((2, 3), dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1.0, rtol=1e-6)


def test_a_model_trained_on_torch_tensors_saves_and_loads(tmp_path):
    torch = pytest.importorskip("torch")
    x, y = data()
    model = small_model(dropout=False)
    model.fit(torch.tensor(x), torch.tensor(y), epochs=1, batch_size=8, verbose=0)
    assert type(model.weights[0].value).__name__ == "Tensor"
    model.save(tmp_path / "torch.keras")
    copy = tk.saving.load_model(tmp_path / "torch.keras")  # a numpy model: files hold arrays, not tensors
    expected = np.asarray(model.predict(torch.tensor(x), verbose=0))
    np.testing.assert_allclose(copy.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    on_torch = small_model(dropout=False)
    on_torch.to("cpu")
    on_torch.load_weights(tmp_path / "torch.keras")
    assert type(on_torch.weights[0].value).__name__ == "Tensor"  # the weights stay where the model keeps them
    assert on_torch.optimizer.iterations == 2
    np.testing.assert_allclose(np.asarray(on_torch.predict(torch.tensor(x), verbose=0)), expected, rtol=1e-6, atol=1e-6)
    on_torch.fit(torch.tensor(x), torch.tensor(y), epochs=1, batch_size=8, verbose=0)  # slots on the same device
