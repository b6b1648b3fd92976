"""Work arrays for optimizer updates that allocate nothing per step.

Written with operators, RMSprop's ``w -= learning_rate * g / sqrt(v + epsilon)`` makes a new array
the size of the weight for every intermediate result, at every step. numpy mostly gets that memory
back from its allocator; torch often takes fresh memory from the system, which costs a page fault
per 4 KiB on first touch: on the notes' MNIST network (a 784 x 512 kernel) the torch path's RMSprop
made about 750 page faults a step. So the adaptive optimizers of chapter 06 compute the same
operations, in the same order, into work arrays made once per variable and reused at every step,
with the ``out=`` argument that numpy's and torch's functions share (``xp.multiply(a, b, out=work)``)
and in-place operators (``work *= gradient``). The results are the same to the last bit; the update
itself is still one pass over memory per operation, so on an idle machine it got only 5% (numpy) to
10% (torch) faster, more on a busy one, where page faults are slow (``benchmarks/profile_step.py``).
``out=`` is refused for tensors that require a gradient (torch autograd), so it is used here, on
optimizer state, and not in the layers.

``add_quotient(target, scale, numerator, denominator, spare)`` is the last line of RMSprop's and
Adam's rules, ``w -= learning_rate * g / root``, written as ``target += scale * numerator /
denominator`` (``scale = -learning_rate``). numpy has no function for it, so it is three passes
through ``spare``: ``numerator * scale``, divided by ``denominator``, added to ``target``. torch has
one, ``target.addcdiv_(numerator, denominator, value=scale)``, whose CPU kernel computes
``target + scale * numerator / denominator`` element by element in the same order, with no fused
multiply-add between (unlike ``addcmul``, which does not round like ``a * b * c`` and is not used).
On float32 and float64 CPU tensors ``add_quotient`` takes that single pass; the results are the same
to the last bit (tests/test_optimizers.py compares them with the three passes and with the formulas).
``scale * x`` with ``scale = -learning_rate`` is ``-(learning_rate * x)`` exactly, and ``w + (-y)``
is ``w - y`` exactly, so the sign costs nothing. Other devices (CUDA kernels may fuse differently)
and other dtypes (float16 and bfloat16 are computed in float32 there, rounded once) take the
three passes.

The arrays are not optimizer state: their contents mean nothing between steps, and they are not in
``optimizer.variables`` (so they are not saved). They follow the variable: a variable moved to
another device or array type, or given another shape or dtype, gets new ones.

>>> import numpy as np
>>> from teachkeras.optimizers import RMSprop
>>> from teachkeras.variables import Variable
>>> optimizer, weight = RMSprop(), Variable(np.zeros((2, 3), dtype="float32"), name="w")
>>> work, increment = scratch(optimizer, weight, 2)
>>> work.shape, work.dtype, scratch(optimizer, weight, 2)[0] is work
((2, 3), dtype('float32'), True)
>>> target = np.array([1.0, 1.0])
>>> add_quotient(target, -0.5, np.array([1.0, 3.0]), np.array([2.0, 4.0]), spare=np.empty(2))
>>> target.tolist()
[0.75, 0.625]

Hand-written plumbing: no chapter builds this module.
"""

import sys

import array_api_compat

from teachkeras.backend import is_torch, namespace

__all__ = ["add_quotient", "scratch"]


def scratch(optimizer, variable, count):
    """``count`` work arrays like ``variable.value`` (array type, device, dtype, shape), made on the
    first call for this variable and the same ones at every later call."""
    value = variable.value
    kept = optimizer.__dict__.setdefault("_scratch", {})  # id(variable) -> [arrays], as the slots
    arrays = kept.get(id(variable))
    if arrays is None or len(arrays) < count or not _like(arrays[0], value):
        xp = namespace(value)
        arrays = [xp.empty_like(value) for _ in range(count)]
        kept[id(variable)] = arrays
    return arrays[:count]


def _like(array, value):
    return (type(array) is type(value) and array.shape == value.shape and array.dtype == value.dtype
            and array_api_compat.device(array) == array_api_compat.device(value))


def add_quotient(target, scale, numerator, denominator, spare):
    """``target += scale * numerator / denominator`` in place, rounded as ``(numerator * scale) /
    denominator`` added to ``target``; ``spare`` is a work array like ``target`` (unused by torch's
    one-pass ``addcdiv_`` on the CPU)."""
    if _one_pass_addcdiv(target, numerator, denominator):
        target.addcdiv_(numerator, denominator, value=scale)
        return
    xp = namespace(target)
    xp.multiply(numerator, scale, out=spare)
    spare /= denominator
    target += spare


def _one_pass_addcdiv(target, numerator, denominator):
    """True for float32 or float64 CPU tensors of one dtype that do not require a gradient."""
    if not (is_torch(target) and is_torch(numerator) and is_torch(denominator)):
        return False
    torch = sys.modules["torch"]
    return (target.device.type == "cpu" and target.dtype in (torch.float32, torch.float64)
            and numerator.dtype == denominator.dtype == target.dtype
            and numerator.device == denominator.device == target.device
            and not (target.requires_grad or numerator.requires_grad or denominator.requires_grad))
