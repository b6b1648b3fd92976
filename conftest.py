"""Applies to every test path (tests/, notebooks/ under nbval, doctests in teachkeras/)."""

import os

# Keras is the oracle in some tests; it must use the torch backend (installed with the dev extra).
os.environ.setdefault("KERAS_BACKEND", "torch")
# No MPLBACKEND here: nbval's kernels inherit the environment, and an Agg backend would stop
# notebooks from showing their figures (headless machines pick Agg for plain tests by themselves).
# The offline copies of MNIST / Fashion-MNIST (CI sets this too); relative to the repository root,
# which teachkeras.datasets also tries, so notebook kernels running in notebooks/ find them.
os.environ.setdefault("TEACHKERAS_DATASETS", "../shared/datasets")

# One BLAS / OpenMP thread in tests and in nbval's kernels (which inherit this environment): the
# notebooks' printed numbers then do not depend on how many cores the machine has (OpenBLAS splits
# work differently by thread count, which moves float32 results in the last digits and, after a few
# epochs, a test accuracy by a few images), and two xdist workers on two cores do not oversubscribe.
# tools/execute_notebook.py sets the same, so committed outputs come from the same arithmetic.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
