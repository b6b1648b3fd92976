"""``get``, ``serialize`` and ``deserialize`` for a family of objects that layers accept by name.

``kernel_regularizer="l2"``, ``kernel_constraint={"class_name": "MaxNorm", "config": {...}}``: a
family (regularizers, constraints) is a base class and a table of names. ``name_lookup`` writes
the three functions for one family once: ``get`` turns None, a name (the table's key or the class
name), a config dict, a class, an object or a plain callable into what the layer stores;
``serialize`` writes the dict a layer's ``get_config`` holds; ``deserialize`` reads it back. A Keras 1
name from ``teachkeras.legacy`` fails with its Keras 3 spelling.

>>> class Shape:
...     def get_config(self):
...         return {}
...     @classmethod
...     def from_config(cls, config):
...         return cls(**config)
>>> class Square(Shape):
...     pass
>>> get, serialize, deserialize = name_lookup("shape", Shape, {"square": Square}, {"sq": "square"},
...                                           module="shapes", callable_form="f(x) -> x")
>>> type(get("square")).__name__, type(get("Square")).__name__
('Square', 'Square')
>>> serialize(Square())
{'class_name': 'Square', 'config': {}}
>>> type(deserialize({"class_name": "Square", "config": {}})).__name__
'Square'
>>> get("sq")
Traceback (most recent call last):
...
ValueError: shapes.sq is the Keras 1 spelling; use shapes.square
>>> get("circle")
Traceback (most recent call last):
...
ValueError: unknown shape 'circle'; expected one of ['Square', 'square']

Hand-written plumbing: no chapter builds this module.
"""

from teachkeras.legacy import legacy_name_error

__all__ = ["name_lookup"]


def name_lookup(kind, base, table, legacy_names, *, module, callable_form):
    """``(get, serialize, deserialize)`` for the family of ``base`` whose names are ``table``
    (name -> class; the class names work too). ``kind`` ("regularizer") names the family in error
    messages, ``module`` ("regularizers") in the Keras 1 errors taken from ``legacy_names``;
    ``callable_form`` ("f(x) -> scalar") describes the plain functions ``get`` accepts."""
    article = "an" if kind[0] in "aeiou" else "a"
    base_name = base.__name__

    def lookup_class(name):
        classes = {**table, **{cls.__name__: cls for cls in table.values()}}
        if name not in classes and name in legacy_names:
            raise ValueError(str(legacy_name_error(module, name, legacy_names)))
        if name not in classes:
            raise ValueError(f"unknown {kind} {name!r}; expected one of {sorted(classes)}")
        return classes[name]

    def get(identifier):
        if identifier is None:
            return None
        if isinstance(identifier, type) and issubclass(identifier, base):
            return identifier()
        if isinstance(identifier, str):
            return lookup_class(identifier)()
        if isinstance(identifier, dict) and "class_name" in identifier:
            return lookup_class(identifier["class_name"]).from_config(identifier.get("config") or {})
        if callable(identifier):
            return identifier
        raise ValueError(f"expected {article} {kind} name, {article} {base_name} or a callable, received {identifier!r}")

    def serialize(obj):
        if obj is None:
            return None
        if hasattr(obj, "get_config"):
            return {"class_name": type(obj).__name__, "config": obj.get_config()}
        return {"class_name": getattr(obj, "__name__", type(obj).__name__), "config": {}}

    def deserialize(config):
        return get(dict(config))

    first = next(iter(table))
    get.__doc__ = (f"{article.capitalize()} {kind} from None, a name ({first!r} or {table[first].__name__!r}), "
                   f"a config dict, {article} {base_name} (class or object) or any callable ``{callable_form}``.")
    serialize.__doc__ = f"None, or ``{{'class_name': ..., 'config': ...}}`` as a layer's ``get_config`` writes it."
    deserialize.__doc__ = f"The {kind} that ``serialize`` described."
    for function in (get, serialize, deserialize):   # help() and pickle see them as the family's own
        function.__module__ = f"teachkeras.{module}"
        function.__qualname__ = function.__name__
    return get, serialize, deserialize
