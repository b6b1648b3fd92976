"""LeakyReLU and PReLU: activations as layers, PReLU with a learned slope.

Defined in notebooks/02_dense.ipynb (chapter 02).

>>> import numpy as np
>>> LeakyReLU()(np.array([[-1.0, 2.0]])).tolist()
[[-0.30000001192092896, 2.0]]
"""
import warnings

from teachkeras import initializers
from teachkeras.backend import namespace
from teachkeras.layers.base import InputSpec, Layer
from teachkeras.ops import unbroadcast


class LeakyReLU(Layer):
    """``x`` where positive, ``negative_slope * x`` elsewhere (default slope 0.3)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            warnings.warn("LeakyReLU: alpha= is deprecated, use negative_slope=", DeprecationWarning, stacklevel=2)
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be a number >= 0, received {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs, training=False):
        self.inputs = inputs
        return namespace(inputs).where(inputs > 0, inputs, self.negative_slope * inputs)

    def backward(self, grad_outputs):
        return grad_outputs * namespace(self.inputs).where(self.inputs > 0, 1.0, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Leaky ReLU whose negative slope ``alpha`` is a weight, learned per feature.

    ``shared_axes`` lists axes (1 = first after batch) along which one slope is shared,
    e.g. ``shared_axes=[1, 2]`` for one slope per channel of an image.
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        if alpha_regularizer is not None or alpha_constraint is not None:
            raise NotImplementedError("PReLU: alpha_regularizer and alpha_constraint arrive in the regularizers chapter")
        self.alpha_initializer = self._lookup(initializers.get, "alpha_initializer", alpha_initializer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"PReLU {self.name!r}: shared_axes must name axes 1..{len(input_shape) - 1}, "
                    f"received {self.shared_axes} for input shape {tuple(input_shape)}"
                )
            shape[axis - 1] = 1
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer, name="alpha")
        shared = set(self.shared_axes or [])
        fixed = {axis: input_shape[axis] for axis in range(1, len(input_shape)) if axis not in shared}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=fixed)

    def call(self, inputs, training=False):
        self.inputs = inputs
        return namespace(inputs).where(inputs > 0, inputs, self.alpha.value * inputs)

    def backward(self, grad_outputs):
        xp = namespace(grad_outputs)
        positive = self.inputs > 0
        self.alpha.grad = unbroadcast(xp.where(positive, 0.0, grad_outputs * self.inputs), self.alpha.shape)
        return xp.where(positive, grad_outputs, grad_outputs * self.alpha.value)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "shared_axes": self.shared_axes,
        }
