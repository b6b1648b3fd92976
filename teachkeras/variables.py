"""Variable: a named weight array with its gradient beside it.

Defined in notebooks/02_dense.ipynb (chapter 02). A layer's ``backward`` stores each weight's
gradient in ``variable.grad``; an optimizer reads it and updates ``variable.value`` in place,
so the layer never updates itself. ``value`` is a numpy array or a torch tensor.

>>> import numpy as np
>>> v = Variable(np.zeros((2, 3), dtype="float32"), name="kernel", path="dense/kernel")
>>> v
<Variable path=dense/kernel, shape=(2, 3), dtype=float32>
>>> v.assign(np.ones((2, 3))); float(v.numpy().sum())
6.0
"""
from teachkeras.backend import device_of, standardize_dtype, to_device, to_numpy


class Variable:
    """A weight: ``value`` (the array), ``name`` ('kernel'), ``path`` ('dense/kernel'),
    ``trainable``, and ``grad`` (the latest gradient, set by the owning layer's backward)."""

    def __init__(self, value, name, path=None, trainable=True, regularizer=None, constraint=None):
        self.value = value
        self.name = name
        self.path = path or name
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.grad = None

    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return standardize_dtype(self.value.dtype)

    @property
    def device(self):
        """None for numpy; the torch device string otherwise."""
        return device_of(self.value)

    def numpy(self):
        """A numpy copy of the value."""
        return to_numpy(self.value).copy()

    def assign(self, value):
        """Overwrite the value in place (same shape), from a numpy array, tensor or list."""
        value = to_device(value, self.device, dtype=self.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Variable {self.path!r}: assign expected shape {self.shape}, received shape {tuple(value.shape)}"
            )
        self.value[...] = value

    def assign_add(self, delta):
        self.value += delta

    def assign_sub(self, delta):
        self.value -= delta

    def to(self, device):
        """Move the value to ``device`` (None: numpy); the gradient is dropped."""
        self.value = to_device(self.value, device)
        self.grad = None

    def __array__(self, dtype=None, copy=None):
        array = to_numpy(self.value)
        return array.astype(dtype) if dtype is not None else array

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"
