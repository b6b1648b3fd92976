"""benchmarks/bench_mlp.py keeps running (a tiny synthetic run in a subprocess; its timings and memory figures
are not checked, only that they are printed)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_mlp.py"


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop"])
def test_benchmark_runs_and_reports_a_ratio(optimizer):
    pytest.importorskip("torch")
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--data", "synthetic", "--samples", "512", "--epochs", "2",
         "--optimizer", optimizer],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("data: synthetic") and f"optimizer {optimizer}" in lines[0]
    assert "(4 steps per epoch)" in lines[0]
    assert lines[-1].startswith("median epoch: teachkeras ") and "ratio teachkeras / torch = " in lines[-1]
    first_epoch = next(line for line in lines if line.startswith("epoch 1: "))
    memory = [line for line in lines if line.startswith("step peak memory ")]
    if Path("/proc/self/clear_refs").exists():  # Linux: each framework's first steps, in a fresh process
        assert len(memory) == 1 and memory[0].endswith("x (target <= 1.2x)"), lines
    teachkeras_loss = float(first_epoch.split("(loss ")[1].split(",")[0])
    torch_loss = float(first_epoch.split("(loss ")[2].split(",")[0])
    assert teachkeras_loss == pytest.approx(torch_loss, rel=0.05)  # same weights, same data: same training


def test_benchmark_refuses_bad_arguments():
    result = subprocess.run([sys.executable, str(BENCHMARK), "--samples", "0"], capture_output=True, text=True)
    assert result.returncode == 2 and "--samples must be in [1, 60000], received 0" in result.stderr
    result = subprocess.run([sys.executable, str(BENCHMARK), "--threads", "0"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "--threads: expected 'default' or a positive integer, received '0'" in result.stderr
