import os

# Keras is the oracle in some tests; it must use the torch backend (installed with the dev extra).
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("MPLBACKEND", "Agg")
# The offline copies of MNIST / Fashion-MNIST (CI sets this too); relative to the repository root,
# which teachkeras.datasets also tries, so notebook kernels running in notebooks/ find them.
os.environ.setdefault("TEACHKERAS_DATASETS", "../shared/datasets")
