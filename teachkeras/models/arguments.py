"""Argument checks shared by compile, fit, evaluate and predict: each bad value stops with a message
that names the method, the argument, what was expected and what was received, and a Keras 1
spelling (``nb_epoch=``) names its Keras 3 replacement.

Chapter 04's training loop calls it.

Hand-written plumbing: no chapter builds this module.
"""

import numbers

from teachkeras.validation import check_number

__all__ = ["check_batch_size", "check_verbose", "check_fit_arguments", "reject_arguments", "FIT_ARGUMENTS",
           "COMPILE_ARGUMENTS"]

FIT_ARGUMENTS = ["batch_size", "callbacks", "class_weight", "epochs", "initial_epoch", "sample_weight", "shuffle",
                 "validation_batch_size", "validation_data", "validation_freq", "validation_split", "verbose", "x",
                 "y"]
COMPILE_ARGUMENTS = ["loss", "metrics", "optimizer", "weighted_metrics"]


def check_batch_size(batch_size, method):
    """``batch_size`` as an int; None means Keras' default, 32."""
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"{method}: batch_size must be a positive integer or None, received batch_size={batch_size!r}")
    return int(batch_size)


def check_verbose(verbose, method):
    """'auto' is 1 (the bar); True and False count as 1 and 0, as in Keras."""
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if not isinstance(verbose, numbers.Integral) or verbose not in (0, 1, 2):
        raise ValueError(f"{method}: verbose must be 'auto', 0, 1 or 2 (or True / False), received verbose={verbose!r}")
    return int(verbose)


def check_fit_arguments(epochs, initial_epoch, validation_freq, shuffle, validation_split):
    """fit's numbers and switches, before any data is touched."""
    check_number("fit", "epochs", epochs, 0, integer=True)
    check_number("fit", "initial_epoch", initial_epoch, 0, integer=True)
    check_number("fit", "validation_freq", validation_freq, 1, integer=True)
    if shuffle not in (True, False, "batch"):
        raise ValueError(f"fit: shuffle must be True, False or 'batch', received shuffle={shuffle!r}")
    if not isinstance(validation_split, numbers.Real) or not 0 <= validation_split < 1:
        raise ValueError(
            f"fit: validation_split must be a fraction in [0, 1), received validation_split={validation_split!r}"
        )


def reject_arguments(method, kwargs, legacy=None, legacy_kind="spelling", accepted=None):
    """Raise a TypeError for keyword arguments ``method`` does not take: a Keras 1 name in ``legacy``
    (a table such as ``teachkeras.legacy.LEGACY_FIT_ARGUMENTS``) hears what to write instead."""
    for key in kwargs:
        if key in (legacy or {}):
            raise TypeError(f"{method}: {key}= is the Keras 1 {legacy_kind}; use {legacy[key]}")
    if kwargs:
        listed = f"; accepted are {accepted}" if accepted else ""
        raise TypeError(f"{method}: unexpected keyword argument(s) {sorted(kwargs)}{listed}")
