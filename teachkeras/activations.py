"""Activation functions and their derivatives, by name or as functions.

Defined in notebooks/02_dense.ipynb (chapter 02). Each activation is a plain function of an
array (``keras.activations.relu(x)`` works the same way); its derivative sits beside it in
``backward(activation, grad_outputs, inputs, outputs)``, which a layer calls in its backward
pass. Names follow Keras 3: the string ``'leaky_relu'`` has slope 0.2, ``hard_sigmoid`` is
``relu6(x + 3) / 6``, and ``softmax`` runs over the last axis.

>>> import numpy as np
>>> get("relu")(np.array([-1.0, 2.0])).tolist()
[0.0, 2.0]
>>> serialize(get("tanh"))
'tanh'
"""
from teachkeras import ops
from teachkeras.backend import namespace


def linear(x):
    """The identity: ``x``."""
    return x


def relu(x):
    """``max(x, 0)``."""
    return namespace(x).maximum(x, 0)


def sigmoid(x):
    """``1 / (1 + exp(-x))``, computed as ``(tanh(x / 2) + 1) / 2`` so exp never overflows."""
    return 0.5 * (namespace(x).tanh(0.5 * x) + 1.0)


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, a straight line between (Keras 3)."""
    return namespace(x).clip(x / 6.0 + 0.5, 0.0, 1.0)


def tanh(x):
    """The hyperbolic tangent."""
    return namespace(x).tanh(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` over the last axis: a probability distribution per row."""
    return ops.softmax(x, axis=axis)


def softplus(x):
    """``log(1 + exp(x))``, computed as ``log1p(exp(-|x|)) + max(x, 0)`` to avoid overflow."""
    xp = namespace(x)
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0)


def softsign(x):
    """``x / (1 + |x|)``."""
    return x / (1.0 + namespace(x).abs(x))


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, ``negative_slope * x`` elsewhere (the string name uses 0.2)."""
    return namespace(x).where(x > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    xp = namespace(x)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


# Each derivative takes (grad_outputs, inputs, outputs) and returns grad_inputs: the chain
# rule for an elementwise f is grad_inputs = grad_outputs * f'(inputs).
def _softmax_backward(grad, inputs, outputs):
    # The Jacobian of softmax is diag(y) - y y^T; applied to grad without forming it:
    return outputs * (grad - namespace(grad).sum(grad * outputs, axis=-1, keepdims=True))


def _elu_backward(grad, inputs, outputs):
    return grad * namespace(inputs).where(inputs > 0, 1.0, outputs + 1.0)


_BACKWARD = {
    linear: lambda grad, inputs, outputs: grad,
    relu: lambda grad, inputs, outputs: grad * (inputs > 0),
    sigmoid: lambda grad, inputs, outputs: grad * outputs * (1.0 - outputs),
    hard_sigmoid: lambda grad, inputs, outputs: grad * ((inputs > -3.0) & (inputs < 3.0)) / 6.0,
    tanh: lambda grad, inputs, outputs: grad * (1.0 - outputs * outputs),
    softmax: _softmax_backward,
    softplus: lambda grad, inputs, outputs: grad * sigmoid(inputs),
    softsign: lambda grad, inputs, outputs: grad / (1.0 + namespace(inputs).abs(inputs)) ** 2,
    leaky_relu: lambda grad, inputs, outputs: grad * namespace(inputs).where(inputs > 0, 1.0, 0.2),
    elu: _elu_backward,
}
ALL = {function.__name__: function for function in _BACKWARD}


def backward(activation, grad_outputs, inputs, outputs):
    """The gradient with respect to ``inputs``, given the gradient with respect to ``outputs``.

    A function that is not one of teachkeras' activations is treated as elementwise and
    differentiated by central differences (in float64, then cast back).
    """
    if activation in _BACKWARD:
        return _BACKWARD[activation](grad_outputs, inputs, outputs)
    xp = namespace(inputs)
    wide = xp.astype(inputs, xp.float64)
    step = 1e-6 * xp.maximum(xp.abs(wide), 1.0)
    slope = (activation(wide + step) - activation(wide - step)) / (2 * step)
    return grad_outputs * xp.astype(slope, inputs.dtype)


def get(identifier):
    """An activation from its name, a function, or None (linear).

    >>> get(None) is linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in ALL:
            raise ValueError(f"unknown activation {identifier!r}; expected one of {sorted(ALL)}")
        return ALL[identifier]
    if callable(identifier):
        return identifier
    raise ValueError(f"expected a name, a function or None, received {identifier!r}")


def serialize(activation):
    """The name an activation is saved under (a custom function's ``__name__``)."""
    return getattr(activation, "__name__", type(activation).__name__)


def deserialize(name):
    """The activation saved as ``name``."""
    return get(name)
