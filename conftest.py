"""Applies to every test path (tests/, notebooks/ under nbval, doctests in teachkeras/)."""

import os

# Keras is the oracle in some tests; it must use the torch backend (installed with the dev extra).
os.environ.setdefault("KERAS_BACKEND", "torch")
# No MPLBACKEND here: nbval's kernels inherit the environment, and an Agg backend would stop
# notebooks from showing their figures (headless machines pick Agg for plain tests by themselves).
# The offline copies of MNIST / Fashion-MNIST (CI sets this too); relative to the repository root,
# which teachkeras.datasets also tries, so notebook kernels running in notebooks/ find them.
os.environ.setdefault("TEACHKERAS_DATASETS", "../shared/datasets")
