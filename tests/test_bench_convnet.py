"""benchmarks/bench_convnet.py keeps running (a short synthetic run in a subprocess; its timings are not checked)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_convnet.py"
NUMBER = r"(\d+\.\d+)"


def test_benchmark_runs_on_synthetic_data_and_both_frameworks_train_alike():
    pytest.importorskip("torch")
    result = subprocess.run([sys.executable, str(BENCHMARK), "--data", "synthetic", "--steps", "3"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "on synthetic MNIST-shaped data (seeded)" in output and "3 steps, scaled to one epoch" in output

    rows = {}
    for name in ("teachkeras", "torch"):
        row = re.search(rf"^{name}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+({NUMBER}|n/a)$", output, re.M)
        assert row, f"no result row for {name} in:\n{output}"
        rows[name] = [float(value) for value in row.groups()[:4]]
    ratio = re.search(rf"^ratio teachkeras / PyTorch: {NUMBER}x \(target <= 1\.5x with --threads default\)$",
                      output, re.M)
    assert ratio and float(ratio.group(1)) > 0
    if "n/a" not in output:  # Linux: each framework's step peak, and their ratio against issue 16's target
        memory = re.search(rf"^step peak memory teachkeras / PyTorch: {NUMBER}x \(target <= 1\.2x\); numpy's first "
                           rf"matrix product alone \(conv2's shape, fresh process\): \+{NUMBER} MiB$", output, re.M)
        assert memory and float(memory.group(1)) > 0 and float(memory.group(2)) > 0
    assert re.search(r"^threads: 1 \(torch uses 1\); BLAS kernel .+; numpy ", output, re.M), output
    numpy_peak = re.search(rf"^teachkeras step: numpy peak {NUMBER} MiB \(tracemalloc\)$", output, re.M)
    assert numpy_peak and float(numpy_peak.group(1)) > 0

    # The same initial weights: the same loss before training, to float32 rounding ...
    first = re.search(rf"^loss on the first batch before training: teachkeras {NUMBER}, PyTorch {NUMBER}$",
                      output, re.M)
    assert first, output
    assert float(first.group(1)) == pytest.approx(float(first.group(2)), abs=1e-4)
    # ... and the same training after the same steps (the Adams differ only in where epsilon goes).
    teachkeras_loss, torch_loss = rows["teachkeras"][2], rows["torch"][2]
    assert teachkeras_loss == pytest.approx(torch_loss, abs=2e-3)


def test_benchmark_refuses_bad_arguments():
    result = subprocess.run([sys.executable, str(BENCHMARK), "--data", "cifar"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'cifar'" in result.stderr
    result = subprocess.run([sys.executable, str(BENCHMARK), "--steps", "0"], capture_output=True, text=True)
    assert result.returncode == 2 and "--steps must be a positive integer, received 0" in result.stderr
