"""Data-parallel training (chapter 12): DistributedSampler's rows, the launcher, and two processes over
gloo that end with the weights of one process with the whole batch."""

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import teachkeras as keras  # noqa: E402
from teachkeras import distribute  # noqa: E402
from teachkeras.distribute import DataParallel, LaunchError, ShardedData, launch, shard_rows  # noqa: E402

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@pytest.fixture(autouse=True)
def _alone(monkeypatch):
    """The test process itself is never part of a launch."""
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- the rows of each rank

def test_shard_rows_matches_torch_distributed_sampler_without_shuffling():
    from torch.utils.data import DistributedSampler

    for samples, world_size in [(10, 2), (11, 3), (5, 4)]:
        for rank in range(world_size):
            sampler = DistributedSampler(range(samples), num_replicas=world_size, rank=rank, shuffle=False)
            assert list(shard_rows(samples, rank, world_size, shuffle=False)) == list(sampler)


def test_shard_rows_is_shared_by_the_ranks_and_changes_with_the_epoch():
    shards = [shard_rows(12, rank, 3, epoch=2, seed=5) for rank in range(3)]
    assert sorted(np.concatenate(shards)) == list(range(12))
    assert not np.array_equal(shard_rows(12, 0, 3, epoch=3, seed=5), shards[0])


def test_sharded_data_batches_and_epochs():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    data = ShardedData((x, y), batch_size=4, rank=1, world_size=2, shuffle=False)
    assert len(data) == 3 and data.local_batch_size == 2
    assert list(data[0][1]) == [1, 3] and list(data[2][1]) == [9]
    data.on_epoch_end()
    assert data.epoch == 1


def test_sharded_data_refuses_a_batch_that_does_not_split():
    with pytest.raises(ValueError, match=r"batch_size=5 must be a multiple of the number of processes \(2\)"):
        ShardedData((np.zeros((4, 1)), np.zeros(4)), batch_size=5, rank=0, world_size=2)


def test_alone_data_parallel_is_plain_fit_with_the_shared_order():
    """A process started without a launcher is a world of one: DataParallel trains as fit does
    on the same shuffled rows (the order of shard_rows)."""
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    models = []
    for _ in range(2):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        models.append(model)
    strategy = DataParallel()
    assert (strategy.rank, strategy.world_size) == (0, 1)
    history = strategy.fit(models[0], x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    expected = models[1].fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    assert np.allclose(history.history["loss"], expected.history["loss"])
    assert all(np.array_equal(a, b) for a, b in zip(models[0].get_weights(), models[1].get_weights()))


def test_data_parallel_fit_needs_a_compiled_model():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled first"):
        DataParallel().fit(model, np.zeros((4, 2)), np.zeros(4), batch_size=2)


def test_averaged_gradients_restores_the_optimizer():
    optimizer = keras.optimizers.SGD(0.1)
    with distribute.averaged_gradients(optimizer, 1):
        assert "apply" in vars(optimizer)
    assert "apply" not in vars(optimizer)


def test_initialize_refuses_an_unknown_backend(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(ValueError, match=r"backend must be one of \('gloo', 'nccl'\), received backend='mpi'"):
        distribute.initialize("mpi")


def test_multi_gpu_model_points_to_data_parallel():
    with pytest.raises(NotImplementedError, match=r"removed from Keras \(2.4\).*DataParallel"):
        keras.utils.multi_gpu_model(keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)]), gpus=8)


# ---------------------------------------------------------------- two processes over gloo

WORKER = textwrap.dedent('''
    import sys
    from pathlib import Path
    import numpy as np
    import teachkeras as keras
    from teachkeras import distribute

    folder = Path(sys.argv[1])
    strategy = distribute.DataParallel()
    data = np.load(folder / "data.npz")
    keras.utils.set_random_seed(strategy.rank)            # different initial weights: rank 0's must win
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    if sys.argv[2] == "torch":
        model.to("cpu")
    csv = keras.callbacks.CSVLogger(str(folder / f"log{strategy.rank}.csv"))
    history = strategy.fit(model, data["x"], data["y"], batch_size=32, epochs=3, verbose=1, seed=7,
                           callbacks=[csv], validation_data=(data["x"][:16], data["y"][:16]))
    np.savez(folder / f"rank{strategy.rank}.npz", *model.get_weights(), loss=history.history["loss"],
             accuracy=history.history["accuracy"], val_loss=history.history["val_loss"])
    if strategy.rank == 1:                                 # a rank that drifts is caught
        model.set_weights([w + 1e-3 for w in model.get_weights()])
    print("agree after a drift:", distribute.weights_agree(model, strategy.world_size))
''')


def single_process_reference(folder):
    data = np.load(folder / "data.npz")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = DataParallel().fit(model, data["x"], data["y"], batch_size=32, epochs=3, verbose=0, seed=7,
                                 validation_data=(data["x"][:16], data["y"][:16]))
    return model.get_weights(), history.history


@pytest.mark.parametrize("path", ["numpy", "torch"])
def test_two_gloo_processes_end_with_the_weights_of_one_with_the_whole_batch(tmp_path, path):
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "data.npz", x=rng.normal(size=(96, 6)).astype("float32"), y=rng.integers(0, 3, 96))
    (tmp_path / "worker.py").write_text(WORKER)
    result = launch(tmp_path / "worker.py", nprocs=2, args=[tmp_path, path], timeout=240, env=ONE_THREAD)
    ranks = [np.load(tmp_path / f"rank{rank}.npz") for rank in range(2)]
    weights, history = single_process_reference(tmp_path)
    for index, expected in enumerate(weights):
        assert np.array_equal(ranks[0][f"arr_{index}"], ranks[1][f"arr_{index}"]), "identical on every rank"
        np.testing.assert_allclose(ranks[0][f"arr_{index}"], expected, atol=2e-6)
    for name in ("loss", "accuracy", "val_loss"):  # logs averaged over the ranks: the same everywhere
        assert np.array_equal(ranks[0][name], ranks[1][name])
        np.testing.assert_allclose(ranks[0][name], history[name], atol=2e-6)
    assert "Epoch 3/3" in result.stdout[0] and "Epoch" not in result.stdout[1], "progress bar on rank 0 only"
    assert (tmp_path / "log0.csv").is_file() and not (tmp_path / "log1.csv").exists(), "writers on rank 0 only"
    assert all("agree after a drift: False" in out for out in result.stdout)


# ---------------------------------------------------------------- failures do not hang

FAILING = textwrap.dedent('''
    import torch.distributed as dist
    from teachkeras import distribute

    rank, world_size = distribute.initialize()
    if rank == 1:
        raise ValueError("rank 1 found bad data")
    dist.barrier()                                         # rank 0 would wait here for ever
''')


def test_a_failing_rank_stops_the_launch_with_its_error(tmp_path):
    (tmp_path / "failing.py").write_text(FAILING)
    start = time.monotonic()
    with pytest.raises(LaunchError, match="rank 1 of 2 exited with code 1") as caught:
        launch(tmp_path / "failing.py", nprocs=2, timeout=120, env=ONE_THREAD)
    assert time.monotonic() - start < 60
    assert caught.value.rank == 1 and "ValueError: rank 1 found bad data" in caught.value.stderr
    assert "rank 1 found bad data" in str(caught.value)


def test_the_launcher_command_exits_non_zero_with_the_rank_error(tmp_path):
    (tmp_path / "failing.py").write_text(FAILING)
    completed = subprocess.run([sys.executable, "-m", "teachkeras.distribute.launcher", "--nproc-per-node", "2",
                                "--timeout", "120", str(tmp_path / "failing.py")],
                               capture_output=True, text=True, timeout=180)
    assert completed.returncode == 1
    assert "rank 1 of 2 exited with code 1" in completed.stderr and "rank 1 found bad data" in completed.stderr


def test_a_launch_past_its_timeout_is_stopped(tmp_path):
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(120)\n")
    start = time.monotonic()
    with pytest.raises(LaunchError, match=r"did not finish within timeout=2 s") as caught:
        launch(tmp_path / "slow.py", nprocs=2, timeout=2)
    assert caught.value.rank is None and time.monotonic() - start < 30


@pytest.mark.parametrize("arguments, message", [
    ({"nprocs": 0}, "nprocs must be a positive integer, received nprocs=0"),
    ({"timeout": -1}, "timeout must be a positive number of seconds, received timeout=-1"),
])
def test_launch_checks_its_arguments(tmp_path, arguments, message):
    (tmp_path / "ok.py").write_text("")
    with pytest.raises(ValueError, match=message):
        launch(tmp_path / "ok.py", **arguments)


def test_launch_needs_an_existing_script(tmp_path):
    with pytest.raises(FileNotFoundError, match="no script at"):
        launch(tmp_path / "missing.py")
