"""Applies to every test path (tests/, notebooks/ under nbval, doctests in teachkeras/)."""

import os

# Keras is the oracle in some tests; it must use the torch backend (installed with the dev extra).
os.environ.setdefault("KERAS_BACKEND", "torch")
# No MPLBACKEND here: nbval's kernels inherit the environment, and an Agg backend would stop
# notebooks from showing their figures (headless machines pick Agg for plain tests by themselves).
# The offline copies of MNIST / Fashion-MNIST (CI sets this too); relative to the repository root,
# which teachkeras.datasets also tries, so notebook kernels running in notebooks/ find them.
os.environ.setdefault("TEACHKERAS_DATASETS", "../shared/datasets")

# The same float32 arithmetic on every machine, in the tests and in nbval's kernels (which inherit
# this environment): one BLAS / OpenMP thread and, on x86-64, OpenBLAS' Haswell kernels; see
# teachkeras.testing.reproducible_arithmetic and docs/design.md ("Reproducible notebook outputs").
# tools/execute_notebook.py sets the same, so committed outputs come from the same arithmetic.
# Importing teachkeras loads numpy in this process first; that is fine: what must see these
# variables are the processes started after this line (xdist workers, nbval's kernels).
from teachkeras.testing import reproducible_arithmetic  # noqa: E402

os.environ.update(reproducible_arithmetic())
