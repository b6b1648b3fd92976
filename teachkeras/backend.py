"""The backend seam: everything that differs between numpy and torch arrays.

Layer, loss, activation and optimizer math in teachkeras is written once, against the
array API (``xp = namespace(x)``), so the same code runs on numpy arrays and on torch
tensors on any device. What cannot be written that way lives here:

* the default float type (``floatx``, float32 unless changed),
* seeded random numbers (``RandomGenerator``) that draw on the right device,
* device placement (``to_device``) and conversion back to numpy (``to_numpy``),
* unique layer names (``unique_name``), reset by ``clear_session``,
* the Keras 2 ``keras.backend`` settings that tutorials read: ``image_data_format``,
  ``epsilon`` and ``backend()``, so ``from teachkeras import backend as K`` runs their preambles,
* objects that stand for an array (``ArrayHolder``): a ``Variable`` computes as its value
  (``ValueArithmetic``: operators and ``keras.ops`` functions take it), and chapter 08's traced
  ``Tensor`` as its data; ``namespace`` picks one namespace for plain, held and traced arrays mixed.

Hand-written tooling: no chapter builds this module.

>>> import numpy as np
>>> x = np.ones((2, 3), dtype="float32")
>>> namespace(x).sum(x, axis=0).tolist()
[2.0, 2.0, 2.0]
>>> floatx()
'float32'
"""

from __future__ import annotations

import collections
import functools
import math
import operator
import random
import re
import types

import array_api_compat
import numpy as np

__all__ = [
    "ArrayHolder",
    "RandomGenerator",
    "ValueArithmetic",
    "ValueNamespace",
    "backend",
    "clear_session",
    "device_of",
    "epsilon",
    "erf",
    "erfc",
    "function",
    "floatx",
    "global_generator",
    "image_data_format",
    "is_torch",
    "namespace",
    "plain_array",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_random_seed",
    "standardize_dtype",
    "to_device",
    "to_numpy",
    "unique_name",
    "where",
]

_FLOAT_TYPES = ("float16", "float32", "float64")
_floatx = "float32"


def floatx() -> str:
    """The default float type of weights and inputs, as a string ('float32')."""
    return _floatx


def set_floatx(dtype: str) -> None:
    """Set the default float type: 'float16', 'float32' or 'float64'."""
    global _floatx
    if dtype not in _FLOAT_TYPES:
        raise ValueError(f"set_floatx: dtype must be one of {_FLOAT_TYPES}, received {dtype!r}")
    _floatx = dtype


def backend() -> str:
    """The name of the array library behind teachkeras: 'numpy' (torch tensors also work)."""
    return "numpy"


_epsilon = 1e-7


def epsilon() -> float:
    """The small number added to denominators (Keras' fuzz factor), 1e-7 unless changed."""
    return _epsilon


def set_epsilon(value: float) -> None:
    """Set the value ``epsilon()`` returns: a positive number."""
    global _epsilon
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not value > 0:
        raise ValueError(f"set_epsilon: value must be a positive number, received {value!r}")
    _epsilon = float(value)


_IMAGE_DATA_FORMATS = ("channels_last", "channels_first")
_image_data_format = "channels_last"


def image_data_format() -> str:
    """'channels_last' (images as ``(batch, height, width, channels)``) unless changed.

    Old Keras tutorials branch on it: ``if K.image_data_format() == 'channels_first': ...``.
    """
    return _image_data_format


def set_image_data_format(data_format: str) -> None:
    """Set the value ``image_data_format()`` returns: 'channels_last' or 'channels_first'.

    Convolution, pooling, Flatten and padding/cropping layers made afterwards with
    ``data_format=None`` (their default) take this value, as in Keras; layers already made keep theirs.
    """
    global _image_data_format
    if data_format not in _IMAGE_DATA_FORMATS:
        raise ValueError(
            f"set_image_data_format: data_format must be one of {_IMAGE_DATA_FORMATS}, received {data_format!r}"
        )
    _image_data_format = data_format


def standardize_dtype(dtype) -> str:
    """Name of a dtype given as a string, numpy dtype or torch dtype: 'float32', 'int64', ..."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, str):
        name = dtype
    elif hasattr(dtype, "is_floating_point"):  # a torch.dtype
        name = str(dtype).removeprefix("torch.")
    else:
        name = np.dtype(dtype).name
    try:
        np.dtype(name)
    except TypeError:
        raise ValueError(f"dtype: expected a numeric dtype name such as 'float32', received {dtype!r}") from None
    return name


# ---------------------------------------------------------------- arrays and devices


def namespace(*arrays):
    """The array-API namespace of ``arrays``: ``array_api_compat.numpy`` or ``.torch``.

    A Variable among them gives a ``ValueNamespace`` (its functions take Variables), a traced array
    of chapter 08 the tape's namespace; mixed with plain arrays of the same library, the wrapping
    namespace wins, so ``ops.matmul(inputs, self.kernel)`` works whatever each argument is.
    """
    try:
        return array_api_compat.array_namespace(*arrays)
    except TypeError:
        return _mixed_namespace(arrays)


def _root(space):
    """The library namespace under wrapping ones (ValueNamespace, the tape's): each keeps it as ``inner``."""
    while not isinstance(space, types.ModuleType) and hasattr(space, "inner"):
        space = space.inner
    return space


def _mixed_namespace(arrays):
    """One namespace for plain arrays, Variables and traced arrays of one array library."""
    spaces = []
    for array in arrays:
        try:
            spaces.append(array_api_compat.array_namespace(array))
        except TypeError:
            if array is None or isinstance(array, (bool, int, float, complex)):
                continue
            raise
    roots = {id(_root(space)): _root(space) for space in spaces}
    if len(roots) != 1:
        names = sorted({getattr(root, "__name__", repr(root)) for root in roots.values()})
        raise TypeError(f"Multiple namespaces for array inputs: {names}; convert them to one array library "
                        "(numpy, or torch on one device) first")
    root = next(iter(roots.values()))
    unwrapped = [space.inner if isinstance(space, ValueNamespace) else space for space in spaces]
    traced = next((space for space in unwrapped if space is not root), root)  # the tape's, if any
    return value_namespace(traced) if any(isinstance(space, ValueNamespace) for space in spaces) else traced


def is_torch(x) -> bool:
    """True for a torch tensor (without importing torch)."""
    return array_api_compat.is_torch_array(x)


def plain_array(x):
    """The numpy array or torch tensor behind ``x``: a Variable's value, a traced array's data."""
    while isinstance(x, ArrayHolder):
        x = x.held_array()
    return x


# numpy's where (torch's on a CPU too) branches on every element; the bit route below does not.
_SAME_SIZE_INTEGERS = {2: "int16", 4: "int32", 8: "int64"}
_BRANCH_FREE_MIN_SIZE = {"numpy": 1024, "torch": 8192}  # below these sizes the library's where is as fast


def where(condition, x1, x2):
    """``x1`` where ``condition`` is true, else ``x2``: the array API's ``where``, with its broadcasting
    and dtypes, bit for bit.

    numpy's ``where`` (and torch's, on a CPU) branches on every element, and the CPU guesses each branch:
    on random signs (what activations see) half the guesses fail, 5-10x slower than a multiply. For a
    boolean condition and float branches of one dtype (or Python floats), numpy arrays or CPU torch tensors
    that need no gradient, at least 1024 elements (8192 on torch), it picks bits instead, on the integer view:
    ``x2 ^ ((x1 ^ x2) * condition)`` is x1's bits where the condition holds and x2's elsewhere, in three
    branch-free passes, exact for every value (NaN, inf, -0.0). Anything else (a GPU tensor, a Variable,
    chapter 08's traced arrays) takes its namespace's ``where``.

    >>> where(np.array([True, False]), np.array([1.0, 2.0]), -0.0).tolist()
    [1.0, -0.0]
    """
    selected = _select_bits(condition, x1, x2)
    if selected is not None:
        return selected
    arrays = [one for one in (condition, x1, x2) if not isinstance(one, (bool, int, float))]
    return namespace(*arrays).where(condition, x1, x2)


def _bit_library(condition, x1, x2):
    """numpy or torch, if the bit route can take these arguments; else None."""
    if type(condition) is np.ndarray and condition.dtype == np.bool_:
        return np if all(type(one) in (np.ndarray, float) for one in (x1, x2)) else None
    if not (is_torch(condition) and condition.device.type == "cpu" and str(condition.dtype) == "torch.bool"):
        return None
    tensors = [one for one in (x1, x2) if type(one) is not float]
    fit = all(is_torch(one) and one.device == condition.device and not one.requires_grad for one in tensors)
    return _torch() if tensors and fit else None


def _select_bits(condition, x1, x2):
    """``where(condition, x1, x2)`` as integer bit operations, or None where that route does not apply."""
    library = _bit_library(condition, x1, x2)
    if library is None:
        return None
    dtype = library.result_type(x1, x2)  # a Python float takes the arrays' float type, as in where
    floating = dtype.kind == "f" and dtype.isnative if library is np else dtype.is_floating_point
    integers = getattr(library, _SAME_SIZE_INTEGERS.get(dtype.itemsize, ""), None) if floating else None
    if integers is None or any(type(one) is not float and one.dtype != dtype for one in (x1, x2)):
        return None
    shapes = [tuple(getattr(one, "shape", ())) for one in (condition, x1, x2)]  # () for a Python float
    shape = tuple(library.broadcast_shapes(*shapes))
    if math.prod(shape) < _BRANCH_FREE_MIN_SIZE[library.__name__]:
        return None
    place = {} if library is np else {"device": condition.device}
    bits1, bits2 = (library.asarray(one, dtype=dtype, **place).view(integers) for one in (x1, x2))
    out = library.empty(shape, dtype=integers, **place)
    library.bitwise_xor(bits1, bits2, out=out)  # the bits in which x1 and x2 differ
    library.multiply(out, condition, out=out)  # kept where the condition holds, 0 elsewhere
    library.bitwise_xor(out, bits2, out=out)  # x2 ^ (x1 ^ x2) = x1 there, x2 ^ 0 = x2 elsewhere
    return out.view(dtype)


def device_of(x) -> str | None:
    """``None`` for numpy arrays; the torch device string ('cpu', 'cuda:0') for tensors."""
    if isinstance(x, ArrayHolder):
        x = plain_array(x)
    if is_torch(x):
        return str(x.device)
    return None


# ---------------------------------------------------------------- objects standing for an array


class ArrayHolder:
    """Base of objects that stand for an array they hold: ``held_array()`` returns it (a Variable's
    ``value``; chapter 08's traced Tensor's ``data``)."""

    def held_array(self):
        raise NotImplementedError


def _values(x):
    """``x`` with each ValueArithmetic object (a Variable) replaced by its value, in lists too."""
    if isinstance(x, ValueArithmetic):
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_values(one) for one in x)
    return x


class ValueNamespace:
    """The namespace of a Variable: ``inner``'s functions, with every Variable argument replaced by
    its value (so numpy's and torch's functions, and the tape's, see arrays)."""

    def __init__(self, inner):
        self.inner = inner
        self.__name__ = f"teachkeras.variables[{getattr(inner, '__name__', inner)}]"

    def isdtype(self, dtype, kind):
        if isinstance(dtype, str):  # Variable.dtype is a name ('float32'), as in Keras
            dtype = getattr(_root(self), dtype)
        return self.inner.isdtype(dtype, kind)

    def __getattr__(self, name):
        attribute = getattr(self.inner, name)
        if not callable(attribute) or isinstance(attribute, type):
            return attribute

        def unwrapped(*args, **kwargs):
            return attribute(*_values(args), **{key: _values(value) for key, value in kwargs.items()})

        unwrapped.__name__ = name
        setattr(self, name, unwrapped)
        return unwrapped


_VALUE_NAMESPACES = {}


def value_namespace(inner):
    """The one ValueNamespace around ``inner``."""
    if id(inner) not in _VALUE_NAMESPACES:
        _VALUE_NAMESPACES[id(inner)] = (inner, ValueNamespace(inner))
    return _VALUE_NAMESPACES[id(inner)][1]


def _binary(name, swap=False):
    def method(self, other):
        mine, theirs = self.value, _values(other)
        return getattr(operator, name)(theirs, mine) if swap else getattr(operator, name)(mine, theirs)
    method.__name__ = f"__{'r' if swap else ''}{name.strip('_')}__"
    return method


class ValueArithmetic(ArrayHolder):
    """Lets an object with a ``value`` array (a Variable) compute as that array: ``w * 2``,
    ``x @ w``, ``-w``, ``w[0]``, ``w.T`` and ``keras.ops`` functions (``ops.matmul(x, w)``). The
    result is an array, not a Variable. ``==`` stays identity, so Variables can be list members and
    keys. Plumbing for Keras code that uses weights directly."""

    def held_array(self):
        return self.value

    def __array_namespace__(self, api_version=None):
        return value_namespace(namespace(self.value))

    @property
    def ndim(self):
        return self.value.ndim

    @property
    def T(self):
        return self.value.T

    def __getitem__(self, key):
        return self.value[key]

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return self.value

    def __abs__(self):
        return abs(self.value)

    def __len__(self):
        return len(self.value)

    def __float__(self):
        return float(self.value)

    __hash__ = object.__hash__


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    setattr(ValueArithmetic, f"__{_name}__", _binary(_name))
    setattr(ValueArithmetic, f"__r{_name}__", _binary(_name, swap=True))
for _name in ("lt", "le", "gt", "ge"):
    setattr(ValueArithmetic, f"__{_name}__", _binary(_name))


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the machine
        raise ImportError(
            "device: a torch device was requested but torch is not installed; "
            "install it with `pip install teachkeras[torch]`"
        ) from None
    return torch


def to_device(x, device: str | None = None, dtype=None):
    """Place ``x`` on ``device``: None means a numpy array, anything else a torch tensor.

    ``device`` is ``None`` / ``'numpy'`` (numpy), or a torch device string such as
    ``'cpu'``, ``'cuda'``, ``'cuda:1'`` or ``'mps'``. ``dtype`` (a name) converts on the way;
    without it floats keep their type and Python scalars and lists become ``floatx()``.
    Nothing is copied when ``x`` is already there with that dtype.
    """
    if device in (None, "numpy"):
        array = to_numpy(x)
        if dtype is not None:
            array = array.astype(standardize_dtype(dtype), copy=False)
        elif array.dtype == np.float64 and not isinstance(x, np.ndarray):
            array = array.astype(floatx())
        return array
    torch = _torch()
    torch_dtype = getattr(torch, standardize_dtype(dtype)) if dtype is not None else None
    if is_torch(x):
        return x.to(device=device, dtype=torch_dtype) if torch_dtype else x.to(device=device)
    array = np.asarray(x)
    if torch_dtype is None and array.dtype == np.float64 and not isinstance(x, np.ndarray):
        torch_dtype = getattr(torch, floatx())
    return torch.as_tensor(array, device=device, dtype=torch_dtype)


def _special(x, name):
    """Elementwise ``erf`` / ``erfc``: torch's own for tensors; for numpy arrays scipy's when it is
    installed; else, for float32 and narrower, ``_erfc_float32`` (vectorized, within float32's
    precision), and for float64 Python's ``math`` function entry by entry (exact, slower). An array
    holder whose namespace has the function (chapter 08's traced array: the tape records it) is
    handed to it; any other (a Variable) computes on its plain array."""
    if isinstance(x, ArrayHolder):
        space = namespace(x)
        if hasattr(space, name):
            return getattr(space, name)(x)
        x = plain_array(x)
    if is_torch(x):
        return getattr(_torch().special, name)(x)
    x = np.asarray(x)
    special = _scipy_special()
    if special is not None:
        return getattr(special, name)(x).astype(x.dtype, copy=False)
    if name == "erfc" and x.dtype.kind == "f" and x.dtype.itemsize <= 4:
        return _erfc_float32(x)
    return np.vectorize(getattr(math, name), otypes=[x.dtype])(x)


@functools.lru_cache(maxsize=None)
def _scipy_special():
    """``scipy.special`` if installed, else None; looked up once (a failed import is not cached by
    Python, and searching for it again costs more than the function itself)."""
    try:
        import scipy.special
    except ImportError:  # pragma: no cover - depends on the machine
        return None
    return scipy.special


# Chebyshev fit of erfc(z) = t * exp(-z**2 + P(t)), t = 1 / (1 + z / 2), z >= 0: relative error
# below 1.2e-7 everywhere (Press et al., Numerical Recipes, section 6.2), about float32's resolution.
_ERFC_COEFFICIENTS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
                      0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _erfc_float32(x):
    """erfc for float32 (or narrower) arrays without scipy: the fit above, evaluated in float64 so
    that ``-z**2`` keeps its digits in the far tail, then rounded to ``x``'s dtype."""
    z = np.abs(x.astype(np.float64))
    t = 1.0 / (1.0 + 0.5 * z)
    polynomial = _ERFC_COEFFICIENTS[-1]
    for coefficient in _ERFC_COEFFICIENTS[-2::-1]:
        polynomial = coefficient + t * polynomial
    tail = t * np.exp(-z * z + polynomial)
    return where(x >= 0, tail, 2.0 - tail).astype(x.dtype)


def erf(x):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt``, elementwise.

    The array API has no erf, so this is a backend difference (see ``_special``).

    >>> round(float(erf(np.array(1.0))), 6)
    0.842701
    """
    return _special(x, "erf")


def erfc(x):
    """``1 - erf(x)``, without the cancellation of computing it so for large x (gelu's left tail).

    >>> float(erfc(np.array(10.0))) > 0  # 1 - erf(10.0) is exactly 0 in float64
    True
    """
    return _special(x, "erfc")


def to_numpy(x) -> np.ndarray:
    """A numpy view or copy of ``x`` (a numpy array, torch tensor, Variable or nested list)."""
    if is_torch(x):
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return to_numpy(x.numpy())
    return np.asarray(x)


# ---------------------------------------------------------------- random numbers


class RandomGenerator:
    """Seeded random numbers that land on the device of the array they are drawn ``like``.

    A layer that needs randomness (Dropout, an initializer) owns one of these, so no
    global state is touched and a seed makes a run repeatable. Draws are made with numpy's
    PCG64 on the host for numpy arrays and with a torch generator on the tensor's device
    for torch tensors (moving masks from host to GPU every step would be slow).

    >>> rng = RandomGenerator(seed=0)
    >>> rng.uniform((2,), dtype="float64").round(3).tolist()
    [0.637, 0.27]
    """

    def __init__(self, seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed: expected a non-negative integer or None, received {seed!r}")
        if seed is None:
            seed = int(global_generator().integers(2**31))
        self.seed = int(seed)
        self._numpy = np.random.default_rng(self.seed)
        self._torch = {}  # device -> torch.Generator

    def _torch_generator(self, device):
        if device not in self._torch:
            torch = _torch()
            generator = torch.Generator(device=device)
            generator.manual_seed(self.seed)
            self._torch[device] = generator
        return self._torch[device]

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=None, like=None):
        """Uniform numbers in [minval, maxval) of ``shape``, on ``like``'s device."""
        dtype = standardize_dtype(dtype)
        if like is not None and is_torch(like):
            torch = _torch()
            out = torch.empty(tuple(shape), dtype=getattr(torch, dtype), device=like.device)
            return out.uniform_(minval, maxval, generator=self._torch_generator(str(like.device)))
        return self._numpy.uniform(minval, maxval, size=tuple(shape)).astype(dtype)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, like=None):
        """Normal numbers of ``shape``, on ``like``'s device."""
        dtype = standardize_dtype(dtype)
        if like is not None and is_torch(like):
            torch = _torch()
            out = torch.empty(tuple(shape), dtype=getattr(torch, dtype), device=like.device)
            return out.normal_(mean, stddev, generator=self._torch_generator(str(like.device)))
        return self._numpy.normal(mean, stddev, size=tuple(shape)).astype(dtype)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=None):
        """Normal numbers redrawn until within two standard deviations (host only)."""
        values = np.asarray(self._numpy.normal(0.0, 1.0, size=tuple(shape)))  # 0-d stays an array
        outside = np.abs(values) > 2
        while outside.any():
            values[outside] = self._numpy.normal(0.0, 1.0, size=int(outside.sum()))
            outside = np.abs(values) > 2
        return np.asarray(mean + stddev * values).astype(standardize_dtype(dtype))

    def permutation(self, n: int) -> np.ndarray:
        """A random permutation of ``range(n)`` (host indices, used for shuffling)."""
        return self._numpy.permutation(n)

    def integers(self, high: int) -> int:
        return int(self._numpy.integers(high))


_global_generator = np.random.default_rng()


def global_generator() -> np.random.Generator:
    """The generator that unseeded layers and initializers draw their seeds from."""
    return _global_generator


def set_random_seed(seed: int) -> None:
    """Make everything that follows repeatable (Keras: ``keras.utils.set_random_seed``).

    Seeds teachkeras' own generator, Python's ``random``, numpy's global generator
    (``np.random.seed``) and torch's when torch is installed, as Keras does: tutorials shuffle
    with ``np.random`` after calling it. teachkeras itself never draws from the global ones.
    """
    global _global_generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative integer, received {seed!r}")
    _global_generator = np.random.default_rng(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # numpy's legacy seed takes 32 bits
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(int(seed))


# ---------------------------------------------------------------- names


_name_counts: collections.Counter = collections.Counter()


def unique_name(prefix: str) -> str:
    """'dense', then 'dense_1', 'dense_2', ... as Keras names layers."""
    count = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def snake_case(name: str) -> str:
    """'Conv2DTranspose' -> 'conv2d_transpose', 'LeakyReLU' -> 'leaky_re_lu' (Keras' rule)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def clear_session() -> None:
    """Forget layer names handed out so far, so the next Dense is called 'dense' again."""
    _name_counts.clear()


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 1/2's ``K.function([inputs], [outputs])`` is gone in Keras 3: refused, naming the
    feature-extraction model that does its job (chapter 09)."""
    raise NotImplementedError(
        "backend.function (K.function) does not exist in Keras 3: to read inner layers, build a model "
        "keras.Model(inputs=model.inputs, outputs=[model.layers[3].output]) and call model.predict(x)")
