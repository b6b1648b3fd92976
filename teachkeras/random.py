"""``keras.random``: seeded random numbers for custom layers (normal, uniform, dropout, shuffle).

As in Keras 3, ``seed`` may be an integer (the same numbers at every call), a ``SeedGenerator``
(kept by the layer: new numbers at each call, a repeatable sequence), or None (drawn from
teachkeras' global generator, which ``keras.utils.set_random_seed`` seeds). The numbers come from
``teachkeras.backend.RandomGenerator``: numpy's PCG64 for numpy arrays, a torch generator for
tensors. Inside a traced computation (chapter 08) ``dropout`` multiplies by a drawn mask, so the
gradient flows through it.

>>> import numpy as np
>>> seeds = SeedGenerator(1)
>>> a, b = normal((2,), seed=seeds), normal((2,), seed=seeds)
>>> bool(np.all(a != b)), bool(np.all(normal((2,), seed=3) == normal((2,), seed=3)))
(True, True)

Hand-written plumbing: no chapter builds this module.
"""

import numbers

import numpy as np

from teachkeras.backend import RandomGenerator, device_of, namespace, plain_array, standardize_dtype

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "dropout", "shuffle", "randint"]


class SeedGenerator:
    """A seeded source of random numbers that a layer keeps (``self.seed_generator = SeedGenerator(42)``).

    Args:
        seed: a non-negative integer, or None for one drawn from the global generator.
    """

    def __init__(self, seed=None, **kwargs):
        if kwargs:
            raise TypeError(f"SeedGenerator: unexpected keyword argument(s) {sorted(kwargs)}; accepted is 'seed'")
        self.generator = RandomGenerator(seed)
        self.seed = self.generator.seed

    def __repr__(self):
        return f"<SeedGenerator seed={self.seed}>"


def _generator(seed, function):
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if seed is None:
        return RandomGenerator()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"keras.random.{function}: seed must be a non-negative integer, a SeedGenerator or "
                         f"None, received seed={seed!r}")
    return RandomGenerator(int(seed))


def _shape(shape, function):
    try:
        shape = tuple(int(size) for size in (shape if isinstance(shape, (tuple, list)) else tuple(shape)))
    except TypeError:
        raise ValueError(f"keras.random.{function}: shape must be a tuple of integers, received {shape!r}") from None
    if any(size < 0 for size in shape):
        raise ValueError(f"keras.random.{function}: shape must not hold negative sizes, received {shape}")
    return shape


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal numbers of ``shape`` (numpy, in ``floatx()`` unless ``dtype``)."""
    return _generator(seed, "normal").normal(_shape(shape, "normal"), mean, stddev, dtype=standardize_dtype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform numbers in ``[minval, maxval)`` of ``shape``."""
    return _generator(seed, "uniform").uniform(_shape(shape, "uniform"), minval, maxval, dtype=standardize_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal numbers redrawn until within two standard deviations of the mean."""
    return _generator(seed, "truncated_normal").truncated_normal(_shape(shape, "truncated_normal"), mean, stddev,
                                                                 dtype=standardize_dtype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers in ``[minval, maxval)`` of ``shape``."""
    generator = _generator(seed, "randint")
    return generator._numpy.integers(minval, maxval, size=_shape(shape, "randint")).astype(standardize_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)`` (inverted dropout); ``noise_shape`` shares one draw along axes of size 1."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"keras.random.dropout: rate must be a number in [0, 1), received rate={rate!r}")
    plain = plain_array(inputs)
    shape = tuple(plain.shape) if noise_shape is None else tuple(
        plain.shape[axis] if size is None else size for axis, size in enumerate(noise_shape))
    draws = _generator(seed, "dropout").uniform(shape, dtype=standardize_dtype(plain.dtype), like=plain)
    xp = namespace(plain)
    keep = xp.astype(draws >= rate, plain.dtype)
    return inputs * (keep / (1.0 - rate))


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order."""
    plain = plain_array(x)
    order = _generator(seed, "shuffle").permutation(plain.shape[axis])
    if device_of(plain) is not None:
        import torch

        order = torch.as_tensor(order, device=plain.device)
    return namespace(x).take(x, order, axis=axis)
