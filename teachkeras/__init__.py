"""teachkeras: a Keras-compatible deep-learning library in numpy, built chapter by chapter.

``import teachkeras as keras`` and Keras tutorial code runs: ``keras.layers.Dense``,
``keras.Sequential``, ``keras.optimizers.RMSprop``, ``keras.datasets.mnist`` and so on. Each
module says which notebook in ``notebooks/`` builds it. Nothing here touches the network.
"""

__version__ = "0.1.0"

from teachkeras import activations, backend, initializers, layers, ops, optimizers
from teachkeras import datasets
from teachkeras import callbacks, config, losses, metrics, models, random, utils
from teachkeras import autodiff
from teachkeras import constraints, regularizers
from teachkeras import saving  # chapter 10: registers model.save & co. with teachkeras.hooks
from teachkeras.autodiff import GradientTape
from teachkeras.layers import Input
from teachkeras.models import Model, Sequential
from teachkeras import tree  # chapter 09: nested lists and dicts, as keras.tree

__all__ = ["activations", "backend", "datasets", "initializers", "layers", "ops", "optimizers"]
__all__ += ["GradientTape", "autodiff", "Input", "Model", "Sequential", "callbacks", "config", "losses", "metrics", "models", "random", "utils"]
__all__ += ["constraints", "regularizers"]
__all__ += ["saving"]
__all__ += ["tree"]
