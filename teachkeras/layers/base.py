"""Layer: the base class every teachkeras layer builds on.

Defined in notebooks/02_dense.ipynb (chapter 02). The protocol, in the order things happen:

* ``__init__`` validates its arguments and stores them under the same names, nothing more;
* ``build(input_shape)`` creates the weights with ``add_weight`` once the input size is known;
* ``call(inputs, training=False)`` computes the output and keeps what backward will need;
* ``backward(grad_outputs)`` returns the gradient with respect to the inputs and stores each
  weight's gradient in ``weight.grad``; an optimizer, never the layer, then updates the weight.

``layer(inputs)`` runs them in order: it converts the input, builds on first use, checks the
shape against ``input_spec``, and moves the weights to the input's device (numpy or torch).
"""
import inspect
import math
import numbers

from teachkeras import initializers
from teachkeras.backend import (
    device_of, floatx, namespace, snake_case, standardize_dtype, to_device, to_numpy, unique_name,
)
from teachkeras.variables import Variable

# Keras 1/2 spellings that the notes use, and what Keras 3 calls them.
LEGACY_ARGUMENTS = {
    "init": "kernel_initializer",
    "output_dim": "units",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "nb_filter": "filters",
    "subsample": "strides",
    "border_mode": "padding",
    "dim_ordering": "data_format",
}


class InputSpec:
    """What a built layer accepts: a number of dimensions and fixed sizes on some axes.

    >>> InputSpec(min_ndim=2, axes={-1: 3})
    InputSpec(min_ndim=2, axes={-1: 3})
    """

    def __init__(self, ndim=None, min_ndim=None, axes=None, layout=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.layout = layout  # words for the error message, e.g. "(batch, steps, channels)"

    def check(self, layer, shape):
        """Raise a ValueError naming the layer, what it expected and the shape it received."""
        shape = tuple(shape)
        where = f"Input of layer {layer.name!r} ({type(layer).__name__})"
        layout = f" {self.layout}" if self.layout else ""
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(f"{where}: expected {self.ndim} dimensions{layout}, received shape {shape}")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(f"{where}: expected at least {self.min_ndim} dimensions{layout}, received shape {shape}")
        for axis, size in self.axes.items():
            if size is not None and shape[axis] != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of the input to have size {size}, received shape {shape}"
                )

    def __repr__(self):
        parts = [f"{key}={value!r}" for key, value in vars(self).items() if value not in (None, {})]
        return f"InputSpec({', '.join(parts)})"


class Layer:
    """Base class of layers. Subclasses override ``build``, ``call``, ``backward`` and
    ``get_config`` (and ``compute_output_shape`` when it is cheaper than running the layer).

    Args:
        trainable: whether fit updates this layer's weights.
        name: a unique name; by default the class name in snake case ('dense', 'dense_1').
        dtype: float type of weights and computation (default ``backend.floatx()``).
        input_shape / input_dim: the shape of one sample, as Keras 2 tutorials and the notes
            pass it to a model's first layer (``input_dim=n`` means ``input_shape=(n,)``).
    """

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None, **kwargs):
        if kwargs:
            self._reject(kwargs)
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{type(self).__name__}: name must be a string, received {name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.dtype = standardize_dtype(dtype or floatx())
        if input_dim is not None:
            if input_shape is not None:
                raise ValueError(f"{self.name}: pass input_shape or input_dim, not both")
            input_shape = (input_dim,)
        self.input_shape_argument = _shape_tuple(input_shape, self.name) if input_shape is not None else None
        self.built = False
        self.input_spec = None
        self.device = None  # None: numpy; otherwise the torch device of the weights
        self._weights = []

    def _reject(self, kwargs):
        for key in kwargs:
            if key in LEGACY_ARGUMENTS:
                raise TypeError(
                    f"{type(self).__name__}: {key}= is the Keras 1/2 spelling; "
                    f"use {LEGACY_ARGUMENTS[key]}= instead"
                )
        accepted = sorted(set(inspect.signature(type(self).__init__).parameters) - {"self", "kwargs"})
        accepted += ["dtype", "input_dim", "input_shape", "name", "trainable"]
        raise TypeError(
            f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}; "
            f"accepted are {sorted(set(accepted))}"
        )

    def _lookup(self, get, argument, value):
        """``get(value)`` with the layer and argument named in the error (activation, initializer)."""
        try:
            return get(value)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} {self.name!r}: {argument}: {error}") from None

    # ------------------------------------------------------------ weights

    def add_weight(self, shape, initializer="glorot_uniform", dtype=None, trainable=True, name=None,
                   regularizer=None, constraint=None):
        """Create a weight of ``shape``, filled by ``initializer``, on the layer's device."""
        if regularizer is not None or constraint is not None:
            raise NotImplementedError(
                f"{self.name}: weight regularizers and constraints arrive in the regularizers chapter"
            )
        shape = _shape_tuple(shape, self.name)
        name = name or f"variable_{len(self._weights)}"
        value = initializers.get(initializer)(shape, dtype=dtype or self.dtype)
        value = to_device(value, self.device, dtype=dtype or self.dtype)
        variable = Variable(value, name=name, path=f"{self.name}/{name}", trainable=trainable)
        self._weights.append(variable)
        return variable

    @property
    def weights(self):
        """Every weight, trainable ones first (Keras' order)."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [weight for weight in self._weights if weight.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return list(self._weights)
        return [weight for weight in self._weights if not weight.trainable]

    def get_weights(self):
        """The weights as numpy arrays, in ``weights`` order."""
        return [weight.numpy() for weight in self.weights]

    def set_weights(self, weights):
        """Overwrite the weights from arrays, in ``weights`` order; shapes must match."""
        weights = list(weights)
        if len(weights) != len(self.weights):
            raise ValueError(
                f"Layer {self.name!r}: set_weights expected a list of {len(self.weights)} arrays "
                f"(shapes {[weight.shape for weight in self.weights]}), received {len(weights)}"
            )
        for variable, value in zip(self.weights, weights):
            shape = tuple(to_numpy(value).shape)
            if shape != variable.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {variable.name!r} has shape {variable.shape}, "
                    f"received an array of shape {shape}"
                )
        for variable, value in zip(self.weights, weights):
            variable.assign(value)

    def count_params(self):
        """The number of scalars in all weights."""
        return sum(math.prod(weight.shape) for weight in self.weights)

    def to(self, device):
        """Move every weight to ``device`` (None: numpy; 'cpu', 'cuda', ...: torch)."""
        for weight in self._weights:
            weight.to(device)
        self.device = device
        return self

    # ------------------------------------------------------------ the protocol

    def build(self, input_shape):
        """Create weights for inputs of ``input_shape`` (batch first, batch size may be None)."""
        self.built = True

    def call(self, inputs, training=False):
        """The forward computation. Keep what ``backward`` needs on ``self``."""
        raise NotImplementedError(f"{type(self).__name__} does not define call()")

    def backward(self, grad_outputs):
        """Gradient with respect to the last call's inputs; stores weight gradients in ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def __call__(self, inputs, training=False):
        inputs = self._convert(inputs)
        if not self.built:
            self.build_for(tuple(inputs.shape))
        if self.input_spec is not None:
            self.input_spec.check(self, inputs.shape)
        device = device_of(inputs)
        if device != self.device:
            self.to(device)
        return self.call(inputs, training=training)

    def build_for(self, input_shape):
        """``build(input_shape)`` and mark the layer built (subclasses need not remember to)."""
        self.build(input_shape)
        self.built = True

    def _convert(self, inputs):
        """Lists and foreign float types become arrays of the layer's dtype; tensors stay tensors."""
        if not hasattr(inputs, "shape") or not hasattr(inputs, "dtype"):
            return to_device(inputs, self.device, dtype=self.dtype)
        if standardize_dtype(inputs.dtype) != self.dtype and _is_float_or_int(inputs):
            xp = namespace(inputs)
            return xp.astype(inputs, getattr(xp, self.dtype))
        return inputs

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (batch may be None). By default the layer is run
        once on zeros with a batch of 1; layers override this with a formula."""
        import numpy as np

        input_shape = tuple(input_shape)
        if not self.built:
            self.build_for(input_shape)
        probe = np.zeros(tuple(1 if size is None else size for size in input_shape), dtype=self.dtype)
        output_shape = tuple(self.call(to_device(probe, self.device), training=False).shape)
        return (input_shape[0],) + output_shape[1:]

    # ------------------------------------------------------------ config

    def get_config(self):
        """The constructor arguments, as plain Python values (so JSON can hold them)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.input_shape_argument is not None:
            config["input_shape"] = self.input_shape_argument
        return config

    @classmethod
    def from_config(cls, config):
        """A new, unbuilt layer made from ``get_config()``'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _shape_tuple(shape, owner):
    """A shape as a tuple of positive ints (None allowed for unknown sizes)."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{owner}: expected a shape (a tuple of integers), received {shape!r}") from None
    for size in shape:
        if size is not None and (isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0):
            raise ValueError(f"{owner}: expected a shape of non-negative integers or None, received {shape!r}")
    return tuple(None if size is None else int(size) for size in shape)


def _is_float_or_int(array):
    name = standardize_dtype(array.dtype)
    return name.startswith("float") or name.startswith("int") or name.startswith("uint") or name == "bool"
