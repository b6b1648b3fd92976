"""``teachkeras.ops``: backend-neutral array functions with the names of ``keras.ops``.

Every function takes numpy arrays or torch tensors and returns the same kind. They come from
three modules:

* ``teachkeras.ops.core``, built by chapter 01 (notebooks/01_axis_sums.ipynb): ``sum``, ``mean``,
  ``max``, ``logsumexp``, ``softmax``, ``log_softmax`` and ``unbroadcast``;
* ``teachkeras.ops.numpy`` and ``teachkeras.ops.nn``, named after Keras 3's ``keras.ops.numpy`` and
  ``keras.ops.nn``: thin wrappers for the rest of ``keras.ops`` that custom metrics, losses and
  layers use (``abs``, ``where``, ``argmax``, ``one_hot``, ...).

Several names shadow Python's built-ins (``sum``, ``max``, ``abs``, ``round``, ...): import the
package and call ``ops.sum``.

>>> import numpy as np
>>> from teachkeras import ops
>>> ops.mean(ops.abs(np.array([[1.0, -3.0], [2.0, 2.0]])), axis=-1).tolist()
[2.0, 2.0]

Hand-written plumbing: no chapter builds this module.
"""

from teachkeras.ops import core as _core
from teachkeras.ops import nn as _nn
from teachkeras.ops import numpy as _numpy
from teachkeras.ops.core import (
    _as_float, _normalize_axis, log_softmax, logsumexp, max, mean, softmax, sum, unbroadcast,
)
from teachkeras.ops.nn import one_hot, relu, sigmoid
from teachkeras.ops.numpy import (
    abs, absolute, all, any, arange, argmax, argmin, cast, ceil, clip, concatenate, convert_to_numpy,
    convert_to_tensor, dot, equal, exp, expand_dims, expm1, floor, full, full_like, greater, greater_equal,
    less, less_equal, linspace, log, log1p, logical_and, logical_not, logical_or, matmul, maximum, min,
    minimum, norm, not_equal, ones, ones_like, power, prod, reshape, round, shape, sign, sqrt, square,
    squeeze, stack, std, tanh, transpose, var, where, zeros, zeros_like,
)

for _name in _core.__all__:  # chapter 01's functions, wrapped so that they take KerasTensors too (chapter 09)
    globals()[_name] = _numpy.accepts_keras_tensors(getattr(_core, _name))

__all__ = _core.__all__ + _numpy.__all__ + _nn.__all__
