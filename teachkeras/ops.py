"""Array helpers every layer needs: reductions over an axis, stable softmax, unbroadcast.

Defined in notebooks/01_axis_sums.ipynb (chapter 01). Each function takes numpy arrays or
torch tensors and returns the same kind (``keras.ops`` has the same names).

>>> import numpy as np
>>> a = np.array([[1, 2], [3, 4], [5, 6]])
>>> sum(a, axis=0).tolist(), sum(a, axis=1).tolist()
([9, 12], [3, 7, 11])
"""

from teachkeras.backend import namespace


def _check_axis(axis, ndim, function):
    """Raise a clear error for an axis that ``ndim``-dimensional input does not have."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    for one in axes:
        if isinstance(one, bool) or not isinstance(one, int) or not -ndim <= one < ndim:
            raise ValueError(
                f"{function}: axis must be an integer in [{-ndim}, {ndim - 1}] for input with "
                f"{ndim} dimensions, received axis={axis!r}"
            )


def sum(x, axis=None, keepdims=False):
    """Sum of ``x`` over ``axis`` (None: every axis); ``keepdims`` keeps it with length 1.

    >>> import numpy as np
    >>> sum(np.ones((4, 3)), axis=0, keepdims=True).shape
    (1, 3)
    """
    if axis is not None:
        _check_axis(axis, x.ndim, "sum")
    return namespace(x).sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean of ``x`` over ``axis`` (None: every axis)."""
    if axis is not None:
        _check_axis(axis, x.ndim, "mean")
    return namespace(x).mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Largest element of ``x`` over ``axis`` (None: every axis)."""
    if axis is not None:
        _check_axis(axis, x.ndim, "max")
    return namespace(x).max(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis`` without overflow: shift by the max first.

    >>> import numpy as np
    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # the naive formula gives inf
    1000.6931471805599
    """
    xp = namespace(x)
    if axis is not None:
        _check_axis(axis, x.ndim, "logsumexp")
    shift = xp.max(x, axis=axis, keepdims=True)
    shift = xp.where(xp.isfinite(shift), shift, xp.zeros_like(shift))  # all -inf stays -inf
    total = xp.log(xp.sum(xp.exp(x - shift), axis=axis, keepdims=True)) + shift
    if not keepdims:
        total = xp.squeeze(total, axis=axis) if axis is not None else xp.reshape(total, ())
    return total


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the max so that exp never overflows.

    >>> import numpy as np
    >>> softmax(np.array([[1000.0, 1000.0]])).tolist()
    [[0.5, 0.5]]
    """
    xp = namespace(x)
    _check_axis(axis, x.ndim, "softmax")
    exps = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return exps / xp.sum(exps, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` computed as ``x - logsumexp(x)``: finite where softmax underflows to 0."""
    _check_axis(axis, x.ndim, "log_softmax")
    return x - logsumexp(x, axis=axis, keepdims=True)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the gradient of a parameter that broadcasting copied.

    A bias of shape (units,) is added to every row of a (batch, units) array, so its
    gradient is the batch-sum of the output gradient.

    >>> import numpy as np
    >>> unbroadcast(np.ones((32, 3)), (3,)).tolist()
    [32.0, 32.0, 32.0]
    >>> unbroadcast(np.ones((2, 4, 3)), (4, 1)).shape
    (4, 1)
    """
    xp = namespace(grad)
    shape = tuple(shape)
    if grad.ndim < len(shape):
        raise ValueError(f"unbroadcast: grad of shape {tuple(grad.shape)} has fewer dimensions than shape {shape}")
    leading = grad.ndim - len(shape)
    if leading:
        grad = xp.sum(grad, axis=tuple(range(leading)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = xp.sum(grad, axis=stretched, keepdims=True)
    if tuple(grad.shape) != shape:
        raise ValueError(f"unbroadcast: grad of shape {tuple(grad.shape)} does not broadcast from shape {shape}")
    return grad
