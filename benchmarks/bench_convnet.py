"""Keras' simple MNIST convnet for one epoch: teachkeras (numpy) beside plain PyTorch, on the CPU.

The model (Keras' "Simple MNIST convnet" example, without its dropout)::

    Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
    -> Flatten -> Dense(10, softmax)          categorical cross-entropy, Adam, batch 128

teachkeras trains with ``model.fit`` (a Sequential compiled with Adam and
``categorical_crossentropy``, metric accuracy), PyTorch with the usual hand-written loop. Both
start from the same weights (teachkeras' seeded initialization, copied into the torch modules),
get the same number of threads, the same data (MNIST scaled to [0, 1], or with
``--data synthetic`` seeded random images of MNIST's shape, for a machine without the dataset)
and the same batch order, and take turns in one process (ten batches each), so that other work
on the machine slows both alike. The script prints the time of one epoch
(469 steps of 128; with ``--steps N`` the first N steps, scaled to an epoch), the ratio
teachkeras / PyTorch, the training loss and accuracy of each (the same training, so they agree
up to float32 rounding and the one place where the Adams differ: Keras adds epsilon before the
bias correction of the second moment, torch after), and the peak memory
of a training step: how far a fresh process' resident memory rises above its level before the
first step, over three steps (each framework in its own process; Linux), and for teachkeras
also the peak of numpy allocations in one step (tracemalloc).

Usage, from the repository root::

    TEACHKERAS_DATASETS=../shared/datasets python benchmarks/bench_convnet.py
    python benchmarks/bench_convnet.py --steps 50 --threads default   # every core, as issue 16 states its target
    python benchmarks/bench_convnet.py --data synthetic --steps 20     # no dataset needed
    env -u OPENBLAS_CORETYPE python benchmarks/bench_convnet.py       # see below

On a machine shared with other work, timings vary from run to run; the ratio varies less,
because the frameworks alternate. Prefer ``--threads 1`` (the default) when cores are busy:
BLAS threads that wait for a busy core slow the frameworks down unevenly. With more than one thread
the frameworks do not alternate: each is timed alone in a process of its own, because after its
turn each library's idle worker threads keep spinning for a while (OpenBLAS's, torch's OpenMP
pool), and in one process they would take cores from the other's turn. numpy's OpenBLAS
picks its matrix kernels by CPU model unless ``OPENBLAS_CORETYPE`` names others; the first line
printed says which ran (``benchmarks/machine.py``: on this project's AVX-512 machine the shell sets
Haswell, AVX2, while PyTorch uses AVX-512).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import machine  # benchmarks/machine.py: threads and the BLAS kernel

EPOCH_SAMPLES = 60_000
CHUNK = 10  # batches each framework trains on before the other takes its turn
FRAMEWORKS = ("teachkeras", "torch")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None,
                        help="time only the first STEPS steps and scale to one epoch (default: the whole epoch)")
    parser.add_argument("--threads", type=machine.thread_setting, default=1,
                        help="threads for BLAS and torch: a number (default 1) or 'default' (the shell's settings)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", choices=("mnist", "synthetic"), default="mnist",
                        help="mnist (default), or synthetic: seeded random images and labels of MNIST's shape")
    parser.add_argument("--child", choices=FRAMEWORKS + ("blas",), help=argparse.SUPPRESS)
    parser.add_argument("--time-child", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.steps is not None and arguments.steps < 1:
        parser.error(f"--steps must be a positive integer, received {arguments.steps}")
    return arguments


# ---------------------------------------------------------------- one framework, in a child process


def load_data(choice, seed):
    """Images (60000, 28, 28, 1) float32 in [0, 1] and one-hot labels (60000, 10): MNIST's
    training set, or synthetic ones: ten random 28x28 patterns, one per class, plus noise."""
    import numpy as np

    if choice == "mnist":
        from teachkeras.datasets import mnist

        (images, labels), _ = mnist.load_data()
        images = (images.astype(np.float32) / 255.0)[..., None]            # (60000, 28, 28, 1)
    else:
        generator = np.random.default_rng(seed)
        labels = generator.integers(0, 10, EPOCH_SAMPLES)
        patterns = generator.random((10, 28, 28, 1), dtype=np.float32)
        noise = generator.standard_normal((EPOCH_SAMPLES, 28, 28, 1), dtype=np.float32)
        images = np.clip(patterns[labels] + 0.5 * noise, 0, 1)
    one_hot = np.eye(10, dtype=np.float32)[labels]
    return images, one_hot


def batches(count, batch_size, steps, seed):
    """The batch index arrays of one shuffled epoch (the same for both frameworks)."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(count)
    starts = range(0, count, batch_size)
    return [order[start:start + batch_size] for start in starts][:steps]


def teachkeras_model(seed):
    """Keras' MNIST convnet as a compiled teachkeras Sequential (Adam, categorical cross-entropy)."""
    import teachkeras as keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def teachkeras_trainer(seed):
    """The model as a teachkeras Sequential, trained by ``fit`` on a run of batches at a time.
    Returns the trainer: ``train``, ``loss`` (without training) and the initial ``weights``."""
    model = teachkeras_model(seed)

    def train(images, targets, batch_size):
        """Train on ``images`` in order, ``batch_size`` at a time; returns (mean loss, correct)."""
        history = model.fit(images, targets, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        return history.history["loss"][0], round(history.history["accuracy"][0] * len(images))

    def loss(images, targets):
        """The mean loss on one batch, weights unchanged."""
        return float(model.test_on_batch(images, targets)[0])

    return SimpleNamespace(train=train, loss=loss, weights=model.get_weights())


def torch_trainer(seed, weights=None):
    """The same model and step in plain PyTorch (NCHW, as torch prefers), starting from
    ``weights`` (teachkeras' list: kernel, bias per layer) when given. Returns the trainer:
    ``train``, ``loss`` (without training) and ``weights``."""
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 10),
    )
    if weights is not None:
        conv1_kernel, conv1_bias, conv2_kernel, conv2_bias, dense_kernel, dense_bias = weights
        # teachkeras: conv kernels (kh, kw, in, out), Dense (1600, 10) over features flattened as
        # (height, width, channels); torch: Conv2d weight (out, in, kh, kw), Linear weight (10, 1600)
        # over features flattened as (channels, height, width).
        with torch.no_grad():
            model[0].weight.copy_(torch.from_numpy(conv1_kernel.transpose(3, 2, 0, 1).copy()))
            model[0].bias.copy_(torch.from_numpy(conv1_bias))
            model[3].weight.copy_(torch.from_numpy(conv2_kernel.transpose(3, 2, 0, 1).copy()))
            model[3].bias.copy_(torch.from_numpy(conv2_bias))
            model[7].weight.copy_(torch.from_numpy(dense_kernel.reshape(5, 5, 64, 10).transpose(3, 2, 0, 1)
                                                   .reshape(10, 64 * 5 * 5).copy()))
            model[7].bias.copy_(torch.from_numpy(dense_bias))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def train(images, targets, batch_size):
        """Train on ``images`` in order, ``batch_size`` at a time; returns (mean loss, correct)."""
        total_loss, correct = 0.0, 0
        for start in range(0, len(images), batch_size):
            batch_images = torch.from_numpy(images[start:start + batch_size]).permute(0, 3, 1, 2)
            labels = torch.from_numpy(targets[start:start + batch_size]).argmax(dim=1)
            optimizer.zero_grad()
            logits = model(batch_images)
            loss = torch.nn.functional.cross_entropy(logits, labels)
            loss.backward()
            optimizer.step()
            total_loss += float(loss.detach()) * len(labels)
            correct += int((logits.argmax(dim=1) == labels).sum())
        return total_loss / len(images), correct

    def loss(images, targets):
        """The mean loss on one batch, weights unchanged."""
        with torch.no_grad():
            logits = model(torch.from_numpy(images).permute(0, 3, 1, 2))
            return float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(targets).argmax(dim=1)))

    return SimpleNamespace(train=train, loss=loss, weights=weights)


TRAINERS = {"teachkeras": teachkeras_trainer, "torch": torch_trainer}


def measure_time(arguments, frameworks=FRAMEWORKS):
    """The ``frameworks`` in this process, taking turns every ``CHUNK`` batches, so that a busy
    machine slows both alike. Returns {framework: {steps, seconds, epoch_seconds, loss, accuracy,
    first_loss}}, ``first_loss`` being the loss on the first batch before any training."""
    machine.set_threads(arguments.threads)
    import numpy as np

    images, targets = load_data(arguments.data, arguments.seed)
    epoch_steps = math.ceil(EPOCH_SAMPLES / arguments.batch_size)
    order = batches(len(images), arguments.batch_size, arguments.steps or epoch_steps, arguments.seed)
    ours = teachkeras_trainer(arguments.seed)
    every = {"teachkeras": ours, "torch": torch_trainer(arguments.seed, ours.weights)}
    trainers = {name: every[name] for name in frameworks}
    first_losses = {name: trainer.loss(images[order[0]], targets[order[0]]) for name, trainer in trainers.items()}
    warmup = np.concatenate(batches(len(images), arguments.batch_size, 2, arguments.seed + 1))
    for trainer in trainers.values():
        trainer.train(images[warmup], targets[warmup], arguments.batch_size)
    totals = {name: {"seconds": 0.0, "loss": 0.0, "correct": 0} for name in trainers}
    for first in range(0, len(order), CHUNK):
        chunk = np.concatenate(order[first:first + CHUNK])
        chunk_images, chunk_targets = images[chunk], targets[chunk]
        for name, trainer in trainers.items():
            start = time.perf_counter()
            loss, correct = trainer.train(chunk_images, chunk_targets, arguments.batch_size)
            totals[name]["seconds"] += time.perf_counter() - start
            totals[name]["loss"] += loss * len(chunk)
            totals[name]["correct"] += correct
    seen = sum(len(indices) for indices in order)
    return {name: {"steps": len(order), "seconds": total["seconds"],
                   "epoch_seconds": total["seconds"] * epoch_steps / len(order),
                   "loss": total["loss"] / seen, "accuracy": total["correct"] / seen,
                   "first_loss": first_losses[name]}
            for name, total in totals.items()}


def run_memory_child(arguments):
    """In a fresh process: how far resident memory rises above its level before the first
    step, over three steps of one framework; for teachkeras also tracemalloc's peak of a step.
    ``blas``: the rise for numpy's first matrix product at the second convolution's shape alone
    (what BLAS itself takes: with several threads, a work buffer per thread)."""
    machine.set_threads(arguments.threads)
    import numpy as np

    if arguments.child == "blas":
        columns = np.ones((arguments.batch_size * 11 * 11, 3 * 3 * 32), dtype=np.float32)
        kernel = np.ones((3 * 3 * 32, 64), dtype=np.float32)
        print(json.dumps({"step_peak_rss_mib": machine.peak_rise_mib(lambda: columns @ kernel)}))
        return

    images, targets = load_data(arguments.data, arguments.seed)
    train = TRAINERS[arguments.child](arguments.seed).train   # torch's own initial weights: same memory
    first = np.concatenate(batches(len(images), arguments.batch_size, 3, arguments.seed))
    chunk_images, chunk_targets = images[first], targets[first]
    result = {"step_peak_rss_mib": machine.peak_rise_mib(lambda: train(chunk_images, chunk_targets, arguments.batch_size))}
    if arguments.child == "teachkeras":
        import tracemalloc

        tracemalloc.start()
        train(chunk_images[:arguments.batch_size], chunk_targets[:arguments.batch_size], arguments.batch_size)
        result["step_peak_numpy_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    print(json.dumps(result))


# ---------------------------------------------------------------- both, side by side


def run_child(arguments, flag, framework, what):
    """This script in a fresh process with ``flag framework``; the JSON it prints last."""
    command = [sys.executable, os.path.abspath(__file__), flag, framework, "--threads", str(arguments.threads),
               "--batch-size", str(arguments.batch_size), "--seed", str(arguments.seed), "--data", arguments.data]
    if arguments.steps:
        command += ["--steps", str(arguments.steps)]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"bench_convnet: the {framework} {what} run failed:\n{finished.stderr}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main(argv=None):
    arguments = parse_arguments(argv)
    if arguments.child:
        run_memory_child(arguments)
        return 0
    if arguments.time_child:
        print(json.dumps(measure_time(arguments, (arguments.time_child,))))
        return 0
    memory = {}
    for framework in FRAMEWORKS + ("blas",):
        memory[framework] = run_child(arguments, "--child", framework, "memory")
    if arguments.threads == 1:
        results = measure_time(arguments)
    else:  # each framework alone in a process: idle worker threads of one would spin into the other's turns
        results = {framework: run_child(arguments, "--time-child", framework, "timing")[framework]
                   for framework in FRAMEWORKS}
    ours, theirs = results["teachkeras"], results["torch"]
    scope = "one epoch" if not arguments.steps else f"{ours['steps']} steps, scaled to one epoch"
    data = "MNIST" if arguments.data == "mnist" else "synthetic MNIST-shaped data (seeded)"
    print(machine.describe(arguments.threads))
    print(f"Simple MNIST convnet on {data}, batch {arguments.batch_size}, Adam, {scope}; both start from the same "
          f"weights")
    print(f"{'':12s}{'epoch (s)':>11s}{'ms/step':>9s}{'loss':>8s}{'accuracy':>10s}{'step peak RSS (MiB)':>21s}")
    for name, result in results.items():
        peak = memory[name]["step_peak_rss_mib"]
        print(f"{name:12s}{result['epoch_seconds']:11.1f}{1000 * result['seconds'] / result['steps']:9.1f}"
              f"{result['loss']:8.4f}{result['accuracy']:10.4f}{'n/a' if peak is None else f'{peak:.1f}':>21s}")
    print(f"loss on the first batch before training: teachkeras {ours['first_loss']:.6f}, "
          f"PyTorch {theirs['first_loss']:.6f}")
    print(f"teachkeras step: numpy peak {memory['teachkeras']['step_peak_numpy_mib']:.1f} MiB (tracemalloc)")
    peaks = [memory[name]["step_peak_rss_mib"] for name in FRAMEWORKS]
    if None not in peaks:
        print(f"step peak memory teachkeras / PyTorch: {peaks[0] / peaks[1]:.2f}x (target <= 1.2x); numpy's first "
              f"matrix product alone (conv2's shape, fresh process): +{memory['blas']['step_peak_rss_mib']:.1f} MiB")
    ratio = ours["epoch_seconds"] / theirs["epoch_seconds"]
    print(f"ratio teachkeras / PyTorch: {ratio:.2f}x (target <= 1.5x with --threads default)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
