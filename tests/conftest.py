import os

# Keras is the oracle in some tests; it must use the torch backend (installed with the dev extra).
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("MPLBACKEND", "Agg")
