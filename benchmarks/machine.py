"""What the benchmarks say about the machine they ran on: threads and the BLAS kernel.

Two settings decide most of a numpy training step's speed besides the code itself:

* threads: ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS``, read once when numpy
  and torch load their libraries. ``--threads default`` leaves them as the shell has them (each
  library then uses every core); a number sets all three, and torch's own count, to it.
* the BLAS kernel: OpenBLAS (numpy's BLAS) picks kernels for the CPU it detects, unless
  ``OPENBLAS_CORETYPE`` names others. On an AVX-512 CPU, ``OPENBLAS_CORETYPE=Haswell`` means AVX2
  kernels and about half the float32 matrix-product rate, while PyTorch (MKL, oneDNN) keeps
  AVX-512. The benchmarks leave the variable as they find it (the library does not override a
  user's setting) and print the kernel in use.
"""

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_setting(text):
    """argparse type for ``--threads``: 'default' or a positive integer."""
    if text == "default":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        import argparse

        raise argparse.ArgumentTypeError(f"expected 'default' or a positive integer, received {text!r}")
    return value


def set_threads(setting):
    """Before numpy or torch load: one thread count for BLAS and torch, or the shell's defaults."""
    if setting == "default":
        return
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(setting)
    import torch

    torch.set_num_threads(setting)


def blas_kernel():
    """The kernel family numpy's OpenBLAS runs (Haswell: AVX2; SkylakeX, Cooperlake: AVX-512), if known."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl is not installed)"
    for pool in threadpool_info():
        if pool.get("internal_api") == "openblas":
            return pool.get("architecture") or "unknown"
    return "not OpenBLAS"


def describe(setting):
    """One line: threads, BLAS kernel and how it was chosen, versions, CPUs and load."""
    import numpy as np
    import torch

    coretype = os.environ.get("OPENBLAS_CORETYPE")
    chosen = f"OPENBLAS_CORETYPE={coretype}" if coretype else "OpenBLAS's own choice"
    return (f"threads: {setting} (torch uses {torch.get_num_threads()}); BLAS kernel {blas_kernel()} ({chosen}); "
            f"numpy {np.__version__}, torch {torch.__version__}; {os.cpu_count()} CPUs visible, "
            f"load average {os.getloadavg()[0]:.1f}")


# ---------------------------------------------------------------- peak memory of a step (Linux)


def _status_kib(field):
    """A field of /proc/self/status in KiB (Linux), or None elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_memory():
    """Forget the peak resident memory so far (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def peak_rise_mib(run):
    """How far this process' resident memory rises above its level before ``run()``, at its peak
    during the call, in MiB; None where Linux's /proc is not there to tell."""
    before = _status_kib("VmRSS")
    reset = reset_peak_memory()
    run()
    peak = _status_kib("VmHWM")
    return (peak - before) / 1024 if reset and peak and before else None

