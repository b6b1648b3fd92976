"""Callbacks: hook order and History against Keras 3, LambdaCallback, stopping, TerminateOnNaN, and the
progress bar's lines (verbose 1 and 2) against Keras' own output."""

import io
import math
import re

import numpy as np
import pytest

import teachkeras as tk
from teachkeras import callbacks
from teachkeras.utils import progbar
from teachkeras.backend import clear_session, set_random_seed

HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"]


def data(samples=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(samples, 3)).astype("float32"), rng.integers(0, 2, samples)


def twin_models(keras):
    """A teachkeras and a Keras classifier with the same weights, compiled alike."""
    clear_session()
    set_random_seed(7)  # the same starting weights every run, so the printed numbers are reproducible
    ours = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(2, activation="softmax")])
    ours.compile(optimizer=tk.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    theirs.set_weights(ours.get_weights())
    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return ours, theirs


def recorder(module, log):
    """A LambdaCallback whose functions have exactly the arities Keras documents: ``lambda logs``,
    ``lambda epoch, logs``, ``lambda batch, logs``. A hook called with fewer arguments (no logs)
    fails with a TypeError; each call records the hook, its index and the keys of its logs."""

    def keys(logs):
        return sorted(logs) if isinstance(logs, dict) else repr(logs)  # None or a non-dict shows as itself

    hooks = {}
    for name in HOOKS:
        if "epoch" in name:
            hooks[name] = lambda epoch, logs, name=name: log.append((name, epoch, keys(logs)))
        elif "batch" in name:
            hooks[name] = lambda batch, logs, name=name: log.append((name, batch, keys(logs)))
        else:
            hooks[name] = lambda logs, name=name: log.append((name, keys(logs)))
    callback = module.callbacks.LambdaCallback()
    for name, function in hooks.items():  # Keras' LambdaCallback names only six hooks as arguments
        setattr(callback, name, function)
    return callback


def test_hooks_get_logs_as_keras_passes_them():
    """No Keras needed: every hook gets a dict (on_train_end the last epoch's logs)."""
    model = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data()
    log = []
    model.fit(x, y, epochs=2, batch_size=8, validation_split=0.2, verbose=0, callbacks=[recorder(tk, log)])
    assert log[0] == ("on_train_begin", []) and log[1] == ("on_epoch_begin", 0, [])
    assert ("on_train_batch_begin", 0, []) in log
    assert log[-1] == ("on_train_end", ["accuracy", "loss", "val_accuracy", "val_loss"])
    seen = []
    callback = tk.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append((epoch, logs)))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])  # the Keras documentation's own example
    assert seen == [(0, {}), (1, {})]


def test_hooks_are_called_in_keras_order():
    keras = pytest.importorskip("keras")
    ours, theirs = twin_models(keras)
    x, y = data()
    logs = {"ours": [], "theirs": []}
    ours.fit(x, y, epochs=2, batch_size=8, validation_split=0.2, verbose=0, callbacks=[recorder(tk, logs["ours"])])
    theirs.fit(x, y, epochs=2, batch_size=8, validation_split=0.2, verbose=0,
               callbacks=[recorder(keras, logs["theirs"])])
    assert logs["ours"] == logs["theirs"]
    logs = {"ours": [], "theirs": []}
    ours.evaluate(x, y, batch_size=8, verbose=0, callbacks=[recorder(tk, logs["ours"])])
    theirs.evaluate(x, y, batch_size=8, verbose=0, callbacks=[recorder(keras, logs["theirs"])])
    assert logs["ours"] == logs["theirs"]
    logs = {"ours": [], "theirs": []}
    ours.predict(x, batch_size=8, verbose=0, callbacks=[recorder(tk, logs["ours"])])
    theirs.predict(x, batch_size=8, verbose=0, callbacks=[recorder(keras, logs["theirs"])])
    assert logs["ours"] == logs["theirs"]


def test_epoch_logs_given_to_callbacks_match_keras():
    keras = pytest.importorskip("keras")
    ours, theirs = twin_models(keras)
    x, y = data()
    seen = {"ours": [], "theirs": []}
    for name, model, module in [("ours", ours, tk), ("theirs", theirs, keras)]:
        record = module.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs, name=name: seen[name].append(logs))
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, validation_split=0.25, verbose=0, callbacks=[record])
    for ours_logs, theirs_logs in zip(seen["ours"], seen["theirs"]):
        assert list(ours_logs) == list(theirs_logs)
        for key in theirs_logs:
            assert ours_logs[key] == pytest.approx(float(theirs_logs[key]), rel=1e-5), key


def test_history_is_returned_and_kept_on_the_model():
    x, y = data()
    model = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert isinstance(history, callbacks.History) and model.history is history
    assert history.epoch == [0, 1, 2] and history.params == {"verbose": 0, "epochs": 3, "steps": 3}
    assert list(history.history) == ["accuracy", "loss"] and len(history.history["loss"]) == 3
    second = model.fit(x, y, epochs=1, verbose=0)
    assert second is not history and len(second.history["loss"]) == 1


def test_a_callback_can_stop_training_after_a_batch():
    x, y = data(40)
    model = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    batches = []

    def stop_at_third(batch, logs):
        batches.append(batch)
        if len(batches) == 3:
            model.stop_training = True

    history = model.fit(x, y, epochs=5, batch_size=4, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_train_batch_end=stop_at_third)])
    assert batches == [0, 1, 2] and history.epoch == [0]


def test_lambda_callback_refuses_unknown_hooks_and_non_functions():
    with pytest.raises(TypeError, match=r"unknown hook 'on_epoch_finish'"):
        callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match=r"on_epoch_end must be a function"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_callbacks_must_be_a_list_of_callbacks():
    with pytest.raises(ValueError, match="expected a list of Callback instances"):
        callbacks.CallbackList(callbacks.History())
    with pytest.raises(ValueError, match=r"received <built-in function print> of type builtin_function_or_method"):
        callbacks.CallbackList([print])


def test_terminate_on_nan_prints_keras_line_with_the_batch_index(capsys):
    model = tk.Sequential([tk.Input(shape=(1,)), tk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((12, 1), dtype="float32")
    y = np.where(np.arange(12) == 9, np.nan, 1.0).astype("float32")  # the 3rd batch (of 4) of epoch 1 is NaN
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"  # Keras' line, batch from 0
    assert history.epoch == [0] and math.isnan(history.history["loss"][0])
    keras = pytest.importorskip("keras")  # the same line from Keras itself
    theirs = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    theirs.compile(optimizer="sgd", loss="mse")
    theirs.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_terminate_on_nan_can_raise():
    model = tk.Sequential([tk.Input(shape=(1,)), tk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        model.fit(np.ones((4, 1)), np.full(4, np.nan), verbose=0, callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


# ---------------------------------------------------------------- the progress bar


ANSI = re.compile(r"\x1b\[[0-9;]*m")
DURATION = re.compile(r"\b\d+(\.\d+)?(s|ms|us)(/step)?\b")


def final_lines(text):
    """What a terminal shows at the end: each line's text after its last carriage return."""
    text = ANSI.sub("", text).replace("\b", "")
    lines = [line.split("\r")[-1].rstrip() for line in text.split("\n")]
    return [DURATION.sub("T", line) for line in lines if line]


@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("epochs", [1, 2])
def test_fit_output_has_keras_shape(capsys, verbose, epochs):
    keras = pytest.importorskip("keras")
    ours, theirs = twin_models(keras)
    x, y = data()
    kwargs = dict(epochs=epochs, batch_size=8, shuffle=False, validation_split=0.2, verbose=verbose)
    theirs.fit(x, y, **kwargs)
    expected = final_lines(capsys.readouterr().out)
    ours.fit(x, y, **kwargs)
    assert final_lines(capsys.readouterr().out) == expected
    if verbose == 1:
        assert expected[-1].startswith("2/2 " + "━" * 20 + " T T - accuracy: ")


@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("value", [0.0, -0.0, 1e-3, 1.0001e-3, -2e-3, -0.5, 4.2e-4, -4.2e-4, 0.25, 1234.56789,
                                   float("nan"), float("inf"), float("-inf")])
def test_logged_numbers_are_formatted_as_keras_formats_them(capsys, value, verbose):
    """Keras' bar (verbose=1) tests abs(value) > 1e-3, its summary line (verbose=2) value > 1e-3."""
    keras = pytest.importorskip("keras")
    keras.utils.Progbar(1, verbose=verbose).update(1, values=[("v", value)], finalize=True)
    theirs = final_lines(capsys.readouterr().out)[-1]  # verbose=1 writes '\r' and '\n' its own way
    stream = io.StringIO()
    progbar.Progbar(1, verbose=verbose, stream=stream).update(1, {"v": value}, finalize=True)
    ours = final_lines(stream.getvalue())[-1]
    assert theirs.endswith(" - v: " + progbar.format_value(value, verbose))
    assert ours == theirs


def test_evaluate_and_predict_output_has_keras_shape(capsys):
    keras = pytest.importorskip("keras")
    ours, theirs = twin_models(keras)
    x, y = data()
    theirs.evaluate(x, y, batch_size=8, verbose=1)
    theirs.predict(x, batch_size=8, verbose=1)
    expected = final_lines(capsys.readouterr().out)
    ours.evaluate(x, y, batch_size=8, verbose=1)
    ours.predict(x, batch_size=8, verbose=1)
    assert final_lines(capsys.readouterr().out) == expected


def test_progbar_redraws_in_place_when_interactive():
    stream = io.StringIO()
    bar = progbar.Progbar(target=4, stream=stream, interval=0.0)
    bar.dynamic = True
    for step in range(1, 5):
        bar.update(step, {"loss": 0.5})
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.count("\n") == 1 and text.endswith("\n")
    assert text.split("\r")[1].startswith("1/4 ━━━━━─────────────── ")
    assert text.split("\r")[-1].startswith("4/4 " + "━" * 20 + " ")


def test_progbar_throttles_redraws():
    stream = io.StringIO()
    bar = progbar.Progbar(target=1000, stream=stream, interval=60.0)
    bar.dynamic = True
    for step in range(1, 1001):
        bar.update(step, {"loss": 0.5})
    assert stream.getvalue().count("\r") == 2  # the first update, then the final one


def test_progbar_writes_only_final_lines_to_a_file():
    stream = io.StringIO()
    bar = progbar.Progbar(target=3, stream=stream, interval=0.0)
    for step in range(1, 4):
        bar.update(step, {"accuracy": 0.25, "loss": 0.00042})
    assert "\r" not in stream.getvalue()
    assert DURATION.sub("T", stream.getvalue()) == "3/3 " + "━" * 20 + " T T - accuracy: 0.2500 - loss: 4.2000e-04\n"


def test_progbar_verbose_2_line():
    stream = io.StringIO()
    bar = progbar.Progbar(target=5, stream=stream, verbose=2)
    for step in range(1, 6):
        bar.update(step, {"loss": 1.1179})
    assert DURATION.sub("T", stream.getvalue()) == "5/5 - T - T - loss: 1.1179\n"


def test_progbar_logger_rejects_verbose_0():
    with pytest.raises(ValueError, match="verbose must be 1 or 2, received 0"):
        callbacks.ProgbarLogger(0)


def test_keras_2_batch_hook_names_still_work():
    x, y = data(12)
    model = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []
    model.fit(x, y, batch_size=4, verbose=0,
              callbacks=[callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))])
    assert seen == [0, 1, 2]


def test_fit_without_epochs_to_run_still_returns_its_history():
    x, y = data(8)
    model = tk.Sequential([tk.Input(shape=(3,)), tk.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, initial_epoch=2, verbose=0)
    assert isinstance(history, callbacks.History) and history.epoch == [] and history.history == {}


def test_callback_list_takes_the_index_by_keyword_as_in_keras():
    seen = []

    class Recorder(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch_end", epoch, logs))

        def on_train_batch_end(self, batch, logs=None):
            seen.append(("train_batch_end", batch, logs))

        def on_test_batch_begin(self, batch, logs=None):
            seen.append(("test_batch_begin", batch, logs))

    hooks = callbacks.CallbackList([Recorder()])
    hooks.on_epoch_end(epoch=0, logs={})
    hooks.on_train_batch_end(batch=3, logs={"loss": 0.5})
    hooks.on_test_batch_begin(batch=1)
    hooks.on_epoch_end(1, {"loss": 0.25})
    assert seen == [("epoch_end", 0, {}), ("train_batch_end", 3, {"loss": 0.5}), ("test_batch_begin", 1, {}),
                    ("epoch_end", 1, {"loss": 0.25})]
    with pytest.raises(TypeError, match="epoch given twice"):
        hooks.on_epoch_end({}, epoch=0)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['batch'\]"):
        hooks.on_epoch_end(epoch=0, batch=1)
