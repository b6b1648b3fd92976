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
import contextlib
import math
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCH_SIZE = 128


def add_size_arguments(parser, samples, conv_samples, epochs=3):
    """--samples, --conv-samples and --epochs, with these defaults (``tools/device_check.py`` uses them too)."""
    parser.add_argument("--samples", type=int, default=samples, help=f"MLP samples per epoch (default {samples:,})")
    parser.add_argument("--conv-samples", type=int, default=conv_samples,
                        help=f"convnet samples per epoch (default {conv_samples:,})")
    parser.add_argument("--epochs", type=int, default=epochs, help=f"timed epochs per framework (default {epochs})")


def parse_positive(parser, argv, names=("samples", "conv_samples", "epochs")):
    """Parse ``argv``; the options ``names`` must be positive integers."""
    arguments = parser.parse_args(argv)
    for name in names:
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, received {getattr(arguments, name)}")
    return arguments


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser, samples=12_800, conv_samples=2_560)
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    parser.add_argument("--device", default="cpu", help="torch device of the torch path (default cpu)")
    parser.add_argument("--skip-distributed", action="store_true", help="leave out the 2-process gloo run")
    parser.add_argument("--seed", type=int, default=0)
    return parse_positive(parser, argv, ("samples", "conv_samples", "epochs", "threads"))


def synchronize(device):
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def seconds(run, device):
    """How long ``run()`` takes, the device synchronized before and after."""
    synchronize(device)
    start = time.perf_counter()
    run()
    synchronize(device)
    return time.perf_counter() - start


def epoch_medians(teachkeras_epoch, torch_epoch, epochs, device):
    """Alternate one epoch of each (after one untimed warm-up each: kernels, caches, the first copy to
    the device); return the median seconds of each, {"teachkeras": s, "torch": s}."""
    teachkeras_epoch(), torch_epoch()
    times = {"teachkeras": [], "torch": []}
    for _ in range(epochs):
        for framework, run in (("teachkeras", teachkeras_epoch), ("torch", torch_epoch)):
            times[framework].append(seconds(run, device))
    return {framework: statistics.median(values) for framework, values in times.items()}


def compare(name, teachkeras_epoch, torch_epoch, epochs, device):
    """The medians of ``epoch_medians``; print and return the ratio."""
    medians = epoch_medians(teachkeras_epoch, torch_epoch, epochs, device)
    ratio = medians["teachkeras"] / medians["torch"]
    print(f"{name}: median epoch teachkeras {medians['teachkeras']:.3f} s, torch {medians['torch']:.3f} s; "
          f"ratio teachkeras / torch = {ratio:.2f} (target <= 1.3)")
    return ratio


def data(samples, seed=0, image=False):
    """Random MNIST-shaped data: (images, one-hot targets, integer labels); images (samples, 784), or
    (samples, 28, 28, 1) when ``image``."""
    import numpy as np

    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 10, samples)
    shape = (samples, 28, 28, 1) if image else (samples, 784)
    return generator.random(shape, dtype=np.float32), np.eye(10, dtype="float32")[labels], labels


def load_keras_weights(network, weights):
    """Copy teachkeras' weights (kernel, bias per layer) into the Conv2d and Linear layers of
    ``network``, in order: conv kernels (kh, kw, in, out) become (out, in, kh, kw), Dense kernels
    (in, out) become (out, in); a Dense after convolutions, whose inputs teachkeras flattens as
    (height, width, channels), has its rows put in torch's order (channels, height, width)."""
    import torch

    layers = [layer for layer in network if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear))]
    if 2 * len(layers) != len(weights):
        raise ValueError(f"{len(weights)} weights for {len(layers)} Conv2d and Linear layers")
    channels = None
    with torch.no_grad():
        for layer, kernel, bias in zip(layers, weights[0::2], weights[1::2]):
            if kernel.ndim == 4:
                kernel, channels = kernel.transpose(3, 2, 0, 1), kernel.shape[3]
            else:
                if channels:
                    side = math.isqrt(len(kernel) // channels)
                    kernel = kernel.reshape(side, side, channels, -1).transpose(2, 0, 1, 3).reshape(len(kernel), -1)
                    channels = None
                kernel = kernel.T
            layer.weight.copy_(torch.from_numpy(kernel.copy()))
            layer.bias.copy_(torch.from_numpy(bias))
    return network


def _twin_epoch(network, optimizer, shuffle):
    """``epoch(images, labels) -> mean loss``: one epoch in batches of BATCH_SIZE, on the device of
    ``images`` (torch tensors, labels as class indices); the loss stays there until the end."""
    import torch

    def epoch(images, labels):
        order = torch.randperm(len(images), device=images.device) if shuffle else None
        total = torch.zeros((), device=images.device)
        for start in range(0, len(images), BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE] if shuffle else slice(start, start + BATCH_SIZE)
            targets = labels[rows]
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(network(images[rows]), targets)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(targets)
        return float(total) / len(images)

    return epoch


def torch_mlp_epoch(weights, device, seed=None):
    """bench_mlp's PyTorch twin (RMSprop) on ``device``, from teachkeras' ``weights``; shuffles."""
    import torch

    if seed is not None:
        torch.manual_seed(seed)
    network = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)).to(device)
    load_keras_weights(network, weights)
    return _twin_epoch(network, torch.optim.RMSprop(network.parameters(), lr=1e-3, alpha=0.9, eps=1e-7), True)


def torch_convnet_epoch(weights, device, seed=None):
    """bench_convnet's PyTorch twin (Adam) on ``device``, from teachkeras' ``weights``; reads NCHW
    images in order."""
    import torch

    if seed is not None:
        torch.manual_seed(seed)
    network = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 10)).to(device)
    load_keras_weights(network, weights)
    return _twin_epoch(network, torch.optim.Adam(network.parameters(), lr=1e-3, eps=1e-7), False)


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
        torch_epoch = torch_mlp_epoch(model.get_weights(), arguments.device, arguments.seed)

    def teachkeras_epoch():
        model.fit(images, one_hot, batch_size=BATCH_SIZE, epochs=1, verbose=0)

    return compare(f"MLP, {len(images)} samples on {arguments.device}", teachkeras_epoch,
                   lambda: torch_epoch(torch_images, torch_labels), arguments.epochs, arguments.device)


def convnet_ratio(arguments):
    import bench_convnet

    count = arguments.conv_samples
    images, one_hot, _ = data(count, arguments.seed, image=True)
    model = bench_convnet.teachkeras_model(arguments.seed)
    twin = bench_convnet.torch_trainer(arguments.seed, model.get_weights())
    model.to(arguments.device)
    if arguments.device != "cpu":
        return None  # the twin of bench_convnet reads numpy batches on the CPU

    def teachkeras_epoch():
        model.fit(images, one_hot, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)

    return compare(f"convnet, {count} samples on {arguments.device}", teachkeras_epoch,
                   lambda: twin.train(images, one_hot, BATCH_SIZE), arguments.epochs, arguments.device)


@contextlib.contextmanager
def worker_script(source):
    """``source`` written to worker.py in a temporary folder, for ``teachkeras.distribute.launch``;
    yields its path (the folder goes at the end)."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "worker.py"
        script.write_text(source)
        yield script


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
    with worker_script(WORKER) as script:
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
