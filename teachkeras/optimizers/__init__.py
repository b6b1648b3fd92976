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
from teachkeras.optimizers.learning_rate import register_schedules

# An optimizer's config stores a schedule by class name; this lets Optimizer.from_config (chapter 04)
# rebuild chapter 06's schedules without importing a later chapter.
register_schedules(schedules.SCHEDULES.values())

ALL = {"sgd": SGD}
ALL.update({"rmsprop": RMSprop, "adam": Adam, "adagrad": Adagrad, "adadelta": Adadelta, "adamw": AdamW,
            "nadam": Nadam})


def get(identifier):
    """An optimizer from its name ('sgd', 'rmsprop', ...) or an instance. Any object with the
    optimizer's ``apply`` and ``update_step`` counts as one, such as the SGD that chapter 04's
    notebook builds (a class of its own, equal to this package's)."""
    if isinstance(identifier, Optimizer) or (not isinstance(identifier, type) and callable(getattr(
            identifier, "apply", None)) and callable(getattr(identifier, "update_step", None))):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() not in ALL:
            raise ValueError(f"unknown optimizer {identifier!r}; expected one of {sorted(ALL)}")
        return ALL[identifier.lower()]()
    raise ValueError(f"expected an optimizer name or an Optimizer, received {identifier!r}")
