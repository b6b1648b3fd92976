"""Argument checks for the convolution, pooling and reshaping layers of chapter 05.

Every one of those layers accepts ``kernel_size=3`` or ``kernel_size=(3, 3)``, a padding name
in any case, a data format or None for the global setting, and so on. Turning such arguments
into one canonical form, and refusing a wrong one with an error that names the layer, the
argument, what it expects and what it received, is the same few lines in every layer: they live
here, so that the chapter's cells show the convolution itself. (Keras 1/2 spellings such as
``border_mode=`` or ``nb_filter=`` are refused by ``Layer`` itself, with the table of
``teachkeras.legacy``.)

>>> normalize_tuple(3, 2, "kernel_size", "Conv2D")
(3, 3)
>>> normalize_padding("SAME", ("valid", "same"), "Conv2D")
'same'
>>> normalize_pairs((1, 2), 2, "padding", "ZeroPadding2D")
((1, 1), (2, 2))

Hand-written plumbing: no chapter builds this module.
"""

from teachkeras import backend
from teachkeras.layers.layer_utils import _is_integer, positive_integer, refuse_regularizers

__all__ = ["DATA_FORMATS", "SPATIAL_NAMES", "layout", "normalize_tuple", "normalize_padding",
           "normalize_data_format", "check_strides_and_dilation", "positive_integer",
           "refuse_regularizers", "normalize_pairs", "normalize_target_shape"]

DATA_FORMATS = ("channels_last", "channels_first")

# Words for the axes, used in error messages: "(batch, steps, channels)".
SPATIAL_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def layout(rank, data_format="channels_last"):
    """The expected input layout in words, e.g. ``'(batch, height, width, channels)'``.

    >>> layout(1), layout(2, "channels_first")
    ('(batch, steps, channels)', '(batch, channels, height, width)')
    """
    spatial = SPATIAL_NAMES[rank]
    axes = ("batch", *spatial, "channels") if data_format == "channels_last" else ("batch", "channels", *spatial)
    return "(" + ", ".join(axes) + ")"


def normalize_tuple(value, rank, argument, owner, minimum=1):
    """``value`` (an int, or ``rank`` ints) as a tuple of ``rank`` ints, each >= ``minimum``.

    >>> normalize_tuple((1, 2), 2, "strides", "Conv2D")
    (1, 2)
    >>> normalize_tuple(0, 1, "strides", "Conv1D")
    Traceback (most recent call last):
    ...
    ValueError: Conv1D: strides must be >= 1, received strides=0
    """
    if _is_integer(value):
        values = (int(value),) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = ()
        if len(values) != rank or not all(_is_integer(one) for one in values):
            raise ValueError(
                f"{owner}: {argument} must be an integer or a tuple of {rank} integers, "
                f"received {argument}={value!r}"
            )
        values = tuple(int(one) for one in values)
    if any(one < minimum for one in values):
        raise ValueError(f"{owner}: {argument} must be >= {minimum}, received {argument}={value!r}")
    return values


def normalize_padding(padding, allowed, owner):
    """'valid', 'same' or 'causal' in lower case; anything else is refused by name."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same", "causal"):
        raise ValueError(f"{owner}: padding must be one of {list(allowed)}, received padding={padding!r}")
    padding = padding.lower()
    if padding not in allowed:
        hint = " ('causal' keeps time order along one axis: it is for Conv1D only)" if padding == "causal" else ""
        raise ValueError(f"{owner}: padding must be one of {list(allowed)}, received padding={padding!r}{hint}")
    return padding


def normalize_data_format(data_format, owner):
    """None means the global setting, ``teachkeras.backend.image_data_format()`` ('channels_last'
    unless changed with ``set_image_data_format``), read when the layer is made, as in Keras."""
    if data_format is None:
        return backend.image_data_format()
    if not isinstance(data_format, str) or data_format.lower() not in DATA_FORMATS:
        raise ValueError(f"{owner}: data_format must be one of {list(DATA_FORMATS)}, received {data_format!r}")
    return data_format.lower()


def check_strides_and_dilation(strides, dilation_rate, owner):
    """Keras refuses a stride > 1 together with a dilation > 1 (in any axes).

    >>> check_strides_and_dilation((2,), (2,), "Conv1D")
    Traceback (most recent call last):
    ...
    ValueError: Conv1D: strides > 1 cannot be combined with dilation_rate > 1, received strides=(2,) and dilation_rate=(2,)
    """
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            f"{owner}: strides > 1 cannot be combined with dilation_rate > 1, "
            f"received strides={strides} and dilation_rate={dilation_rate}"
        )


def normalize_pairs(value, rank, argument, owner):
    """Per spatial axis a (before, after) pair of non-negative ints, from an int (same on both
    sides of every axis), ``rank`` ints (symmetric per axis) or ``rank`` pairs.

    >>> normalize_pairs(1, 2, "padding", "ZeroPadding2D"), normalize_pairs((1, 2), 2, "padding", "ZeroPadding2D")
    (((1, 1), (1, 1)), ((1, 1), (2, 2)))
    >>> normalize_pairs((1, 2), 1, "cropping", "Cropping1D")
    ((1, 2),)
    """
    def is_count(one):
        return _is_integer(one) and one >= 0

    if is_count(value):
        return ((int(value), int(value)),) * rank
    try:
        parts = tuple(value)
    except TypeError:
        parts = ()
    if rank == 1 and len(parts) == 2 and all(is_count(one) for one in parts):
        return ((int(parts[0]), int(parts[1])),)
    if len(parts) == rank and all(is_count(one) for one in parts):
        return tuple((int(one), int(one)) for one in parts)
    if len(parts) == rank and all(
        not is_count(pair) and len(tuple(pair)) == 2 and all(is_count(one) for one in pair) for pair in parts
    ):
        return tuple((int(pair[0]), int(pair[1])) for pair in parts)
    raise ValueError(
        f"{owner}: {argument} must be a non-negative integer, {rank} integers, or {rank} (before, after) pairs, "
        f"received {argument}={value!r}"
    )


def normalize_target_shape(target_shape, owner):
    """Reshape's ``target_shape`` as a tuple of positive ints with at most one -1.

    >>> normalize_target_shape([-1, 28], "Reshape 'reshape'")
    (-1, 28)
    """
    try:
        target_shape = tuple(target_shape)
    except TypeError:
        target_shape = None
    if target_shape is None or not all(
        _is_integer(size) and (size > 0 or size == -1) for size in target_shape
    ) or list(target_shape).count(-1) > 1:
        raise ValueError(
            f"{owner}: target_shape must be a tuple of positive integers with at most one -1, "
            f"received target_shape={target_shape!r}"
        )
    return tuple(int(size) for size in target_shape)
