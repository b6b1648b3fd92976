"""The rest of ``keras.ops`` that custom code uses: thin wrappers with numpy's names.

Keras 3 writes custom metrics, losses and layers with backend-neutral math such as
``ops.mean(ops.abs(y_true - y_pred), axis=-1)``; these functions make that code run on
``teachkeras.ops``. Each asks its input for its namespace (numpy or torch, see
``teachkeras.backend.namespace``) and calls the function of that name, with Keras' names,
argument names and defaults, the ``axis`` check of ``teachkeras.ops.core`` and, where Keras
turns integers into floats (``sqrt``, ``exp``, ``std``, ...), ``floatx()`` too. Keras files
``cast``, ``convert_to_tensor``, ``convert_to_numpy`` and ``shape`` under ``keras.ops.core``;
they are here with the rest. Left out as not trivial: ``einsum``, ``sort`` / ``top_k`` and
``norm`` orders other than the 2-norm. Names such as ``abs``, ``min``, ``all`` and ``round``
shadow Python's built-ins inside this module; call them as ``ops.abs`` and so on.

>>> import numpy as np
>>> from teachkeras import ops
>>> ops.mean(ops.abs(np.array([[1.0, -3.0]])), axis=-1).tolist()
[2.0]

Hand-written plumbing: no chapter builds this module.
"""

import builtins
import functools

import numpy as np

from teachkeras import hooks
from teachkeras.backend import floatx, is_torch, namespace, standardize_dtype, to_device, to_numpy
from teachkeras.ops.core import _as_float, _normalize_axis

__all__ = [
    "sqrt", "exp", "log", "log1p", "expm1", "tanh", "floor", "ceil", "abs", "absolute", "square",
    "sign", "round", "power", "maximum", "minimum", "clip", "where", "min", "argmax", "argmin", "prod",
    "var", "std", "any", "all", "norm", "matmul", "dot", "shape", "reshape", "transpose", "expand_dims",
    "squeeze", "concatenate", "stack", "cast", "convert_to_numpy", "convert_to_tensor", "zeros", "ones",
    "full", "zeros_like", "ones_like", "full_like", "arange", "linspace", "equal", "not_equal",
    "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or", "logical_not",
]


def _float_op(name):
    """A keras.ops wrapper for the namespace's elementwise ``name``; integers become ``floatx()`` first."""

    def op(x):
        xp = namespace(x)
        return getattr(xp, name)(_as_float(x, xp))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of ``x``, a numpy array or torch tensor (integers become ``floatx()``)."
    return op


sqrt, exp, log, log1p, expm1, tanh, floor, ceil = map(
    _float_op, ["sqrt", "exp", "log", "log1p", "expm1", "tanh", "floor", "ceil"]
)


def abs(x):
    """Elementwise absolute value; the dtype is kept."""
    return namespace(x).abs(x)


absolute = abs


def square(x):
    """Elementwise ``x * x``; the dtype is kept."""
    return namespace(x).square(x)


def sign(x):
    """Elementwise -1, 0 or 1 with the sign of ``x``."""
    return namespace(x).sign(x)


def round(x, decimals=0):
    """Round to ``decimals`` places, halves to even (as numpy and torch do)."""
    xp = namespace(x)
    if decimals == 0:
        return xp.round(x)
    scale = 10.0**decimals
    return xp.round(x * scale) / scale


def _pair_namespace(x1, x2, function):
    """The namespace of whichever of ``x1``, ``x2`` are arrays (Python numbers are welcome too)."""
    arrays = [x for x in (x1, x2) if not isinstance(x, (int, float, bool))]
    if not arrays:
        raise TypeError(f"{function}: expected at least one array or tensor, received {x1!r} and {x2!r}")
    return namespace(*arrays)


def power(x1, x2):
    """``x1 ** x2`` elementwise, broadcasting."""
    return _pair_namespace(x1, x2, "power").pow(x1, x2)


def maximum(x1, x2):
    """The larger of ``x1`` and ``x2`` elementwise, broadcasting."""
    return _pair_namespace(x1, x2, "maximum").maximum(x1, x2)


def minimum(x1, x2):
    """The smaller of ``x1`` and ``x2`` elementwise, broadcasting."""
    return _pair_namespace(x1, x2, "minimum").minimum(x1, x2)


def clip(x, x_min, x_max):
    """``x`` with each entry limited to ``[x_min, x_max]``."""
    return namespace(x).clip(x, x_min, x_max)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2``; with neither, the indices where it holds (a tuple)."""
    xp = namespace(condition)
    if x1 is None and x2 is None:
        return xp.nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError(f"where: give both x1 and x2, or neither; received x1={x1!r}, x2={x2!r}")
    return xp.where(condition, x1, x2)


def min(x, axis=None, keepdims=False):
    """Smallest entry of ``x`` over ``axis`` (as in ``sum``)."""
    axis = _normalize_axis(axis, x.ndim, "min")
    return namespace(x).min(x, axis=axis, keepdims=keepdims)


def _arg_extreme(name, x, axis, keepdims):
    xp = namespace(x)
    axis = _normalize_axis(axis, x.ndim, name)
    if isinstance(axis, tuple):
        raise ValueError(f"{name}: axis must be None or one integer, received axis={axis!r}")
    return xp.astype(getattr(xp, name)(x, axis=axis, keepdims=keepdims), xp.int32)  # int32 as in Keras


def argmax(x, axis=None, keepdims=False):
    """Index of the largest entry along ``axis`` (None: of the flattened ``x``), as int32; ties give the first."""
    return _arg_extreme("argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest entry along ``axis`` (as in ``argmax``)."""
    return _arg_extreme("argmin", x, axis, keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of ``x`` over ``axis`` (as in ``sum``), in ``dtype`` when given."""
    xp = namespace(x)
    axis = _normalize_axis(axis, x.ndim, "prod")
    dtype = None if dtype is None else getattr(xp, standardize_dtype(dtype))
    return xp.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)


def var(x, axis=None, keepdims=False):
    """Population variance (divides by n) over ``axis``; integers become ``floatx()``."""
    xp = namespace(x)
    axis = _normalize_axis(axis, x.ndim, "var")
    return xp.var(_as_float(x, xp), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation, ``sqrt(var(x))``, over ``axis``."""
    xp = namespace(x)
    axis = _normalize_axis(axis, x.ndim, "std")
    return xp.std(_as_float(x, xp), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    """True where some entry of ``x`` over ``axis`` is nonzero."""
    axis = _normalize_axis(axis, x.ndim, "any")
    return namespace(x).any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    """True where every entry of ``x`` over ``axis`` is nonzero."""
    axis = _normalize_axis(axis, x.ndim, "all")
    return namespace(x).all(x, axis=axis, keepdims=keepdims)


def norm(x, ord=None, axis=None, keepdims=False):
    """The 2-norm of ``x`` over ``axis`` (None: every entry, the Frobenius norm of a matrix).

    Only ``ord=None`` is supported; other orders are an error.
    """
    if ord is not None:
        raise ValueError(f"norm: only ord=None (the 2-norm / Frobenius norm) is supported, received ord={ord!r}")
    xp = namespace(x)
    x = _as_float(x, xp)
    axis = _normalize_axis(axis, x.ndim, "norm")
    return xp.sqrt(xp.sum(x * x, axis=axis, keepdims=keepdims))


def matmul(x1, x2):
    """Matrix product, batched over leading axes (the ``@`` operator)."""
    return namespace(x1, x2).matmul(x1, x2)


def dot(x1, x2):
    """numpy's ``dot``: a product when either is a scalar, else a sum over the last axis of ``x1``
    and the second-to-last of ``x2`` (its only axis when ``x2`` is a vector)."""
    xp = namespace(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return xp.multiply(x1, x2)
    return xp.tensordot(x1, x2, axes=((x1.ndim - 1,), (builtins.max(x2.ndim - 2, 0),)))


def shape(x):
    """The shape of ``x`` as a tuple of Python ints (None for a KerasTensor's unknown batch size)."""
    return tuple(None if length is None else int(length) for length in x.shape)


def reshape(x, newshape):
    """``x`` with shape ``newshape`` (an int or a tuple; one -1 is inferred)."""
    newshape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    return namespace(x).reshape(x, newshape)


def transpose(x, axes=None):
    """``x`` with its axes permuted to ``axes``; None reverses them."""
    axes = tuple(range(x.ndim))[::-1] if axes is None else tuple(axes)
    return namespace(x).permute_dims(x, axes)


def expand_dims(x, axis):
    """``x`` with a new axis of length 1 at ``axis`` (an int or a tuple, positions in the result)."""
    xp = namespace(x)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    positions = _normalize_axis(tuple(axes), x.ndim + len(axes), "expand_dims")
    for position in sorted(one % (x.ndim + len(axes)) for one in positions):
        x = xp.expand_dims(x, axis=position)
    return x


def squeeze(x, axis=None):
    """``x`` without the axes of length 1 named by ``axis`` (None: all of them)."""
    xp = namespace(x)
    axis = _normalize_axis(axis, x.ndim, "squeeze")
    if axis is None:
        axis = tuple(position for position, length in enumerate(x.shape) if length == 1)
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not builtins.all(x.shape[one] == 1 for one in axes):
        raise ValueError(f"squeeze: axis {axis!r} must have length 1, received shape {tuple(x.shape)}")
    return xp.squeeze(x, axis=axes) if axes else x


def concatenate(xs, axis=0):
    """The arrays ``xs`` joined along an existing ``axis``."""
    xs = list(xs)
    return namespace(*xs).concat(xs, axis=axis)


def stack(x, axis=0):
    """The arrays in ``x`` (a list) joined along a new ``axis``."""
    x = list(x)
    return namespace(*x).stack(x, axis=axis)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (a name such as 'float32', or a numpy or torch dtype)."""
    xp = namespace(x)
    return xp.astype(x, getattr(xp, standardize_dtype(dtype)))


def convert_to_numpy(x):
    """A numpy array holding ``x`` (an array, tensor, Variable or nested list)."""
    return to_numpy(x)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as an array: tensors stay tensors, anything else becomes numpy.

    Python floats become ``floatx()`` and Python ints int32, as in Keras. ``sparse`` and ``ragged``
    are accepted for Keras' signature; sparse and ragged tensors are not supported.
    """
    if sparse or ragged:
        raise ValueError(f"convert_to_tensor: sparse and ragged tensors are not supported, "
                         f"received sparse={sparse!r}, ragged={ragged!r}")
    if hasattr(x, "value") and hasattr(x, "assign"):  # a Variable
        x = x.value
    if is_torch(x):
        return x if dtype is None else cast(x, dtype)
    if dtype is None and not isinstance(x, np.ndarray):
        array = np.asarray(x)
        dtype = {"f": floatx(), "i": "int32"}.get(array.dtype.kind, array.dtype.name)
    return to_device(x, None, dtype)


def _dtype_or_floatx(dtype):
    return np.dtype(standardize_dtype(dtype if dtype is not None else floatx()))


def zeros(shape, dtype=None):
    """A numpy array of zeros of ``shape``, in ``floatx()`` unless ``dtype`` is given."""
    return np.zeros(shape, dtype=_dtype_or_floatx(dtype))


def ones(shape, dtype=None):
    """A numpy array of ones of ``shape``, in ``floatx()`` unless ``dtype`` is given."""
    return np.ones(shape, dtype=_dtype_or_floatx(dtype))


def full(shape, fill_value, dtype=None):
    """A numpy array of ``shape`` filled with ``fill_value``, in ``floatx()`` unless ``dtype`` is given."""
    return np.full(shape, fill_value, dtype=_dtype_or_floatx(dtype))


def _like(x, dtype):
    xp = namespace(x)
    return xp, (None if dtype is None else getattr(xp, standardize_dtype(dtype)))


def zeros_like(x, dtype=None):
    """Zeros with the shape, kind and (unless ``dtype``) dtype of ``x``."""
    xp, dtype = _like(x, dtype)
    return xp.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None):
    """Ones with the shape, kind and (unless ``dtype``) dtype of ``x``."""
    xp, dtype = _like(x, dtype)
    return xp.ones_like(x, dtype=dtype)


def full_like(x, fill_value, dtype=None):
    """``fill_value`` with the shape, kind and (unless ``dtype``) dtype of ``x``."""
    xp, dtype = _like(x, dtype)
    return xp.full_like(x, fill_value, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    """A numpy array ``start, start + step, ...`` below ``stop`` (one argument: ``0 .. start - 1``).

    Without ``dtype``: int32 when every argument is an int, else ``floatx()``, as in Keras.
    """
    if dtype is None:
        integers = builtins.all(isinstance(one, int) for one in (start, stop, step) if one is not None)
        dtype = "int32" if integers else floatx()
    if stop is None:
        start, stop = 0, start
    return np.arange(start, stop, step, dtype=standardize_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced numbers from ``start`` to ``stop`` (a numpy array), for scalar ends only."""
    if not builtins.all(isinstance(end, (int, float)) for end in (start, stop)) or axis != 0:
        raise ValueError(f"linspace: only scalar start and stop with axis=0 are supported, "
                         f"received start={start!r}, stop={stop!r}, axis={axis!r}")
    values, spacing = np.linspace(start, stop, num, endpoint=endpoint, retstep=True, dtype=_dtype_or_floatx(dtype))
    return (values, spacing) if retstep else values


def _compare(name):
    """A keras.ops wrapper for the namespace's elementwise comparison or logical ``name``."""

    def op(x1, x2):
        return getattr(_pair_namespace(x1, x2, name), name)(x1, x2)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of ``x1`` and ``x2`` (broadcasting): a bool array."
    return op


equal, not_equal, greater, greater_equal, less, less_equal = map(
    _compare, ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal"]
)


def _as_bool(x, xp):
    if isinstance(x, (int, float, bool)):
        return bool(x)
    return x if x.dtype == xp.bool else x != 0


def logical_and(x1, x2):
    """Elementwise ``x1 and x2``; nonzero counts as True."""
    xp = _pair_namespace(x1, x2, "logical_and")
    return xp.logical_and(_as_bool(x1, xp), _as_bool(x2, xp))


def logical_or(x1, x2):
    """Elementwise ``x1 or x2``; nonzero counts as True."""
    xp = _pair_namespace(x1, x2, "logical_or")
    return xp.logical_or(_as_bool(x1, xp), _as_bool(x2, xp))


def logical_not(x):
    """Elementwise ``not x``; nonzero counts as True."""
    xp = namespace(x)
    return xp.logical_not(_as_bool(x, xp))


_PLAIN = {}  # type -> True when its values are not KerasTensors (chapter 04's placeholders say _keras_symbolic)


def _symbolic(value):
    """Whether ``value`` is a KerasTensor, or a list, tuple or dict holding one (at any depth)."""
    plain = _PLAIN.get(type(value))
    if plain is not None:
        return not plain
    if isinstance(value, (list, tuple)):
        return builtins.any(_symbolic(one) for one in value)
    if isinstance(value, dict):
        return builtins.any(_symbolic(one) for one in value.values())
    plain = _PLAIN[type(value)] = getattr(type(value), "_keras_symbolic", False) is not True
    return not plain


def accepts_keras_tensors(function, name=None):
    """``function``, unchanged on arrays; called on KerasTensors (``Input(...)`` and what layers
    return on it) it records one op node of the functional graph (chapter 09) instead. The check is
    a dictionary lookup per argument, so calls on arrays stay fast."""
    name = name or function.__name__

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if builtins.any(map(_symbolic, args)) or (kwargs and builtins.any(map(_symbolic, kwargs.values()))):
            functional = hooks.need("functional", f"keras.ops.{name} on a KerasTensor")
            return functional.symbolic_op(function, args, kwargs, name)
        return function(*args, **kwargs)

    wrapper.__wrapped__ = function
    return wrapper


for _name in __all__:  # ops.shape reads a KerasTensor's shape directly, as Keras' does
    if _name != "shape":
        globals()[_name] = accepts_keras_tensors(globals()[_name])
