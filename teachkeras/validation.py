"""One check for numeric hyper-parameters, used by every optimizer, schedule and layer argument
that must be a number in a range: a clear error naming the owner, the argument, the range and
what was received. ``True`` is not a number here (``Adam(beta_1=False)`` is a mistake, not 0).

Hand-written plumbing: no chapter builds this module.
"""

import math
import numbers

__all__ = ["check_number"]


def check_number(owner, name, value, low=-math.inf, high=math.inf, *, low_open=False, high_open=False,
                 integer=False, allow_none=False):
    """Return ``value`` if it is a real number in the range, else raise ValueError naming it.

    ``low_open`` / ``high_open`` exclude the bound: ``check_number("Adam", "beta_1", b, 0, 1,
    high_open=True)`` accepts [0, 1). Infinity and NaN never pass: no hyper-parameter means them.

    >>> check_number("RMSprop", "rho", 0.9, 0, 1, high_open=True)
    0.9
    >>> check_number("SGD", "momentum", True, 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: SGD: momentum must be a number in [0, 1], received momentum=True
    >>> check_number("Adam", "epsilon", -1, 0)
    Traceback (most recent call last):
    ...
    ValueError: Adam: epsilon must be a number >= 0, received epsilon=-1
    >>> check_number("Adam", "epsilon", float("inf"), 0)
    Traceback (most recent call last):
    ...
    ValueError: Adam: epsilon must be a number >= 0, received epsilon=inf
    """
    if value is None and allow_none:
        return value
    kind = "an integer" if integer else "a number"
    if low == -math.inf and high == math.inf:
        wanted = f"{kind}"
    elif high == math.inf:
        wanted = f"{kind} {'>' if low_open else '>='} {low}"
    elif low == -math.inf:
        wanted = f"{kind} {'<' if high_open else '<='} {high}"
    else:
        wanted = f"{kind} in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    wrong_type = isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real)
    if (wrong_type or not math.isfinite(value) or value < low or value > high
            or (low_open and value == low) or (high_open and value == high)):
        none = " or None" if allow_none else ""
        raise ValueError(f"{owner}: {name} must be {wanted}{none}, received {name}={value!r}")
    return value
