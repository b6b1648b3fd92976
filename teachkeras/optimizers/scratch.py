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

Hand-written plumbing: no chapter builds this module.
"""

import array_api_compat

from teachkeras.backend import namespace

__all__ = ["scratch"]


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
