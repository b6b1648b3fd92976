"""Is a custom activation elementwise? The check ``activations.backward`` runs before it
differentiates your own function by central differences.

Central differences entry by entry give the right gradient only for an elementwise function (each
output entry depends on its own input entry alone): ``lambda x: softmax(2 * x)`` mixes the entries
of a row and would train on a wrong gradient. ``probe_elementwise`` moves the first and the last
input entries by 1 and refuses the function if any other output entry moves (or the shape
changes); a function that passed is remembered, so the check runs once per function.

>>> import numpy as np
>>> probe_elementwise(np.sin, np.zeros((2, 3))); known_elementwise(np.sin)
True

Hand-written plumbing: no chapter builds this module.
"""

import weakref

from teachkeras.backend import namespace

__all__ = ["known_elementwise", "remember_elementwise", "probe_elementwise"]

# Custom activations already found elementwise. Most functions are remembered by weak reference;
# numpy ufuncs (np.tanh) and __slots__ callables refuse one, so those are remembered by id, beside
# a strong reference that keeps the id from being reused.
_ELEMENTWISE = weakref.WeakKeyDictionary()
_ELEMENTWISE_BY_ID = {}


def known_elementwise(activation):
    """Whether ``activation`` passed ``probe_elementwise`` before."""
    if _ELEMENTWISE_BY_ID.get(id(activation)) is activation:
        return True
    try:
        return activation in _ELEMENTWISE  # False (no error) for what refuses a weak reference
    except TypeError:  # not hashable
        return False


def remember_elementwise(activation):
    try:
        _ELEMENTWISE[activation] = True
    except TypeError:
        _ELEMENTWISE_BY_ID[id(activation)] = activation


def probe_elementwise(activation, inputs):
    """Raise a ValueError unless changing one input entry moves that output entry alone: three
    float64 forward passes; remembers ``activation`` if it passes."""
    xp = namespace(inputs)
    wide = xp.astype(inputs, xp.float64)
    before = activation(wide)
    size = 1
    for length in wide.shape:
        size *= length
    positions = xp.reshape(xp.arange(size, device=getattr(wide, "device", None)), wide.shape)
    for position in (0, size - 1):
        after = activation(xp.where(positions == position, wide + 1.0, wide))
        same_shape = tuple(after.shape) == tuple(before.shape) == tuple(wide.shape)
        if same_shape:
            moved = (after != before) & ~(xp.isnan(after) & xp.isnan(before)) & (positions != position)
        if not same_shape or bool(xp.any(moved)):
            name = getattr(activation, "__name__", type(activation).__name__)
            raise ValueError(
                f"activation {name!r} is not elementwise (changing one entry of its input "
                f"changed other entries of its output, or its shape), so teachkeras cannot differentiate it "
                f"entry by entry. Subclass teachkeras.layers.Activation and give it a backward(grad_outputs) "
                f"that returns the gradient, or use a built-in activation such as 'softmax'"
            )
    if size >= 2:  # a single entry proves nothing about mixing
        remember_elementwise(activation)
