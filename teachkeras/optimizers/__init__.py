"""Optimizers: ``teachkeras.optimizers.SGD(learning_rate=0.01)`` or by name (Keras: ``keras.optimizers``)."""

from teachkeras.optimizers.base import Optimizer
from teachkeras.optimizers.sgd import SGD
from teachkeras.optimizers import schedules
from teachkeras.optimizers.adadelta import Adadelta
from teachkeras.optimizers.adagrad import Adagrad
from teachkeras.optimizers.adam import Adam
from teachkeras.optimizers.adamw import AdamW
from teachkeras.optimizers.nadam import Nadam
from teachkeras.optimizers.rmsprop import RMSprop

ALL = {"sgd": SGD}
ALL.update({"rmsprop": RMSprop, "adam": Adam, "adagrad": Adagrad, "adadelta": Adadelta, "adamw": AdamW,
            "nadam": Nadam})


def get(identifier):
    """An optimizer from its name ('sgd', 'rmsprop', ...) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() not in ALL:
            raise ValueError(f"unknown optimizer {identifier!r}; expected one of {sorted(ALL)}")
        return ALL[identifier.lower()]()
    raise ValueError(f"expected an optimizer name or an Optimizer, received {identifier!r}")
