"""The torch path on the CPU: teachkeras ``fit`` on a model moved with ``model.to("cpu")`` beside the
same network in plain PyTorch, and data-parallel training over two processes (gloo) beside one.

Three measurements, each printed as times and a ratio (chapter 12):

1. the notes' MLP (Dense(512, relu) -> Dense(10, softmax), RMSprop, batch 128), one epoch,
   teachkeras on torch tensors vs plain PyTorch (the target: within 1.3x);
2. Keras' MNIST convnet (two Conv2D + MaxPooling2D, Adam, batch 128), the same comparison;
3. the MLP trained by ``teachkeras.distribute`` in 2 processes over gloo, batch 128 split 64 + 64,
   against the same epoch in one process: samples per second of each, and the ratio.

The frameworks alternate epoch by epoch so that other work on the machine slows both alike; the
medians are compared. The models and the PyTorch twins are those of ``bench_mlp.py`` and
``bench_convnet.py``, with the same initial weights.

Usage, from the repository root::

    python benchmarks/bench_torch_path.py                    # synthetic MNIST-shaped data
    python benchmarks/bench_torch_path.py --samples 60000 --epochs 3 --threads 1
    python benchmarks/bench_torch_path.py --skip-distributed

On a shared machine the times vary from run to run; the ratios vary less. On a 2-core machine the
two gloo processes compete with each other for the cores (each gets one thread), so their
throughput says what the all-reduce costs more than what two devices would gain.
"""

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCH_SIZE = 128


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=12_800, help="MLP samples per epoch (default 12,800)")
    parser.add_argument("--conv-samples", type=int, default=2_560, help="convnet samples per epoch (default 2,560)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per framework (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    parser.add_argument("--device", default="cpu", help="torch device of the torch path (default cpu)")
    parser.add_argument("--skip-distributed", action="store_true", help="leave out the 2-process gloo run")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    for name in ("samples", "conv_samples", "epochs", "threads"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, received {getattr(arguments, name)}")
    return arguments


def synchronize(device):
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def compare(name, teachkeras_epoch, torch_epoch, epochs, device):
    """Alternate one epoch of each (after one untimed warm-up each); print and return the ratio."""
    teachkeras_epoch(), torch_epoch()
    times = {"teachkeras": [], "torch": []}
    for _ in range(epochs):
        for framework, run in (("teachkeras", teachkeras_epoch), ("torch", torch_epoch)):
            synchronize(device)
            start = time.perf_counter()
            run()
            synchronize(device)
            times[framework].append(time.perf_counter() - start)
    medians = {framework: statistics.median(values) for framework, values in times.items()}
    ratio = medians["teachkeras"] / medians["torch"]
    print(f"{name}: median epoch teachkeras {medians['teachkeras']:.3f} s, torch {medians['torch']:.3f} s; "
          f"ratio teachkeras / torch = {ratio:.2f} (target <= 1.3)")
    return ratio


def mlp_ratio(arguments):
    import numpy as np
    import torch

    import bench_mlp

    images, labels, _ = bench_mlp.load_data("synthetic", arguments.seed)
    images, labels = images[:arguments.samples], labels[:arguments.samples]
    one_hot = np.eye(10, dtype="float32")[labels]
    model = bench_mlp.teachkeras_model("rmsprop", arguments.seed)
    torch_epoch = bench_mlp.torch_trainer(model.get_weights(), "rmsprop", arguments.seed)
    model.to(arguments.device)
    torch_images = torch.from_numpy(images).to(arguments.device)
    torch_labels = torch.from_numpy(labels).to(arguments.device)
    if arguments.device != "cpu":
        torch_epoch = device_twin_mlp(model, arguments.device, arguments.seed)

    def teachkeras_epoch():
        model.fit(images, one_hot, batch_size=BATCH_SIZE, epochs=1, verbose=0)

    return compare(f"MLP, {len(images)} samples on {arguments.device}", teachkeras_epoch,
                   lambda: torch_epoch(torch_images, torch_labels), arguments.epochs, arguments.device)


def device_twin_mlp(model, device, seed):
    """bench_mlp's PyTorch twin, on ``device``."""
    import torch

    weights = model.get_weights()
    torch.manual_seed(seed)
    network = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)).to(device)
    with torch.no_grad():
        for layer, kernel, bias in ((network[0], weights[0], weights[1]), (network[2], weights[2], weights[3])):
            layer.weight.copy_(torch.from_numpy(kernel.T.copy()))
            layer.bias.copy_(torch.from_numpy(bias))
    update = torch.optim.RMSprop(network.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)

    def epoch(images, labels):
        order = torch.randperm(len(images), device=device)
        total = torch.zeros((), device=device)
        for start in range(0, len(images), BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            update.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(network(images[rows]), labels[rows])
            loss.backward()
            update.step()
            total += loss.detach() * len(rows)
        return float(total) / len(images)

    return epoch


def convnet_ratio(arguments):
    import numpy as np
    import torch

    import bench_convnet

    generator = np.random.default_rng(arguments.seed)
    count = arguments.conv_samples
    labels = generator.integers(0, 10, count)
    images = generator.random((count, 28, 28, 1), dtype=np.float32)
    one_hot = np.eye(10, dtype="float32")[labels]
    model = bench_convnet.teachkeras_model(arguments.seed)
    twin = bench_convnet.torch_trainer(arguments.seed, model.get_weights())
    model.to(arguments.device)
    if arguments.device != "cpu":
        return None  # the twin of bench_convnet reads numpy batches on the CPU

    def teachkeras_epoch():
        model.fit(images, one_hot, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)

    del torch
    return compare(f"convnet, {count} samples on {arguments.device}", teachkeras_epoch,
                   lambda: twin.train(images, one_hot, BATCH_SIZE), arguments.epochs, arguments.device)


WORKER = textwrap.dedent('''
    import os, sys, time
    import numpy as np
    import teachkeras as keras
    from teachkeras import distribute

    samples, epochs, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    strategy = distribute.DataParallel()            # reads RANK and WORLD_SIZE, joins the process group
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 10, samples)
    images = generator.random((samples, 784), dtype=np.float32)
    one_hot = np.eye(10, dtype="float32")[labels]
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="categorical_crossentropy")
    model.to("cpu")
    strategy.fit(model, images, one_hot, batch_size=128, epochs=1, verbose=0)   # warm-up
    start = time.perf_counter()
    strategy.fit(model, images, one_hot, batch_size=128, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    if strategy.rank == 0:
        print(f"SECONDS {seconds:.6f}")
''')


def distributed_ratio(arguments):
    from teachkeras.distribute import launch

    samples, epochs = arguments.samples, arguments.epochs
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "worker.py"
        script.write_text(WORKER)
        rates = {}
        for processes in (1, 2):
            result = launch(script, nprocs=processes, args=[str(samples), str(epochs), str(arguments.seed)],
                            timeout=600, env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
            seconds = float(result.stdout[0].split("SECONDS")[1].split()[0])
            rates[processes] = samples * epochs / seconds
    ratio = rates[2] / rates[1]
    print(f"data-parallel MLP, {samples} samples, global batch {BATCH_SIZE}: 1 process {rates[1]:,.0f} samples/s, "
          f"2 processes over gloo {rates[2]:,.0f} samples/s; 2-process / 1-process throughput = {ratio:.2f} "
          f"(on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    return ratio


def main(argv=None):
    arguments = parse_arguments(argv)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(arguments.threads)
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    import torch

    torch.set_num_threads(arguments.threads)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.1f}, "
          f"threads {arguments.threads}")
    mlp_ratio(arguments)
    convnet_ratio(arguments)
    if not arguments.skip_distributed:
        distributed_ratio(arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
