"""The neural-network functions of ``keras.ops`` that custom code uses: ``sigmoid``, ``relu``,
``one_hot``.

Thin wrappers like those of ``teachkeras.ops.numpy``: each asks its input for its namespace
(numpy or torch) and follows Keras' names, arguments and defaults. ``softmax`` and
``log_softmax``, which need care, are built in chapter 01 (``teachkeras.ops.core``); the
activation functions with their derivatives are chapter 02's ``teachkeras.activations``.

>>> import numpy as np
>>> from teachkeras import ops
>>> ops.one_hot(np.array([2, 0]), 3).tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]

Hand-written plumbing: no chapter builds this module.
"""

import array_api_compat

from teachkeras.backend import namespace, standardize_dtype
from teachkeras.ops.core import _as_float
from teachkeras.ops.numpy import accepts_keras_tensors

__all__ = ["sigmoid", "relu", "one_hot"]


def sigmoid(x):
    """``1 / (1 + exp(-x))`` computed from ``exp(-|x|)``, which never overflows."""
    xp = namespace(x)
    x = _as_float(x, xp)
    small = xp.exp(-xp.abs(x))  # in (0, 1]
    return xp.where(x >= 0, 1 / (1 + small), small / (1 + small))


def relu(x):
    """``max(x, 0)`` elementwise."""
    return namespace(x).maximum(x, 0)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels ``x`` as one-hot vectors of length ``num_classes`` along a new ``axis``.

    Labels outside ``[0, num_classes)`` give all-zero vectors. ``dtype`` defaults to ``floatx()``.
    """
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported, received sparse=True")
    xp = namespace(x)
    classes = xp.arange(num_classes, device=array_api_compat.device(x))
    hot = xp.astype(xp.expand_dims(x, axis=-1) == classes, getattr(xp, standardize_dtype(dtype)))
    return hot if axis == -1 else xp.moveaxis(hot, -1, axis)


for _name in __all__:  # on KerasTensors, an op node of the functional graph (chapter 09)
    globals()[_name] = accepts_keras_tensors(globals()[_name])
