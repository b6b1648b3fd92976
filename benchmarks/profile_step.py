"""Where each millisecond of a training step goes, for the two benchmark networks.

    python benchmarks/profile_step.py                           # both networks, default threads and 1 thread
    python benchmarks/profile_step.py --model mlp --threads 1   # one network, one setting
    python benchmarks/profile_step.py --steps 40                # a quicker look

For each network (the notes' MLP of bench_mlp.py, Keras' convnet of bench_convnet.py) it trains
``--steps`` steps with ``model.fit`` on synthetic data of MNIST's shape, timing per step (and the
MLP once more on its torch path, ``model.to("cpu")``: the same layer code on torch tensors):

* forward matmuls / backward matmuls: the matrix products the Dense and Conv layers do, timed on
  their own at the same shapes (so they are what BLAS needs, wherever the layer calls it);
* elementwise: the rest of the layers' forward and backward passes (activations, bias, pooling,
  im2col copies) and the loss with its gradient;
* optimizer: ``optimizer.apply``;
* overhead: the rest of fit's step (batching, metrics, Python).

On the torch path the two matmul parts are still numpy's times at the same shapes, so there the
split between matmuls and elementwise work is approximate; the step time and the ratio are not.

Beside it, the GEMM-bound limit: the step's floating-point operations in matrix products divided by
the machine's measured sgemm rate (the best of a 2048 x 2048 float32 product). The fraction of the
limit reached is limit / step time. Then the same step in plain PyTorch (bench_*.py's loops), for
the ratio. Each thread setting runs in a process of its own, because BLAS reads its thread count
when numpy loads: "default" leaves the variables as the shell has them (numpy's and torch's own
defaults), "1" sets one thread on both sides.

The BLAS kernel matters as much as the threads. OpenBLAS (numpy's BLAS) picks its kernels for the CPU
it finds, unless ``OPENBLAS_CORETYPE`` names others: a machine that sets ``OPENBLAS_CORETYPE=Haswell``
on an AVX-512 CPU gets AVX2 kernels and about half the sgemm rate, while PyTorch (MKL, oneDNN) still
uses AVX-512. ``--blas-kernel shell`` keeps the variable as the shell has it, ``auto`` removes it so
OpenBLAS chooses; by default both run when the variable is set. Each run prints the kernel in use.

Timings on a shared machine vary from run to run; the split varies less than the totals.
"""

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import machine  # benchmarks/machine.py: threads and the BLAS kernel

HERE = Path(__file__).resolve().parent
BATCH_SIZE = 128
PARTS = ("forward matmuls", "backward matmuls", "elementwise", "optimizer", "overhead")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("mlp", "convnet", "mlp-torch", "both"), default="both",
                        help="both (default): mlp, convnet and mlp-torch (the MLP after model.to('cpu'))")
    parser.add_argument("--threads", choices=("default", "1", "both"), default="both",
                        help="BLAS and torch threads: the shell's defaults, one, or both settings (default)")
    parser.add_argument("--blas-kernel", choices=("shell", "auto", "both"), default=None,
                        help="OpenBLAS kernels: as OPENBLAS_CORETYPE is set in the shell, or OpenBLAS's own "
                             "choice for this CPU (the variable removed); default: both when the variable is "
                             "set, else the shell's")
    parser.add_argument("--steps", type=int, default=None, help="steps timed (default: 200 MLP, 40 convnet)")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs per setting, alternating settings; each figure printed is the median of its runs")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the README's table (one row per network, threads and BLAS kernel)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.steps is not None and arguments.steps < 5:
        parser.error(f"--steps must be at least 5, received {arguments.steps}")
    if arguments.runs < 1:
        parser.error(f"--runs must be a positive integer, received {arguments.runs}")
    return arguments


class Clock:
    """Seconds spent per category, gathered by wrapping methods of objects (instance attributes)."""

    def __init__(self):
        self.seconds = collections.defaultdict(float)
        self.shapes = {}  # layer -> (input shape, output shape) of its first call

    def wrap(self, owner, name, category, record_shapes=False):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                result = original(*args, **kwargs)
            finally:
                self.seconds[category] += time.perf_counter() - start
            if record_shapes and owner not in self.shapes:
                self.shapes[owner] = (tuple(args[0].shape), tuple(result.shape))
            return result

        setattr(owner, name, timed)


class TimedLoss:
    """The compiled loss with its ``__call__`` timed; everything else passes through."""

    def __init__(self, loss, clock):
        self._loss, self._clock = loss, clock

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self._loss(*args, **kwargs)
        finally:
            self._clock.seconds["loss"] += time.perf_counter() - start

    def __getattr__(self, name):
        return getattr(self._loss, name)


def gemms(layer, shapes, first):
    """The matrix products (m, k, n) of one layer's forward and backward pass, from its shapes."""
    from teachkeras import layers

    (inputs, outputs) = shapes
    if isinstance(layer, layers.Dense):
        rows = 1
        for size in inputs[:-1]:
            rows *= size
        m, k, n = rows, inputs[-1], layer.units
    elif isinstance(layer, layers.Conv2D) and layer.data_format == "channels_last":
        m = outputs[0] * outputs[1] * outputs[2]
        k = layer.kernel_size[0] * layer.kernel_size[1] * inputs[-1]
        n = layer.filters
    else:
        return [], []
    forward = [(m, k, n)]
    backward = [(k, m, n)] + ([] if first else [(m, n, k)])  # fit skips the first layer's input gradient
    return forward, backward


def gemm_seconds(m, k, n, repeats=7):
    import numpy as np

    generator = np.random.default_rng(0)
    left = generator.standard_normal((m, k), dtype=np.float32)
    right = generator.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    np.matmul(left, right, out=out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(left, right, out=out)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sgemm_rate():
    """The machine's float32 matrix-product rate in FLOP/s (best of a 2048^3 product)."""
    size = 2048
    return 2 * size ** 3 / min(gemm_seconds(size, size, size, repeats=3) for _ in range(2))


def build(model_name):
    """(teachkeras model, images, one-hot targets, integer labels, torch step function maker)."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    generator = np.random.default_rng(0)
    count = 60_000 if model_name == "mlp" else 12_800
    labels = generator.integers(0, 10, count)
    targets = np.eye(10, dtype=np.float32)[labels]
    if model_name == "mlp":
        import bench_mlp

        images = generator.random((count, 784), dtype=np.float32)
        return bench_mlp.teachkeras_model("rmsprop", 0), images, targets, labels
    import bench_convnet

    images = generator.random((count, 28, 28, 1), dtype=np.float32)
    return bench_convnet.teachkeras_model(0), images, targets, labels


def torch_step_seconds(model_name, weights, images, targets, labels, steps):
    import torch

    sys.path.insert(0, str(HERE))
    samples = steps * BATCH_SIZE
    if model_name == "mlp":
        import bench_mlp

        epoch = bench_mlp.torch_trainer(weights, "rmsprop", 0)
        x, y = torch.from_numpy(images[:samples]), torch.from_numpy(labels[:samples])
        epoch(x[:BATCH_SIZE * 2], y[:BATCH_SIZE * 2])  # warm up
        start = time.perf_counter()
        epoch(x, y)
        return (time.perf_counter() - start) / steps
    import bench_convnet

    trainer = bench_convnet.torch_trainer(0, weights)
    trainer.train(images[:BATCH_SIZE * 2], targets[:BATCH_SIZE * 2], BATCH_SIZE)
    start = time.perf_counter()
    trainer.train(images[:samples], targets[:samples], BATCH_SIZE)
    return (time.perf_counter() - start) / steps


def profile(model_name, steps):
    """One network's step, split; returns a dict of milliseconds and figures. ``mlp-torch`` is the
    MLP moved to torch tensors on the CPU (``model.to("cpu")``): fit moves each batch there."""
    network = "mlp" if model_name == "mlp-torch" else model_name
    model, images, targets, labels = build(network)
    weights = model.get_weights()
    if model_name == "mlp-torch":
        model.to("cpu")
    clock = Clock()
    for layer in model.layers:
        clock.wrap(layer, "call", "layers", record_shapes=True)
        clock.wrap(layer, "backward", "layers")
    clock.wrap(model.optimizer, "apply", "optimizer")
    model.loss = TimedLoss(model.loss, clock)
    samples = steps * BATCH_SIZE
    model.fit(images[:BATCH_SIZE * 2], targets[:BATCH_SIZE * 2], batch_size=BATCH_SIZE, verbose=0)  # warm up
    clock.seconds.clear()
    start = time.perf_counter()
    model.fit(images[:samples], targets[:samples], batch_size=BATCH_SIZE, epochs=1, verbose=0)
    total = (time.perf_counter() - start) / steps
    per_step = {key: value / steps for key, value in clock.seconds.items()}
    forward_gemm = backward_gemm = flops = 0.0
    for index, layer in enumerate(model.layers):
        if layer not in clock.shapes:
            continue
        forward, backward = gemms(layer, clock.shapes[layer], first=index == 0)
        forward_gemm += sum(gemm_seconds(*shape) for shape in forward)
        backward_gemm += sum(gemm_seconds(*shape) for shape in backward)
        flops += sum(2 * m * k * n for m, k, n in forward + backward)
    rate = sgemm_rate()
    elementwise = per_step.get("layers", 0.0) + per_step.get("loss", 0.0) - forward_gemm - backward_gemm
    measured = per_step.get("layers", 0.0) + per_step.get("loss", 0.0) + per_step.get("optimizer", 0.0)
    parts = {"forward matmuls": forward_gemm, "backward matmuls": backward_gemm,
             "elementwise": max(elementwise, 0.0), "optimizer": per_step.get("optimizer", 0.0),
             "overhead": max(total - measured, 0.0)}
    torch_seconds = torch_step_seconds(network, weights, images, targets, labels, steps)
    return {"model": model_name, "step_ms": total * 1e3, "parts_ms": {k: v * 1e3 for k, v in parts.items()},
            "gflop": flops / 1e9, "sgemm_gflops": rate / 1e9, "limit_ms": flops / rate * 1e3,
            "torch_step_ms": torch_seconds * 1e3}


def report(result, threads):
    step = result["step_ms"]
    print(f"{result['model']}, threads {threads}: teachkeras step {step:.2f} ms, PyTorch step "
          f"{result['torch_step_ms']:.2f} ms, ratio {step / result['torch_step_ms']:.2f}x")
    for part in PARTS:
        value = result["parts_ms"][part]
        print(f"  {part:<17} {value:8.2f} ms  {100 * value / step:5.1f}%")
    print(f"  GEMM-bound limit  {result['limit_ms']:8.2f} ms  ({result['gflop']:.3f} GFLOP per step at the measured "
          f"sgemm rate of {result['sgemm_gflops']:.0f} GFLOP/s): {100 * result['limit_ms'] / step:.0f}% of the limit reached")


def child(arguments):
    import numpy as np
    import torch

    sys.path.insert(0, str(HERE.parent))
    if os.environ.get("OPENBLAS_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))
    results = []
    for name in (("mlp", "convnet", "mlp-torch") if arguments.model == "both" else (arguments.model,)):
        steps = arguments.steps or (40 if name == "convnet" else 200)
        results.append(profile(name, steps))
    results.append({"numpy": np.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
                    "blas_kernel": machine.blas_kernel()})
    print("RESULTS " + json.dumps(results))


def run_child(arguments, kernel, setting):
    """One child process at one setting: (its results, the versions and kernel it reports)."""
    environment = dict(os.environ)
    if kernel == "auto":
        environment.pop("OPENBLAS_CORETYPE", None)
    for variable in machine.THREAD_VARIABLES:
        if setting == "1":
            environment[variable] = "1"
    command = [sys.executable, __file__, "--child", "--model", arguments.model]
    if arguments.steps:
        command += ["--steps", str(arguments.steps)]
    output = subprocess.run(command, env=environment, capture_output=True, text=True, check=True).stdout
    results = json.loads(output.split("RESULTS ", 1)[1])
    return results[:-1], results[-1]


def median_result(runs):
    """Figure by figure, the median of several runs' results for one network."""
    first = runs[0]
    median = {key: statistics.median(run[key] for run in runs) for key in first if isinstance(first[key], float)}
    median["parts_ms"] = {part: statistics.median(run["parts_ms"][part] for run in runs) for part in PARTS}
    return {**first, **median}


def markdown_row(result, threads, kernel):
    step, parts = result["step_ms"], result["parts_ms"]
    names = {"mlp": "MLP, RMSprop", "convnet": "convnet, Adam", "mlp-torch": "MLP on torch tensors"}
    matmuls = f"{parts['forward matmuls']:.2f} + {parts['backward matmuls']:.2f}"
    if result["model"] == "mlp-torch":
        matmuls = f"({matmuls})"
    return (f"| {names[result['model']]} | {threads} | {kernel} | {step:.2f} | {result['torch_step_ms']:.2f} | "
            f"{step / result['torch_step_ms']:.2f}x | {matmuls} | {parts['elementwise']:.2f} | "
            f"{parts['optimizer']:.2f} | {parts['overhead']:.2f} | {100 * result['limit_ms'] / step:.0f}% |")


def main(argv=None):
    arguments = parse_arguments(argv)
    if arguments.child:
        return child(arguments)
    settings = ("default", "1") if arguments.threads == "both" else (arguments.threads,)
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    kernels = arguments.blas_kernel or ("both" if coretype else "shell")
    kernels = ("shell", "auto") if kernels == "both" else (kernels,)
    print(f"{os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.1f}, "
          f"OPENBLAS_CORETYPE={coretype or '(not set)'}")
    combinations = [(kernel, setting) for kernel in kernels for setting in settings]
    gathered = {combination: [] for combination in combinations}
    for _ in range(arguments.runs):  # settings alternate, so that a busy spell touches them all
        for combination in combinations:
            gathered[combination].append(run_child(arguments, *combination))
    rows = []
    for (kernel, setting), runs in gathered.items():
        versions = runs[0][1]
        chosen = "OpenBLAS's own choice" if kernel == "auto" else f"OPENBLAS_CORETYPE={coretype or '(not set)'}"
        median_of = f"; medians of {len(runs)} runs" if len(runs) > 1 else ""
        print(f"\nthreads: {setting} (torch uses {versions['torch_threads']}); BLAS kernel: "
              f"{versions['blas_kernel']} ({chosen}); numpy {versions['numpy']}, torch {versions['torch']}{median_of}")
        for index in range(len(runs[0][0])):
            result = median_result([results[index] for results, _ in runs])
            report(result, setting)
            rows.append(markdown_row(result, "default" if setting == "default" else setting, versions["blas_kernel"]))
    if arguments.markdown:
        print("\n| step | threads | BLAS kernel | teachkeras | PyTorch | ratio | matmuls fwd + bwd | elementwise "
              "| optimizer | overhead | GEMM limit reached |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        print("\n".join(sorted(rows, key=lambda row: row.split(" | ")[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
