"""Chapter 11's callbacks (EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, LivePlot):
their decisions against real Keras 3, fed the same logs or trained from the same weights on the same
data, and their errors for bad input."""

import csv
import math
import os
import warnings

import numpy as np
import pytest

import teachkeras as tk
from teachkeras import callbacks
from teachkeras.backend import clear_session, set_random_seed


# ---------------------------------------------------------------- helpers

class FakeModel:
    """What the callbacks touch: stop_training, weights, the optimizer and the compiled metrics."""

    def __init__(self, optimizer=None):
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.optimizer = optimizer
        self.metrics = []

    def get_weights(self):
        return [np.array(weight) for weight in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(weight) for weight in weights]


def curves(count, epochs=25, seed=0):
    """Noisy validation curves with plateaus and repeated values, so ties and min_delta matter."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        trend = np.cumsum(rng.choice([-0.05, 0.0, 0.0, 0.02, 0.01], size=epochs)) + 1.0
        noise = np.round(rng.normal(scale=0.01, size=epochs), 2) * rng.integers(0, 2, size=epochs)
        yield [float(value) for value in np.round(trend + noise, 3)]


def run_early_stopping(callback, model, values, monitor):
    """Feed one value per epoch; each epoch's weights are [epoch, epoch]. Returns the epochs run."""
    callback.set_model(model)
    callback.on_train_begin({})
    ran = 0
    for epoch, value in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_end(epoch, {monitor: value})
        ran += 1
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran


def data(samples=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, 5)).astype("float32")
    y = (x[:, 0] - x[:, 1] + rng.normal(scale=1.0, size=samples) > 0).astype("float32")
    return x, y


def twin_models(keras, learning_rate=0.05):
    """A teachkeras and a Keras binary classifier with the same weights, compiled alike (SGD)."""
    clear_session()
    set_random_seed(3)
    ours = tk.Sequential([tk.Input(shape=(5,)), tk.layers.Dense(16, activation="relu"),
                          tk.layers.Dense(1, activation="sigmoid")])
    ours.compile(optimizer=tk.optimizers.SGD(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    theirs = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(16, activation="relu"),
                               keras.layers.Dense(1, activation="sigmoid")])
    theirs.set_weights(ours.get_weights())
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    return ours, theirs


# ---------------------------------------------------------------- EarlyStopping

EARLY_STOPPING_CASES = [
    dict(patience=0), dict(patience=2), dict(patience=3, min_delta=0.02), dict(patience=2, baseline=0.9),
    dict(patience=2, restore_best_weights=True), dict(patience=1, start_from_epoch=4, restore_best_weights=True),
    dict(patience=4, mode="max"), dict(patience=2, min_delta=-0.01, restore_best_weights=True),
]


@pytest.mark.parametrize("arguments", EARLY_STOPPING_CASES, ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items()))
def test_early_stopping_decides_as_keras_on_the_same_logs(keras, arguments):
    arguments = {"mode": "min", **arguments}
    for values in curves(30):
        ours, theirs = callbacks.EarlyStopping(monitor="val_loss", **arguments), \
            keras.callbacks.EarlyStopping(monitor="val_loss", **arguments)
        our_model, their_model = FakeModel(), FakeModel()
        ran = run_early_stopping(ours, our_model, values, "val_loss")
        assert ran == run_early_stopping(theirs, their_model, values, "val_loss"), values
        assert ours.stopped_epoch == theirs.stopped_epoch
        assert ours.best_epoch == theirs.best_epoch and ours.wait == theirs.wait
        np.testing.assert_array_equal(our_model.weights[0], their_model.weights[0])


def test_early_stopping_flat_loss_stops_after_three_epochs_with_patience_two():
    """KERAS_FACTS: a flat loss with patience 2 stops after 3 epochs (stopped_epoch 2)."""
    callback, model = callbacks.EarlyStopping(monitor="loss", patience=2), FakeModel()
    assert run_early_stopping(callback, model, [0.5] * 10, "loss") == 3 and callback.stopped_epoch == 2


def test_early_stopping_in_fit_matches_keras_epoch_and_restored_weights(keras, capsys):
    x, y = data(96)
    x_val, y_val = data(64, seed=1)
    ours, theirs = twin_models(keras, learning_rate=0.5)
    histories, stoppers = [], []
    for model, module in ((ours, tk), (theirs, keras)):
        stopper = module.callbacks.EarlyStopping(patience=3, restore_best_weights=True, verbose=1)
        histories.append(model.fit(x, y, epochs=40, batch_size=16, shuffle=False, validation_data=(x_val, y_val),
                                   verbose=0, callbacks=[stopper]).history)
        stoppers.append(stopper)
    assert stoppers[0].stopped_epoch == stoppers[1].stopped_epoch > 0
    assert stoppers[0].best_epoch == stoppers[1].best_epoch
    assert len(histories[0]["loss"]) == len(histories[1]["loss"])
    np.testing.assert_allclose(histories[0]["val_loss"], histories[1]["val_loss"], rtol=1e-4)
    for mine, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, theirs_weight, rtol=1e-4, atol=1e-5)
    printed = capsys.readouterr().out
    assert f"Epoch {stoppers[0].stopped_epoch + 1}: early stopping" in printed
    assert f"Restoring model weights from the end of the best epoch: {stoppers[0].best_epoch + 1}." in printed


def test_early_stopping_warns_naming_the_logged_metrics_when_the_monitor_is_missing():
    x, y = data()
    model = tk.Sequential([tk.Input(shape=(5,)), tk.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available\. Available metrics are: accuracy, loss"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping(mode="min")])


def test_early_stopping_auto_mode_follows_the_metric_direction():
    x, y = data()
    model = tk.Sequential([tk.Input(shape=(5,)), tk.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "mae", "auc"])
    directions = {}
    for monitor in ("val_loss", "accuracy", "val_mae", "auc"):
        stopper = callbacks.EarlyStopping(monitor=monitor)
        model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[stopper])
        directions[monitor] = "up" if stopper.monitor_op(1.0, 0.0) else "down"
    assert directions == {"val_loss": "down", "accuracy": "up", "val_mae": "down", "auc": "up"}
    with pytest.raises(ValueError, match=r"monitor='val_acc'.*the model's metrics are \['loss', 'accuracy'"):
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping(monitor="val_acc")])


@pytest.mark.parametrize("arguments, message", [
    (dict(patience=-1), "patience must be an integer >= 0, received patience=-1"),
    (dict(patience=1.5), "patience must be an integer >= 0, received patience=1.5"),
    (dict(start_from_epoch=-2), "start_from_epoch must be an integer >= 0"),
    (dict(mode="lowest"), r"mode must be one of \['auto', 'min', 'max'\], received mode='lowest'"),
    (dict(min_delta="0.1"), "min_delta must be a number"),
    (dict(baseline="low"), "baseline must be a number or None"),
    (dict(monitor=None), "monitor must be the name of a logged quantity"),
])
def test_early_stopping_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        callbacks.EarlyStopping(**arguments)


# ---------------------------------------------------------------- ReduceLROnPlateau

PLATEAU_CASES = [
    dict(), dict(factor=0.5, patience=2), dict(factor=0.5, patience=1, cooldown=2),
    dict(factor=0.2, patience=0, min_lr=0.003), dict(factor=0.5, patience=2, min_delta=0.03),
    dict(factor=0.5, patience=3, mode="max", cooldown=1),
]


@pytest.mark.parametrize("arguments", PLATEAU_CASES,
                         ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items()) or "defaults")
def test_reduce_lr_on_plateau_sets_the_learning_rates_keras_sets(keras, arguments):
    arguments = {"mode": "min", **arguments, "patience": arguments.get("patience", 3)}
    for values in curves(20, epochs=40, seed=1):
        rates = []
        for module in (tk, keras):
            callback = module.callbacks.ReduceLROnPlateau(monitor="val_loss", **arguments)
            callback.set_model(FakeModel(module.optimizers.SGD(learning_rate=0.1)))
            callback.on_train_begin({})
            logged = []
            for epoch, value in enumerate(values):
                logs = {"val_loss": value}
                callback.on_epoch_end(epoch, logs)
                logged.append(logs["learning_rate"])
            rates.append(logged)
        np.testing.assert_allclose(rates[0], rates[1], rtol=1e-6)  # Keras keeps the rate in float32


def test_reduce_lr_on_plateau_in_fit_logs_learning_rate_as_keras(keras, capsys):
    x, y = data(96)
    x_val, y_val = data(64, seed=1)
    ours, theirs = twin_models(keras, learning_rate=0.5)
    histories = []
    for model, module in ((ours, tk), (theirs, keras)):
        plateau = module.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.02, min_lr=0.05, verbose=1)
        histories.append(model.fit(x, y, epochs=15, batch_size=16, shuffle=False, validation_data=(x_val, y_val),
                                   verbose=0, callbacks=[plateau]).history)
    assert sorted(histories[0]) == sorted(histories[1])  # learning_rate is in History
    np.testing.assert_allclose(histories[0]["learning_rate"], histories[1]["learning_rate"], rtol=1e-6)
    np.testing.assert_allclose(histories[0]["val_loss"], histories[1]["val_loss"], rtol=1e-4)
    assert len(set(histories[0]["learning_rate"])) >= 3
    assert "ReduceLROnPlateau reducing learning rate to 0.25." in capsys.readouterr().out


def test_reduce_lr_on_plateau_warns_naming_the_logged_metrics():
    callback = callbacks.ReduceLROnPlateau(monitor="val_auc", mode="max")
    callback.set_model(FakeModel(tk.optimizers.SGD(0.1)))
    callback.on_train_begin({})
    with pytest.warns(UserWarning, match=r"`val_auc` which is not available\. Available metrics are: loss, "
                                         r"learning_rate"):
        callback.on_epoch_end(0, {"loss": 0.3})


@pytest.mark.parametrize("arguments, message", [
    (dict(factor=1.0), r"factor must be < 1 .*received factor=1\.0"),
    (dict(factor=2), "factor must be < 1"),
    (dict(factor=0), r"factor must be a number in \(0, 1\), received factor=0"),
    (dict(factor=-0.5), r"factor must be a number in \(0, 1\)"),
    (dict(patience=-3), "patience must be an integer >= 0, received patience=-3"),
    (dict(patience=2.5), "patience must be an integer >= 0"),
    (dict(cooldown=-1), "cooldown must be an integer >= 0"),
    (dict(min_lr=-0.1), "min_lr must be a number >= 0"),
    (dict(mode="up"), "mode must be one of"),
])
def test_reduce_lr_on_plateau_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        callbacks.ReduceLROnPlateau(**arguments)


def test_reduce_lr_on_plateau_names_keras_2_epsilon():
    with pytest.raises(TypeError, match="renamed `min_delta`"):
        callbacks.ReduceLROnPlateau(epsilon=1e-4)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['patient'\]"):
        callbacks.ReduceLROnPlateau(patient=3)


# ---------------------------------------------------------------- LearningRateScheduler

@pytest.mark.parametrize("schedule", [
    lambda epoch: 0.1 * 0.5 ** epoch,
    lambda epoch, lr: lr * 0.9 if epoch else 0.2,
])
def test_learning_rate_scheduler_sets_and_logs_the_rates_keras_sets(keras, schedule, capsys):
    x, y = data()
    ours, theirs = twin_models(keras)
    histories = []
    for model, module in ((ours, tk), (theirs, keras)):
        histories.append(model.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0,
                                   callbacks=[module.callbacks.LearningRateScheduler(schedule, verbose=1)]).history)
        printed = capsys.readouterr().out
        assert "Epoch 2: LearningRateScheduler setting learning rate to" in printed
    np.testing.assert_allclose(histories[0]["learning_rate"], histories[1]["learning_rate"], rtol=1e-6)
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-4)


def test_learning_rate_scheduler_bad_input():
    with pytest.raises(ValueError, match="schedule must be a function"):
        callbacks.LearningRateScheduler(0.1)
    callback = callbacks.LearningRateScheduler(lambda epoch: "0.1")
    callback.set_model(FakeModel(tk.optimizers.SGD(0.1)))
    with pytest.raises(ValueError, match=r"must return a float, returned '0.1' at epoch 0"):
        callback.on_epoch_begin(0, {})


# ---------------------------------------------------------------- CSVLogger

LOGS = [{"accuracy": 0.5, "loss": 0.6931471824645996, "val_accuracy": 0.25, "val_loss": 0.75},
        {"accuracy": 0.625, "loss": 0.5, "val_accuracy": 0.5, "val_loss": np.float32(0.6)},
        {"accuracy": 0.75, "loss": 0.25, "val_accuracy": 0.5, "val_loss": 0.55}]


def write_log(module, path, logs, **arguments):
    callback = module.callbacks.CSVLogger(str(path), **arguments)
    callback.on_train_begin({})
    for epoch, epoch_logs in enumerate(logs):
        callback.on_epoch_end(epoch, dict(epoch_logs))
    callback.on_train_end({})


TRAINING_ONLY = [{key: value for key, value in epoch.items() if not key.startswith("val_")} for epoch in LOGS]


@pytest.mark.parametrize("arguments", [dict(), dict(separator=";")])
@pytest.mark.parametrize("logs", [LOGS, TRAINING_ONLY, [{"loss": 0.5, "ids": [1, 2]}]],
                         ids=["with_val", "no_val_columns_NA", "list"])
def test_csv_logger_writes_the_bytes_keras_writes(keras, tmp_path, arguments, logs):
    write_log(tk, tmp_path / "ours.csv", logs, **arguments)
    write_log(keras, tmp_path / "theirs.csv", logs, **arguments)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "theirs.csv").read_bytes()


def test_csv_logger_append_adds_rows_without_a_second_header_as_keras(keras, tmp_path):
    for module, name in ((tk, "ours.csv"), (keras, "theirs.csv")):
        write_log(module, tmp_path / name, LOGS[:2])
        write_log(module, tmp_path / name, LOGS[2:], append=True)
    ours = (tmp_path / "ours.csv").read_bytes()
    assert ours == (tmp_path / "theirs.csv").read_bytes() and ours.count(b"epoch") == 1


def test_csv_logger_in_fit_matches_history_and_keras_layout(keras, tmp_path):
    x, y = data()
    ours, theirs = twin_models(keras)
    for model, module, name in ((ours, tk, "ours.csv"), (theirs, keras, "theirs.csv")):
        history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, validation_split=0.25, verbose=0,
                            callbacks=[module.callbacks.CSVLogger(str(tmp_path / name))])
        with open(tmp_path / name, newline="") as file:
            rows = list(csv.DictReader(file))
        assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
        for key, values in history.history.items():
            np.testing.assert_allclose([float(row[key]) for row in rows], values, rtol=1e-6)
    assert (tmp_path / "ours.csv").read_text().splitlines()[0] == (tmp_path / "theirs.csv").read_text().splitlines()[0]


def test_csv_logger_rows_are_complete_after_each_epoch_and_no_temporary_file_is_left(tmp_path):
    path = tmp_path / "log.csv"
    callback = callbacks.CSVLogger(str(path))
    callback.on_train_begin({})
    for epoch, logs in enumerate(LOGS):
        callback.on_epoch_end(epoch, dict(logs))
        assert len(path.read_text().splitlines()) == epoch + 2  # header + the rows so far, on disk now
    assert sorted(os.listdir(tmp_path)) == ["log.csv"]


def test_csv_logger_unwritable_path_fails_when_fit_starts(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    x, y = data()
    model = tk.Sequential([tk.Input(shape=(5,)), tk.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    weights = [np.array(w) for w in model.get_weights()]
    with pytest.raises(OSError, match=r"CSVLogger: cannot write the log file filename='.*a_file/log\.csv'"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(str(blocker / "log.csv"))])
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)  # no training happened


@pytest.mark.parametrize("arguments, message", [
    (dict(filename=3), "filename must be a path, received filename=3"),
    (dict(filename="x.csv", separator=";;"), "separator must be one character"),
])
def test_csv_logger_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        callbacks.CSVLogger(**arguments)


# ---------------------------------------------------------------- LivePlot

def test_live_plot_draws_one_panel_per_quantity_with_the_logged_values():
    x, y = data()
    model = tk.Sequential([tk.Input(shape=(5,)), tk.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    live = callbacks.LivePlot(every=2)
    history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[live])
    titles = [axis.get_title() for axis in live.figure.axes]
    assert titles == ["accuracy", "loss"]
    training, validation = live.figure.axes[1].lines
    np.testing.assert_allclose(training.get_ydata(), history.history["loss"])
    np.testing.assert_allclose(validation.get_ydata(), history.history["val_loss"])
    assert list(training.get_xdata()) == [1, 2, 3]
    only_loss = callbacks.LivePlot(metrics="loss")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[only_loss])
    assert [axis.get_title() for axis in only_loss.figure.axes] == ["loss"]


def test_live_plot_updates_one_display_in_ipython(monkeypatch):
    import IPython
    import IPython.display

    shown, updated = [], []

    class Handle:
        def update(self, picture):
            updated.append(picture)

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda picture, display_id: shown.append(picture) or Handle())
    live = callbacks.LivePlot()
    live.on_train_begin({})
    for epoch in range(3):
        live.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    live.on_train_end({})
    assert len(shown) == 1 and len(updated) == 3  # two more epochs and the final picture
    assert updated[-1].data.startswith(b"\x89PNG")


@pytest.mark.parametrize("arguments, message", [
    (dict(every=0), "every must be an integer >= 1, received every=0"),
    (dict(every=True), "every must be an integer >= 1"),
    (dict(metrics=[1]), "metrics must be a list of logged names"),
])
def test_live_plot_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        callbacks.LivePlot(**arguments)


def test_callbacks_are_exported_under_keras_names():
    for name in ("EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "LivePlot"):
        assert name in callbacks.__all__ and isinstance(getattr(callbacks, name)(
            **({"schedule": lambda e: 0.1} if name == "LearningRateScheduler" else
               {"filename": "x.csv"} if name == "CSVLogger" else {})), callbacks.Callback)
