"""What the chapter notebooks use while they build the package, and nothing else.

Hand-written; ``import teachkeras`` does not load it.
"""

__all__ = ["add_to_class", "setup_notebook"]


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

    Decorators such as ``@property`` go below it. A method added this way is defined outside the
    class body, so the zero-argument ``super()`` does not work in it: write ``super(Greeter, self)``.
    """
    if not isinstance(cls, type):
        raise TypeError(f"add_to_class: expected a class, received {cls!r} of type {type(cls).__name__}")

    def attach(function):
        # A property or a staticmethod/classmethod wraps the function that carries the name.
        named = getattr(function, "fget", None) or getattr(function, "__func__", None) or function
        setattr(cls, named.__name__, function)
        return function

    return attach


def setup_notebook(threads=1):
    """The first cell of every chapter calls this: numpy's matrix library (BLAS) uses ``threads``
    threads, and so does PyTorch if it is loaded.

    Why one thread by default: the chapters' matrices are small, where one thread is as fast as
    several; on a busy machine several BLAS threads fight each other for cores (chapter 07's
    convnet once took 649 s instead of 85 s that way); and one thread adds up float32 numbers in
    the same order as the run that produced the book's outputs, so your last digits match them.
    Pass ``threads=None`` to keep the library's default.
    """
    import sys

    from threadpoolctl import threadpool_limits

    if threads is not None:
        threadpool_limits(limits=threads)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
