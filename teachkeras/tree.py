"""Nested structures of arrays: lists, tuples and dicts, walked in one fixed order.

A functional model takes and returns such structures (``[x1, x2]``, ``{"image": x, "meta": m}``);
so do ``fit``'s ``x``, ``y`` and ``sample_weight``. These three functions, named as in Keras'
``keras.tree``, are what the library needs to treat them: ``flatten`` lists the leaves (dict values
in sorted key order, as Keras does), ``map_structure`` applies a function to every leaf and keeps
the structure, and ``pack_sequence_as`` pours a flat list back into a structure.

>>> flatten({"b": 1, "a": [2, (3, 4)]})
[2, 3, 4, 1]
>>> map_structure(lambda x: 10 * x, [1, (2, 3)])
[10, (20, 30)]
>>> pack_sequence_as({"b": None, "a": [None, None]}, [1, 2, 3])
{'a': [1, 2], 'b': 3}

Hand-written plumbing: no chapter builds this module.
"""

__all__ = ["is_nested", "flatten", "map_structure", "pack_sequence_as"]


def is_nested(structure):
    """True for a list, tuple or dict (the containers these functions walk into)."""
    return isinstance(structure, (list, tuple, dict))


def _children(structure):
    if isinstance(structure, dict):
        return [structure[key] for key in sorted(structure)]
    return list(structure)


def flatten(structure):
    """The leaves of ``structure``, depth first; a leaf alone becomes ``[leaf]``."""
    if not is_nested(structure):
        return [structure]
    leaves = []
    for child in _children(structure):
        leaves.extend(flatten(child))
    return leaves


def _rebuild(structure, children):
    if isinstance(structure, dict):
        return {key: child for key, child in zip(sorted(structure), children)}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):  # a namedtuple
        return type(structure)(*children)
    return type(structure)(children)


def map_structure(function, *structures):
    """``function`` applied leaf by leaf (to the matching leaves of several equal structures)."""
    first = structures[0]
    if not is_nested(first):
        return function(*structures)
    for other in structures[1:]:
        if not is_nested(other) or len(other) != len(first):
            raise ValueError(f"map_structure: the structures differ: {first!r} and {other!r}")
    columns = zip(*[_children(structure) for structure in structures])
    return _rebuild(first, [map_structure(function, *column) for column in columns])


def pack_sequence_as(structure, flat_sequence):
    """The leaves ``flat_sequence`` in the shape of ``structure`` (the inverse of ``flatten``)."""
    flat_sequence = list(flat_sequence)
    count = len(flatten(structure))
    if count != len(flat_sequence):
        raise ValueError(f"pack_sequence_as: the structure has {count} leaves, received {len(flat_sequence)} values")
    position = [0]

    def pack(part):
        if not is_nested(part):
            position[0] += 1
            return flat_sequence[position[0] - 1]
        return _rebuild(part, [pack(child) for child in _children(part)])

    return pack(structure)
