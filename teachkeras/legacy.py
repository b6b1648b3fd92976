"""Keras 1 and 2 spellings, in one place: each table maps an old name to its Keras 3 spelling.

The study notes and many tutorials still write ``Dense(output_dim=10, init='uniform')``,
``fit(nb_epoch=5)``, ``compile(loss='cosine_proximity')`` or ``SGD(lr=0.1)``. teachkeras either
accepts an old spelling with a deprecation warning or refuses it with an error naming the modern
one; the chapters import these tables and say so in a sentence, so the lessons stay about the idea.

Hand-written plumbing: no chapter builds this module.
"""

import math
import sys
import warnings

from teachkeras.validation import check_number

__all__ = ["LEGACY_ARGUMENTS", "LEGACY_VALUES", "legacy_argument_error", "LEGACY_FIT_ARGUMENTS",
           "LEGACY_COMPILE_ARGUMENTS", "LEGACY_LOSS_NAMES", "legacy_optimizer_arguments",
           "LEGACY_REGULARIZER_NAMES", "LEGACY_CONSTRAINT_NAMES", "legacy_name_error"]

# Keras 1/2 spellings that the notes and old tutorials use, and what Keras 3 calls them.
LEGACY_ARGUMENTS = {
    "init": "kernel_initializer",
    "output_dim": "units",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "bias": "use_bias",
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "nb_row": "kernel_size",
    "nb_col": "kernel_size",
    "subsample": "strides",
    "subsample_length": "strides",
    "stride": "strides",
    "pool_length": "pool_size",
    "border_mode": "padding",
    "dim_ordering": "data_format",
}
# Old values that changed their spelling too: dim_ordering='th' is data_format='channels_first'.
LEGACY_VALUES = {"dim_ordering": {"th": "channels_first", "tf": "channels_last"}}


def legacy_argument_error(owner, arguments):
    """A TypeError naming each Keras 1/2 argument in ``arguments`` and its Keras 3 spelling and value.

    >>> print(legacy_argument_error("Conv1D", {"nb_filter": 4, "dim_ordering": "th"}))
    Conv1D: nb_filter=, dim_ordering= are Keras 1/2 spellings; use filters=4, data_format='channels_first' instead
    """
    modern = {}
    for key, value in arguments.items():
        value = LEGACY_VALUES.get(key, {}).get(value, value) if isinstance(value, str) else value
        if key in ("nb_row", "nb_col"):  # Conv2D(nb_row=3, nb_col=2) is kernel_size=(3, 2)
            value = (arguments.get("nb_row", "?"), arguments.get("nb_col", "?"))
        modern[LEGACY_ARGUMENTS[key]] = value
    old = ", ".join(f"{key}=" for key in arguments)
    new = ", ".join(f"{key}={value!r}" for key, value in modern.items())
    verb = "is the Keras 1/2 spelling" if len(arguments) == 1 else "are Keras 1/2 spellings"
    return TypeError(f"{owner}: {old} {verb}; use {new} instead")


# Keras 1/2 keyword arguments from the notes, and what to write instead.
LEGACY_FIT_ARGUMENTS = {
    "nb_epoch": "epochs=",
    "show_accuracy": "compile(..., metrics=['accuracy'])",
}
LEGACY_COMPILE_ARGUMENTS = {
    "class_mode": "compile(..., metrics=['accuracy']) (accuracy is a metric now)",
    "theano_mode": "nothing: teachkeras runs eagerly",
}

# Loss names from Keras 1/2 that still work, with a DeprecationWarning naming the Keras 3 one.
LEGACY_LOSS_NAMES = {
    "cosine_proximity": "cosine_similarity",
    "kullback_leibler_divergence": "kl_divergence",
}


def _stacklevel_outside(*prefixes):
    """The ``stacklevel`` that points a warning, issued by the function that calls this one, at the
    first frame outside the modules named by ``prefixes``.

    A fixed number is wrong for some class or other: AdamW's ``__init__`` calls Adam's, which calls
    the base class's, so the user's line is one frame further up than for SGD. Python's default
    filters show a DeprecationWarning only when it is attributed to ``__main__``, so a wrong level
    hides it.
    """
    frame, level = sys._getframe(1), 1  # level 1: the function that calls warnings.warn
    while frame is not None and frame.f_globals.get("__name__", "").startswith(prefixes):
        frame, level = frame.f_back, level + 1
    return level


def legacy_optimizer_arguments(owner, learning_rate, kwargs):
    """Take the Keras 2 optimizer arguments ``lr=`` and ``decay=`` out of ``kwargs``, with a
    DeprecationWarning each: returns ``(learning_rate, decay)``, ``decay`` 0.0 when not given.

    ``lr=`` is the old name of ``learning_rate=``; ``decay=d`` (removed in Keras 3) makes the step's
    rate ``learning_rate / (1 + d * iterations)``, what ``InverseTimeDecay(lr, 1, d)`` says today.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     legacy_optimizer_arguments("SGD", None, {"lr": 0.1, "decay": 0.01})
    (0.1, 0.01)
    >>> [str(warning.message).split(";")[0] for warning in caught]
    ['SGD: lr= is the Keras 2 spelling, use learning_rate=', 'SGD: decay= is the Keras 2 spelling (removed in Keras 3) of learning_rate / (1 + decay * iterations)']
    """
    where = ("teachkeras.legacy", "teachkeras.optimizers")
    if "lr" in kwargs:
        if learning_rate is not None:
            raise ValueError(f"{owner}: pass learning_rate= or the old lr=, not both; received "
                             f"learning_rate={learning_rate!r} and lr={kwargs['lr']!r}")
        warnings.warn(f"{owner}: lr= is the Keras 2 spelling, use learning_rate=",
                      DeprecationWarning, stacklevel=_stacklevel_outside(*where))
        learning_rate = kwargs.pop("lr")
    decay = kwargs.pop("decay", 0.0)
    decay = 0.0 if decay is None else decay  # None means "no decay", as 0 does
    if decay:
        warnings.warn(
            f"{owner}: decay= is the Keras 2 spelling (removed in Keras 3) of "
            "learning_rate / (1 + decay * iterations); a learning-rate schedule says the same",
            DeprecationWarning, stacklevel=_stacklevel_outside(*where),
        )
        check_number(owner, "decay", decay, 0, math.inf, high_open=True)
    return learning_rate, float(decay)


# Keras 1 functions of keras.regularizers and keras.constraints (note 000: ``activity_l2(0.01)``,
# ``maxnorm(2)``) and what Keras 3 writes instead.
LEGACY_REGULARIZER_NAMES = {
    "activity_l1": "l1 (as activity_regularizer=l1(0.01))",
    "activity_l2": "l2 (as activity_regularizer=l2(0.01))",
    "activity_l1l2": "l1_l2 (as activity_regularizer=l1_l2(l1=0.01, l2=0.01))",
    "l1l2": "l1_l2 (or L1L2)",
    "WeightRegularizer": "L1L2 (or L1, L2)",
    "ActivityRegularizer": "L1L2 passed as activity_regularizer=",
}
LEGACY_CONSTRAINT_NAMES = {
    "maxnorm": "max_norm (or MaxNorm)",
    "nonneg": "non_neg (or NonNeg)",
    "unitnorm": "unit_norm (or UnitNorm)",
}


def legacy_name_error(module, name, table):
    """The AttributeError for ``module.name`` when ``name`` is a Keras 1 spelling in ``table`` (else
    a plain one), naming what Keras 3 calls it.

    >>> print(legacy_name_error("teachkeras.constraints", "maxnorm", LEGACY_CONSTRAINT_NAMES))
    teachkeras.constraints.maxnorm is the Keras 1 spelling; use teachkeras.constraints.max_norm (or MaxNorm)
    """
    if name in table:
        return AttributeError(f"{module}.{name} is the Keras 1 spelling; use {module}.{table[name]}")
    return AttributeError(f"module {module!r} has no attribute {name!r}")
