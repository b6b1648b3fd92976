"""The notes' MNIST network, one epoch: teachkeras ``model.fit`` beside the same network in plain PyTorch.

The model (study note 003, trained in chapter 07)::

    Dense(512, relu) -> Dense(10, softmax)    categorical cross-entropy, batch 128, 60,000 samples

with RMSprop at Keras' defaults (``--optimizer rmsprop``, the notes' choice) or plain SGD with
learning rate 0.01 (``--optimizer sgd``). PyTorch gets the same initial weights, the same
optimizer settings and data, and does what ``fit`` does per step: forward, loss, backward,
update, and it tracks the loss and accuracy (``loss.item()``). Its network ends in logits and
``cross_entropy``, the usual fused form in PyTorch; teachkeras fuses softmax and cross-entropy in
its backward pass in the same way.

The epochs alternate (teachkeras, torch, teachkeras, torch, ...) so that other work on the machine
slows both alike; the script prints every epoch's time, the median of each framework and the
ratio teachkeras / PyTorch (the target is 1.0 or less), plus the final loss and accuracy of each
as a sanity check.

Usage, from the repository root::

    python benchmarks/bench_mlp.py                          # MNIST if found locally, else synthetic
    TEACHKERAS_DATASETS=../shared/datasets python benchmarks/bench_mlp.py --epochs 3
    python benchmarks/bench_mlp.py --optimizer sgd --threads 2 --data synthetic

``--threads`` sets the BLAS and torch thread counts (default 1: on a busy machine, threads that wait
for a core slow the frameworks unevenly; ``--threads default`` keeps the shell's settings, so each
library uses every core, as issue 16's targets are stated). The first line names the BLAS kernel
numpy used (``benchmarks/machine.py``). Timings on a shared machine vary from run to run; the ratio
varies less.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import machine  # benchmarks/machine.py: threads and the BLAS kernel

SAMPLES = 60_000
BATCH_SIZE = 128


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--optimizer", choices=("rmsprop", "sgd"), default="rmsprop")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per framework (default 3)")
    parser.add_argument("--threads", type=machine.thread_setting, default=1,
                        help="BLAS and torch threads: a number (default 1) or 'default' (the shell's settings)")
    parser.add_argument("--data", choices=("auto", "mnist", "synthetic"), default="auto",
                        help="auto: MNIST when the files are found locally, else synthetic MNIST-shaped data")
    parser.add_argument("--samples", type=int, default=SAMPLES,
                        help="train on the first SAMPLES samples (default: all 60,000; fewer for a quick look)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-child", choices=("teachkeras", "torch"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.samples <= SAMPLES:
        parser.error(f"--samples must be in [1, {SAMPLES}], received {arguments.samples}")
    if arguments.epochs < 1:
        parser.error(f"--epochs must be a positive integer, received {arguments.epochs}")
    return arguments


def load_data(choice, seed):
    """(x float32 (60000, 784) in [0, 1], integer labels (60000,), a description)."""
    import numpy as np

    if choice in ("auto", "mnist"):
        from teachkeras.datasets import DatasetUnavailableError, mnist

        try:
            if choice == "auto" and not _mnist_is_local():
                raise DatasetUnavailableError("not found locally")
            (images, labels), _ = mnist.load_data()
            return images.reshape(len(images), 784).astype("float32") / 255.0, labels.astype("int64"), "MNIST"
        except DatasetUnavailableError as error:
            if choice == "mnist":
                raise
            print(f"(MNIST not available: {str(error).splitlines()[0]}; using synthetic data)")
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 10, SAMPLES)
    prototypes = generator.random((10, 784), dtype=np.float32)
    images = np.clip(prototypes[labels] + 0.3 * generator.standard_normal((SAMPLES, 784), dtype=np.float32), 0, 1)
    return images.astype("float32"), labels, "synthetic MNIST-shaped data (10 noisy prototypes)"


def _mnist_is_local():
    candidates = [os.environ.get("TEACHKERAS_DATASETS"), Path(__file__).resolve().parent.parent / "datasets",
                  Path.home() / ".teachkeras" / "datasets", "/usr/share/datasets"]
    for folder in candidates:
        if folder and (Path(folder) / "mnist").is_dir() and any((Path(folder) / "mnist").iterdir()):
            return True
    return False


def teachkeras_model(optimizer, seed):
    import teachkeras as keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    if optimizer == "sgd":
        chosen = keras.optimizers.SGD(learning_rate=0.01)
    else:
        chosen = keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=1e-7)
    model.compile(optimizer=chosen, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def torch_trainer(weights, optimizer, seed):
    """The same network and step in plain PyTorch; returns ``epoch(x, y) -> (loss, accuracy)``."""
    import torch

    torch.manual_seed(seed)
    network = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    with torch.no_grad():  # teachkeras kernels are (in, out); torch's Linear.weight is (out, in)
        network[0].weight.copy_(torch.from_numpy(weights[0].T))
        network[0].bias.copy_(torch.from_numpy(weights[1]))
        network[2].weight.copy_(torch.from_numpy(weights[2].T))
        network[2].bias.copy_(torch.from_numpy(weights[3]))
    if optimizer == "sgd":
        update = torch.optim.SGD(network.parameters(), lr=0.01)
    else:
        update = torch.optim.RMSprop(network.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)

    def epoch(images, labels):
        order = torch.randperm(len(images))
        total_loss, correct = 0.0, 0
        for start in range(0, len(images), BATCH_SIZE):
            indices = order[start:start + BATCH_SIZE]
            inputs, targets = images[indices], labels[indices]
            update.zero_grad(set_to_none=True)
            logits = network(inputs)
            loss = torch.nn.functional.cross_entropy(logits, targets)
            loss.backward()
            update.step()
            total_loss += loss.item() * len(indices)
            correct += int((logits.argmax(dim=1) == targets).sum())
        return total_loss / len(images), correct / len(images)

    return epoch


def memory_child(arguments):
    """In a fresh process: how far resident memory rises over the first three training steps of one
    framework (its optimizer state included, on both sides), printed as JSON."""
    import numpy as np
    import torch

    import teachkeras

    generator = np.random.default_rng(arguments.seed)
    images = generator.random((3 * BATCH_SIZE, 784), dtype=np.float32)
    labels = generator.integers(0, 10, len(images))
    model = teachkeras_model(arguments.optimizer, arguments.seed)
    if arguments.memory_child == "teachkeras":
        one_hot = teachkeras.utils.to_categorical(labels, 10).astype("float32")
        run = lambda: model.fit(images, one_hot, batch_size=BATCH_SIZE, epochs=1, verbose=0)  # noqa: E731
    else:
        epoch = torch_trainer(model.get_weights(), arguments.optimizer, arguments.seed)
        torch_images, torch_labels = torch.from_numpy(images), torch.from_numpy(labels)
        run = lambda: epoch(torch_images, torch_labels)  # noqa: E731
    print(json.dumps({"step_peak_rss_mib": machine.peak_rise_mib(run)}))


def step_peak_memory(arguments):
    """{framework: MiB or None}, each measured by ``memory_child`` in a process of its own."""
    peaks = {}
    for framework in ("teachkeras", "torch"):
        command = [sys.executable, os.path.abspath(__file__), "--memory-child", framework, "--optimizer",
                   arguments.optimizer, "--seed", str(arguments.seed), "--threads", str(arguments.threads)]
        finished = subprocess.run(command, capture_output=True, text=True, check=True)
        peaks[framework] = json.loads(finished.stdout.strip().splitlines()[-1])["step_peak_rss_mib"]
    return peaks


def main(argv=None):
    arguments = parse_arguments(argv)
    machine.set_threads(arguments.threads)  # before numpy loads its BLAS
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if arguments.memory_child:
        memory_child(arguments)
        return 0
    peaks = step_peak_memory(arguments)

    import numpy as np
    import torch

    import teachkeras

    images, labels, description = load_data(arguments.data, arguments.seed)
    images, labels = images[:arguments.samples], labels[:arguments.samples]
    one_hot = teachkeras.utils.to_categorical(labels, 10).astype("float32")
    model = teachkeras_model(arguments.optimizer, arguments.seed)
    torch_epoch = torch_trainer(model.get_weights(), arguments.optimizer, arguments.seed)
    torch_images, torch_labels = torch.from_numpy(images), torch.from_numpy(labels)

    print(f"data: {description}, {len(images)} samples, batch {BATCH_SIZE} "
          f"({-(-len(images) // BATCH_SIZE)} steps per epoch), optimizer {arguments.optimizer}")
    print(machine.describe(arguments.threads))
    times = {"teachkeras": [], "torch": []}
    results = {}
    for epoch in range(arguments.epochs):
        start = time.perf_counter()
        history = model.fit(images, one_hot, batch_size=BATCH_SIZE, epochs=1, verbose=0)
        times["teachkeras"].append(time.perf_counter() - start)
        results["teachkeras"] = (history.history["loss"][-1], history.history["accuracy"][-1])

        start = time.perf_counter()
        results["torch"] = torch_epoch(torch_images, torch_labels)
        times["torch"].append(time.perf_counter() - start)
        print(f"epoch {epoch + 1}: teachkeras {times['teachkeras'][-1]:.3f} s "
              f"(loss {results['teachkeras'][0]:.4f}, accuracy {results['teachkeras'][1]:.4f}) | "
              f"torch {times['torch'][-1]:.3f} s (loss {results['torch'][0]:.4f}, accuracy {results['torch'][1]:.4f})")
    if None not in peaks.values():
        print(f"step peak memory (3 steps, fresh process): teachkeras +{peaks['teachkeras']:.1f} MiB, torch "
              f"+{peaks['torch']:.1f} MiB; ratio {peaks['teachkeras'] / peaks['torch']:.2f}x (target <= 1.2x)")
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"median epoch: teachkeras {medians['teachkeras']:.3f} s, torch {medians['torch']:.3f} s; "
          f"ratio teachkeras / torch = {medians['teachkeras'] / medians['torch']:.2f} (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
