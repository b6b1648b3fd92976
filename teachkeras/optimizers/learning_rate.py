"""What an optimizer's ``learning_rate`` accepts and how it reads: a number, a schedule (called with
the step) or a function of no arguments, and ``optimizer.learning_rate`` as a variable-like object.

Keras lets you write ``float(optimizer.learning_rate)``, ``optimizer.learning_rate * 2`` or
``optimizer.learning_rate.assign(0.1)``; ``LearningRate`` below is the operator boilerplate that
makes those work. A schedule saved in an optimizer's config (``{"class_name": ..., "config": ...}``)
is rebuilt by ``deserialize_schedule`` from the classes registered with ``register_schedules``
(``teachkeras.optimizers`` registers chapter 06's schedules), so the optimizer base class never
imports a later chapter.

Hand-written plumbing: no chapter builds this module.
"""

import math
import numbers

import numpy as np

from teachkeras.backend import floatx

__all__ = ["LearningRate", "is_schedule", "checked_learning_rate", "register_schedules", "deserialize_schedule"]

_SCHEDULE_CLASSES = {}  # class name -> class, filled by register_schedules


def is_schedule(learning_rate):
    """A LearningRateSchedule (chapter 06) is called with the step; any other callable with nothing.
    Recognised by its base class's name, so this module needs no import of chapter 06."""
    return any(cls.__name__ == "LearningRateSchedule" for cls in type(learning_rate).__mro__)


def register_schedules(classes):
    """Make schedule classes known to ``deserialize_schedule`` by their class names."""
    _SCHEDULE_CLASSES.update((cls.__name__, cls) for cls in classes)


def deserialize_schedule(config):
    """The schedule that ``{"class_name": ..., "config": ...}`` describes."""
    name = config.get("class_name")
    if name not in _SCHEDULE_CLASSES:
        raise ValueError(f"learning_rate: unknown schedule {name!r}; known are {sorted(_SCHEDULE_CLASSES)}")
    return _SCHEDULE_CLASSES[name].from_config(config.get("config") or {})


def _is_number_array(value):
    """A 0-d numpy array or tensor of numbers (not booleans): ``float()`` reads its one value."""
    return (not isinstance(value, numbers.Number) and tuple(getattr(value, "shape", (None,))) == ()
            and hasattr(value, "dtype") and "bool" not in str(value.dtype) and "complex" not in str(value.dtype))


def checked_learning_rate(optimizer, value):
    """``value`` as the optimizer stores it: a float, or the schedule / function itself.

    A number must be finite and >= 0; an optimizer whose rate comes from a schedule cannot be set to
    a number (as in Keras)."""
    owner = type(optimizer).__name__
    if isinstance(value, LearningRate) or _is_number_array(value):
        value = float(value)  # np.array(0.1), torch.tensor(0.1): their one number
    if callable(value):
        return value
    if callable(getattr(optimizer, "_learning_rate", None)):
        raise TypeError(
            f"{owner}: this optimizer's learning rate comes from {optimizer._learning_rate!r}, so it "
            "cannot be set to a number; give the optimizer a number as learning_rate to be able to set it"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(
            f"{owner}: learning_rate must be a finite number >= 0, a schedule or a function of no "
            f"arguments, received learning_rate={value!r}"
        )
    return float(value)


class LearningRate:
    """``optimizer.learning_rate``: the current rate, variable-like as in Keras.

    ``float(rate)``, ``rate.numpy()`` and arithmetic with numbers read the rate now in force: the
    number, the schedule at the optimizer's current step, or the value of a zero-argument
    callable. ``rate.assign(0.1)`` changes a numeric rate (a schedule's rate cannot be set).
    """

    def __init__(self, optimizer):
        self._optimizer = optimizer

    def assign(self, value):
        self._optimizer.learning_rate = value

    def numpy(self):
        return np.asarray(float(self), dtype=floatx())

    def __array__(self, dtype=None, copy=None):  # np.asarray(rate): a float array, not an object one
        return np.asarray(float(self), dtype=dtype or floatx())

    def __float__(self):
        return self._optimizer._scheduled_learning_rate()

    def __bool__(self):
        return float(self) != 0.0

    def __abs__(self):
        return abs(float(self))

    def __repr__(self):
        return f"<LearningRate value={float(self)}>"

    def __str__(self):
        return str(float(self))

    def __format__(self, spec):
        return format(float(self), spec)

    def __round__(self, digits=None):
        return round(float(self), digits)

    def __neg__(self):
        return -float(self)

    def __add__(self, other):
        return float(self) + other

    def __radd__(self, other):
        return other + float(self)

    def __sub__(self, other):
        return float(self) - other

    def __rsub__(self, other):
        return other - float(self)

    def __mul__(self, other):
        return float(self) * other

    def __rmul__(self, other):
        return other * float(self)

    def __truediv__(self, other):
        return float(self) / other

    def __rtruediv__(self, other):
        return other / float(self)

    def __pow__(self, other):
        return float(self) ** other

    def __eq__(self, other):
        return float(self) == other

    def __lt__(self, other):
        return float(self) < other

    def __le__(self, other):
        return float(self) <= other

    def __gt__(self, other):
        return float(self) > other

    def __ge__(self, other):
        return float(self) >= other

    __hash__ = None  # it changes, so it cannot be a dict key
