"""What the callbacks of chapter 11 share and no lesson needs: checking their arguments, telling
whether a metric should go up or down, the warning for a quantity that is not logged, and the
way a CSV file writes a value.

Keras decides ``mode="auto"`` from the metric objects of the compiled model: the loss and the
errors (``mse``, ``mae``, the loss functions used as metrics) should go down; accuracies,
cosine similarity, precision, recall, AUC and IoU should go up. A metric says so itself with a
``_direction`` attribute (``"up"`` or ``"down"``), as in Keras; chapter 04's metrics, which
predate this chapter, are recognised here by their class or function.

>>> direction_of_name("val_loss", [])
'down'
>>> csv_cell([1, 2])
'"[1, 2]"'

Hand-written plumbing: no chapter builds this module.
"""

import collections.abc
import numbers
import warnings

import numpy as np

from teachkeras import losses
from teachkeras.metrics import base as metrics_base
from teachkeras.validation import check_number

__all__ = ["MODES", "check_mode", "check_patience", "check_factor", "metric_direction", "direction_of_name",
           "warn_not_logged", "csv_cell"]

MODES = ("auto", "min", "max")
_UP = (metrics_base.BinaryAccuracy, metrics_base.CategoricalAccuracy, metrics_base.SparseCategoricalAccuracy,
       metrics_base.Accuracy, metrics_base.CosineSimilarity)
_DOWN = (metrics_base.MeanSquaredError, metrics_base.MeanAbsoluteError)


def check_mode(owner, mode):
    """``mode`` if it is 'auto', 'min' or 'max'; else a ValueError (Keras warns and uses 'auto')."""
    if mode not in MODES:
        raise ValueError(f"{owner}: mode must be one of {list(MODES)}, received mode={mode!r}")
    return mode


def check_patience(owner, name, value):
    """A whole number of epochs >= 0 (``patience``, ``cooldown``, ``start_from_epoch``)."""
    return check_number(owner, name, value, 0, integer=True)


def check_factor(owner, factor):
    """ReduceLROnPlateau's ``factor``: the new rate is ``rate * factor``, so 0 < factor < 1."""
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool) and factor >= 1:
        raise ValueError(f"{owner}: factor must be < 1 (it multiplies the learning rate, which should shrink), "
                         f"received factor={factor!r}")
    return check_number(owner, "factor", factor, 0, 1, low_open=True, high_open=True)


def metric_direction(metric):
    """'up', 'down' or None (unknown) for one Metric object."""
    direction = getattr(metric, "_direction", None)
    if direction is not None:
        return direction
    if isinstance(metric, _UP):
        return "up"
    if isinstance(metric, _DOWN) or metric.name == "loss":
        return "down"
    function = getattr(metric, "fn", None)
    if function is not None and getattr(losses, getattr(function, "__name__", ""), None) is function:
        return "down"  # a loss function used as a metric ('binary_crossentropy', 'mape', ...)
    return None


def direction_of_name(monitor, metrics):
    """Whether ``monitor`` ('val_auc', 'loss', ...) should go 'up' or 'down', from the model's metric
    objects ``metrics``, or None when none of them is called that or its direction is unknown."""
    name = monitor.removeprefix("val_")
    if name == "loss":
        return "down"
    for metric in metrics:
        if metric.name == name:
            return metric_direction(metric)
    return None


def warn_not_logged(owner, action, monitor, logs):
    """Keras' warning when the monitored quantity is missing from the epoch's logs, naming those logged."""
    available = ", ".join(logs) or "none"
    warnings.warn(f"{owner}: {action} is conditioned on metric `{monitor}` which is not available. "
                  f"Available metrics are: {available}", UserWarning, stacklevel=3)


def csv_cell(value):
    """A logged value as Keras' CSVLogger writes it: strings as they are, sequences as "[a, b]",
    numbers by ``str`` (so 0.5 is '0.5', as Python's csv module writes a float)."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value
