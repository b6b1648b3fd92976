"""Check the torch path on the devices of this machine, in under five minutes (chapter 12).

On a machine with CUDA:

1. parity: one training step of the same model from the same weights on the CPU and on CUDA (and
   on the numpy path): the same loss and the same updated weights, to float tolerance;
2. speed: the notes' MLP and Keras' MNIST convnet, one epoch each through ``fit`` on CUDA, beside
   the same networks in plain PyTorch on that GPU (epoch times and the ratio);
3. with two GPUs or more: ``teachkeras.distribute`` over NCCL, two processes with batch B/2 each,
   against one process with batch B: the same weights, and the throughput of each.

Without CUDA (or with ``--cpu-only``) it runs what the CPU allows: parity of the numpy path and
the torch CPU path, and the MLP timing on the CPU. The tests run that part
(``tests/test_devices.py``). Exit status 0 when every parity check passed, 1 otherwise.

Usage, from the repository root::

    python tools/device_check.py                 # everything this machine has
    python tools/device_check.py --cpu-only --samples 2048
"""

import argparse
import os
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))  # as the tests import the benchmarks

import bench_torch_path  # noqa: E402  (the timing loop, the data and the plain-PyTorch twins)
from bench_torch_path import BATCH_SIZE, data  # noqa: E402  (the worker imports data from here too)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-only", action="store_true", help="skip CUDA even when it is there")
    bench_torch_path.add_size_arguments(parser, samples=60_000, conv_samples=10_000)
    return bench_torch_path.parse_positive(parser, argv)


def mlp(seed=0, device=None):
    """The notes' MLP (bench_mlp's, with RMSprop), moved to ``device`` when given."""
    import bench_mlp

    model = bench_mlp.teachkeras_model("rmsprop", seed)
    return model.to(device) if device else model


def check_parity(devices):
    """One train_on_batch per device from the same weights: loss and weights within tolerance."""
    import numpy as np

    x, y, _ = data(BATCH_SIZE, seed=1)
    results = {}
    for device in [None] + devices:
        model = mlp(device=device)
        loss = model.train_on_batch(x, y)[0]
        results[device or "numpy"] = (loss, model.get_weights())
    reference_loss, reference_weights = results["numpy"]
    passed = True
    for name, (loss, weights) in results.items():
        difference = max(float(np.abs(a - b).max()) for a, b in zip(weights, reference_weights))
        ok = abs(loss - reference_loss) < 1e-4 and difference < 1e-4
        passed &= ok
        print(f"parity {name:>6} vs numpy: loss {loss:.6f} (numpy {reference_loss:.6f}), largest weight "
              f"difference after one step {difference:.1e}: {'ok' if ok else 'FAILED'}")
    return passed


def timed(name, teachkeras_epoch, torch_epoch, epochs, device):
    medians = bench_torch_path.epoch_medians(teachkeras_epoch, torch_epoch, epochs, device)
    print(f"{name} on {device}: median epoch teachkeras {medians['teachkeras']:.3f} s, plain PyTorch "
          f"{medians['torch']:.3f} s, ratio {medians['teachkeras'] / medians['torch']:.2f}")
    return medians


def check_speed(device, arguments, convnet=True):
    import torch

    x, y, labels = data(arguments.samples)
    model = mlp(device=device)
    twin = bench_torch_path.torch_mlp_epoch(model.get_weights(), device)
    x_device, labels_device = torch.from_numpy(x).to(device), torch.from_numpy(labels).to(device)
    y_device = torch.from_numpy(y).to(device)  # both frameworks start from data already on the device
    timed(f"MLP, {len(x)} samples", lambda: model.fit(x_device, y_device, batch_size=BATCH_SIZE, epochs=1, verbose=0),
          lambda: twin(x_device, labels_device), arguments.epochs, device)
    if not convnet:
        return
    import bench_convnet

    images, one_hot, labels = data(arguments.conv_samples, image=True)
    model = bench_convnet.teachkeras_model(0)
    twin = bench_torch_path.torch_convnet_epoch(model.get_weights(), device)
    model.to(device)
    images_device = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    labels_device = torch.from_numpy(labels).to(device)
    images_nhwc, one_hot_device = torch.from_numpy(images).to(device), torch.from_numpy(one_hot).to(device)
    timed(f"convnet, {len(images)} samples",
          lambda: model.fit(images_nhwc, one_hot_device, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0),
          lambda: twin(images_device, labels_device), arguments.epochs, device)


WORKER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from tools.device_check import data, mlp
    from teachkeras import distribute

    strategy = distribute.DataParallel(backend=sys.argv[4])
    x, y, _ = data(int(sys.argv[3]), seed=2)
    model = mlp(device=sys.argv[5].format(rank=strategy.rank))
    strategy.fit(model, x, y, batch_size=256, epochs=1, verbose=0, seed=3)      # warm-up, and the run compared
    weights = model.get_weights()
    start = time.perf_counter()
    strategy.fit(model, x, y, batch_size=256, epochs=1, verbose=0, seed=4)
    seconds = time.perf_counter() - start
    if strategy.rank == 0:
        np.savez(Path(sys.argv[1]) / "ranks.npz", *weights, seconds=seconds)
''')


def check_data_parallel(arguments, backend="nccl", device="cuda:{rank}"):
    """Two processes (NCCL between cuda:0 and cuda:1; the tests run it with gloo on the CPU) vs one
    process with the whole batch of 256, on the device of rank 0."""
    import numpy as np

    from teachkeras import distribute

    samples = min(arguments.samples, 20_480)
    with bench_torch_path.worker_script(WORKER) as script:
        distribute.launch(script, nprocs=2, args=[script.parent, ROOT, samples, backend, device], timeout=240,
                          env={"OMP_NUM_THREADS": "1"})
        with np.load(script.parent / "ranks.npz") as archive:
            saved = dict(archive)
    x, y, _ = data(samples, seed=2)
    model = mlp(device=device.format(rank=0))
    strategy = distribute.DataParallel()
    strategy.fit(model, x, y, batch_size=256, epochs=1, verbose=0, seed=3)
    difference = max(float(np.abs(a - saved[f"arr_{i}"]).max()) for i, a in enumerate(model.get_weights()))
    alone = bench_torch_path.seconds(lambda: strategy.fit(model, x, y, batch_size=256, epochs=1, verbose=0, seed=4),
                                     device.format(rank=0))
    together, ok = samples / float(saved["seconds"]), difference < 1e-4
    print(f"{backend}, 2 processes (batch 128 each) vs 1 (batch 256): largest weight difference {difference:.1e}: "
          f"{'ok' if ok else 'FAILED'}; throughput {together:,.0f} vs {samples / alone:,.0f} samples/s")
    return ok


def main(argv=None):
    arguments = parse_arguments(argv)
    sys.path.insert(0, str(ROOT))
    import torch

    cuda = torch.cuda.is_available() and not arguments.cpu_only
    gpus = torch.cuda.device_count() if cuda else 0
    print(f"torch {torch.__version__}; CUDA {'available, ' + str(gpus) + ' GPU(s): ' + torch.cuda.get_device_name(0) if cuda else 'not used'}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    start = time.perf_counter()
    passed = check_parity(["cpu"] + (["cuda:0"] if cuda else []))
    if cuda:
        check_speed("cuda:0", arguments)
        if gpus >= 2:
            passed &= check_data_parallel(arguments)
        else:
            print("NCCL: skipped (one GPU; the 2-process run needs two)")
    else:
        torch.set_num_threads(1)
        check_speed("cpu", arguments, convnet=False)
    print(f"device check {'passed' if passed else 'FAILED'} in {time.perf_counter() - start:.0f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
