"""What the chapter notebooks use while they build the package, and nothing else.

Hand-written; ``import teachkeras`` does not load it.
"""

__all__ = ["add_to_class"]


def add_to_class(cls):
    """Decorator that adds the function below it to ``cls`` as a method (d2l's ``add_to_class``).

    A chapter builds a class across cells, one method after the prose that motivates it. In the
    notebook the decorator attaches each method at run time; ``tools/export.py`` moves the method
    into the class body, so the generated module shows one ordinary class.

    >>> class Greeter:
    ...     def __init__(self, name):
    ...         self.name = name
    >>> @add_to_class(Greeter)
    ... def greet(self):
    ...     return f"hello, {self.name}"
    >>> Greeter("Ada").greet()
    'hello, Ada'
    """
    if not isinstance(cls, type):
        raise TypeError(f"add_to_class: expected a class, received {cls!r} of type {type(cls).__name__}")

    def attach(function):
        setattr(cls, function.__name__, function)
        return function

    return attach
