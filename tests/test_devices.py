"""The torch path (chapter 12): the same training as the numpy path, data moved once, logs kept on the
device until read; and inputs that arrive in batches (DataLoader, PyDataset, generators)."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import teachkeras as keras  # noqa: E402
from teachkeras.models import data_adapter  # noqa: E402
from teachkeras.models.device_logs import BatchLogs, DeviceUpdates  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def classifier(device=None, metrics=("accuracy",), optimizer="sgd", seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=list(metrics))
    return model.to(device) if device else model


def convnet(device=None):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="categorical_crossentropy", metrics=["accuracy"])
    return model.to(device) if device else model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 100)
    x = (rng.normal(size=(3, 6))[y] + rng.normal(size=(100, 6))).astype("float32")
    return x, y


# ---------------------------------------------------------------- the torch path trains as the numpy path

@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_torch_path_gives_the_losses_of_the_numpy_path(data, optimizer):
    x, y = data
    histories, models = [], []
    for device in (None, "cpu"):
        model = classifier(device, optimizer=optimizer)
        histories.append(model.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_data=(x[:20], y[:20])).history)
        models.append(model)
    assert histories[0].keys() == histories[1].keys()
    for name in histories[0]:
        np.testing.assert_allclose(histories[0][name], histories[1][name], rtol=1e-5, atol=1e-6)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(models[0].evaluate(x, y, verbose=0), models[1].evaluate(x, y, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad", "adadelta", "nadam", "adamw"])
def test_a_model_moved_between_backends_mid_training_trains_on_as_if_it_had_stayed(data, optimizer):
    """The optimizer's slots follow their variables: numpy, then torch, then numpy again, as one run."""
    x, y = data
    stayed, moved = classifier(optimizer=optimizer), classifier(optimizer=optimizer)
    for device in ("cpu", None):
        stayed.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        moved.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        moved.to(device)
    stayed.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    moved.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert moved.optimizer.iterations == stayed.optimizer.iterations == 42
    for a, b in zip(stayed.get_weights(), moved.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_torch_path_convnet_gives_the_losses_of_the_numpy_path():
    rng = np.random.default_rng(1)
    x, y = rng.random((40, 8, 8, 1), dtype=np.float32), np.eye(3, dtype="float32")[rng.integers(0, 3, 40)]
    numpy_history = convnet().fit(x, y, batch_size=8, epochs=2, verbose=0).history
    torch_history = convnet("cpu").fit(x, y, batch_size=8, epochs=2, verbose=0).history
    np.testing.assert_allclose(numpy_history["loss"], torch_history["loss"], rtol=1e-5)


def test_predict_returns_numpy_on_the_torch_path(data):
    x, _ = data
    model = classifier("cpu")
    seen = []
    callback = keras.callbacks.LambdaCallback(on_predict_batch_end=lambda batch, logs: seen.append(logs["outputs"]))
    predictions = model.predict(x, batch_size=32, verbose=0, callbacks=[callback])
    assert isinstance(predictions, np.ndarray) and predictions.shape == (100, 3)
    assert all(torch.is_tensor(batch) for batch in seen), "per batch, Keras passes the backend's tensors"
    np.testing.assert_allclose(predictions, classifier().predict(x, verbose=0), atol=1e-6)


def test_arrays_go_to_the_device_once_per_fit(data, monkeypatch):
    x, y = data
    moved = []
    original = data_adapter.to_device
    monkeypatch.setattr(data_adapter, "to_device", lambda array, device, **kw: moved.append(array.shape) or original(array, device, **kw))
    classifier("cpu").fit(x, y, batch_size=10, epochs=2, verbose=0, validation_data=(x[:20], y[:20]))
    assert moved == [(100, 6), (100,), (20, 6), (20,)], "x, y, and the validation arrays, once each"
    moved.clear()
    classifier().fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert moved == [], "the numpy path converts nothing"


def test_resident_leaves_data_that_does_not_fit_on_the_host(monkeypatch):
    arrays = (np.zeros((4, 2), "float32"), np.zeros(4), None)
    monkeypatch.setattr(data_adapter, "fits_on_device", lambda nbytes, device: False)
    assert data_adapter.resident(arrays, "cuda") is arrays
    monkeypatch.undo()
    moved = data_adapter.resident(arrays, "cpu")
    assert torch.is_tensor(moved[0]) and torch.is_tensor(moved[1]) and moved[2] is None


# ---------------------------------------------------------------- logs read lazily

def test_batch_logs_are_filled_only_when_read(data):
    x, y = data
    seen = []

    class Peek(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs)
            if batch == 2:
                assert set(logs) == {"accuracy", "loss"}

    history = classifier("cpu").fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[Peek()])
    assert all(isinstance(logs, BatchLogs) for logs in seen)
    assert [dict.__len__(logs) > 0 for logs in seen] == [i == 2 for i in range(10)]
    assert seen[-1]["loss"] == history.history["loss"][0]


def test_numpy_path_batch_logs_are_plain_dicts(data):
    x, y = data
    seen = []
    callback = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(type(logs)))
    classifier().fit(x, y, batch_size=50, epochs=1, verbose=0, callbacks=[callback])
    assert seen == [dict, dict]


def test_batch_logs_behave_as_a_dict():
    logs = BatchLogs(lambda: {"b": 2.0, "a": 1.0})
    assert dict(logs) == {"b": 2.0, "a": 1.0} and json.loads(json.dumps(dict(logs))) == {"b": 2.0, "a": 1.0}
    assert {**BatchLogs(lambda: {"a": 1.0})} == {"a": 1.0}
    assert BatchLogs(lambda: {"a": 1.0}).get("a") == 1.0 and "a" in BatchLogs(lambda: {"a": 1.0})
    assert BatchLogs(lambda: {"a": 1.0}) == {"a": 1.0} and len(BatchLogs(lambda: {"a": 1.0})) == 1
    updated = BatchLogs(lambda: {"a": 1.0})
    updated["c"] = 3.0
    assert updated == {"a": 1.0, "c": 3.0}


def test_device_updates_copy_the_losses_once_and_find_a_nan():
    updates = DeviceUpdates()
    for value in (1.0, float("nan"), 2.0):
        updates.add(torch.tensor(value), torch.zeros(2), torch.zeros(2), None)
    seen = []
    updates.apply(lambda loss, *rest: seen.append(loss))
    assert seen[0] == 1.0 and np.isnan(seen[1]) and updates.non_finite[1] == 1 and not updates


def test_a_nan_loss_on_the_device_stops_training_and_names_the_batch(data):
    x, y = data
    x = x.copy()
    x[35] = np.nan
    model = classifier("cpu")
    with pytest.warns(RuntimeWarning, match=r"the loss became nan at epoch 1/3, batch 3 \(0-based"):
        history = model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0)
    assert model.stop_training and len(history.history["loss"]) == 1


def test_terminate_on_nan_on_the_torch_path(data, capsys):
    x, y = data
    x = x.copy()
    x[5] = np.inf
    history = classifier("cpu").fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0,
                                    callbacks=[keras.callbacks.TerminateOnNaN()])
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.history["loss"]) == 1


def test_progress_bar_on_the_torch_path(data, capsys):
    x, y = data
    classifier("cpu").fit(x, y, batch_size=10, epochs=1, verbose=2)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("10/10 - ") and "accuracy: " in line and "loss: " in line


# ---------------------------------------------------------------- DataLoader, PyDataset, generators

class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, weights=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size, self.weights = x, y, batch_size, weights
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.weights is None:
            return self.x[rows], self.y[rows]
        return self.x[rows], self.y[rows], self.weights[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def forever(x, y, batch_size):
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]


def loader(x, y, batch_size):
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                       batch_size=batch_size)


@pytest.mark.parametrize("device", [None, "cpu"])
@pytest.mark.parametrize("source", ["PyDataset", "PyDataset with 3 workers", "DataLoader", "generator"])
def test_batch_sources_train_as_the_arrays_do(data, device, source):
    x, y = data
    expected = classifier(device).fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0,
                                      validation_data=(x[:40], y[:40]))
    given = {"PyDataset": lambda: Batches(x, y, 20), "PyDataset with 3 workers": lambda: Batches(x, y, 20, workers=3),
             "DataLoader": lambda: loader(x, y, 20), "generator": lambda: forever(x, y, 20)}[source]()
    model = classifier(device)
    steps = {"steps_per_epoch": 5, "validation_steps": 2} if source == "generator" else {}
    history = model.fit(given, epochs=2, verbose=0, shuffle=False, validation_data=forever(x[:40], y[:40], 20) if steps else (x[:40], y[:40]),
                        **steps)
    assert model.device == device, "the weights stay where the model is"
    assert history.params["steps"] == 5
    for name in expected.history:
        np.testing.assert_allclose(history.history[name], expected.history[name], rtol=1e-6)


def test_py_dataset_hears_the_end_of_each_epoch_and_gives_sample_weights(data):
    x, y = data
    weights = np.linspace(0.5, 1.5, 100).astype("float32")
    dataset = Batches(x, y, 25, weights=weights)
    history = classifier().fit(dataset, epochs=3, shuffle=False, verbose=0)
    expected = classifier().fit(x, y, sample_weight=weights, batch_size=25, epochs=3, shuffle=False, verbose=0)
    assert dataset.epochs_ended == 3
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-6)


def test_class_weight_with_a_data_loader(data):
    x, y = data
    weights = {0: 1.0, 1: 2.0, 2: 0.5}
    history = classifier().fit(loader(x, y, 25), class_weight=weights, epochs=2, verbose=0)
    expected = classifier().fit(x, y, class_weight=weights, batch_size=25, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-6)


def test_steps_per_epoch_limits_arrays_and_loaders(data):
    x, y = data
    assert classifier().fit(x, y, batch_size=10, steps_per_epoch=3, verbose=0).params["steps"] == 3
    model = classifier()
    seen = []
    callback = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(loader(x, y, 10), steps_per_epoch=4, epochs=2, verbose=0, callbacks=[callback])
    assert seen == [0, 1, 2, 3] * 2


def test_a_generator_without_steps_is_one_pass_then_runs_dry(data):
    x, y = data
    batches = ((x[i:i + 25], y[i:i + 25]) for i in range(0, 100, 25))
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        history = classifier().fit(batches, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1 and history.params["steps"] is None


def test_a_generator_that_ends_early_stops_training(data):
    x, y = data
    batches = ((x[i:i + 10], y[i:i + 10]) for i in range(0, 100, 10))
    with pytest.warns(UserWarning, match=r"at least `steps_per_epoch \* epochs` batches \(here steps_per_epoch=4\)"):
        history = classifier().fit(batches, steps_per_epoch=4, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 3


def test_evaluate_and_predict_take_sources(data):
    x, y = data
    model = classifier("cpu")
    expected = model.evaluate(x[:40], y[:40], batch_size=20, verbose=0)
    np.testing.assert_allclose(model.evaluate(forever(x, y, 20), steps=2, verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(Batches(x[:40], y[:40], 20), verbose=0), expected, rtol=1e-6)
    predictions = model.predict(loader(x, y, 30), verbose=0)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (100, 3)
    assert model.predict(forever(x, y, 30), steps=2, verbose=0).shape == (60, 3)


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: m.fit(loader(x, y, 10), y=y), r"fit: x is a DataLoader, whose batches hold the targets and "
                                                   r"weights; do not pass y \(received ndarray\)"),
    (lambda m, x, y: m.fit(forever(x, y, 10), steps_per_epoch=2, validation_split=0.2),
     "fit: validation_split is only supported for arrays, received a generator"),
    (lambda m, x, y: m.fit(forever(x, y, 10), steps_per_epoch=0),
     "fit: steps_per_epoch must be a positive integer or None, received steps_per_epoch=0"),
    (lambda m, x, y: m.fit(forever(x, y, 10), steps_per_epoch=1, validation_data=forever(x, y, 10),
                           validation_steps=-1),
     "fit: validation_steps must be a positive integer or None, received validation_steps=-1"),
    (lambda m, x, y: m.fit(iter([(x[:5], y[:5], None, None)]), verbose=0),
     r"fit: each batch of the generator must be \(x,\), \(x, y\) or \(x, y, sample_weight\), received a tuple of 4"),
    (lambda m, x, y: m.fit(iter([(x[:5],)]), verbose=0), "fit: the generator gave a batch without targets"),
    (lambda m, x, y: m.evaluate(forever(x, y, 10), steps=1.5),
     "evaluate: steps must be a positive integer or None, received steps=1.5"),
])
def test_bad_source_arguments_are_named(data, call, message):
    x, y = data
    with pytest.raises(ValueError, match=message):
        call(classifier(), x, y)


@pytest.mark.parametrize("arguments, message", [
    ({"workers": 0}, "PyDataset: workers must be a positive integer, received workers=0"),
    ({"max_queue_size": True}, "PyDataset: max_queue_size must be a positive integer, received max_queue_size=True"),
])
def test_py_dataset_checks_its_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        keras.utils.PyDataset(**arguments)


def test_py_dataset_without_getitem_says_what_to_define():
    class Empty(keras.utils.PyDataset):
        def __len__(self):
            return 1

    with pytest.raises(NotImplementedError, match=r"Empty must define __getitem__\(index\)"):
        classifier().fit(Empty(), verbose=0)


def test_py_dataset_has_keras_attributes(keras):
    ours, theirs = keras_attributes(keras_module=keras)
    assert ours == theirs


def keras_attributes(keras_module):
    class Ours(keras_module.utils.PyDataset):
        pass

    def describe(dataset):
        return dataset.workers, dataset.use_multiprocessing, dataset.max_queue_size

    mine = keras.utils.PyDataset(workers=3, use_multiprocessing=True, max_queue_size=7)
    return describe(mine), describe(Ours(workers=3, use_multiprocessing=True, max_queue_size=7))


def test_generator_steps_match_keras(keras, data):
    """Keras' History.params for a generator with steps_per_epoch, beside ours."""
    x, y = data
    oracle = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(3, activation="softmax")])
    oracle.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras: "`shuffle=True` was passed, but will be ignored ..."
        theirs = oracle.fit(forever(x, y, 20), steps_per_epoch=3, epochs=2, verbose=0)
    ours = classifier().fit(forever(x, y, 20), steps_per_epoch=3, epochs=2, verbose=0)
    assert ours.params["steps"] == theirs.params["steps"] == 3
    assert len(ours.history["loss"]) == len(theirs.history["loss"]) == 2


# ---------------------------------------------------------------- the device check script

def test_device_check_cpu_part_runs():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import device_check
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert device_check.main(["--cpu-only", "--samples", "512", "--epochs", "1"]) == 0


def test_torch_path_benchmark_runs(capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_torch_path
        assert bench_torch_path.main(["--samples", "512", "--conv-samples", "256", "--epochs", "1",
                                      "--skip-distributed"]) == 0
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = capsys.readouterr().out
    assert "MLP, 512 samples on cpu" in out and "convnet, 256 samples on cpu" in out and "ratio teachkeras / torch" in out


def test_device_twins_of_the_torch_path_benchmark_train_as_the_benchmarks_twins():
    """bench_torch_path's twins on a device (what tools/device_check.py times beside fit) start from
    the same weights as bench_mlp's and bench_convnet's, and take the same steps."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_convnet
        import bench_mlp
        import bench_torch_path
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    images, one_hot, labels = bench_torch_path.data(256, seed=5, image=True)
    weights = bench_convnet.teachkeras_model(0).get_weights()
    reference = bench_convnet.torch_trainer(0, weights).train(images, one_hot, bench_torch_path.BATCH_SIZE)[0]
    twin = bench_torch_path.torch_convnet_epoch(weights, "cpu")
    loss = twin(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels))
    assert loss == pytest.approx(reference, rel=1e-4)
    x, _, labels = bench_torch_path.data(256, seed=6)
    weights = bench_mlp.teachkeras_model("rmsprop", 0).get_weights()
    reference = bench_mlp.torch_trainer(weights, "rmsprop", 7)(torch.from_numpy(x), torch.from_numpy(labels))[0]
    loss = bench_torch_path.torch_mlp_epoch(weights, "cpu", seed=7)(torch.from_numpy(x), torch.from_numpy(labels))
    assert loss == pytest.approx(reference, rel=1e-4)
    with pytest.raises(ValueError, match="2 weights for 2 Conv2d and Linear layers"):
        bench_torch_path.load_keras_weights(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)),
                                            weights[:2])


def test_device_check_help_and_bad_arguments():
    script = ROOT / "tools" / "device_check.py"
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--cpu-only" in result.stdout and "(default 60,000)" in result.stdout
    result = subprocess.run([sys.executable, str(script), "--epochs", "0"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--epochs must be a positive integer, received 0" in result.stderr


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_a_torch_path_step_never_reads_a_tensor_back_to_the_host(data, monkeypatch, optimizer):
    """No .item(), float(tensor), bool(tensor), .numpy() or .tolist() inside a train step: on a GPU
    each would make the host wait for the device (the metrics are read when the logs are)."""
    x, y = data
    model = classifier("cpu", optimizer=optimizer)
    inside, reads = [False], []
    for name in ("item", "__float__", "__bool__", "__int__", "numpy", "tolist"):
        original = getattr(torch.Tensor, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            if inside[0]:
                reads.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, spy)
    train_step = model._train_step

    def watched(*args, **kwargs):
        inside[0] = True
        try:
            return train_step(*args, **kwargs)
        finally:
            inside[0] = False

    monkeypatch.setattr(model, "_train_step", watched)
    history = model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    assert reads == [] and len(history.history["loss"]) == 2


def test_device_check_data_parallel_part_runs_over_gloo():
    """The script's 2-process check, with gloo and the CPU in place of NCCL and two GPUs."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import device_check
    finally:
        sys.path.remove(str(ROOT / "tools"))
    arguments = device_check.parse_arguments(["--samples", "1024"])
    assert device_check.check_data_parallel(arguments, backend="gloo", device="cpu") is True


@pytest.mark.parametrize("source", ["PyDataset", "DataLoader", "generator"])
@pytest.mark.parametrize("device", [None, "cpu"])
def test_batch_sources_give_keras_history(keras, data, source, device):
    """The same weights, the same batches: Keras' fit on the same source, epoch by epoch."""
    x, y = data
    model = classifier(device, optimizer="sgd")
    twin = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])
    twin.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin.set_weights(model.get_weights())

    class KerasBatches(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def __len__(self):
            return 5

        def __getitem__(self, index):
            return x[index * 20:(index + 1) * 20], y[index * 20:(index + 1) * 20]

    def make(framework):
        if source == "PyDataset":
            return Batches(x, y, 20) if framework == "ours" else KerasBatches()
        if source == "DataLoader":
            return loader(x, y, 20)
        return forever(x, y, 20)

    steps = {"steps_per_epoch": 5} if source == "generator" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras: "`shuffle=True` was passed, but will be ignored ..."
        theirs = twin.fit(make("keras"), epochs=3, verbose=0, shuffle=False, **steps).history
    ours = model.fit(make("ours"), epochs=3, verbose=0, shuffle=False, **steps).history
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-5, atol=1e-6)


def test_fit_shuffles_the_batches_of_a_py_dataset_as_keras_does(data):
    """Keras 3 reads a PyDataset's batches in a new order each epoch when shuffle=True (fit's
    default); here the order comes from fit's seeded generator, so set_random_seed repeats it."""
    x, y = data

    class Recording(Batches):
        def __getitem__(self, index):
            self.read.append(index)
            return super().__getitem__(index)

    orders = []
    for _ in range(2):
        dataset = Recording(x, y, 10)
        dataset.read = []
        keras.utils.set_random_seed(5)
        classifier().fit(dataset, epochs=2, verbose=0)
        orders.append(dataset.read)
    assert orders[0] == orders[1], "the same seed, the same order"
    first, second = orders[0][:10], orders[0][10:]
    assert sorted(first) == sorted(second) == list(range(10)) and first != second != list(range(10))
    dataset = Recording(x, y, 10)
    dataset.read = []
    classifier().evaluate(dataset, verbose=0)
    assert dataset.read == list(range(10)), "evaluate reads in order"
