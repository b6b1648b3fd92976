"""Weight initializers: the numbers a layer starts from.

Defined in notebooks/02_dense.ipynb (chapter 02). An initializer is called with a shape and
returns a numpy array; ``add_weight`` moves it to the layer's device. With ``seed=None`` it
draws from teachkeras' global generator (``keras.utils.set_random_seed`` makes that
repeatable); with a seed it returns the same numbers on every call, as Keras 3 does.

>>> GlorotUniform(seed=0)((2, 3), dtype="float64").round(2).tolist()
[[0.3, -0.5, -1.01], [-1.06, 0.69, 0.9]]
>>> get("uniform")
RandomUniform(minval=-0.05, maxval=0.05, seed=None)
"""
import math

import numpy as np

from teachkeras.backend import RandomGenerator, standardize_dtype


def compute_fans(shape):
    """(fan_in, fan_out) of a kernel: Dense (in, out); conv (*kernel_size, in, out)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``initializer(shape, dtype=None)`` returns a numpy array of ``shape``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class Zeros(Initializer):
    """All zeros (the default for biases)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=standardize_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=standardize_dtype(dtype))


class Constant(Initializer):
    """Every element equal to ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=standardize_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomInitializer(Initializer):
    """An initializer with a seed: same seed, same numbers; no seed, the global generator."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"{type(self).__name__}: seed must be a non-negative integer or None, received {seed!r}")
        self.seed = seed

    def generator(self):
        return RandomGenerator(self.seed)

    def get_config(self):
        return {"seed": self.seed}


class RandomUniform(RandomInitializer):
    """Uniform in [minval, maxval) (the notes' ``init='uniform'``)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        if not minval < maxval:
            raise ValueError(f"RandomUniform: expected minval < maxval, received minval={minval}, maxval={maxval}")
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return self.generator().uniform(shape, self.minval, self.maxval, dtype=dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class RandomNormal(RandomInitializer):
    """Normal with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        if stddev < 0:
            raise ValueError(f"RandomNormal: stddev must be >= 0, received {stddev}")
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return self.generator().normal(shape, self.mean, self.stddev, dtype=dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomNormal):
    """Normal with ``mean`` and ``stddev``, redrawn beyond two standard deviations."""

    def __call__(self, shape, dtype=None):
        return self.generator().truncated_normal(shape, self.mean, self.stddev, dtype=dtype)


class VarianceScaling(RandomInitializer):
    """Variance ``scale / n`` where n is fan_in, fan_out or their average (``mode``).

    ``distribution='uniform'`` draws from [-limit, limit] with ``limit = sqrt(3 * scale / n)``;
    ``'truncated_normal'`` uses ``stddev = sqrt(scale / n) / 0.8796...`` (the truncation
    shrinks the spread by that factor); ``'untruncated_normal'`` uses ``sqrt(scale / n)``.
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"{type(self).__name__}: scale must be > 0, received {scale}")
        if mode not in self.MODES:
            raise ValueError(f"{type(self).__name__}: mode must be one of {self.MODES}, received {mode!r}")
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"{type(self).__name__}: distribution must be one of {self.DISTRIBUTIONS}, received {distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return self.generator().uniform(shape, -limit, limit, dtype=dtype)
        if self.distribution == "truncated_normal":
            return self.generator().truncated_normal(shape, 0.0, math.sqrt(variance) / 0.87962566103423978, dtype)
        return self.generator().normal(shape, 0.0, math.sqrt(variance), dtype=dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **super().get_config()}


class GlorotUniform(VarianceScaling):
    """Uniform in [-limit, limit], ``limit = sqrt(6 / (fan_in + fan_out))`` (Dense's default)."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeUniform(VarianceScaling):
    """Uniform in [-limit, limit], ``limit = sqrt(6 / fan_in)`` (suits relu)."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeNormal(VarianceScaling):
    """Truncated normal, ``stddev = sqrt(2 / fan_in)`` (suits relu)."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


ALL = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_uniform": RandomUniform, "uniform": RandomUniform,
    "random_normal": RandomNormal, "normal": RandomNormal, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
}


def get(identifier):
    """An initializer from a name ('glorot_uniform'), a config dict, an instance or a callable."""
    if isinstance(identifier, str):
        if identifier not in ALL:
            raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(ALL)}")
        return ALL[identifier]()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"expected a name, an Initializer or a callable, received {identifier!r}")


def serialize(initializer):
    """``{'class_name': ..., 'config': ...}``, as Keras writes it into a model config."""
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config):
    """The initializer that ``serialize`` described."""
    classes = {cls.__name__: cls for cls in ALL.values()}
    name = config["class_name"]
    if name not in classes:
        raise ValueError(f"initializer: unknown class_name {name!r}; known are {sorted(classes)}")
    return classes[name].from_config(config.get("config", {}))
