"""benchmarks/profile_step.py keeps running and its split adds up (a short run in a subprocess; no
timing is asserted, only the bookkeeping: every part present, the parts sum to the step)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "profile_step.py"


def test_profile_prints_the_split_the_limit_and_the_ratio():
    pytest.importorskip("torch")
    result = subprocess.run([sys.executable, str(SCRIPT), "--model", "mlp", "--threads", "1", "--steps", "5",
                             "--blas-kernel", "auto", "--markdown"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    # The header names the BLAS kernel the run used, chosen by OpenBLAS itself (the variable removed).
    assert re.search(r"^threads: 1 \(torch uses 1\); BLAS kernel: .+ \(OpenBLAS's own choice\);", text, flags=re.M)
    step = float(re.search(r"mlp, threads 1: teachkeras step ([\d.]+) ms, PyTorch step [\d.]+ ms, ratio [\d.]+x",
                           text).group(1))
    parts = {name: float(value) for name, value in
             re.findall(r"^  (forward matmuls|backward matmuls|elementwise|optimizer|overhead) +([\d.]+) ms", text,
                        flags=re.M)}
    assert set(parts) == {"forward matmuls", "backward matmuls", "elementwise", "optimizer", "overhead"}
    assert parts["forward matmuls"] > 0 and parts["optimizer"] > 0
    # Each part is measured or the remainder, clamped at zero: together they cover the step.
    assert sum(parts.values()) >= 0.95 * step
    assert re.search(r"GEMM-bound limit +[\d.]+ ms +\(0\.209 GFLOP per step .*\): \d+% of the limit reached", text)
    # --markdown: the README's row for the same figures
    row = re.search(r"^\| MLP, RMSprop \| 1 \| \S+ \| ([\d.]+) \| [\d.]+ \| [\d.]+x \| [\d.]+ \+ [\d.]+ \| [\d.]+ \| "
                    r"[\d.]+ \| [\d.]+ \| \d+% \|$", text, flags=re.M)
    assert row and float(row.group(1)) == pytest.approx(step, abs=0.006)


def test_profile_refuses_bad_arguments():
    result = subprocess.run([sys.executable, str(SCRIPT), "--runs", "0"], capture_output=True, text=True)
    assert result.returncode == 2 and "--runs must be a positive integer, received 0" in result.stderr
