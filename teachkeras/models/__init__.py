"""Models: ``Sequential`` and the ``Model`` base class that owns the training loop
(Keras: ``keras.models`` / ``keras.Sequential``). Built in notebooks/04_batches_vs_epochs.ipynb."""

from teachkeras.models.model import Model
from teachkeras.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
