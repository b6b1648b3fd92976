"""Models: ``Sequential`` and the ``Model`` base class that owns the training loop
(Keras: ``keras.models`` / ``keras.Sequential``). Built in notebooks/04_batches_vs_epochs.ipynb."""

from teachkeras.models.model import Model
from teachkeras.models.sequential import Sequential
from teachkeras.models.functional import Functional, Graph  # chapter 09: Model(inputs, outputs) returns one
from teachkeras.saving.saving_api import clone_model, load_model, model_from_json, save_model  # chapter 10

__all__ = ["Functional", "Graph", "Model", "Sequential"]
__all__ += ["clone_model", "load_model", "model_from_json", "save_model"]
