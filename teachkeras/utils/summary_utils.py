"""The layout of ``model.summary()``: a table of the layers, their output shapes and parameter
counts, in Keras 3's look (column widths, cut cells ending in ``…``, the byte counts below).

``Model.summary`` (chapter 04) hands its arguments to ``print_summary`` here.

Hand-written plumbing: no chapter builds this module.
"""

import math
import numbers
import re

import numpy as np

__all__ = ["print_summary"]

_COLUMN_GAP = 2  # spaces between two columns of the summary table


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print ``model``'s table: see ``Model.summary`` for the arguments."""
    print_fn = print_fn or print
    layers = _layers_in_range(model.layers, layer_range)
    rows = [(f"{layer.name} ({type(layer).__name__})", _output_shape_text(layer),
             f"{layer.count_params():,}" if layer.built else "0 (unbuilt)") for layer in layers]
    graph = getattr(model, "_nodes", None)  # a functional model (chapter 09): Keras' "Connected to" column
    if graph is not None:
        rows = [row + (_connected_to(layer, graph),) for row, layer in zip(rows, layers)]
    if show_trainable:
        rows = [row + (("Y" if layer.trainable else "N") if layer.weights else "-",)
                for row, layer in zip(rows, layers)]
    trainable = sum(math.prod(weight.shape) for weight in model.trainable_weights)
    total = model.count_params()
    headers = ("Layer (type)", "Output Shape", "Param #") + (("Connected to",) if graph is not None else ())
    headers += ("Trainable",) if show_trainable else ()
    if line_length is None:  # as wide as the contents, with room after the name and the shape
        widths = [max([len(header)] + [len(row[column]) for row in rows]) for column, header in enumerate(headers)]
        widths[0] += 2
        widths[1] += 2
    else:
        widths = _column_widths(line_length, positions, len(headers))
    align = ["<", "<", ">"] + (["<"] if graph is not None else []) + ["^"]  # counts right, Y/N centred
    gap = " " * _COLUMN_GAP

    def line(cells):
        return gap.join(f"{_fit(cell, width):{how}{width}}" for cell, width, how in zip(cells, widths, align))

    rule = "─" * len(line(headers))
    lines = [f'Model: "{model.name}"', rule, line(headers), rule]
    lines.extend(line(row) for row in rows)
    lines.append(rule)
    itemsize = np.dtype(model.dtype).itemsize
    lines.append(f" Total params: {total:,} ({_format_bytes(total * itemsize)})")
    lines.append(f" Trainable params: {trainable:,} ({_format_bytes(trainable * itemsize)})")
    lines.append(f" Non-trainable params: {total - trainable:,} ({_format_bytes((total - trainable) * itemsize)})")
    print_fn("\n".join(lines))


def _layers_in_range(layers, layer_range):
    if layer_range is None:
        return layers
    if not (isinstance(layer_range, (list, tuple)) and len(layer_range) == 2
            and all(isinstance(name, str) for name in layer_range)):
        raise ValueError(f"summary: layer_range must be a list of two layer names, received {layer_range!r}")
    names = [layer.name for layer in layers]
    # Keras: from the FIRST layer matching the lower bound to the LAST matching the upper one
    lower = [index for index, name in enumerate(names) if re.match(layer_range[0], name)]
    upper = [index for index, name in enumerate(names) if re.match(layer_range[1], name)]
    if not lower or not upper:
        raise ValueError(f"summary: layer_range={list(layer_range)} matches no range of layers; "
                         f"the layers are {names}")
    if min(lower) > max(upper):  # given in the other order: Keras swaps the bounds
        return layers[min(upper):max(lower) + 1]
    return layers[min(lower):max(upper) + 1]


def _fit(text, width):
    """``text`` cut to ``width`` characters, ending with '…' when something was cut."""
    return text if len(text) <= width else text[:width - 1] + "…"


def _column_widths(line_length, positions, columns):
    """Text widths of the ``columns`` columns so that a row, gaps included, is ``line_length`` wide.

    ``positions`` are where the columns end, fractions of ``line_length`` or absolute; Keras'
    default ``[0.45, 0.8, 1.0]``, scaled by 0.9 to make room for a fourth (Trainable) column.
    """
    if isinstance(line_length, bool) or not isinstance(line_length, numbers.Integral) or line_length < 20:
        raise ValueError(f"summary: line_length must be an integer >= 20, received line_length={line_length!r}")
    if positions is None:
        positions = [0.45, 0.8, 1.0]
        if columns == 4:
            positions = [p * 0.9 for p in positions] + [1.0]
    positions = list(positions)
    if len(positions) != columns:
        raise ValueError(f"summary: positions needs the ends of {columns} columns, received positions={positions!r}")
    ends = [int(p * line_length) if p <= 1 else int(p) for p in positions]
    starts = [0] + ends[:-1]
    widths = [end - start - _COLUMN_GAP for start, end in zip(starts, ends)]
    widths[-1] = line_length - starts[-1]  # the last column has no gap after it: it fills the line
    if min(widths) < 4:
        raise ValueError(
            f"summary: line_length={line_length} with positions={positions} leaves a column narrower than "
            "4 characters; use a larger line_length"
        )
    return widths


def _output_shape_text(layer):
    shape = getattr(layer, "batch_shape", None) or getattr(layer, "output_shape", None)
    nodes = getattr(layer, "_inbound_nodes", None)
    if shape is None and nodes:
        outputs = nodes[0].output_tensors
        shape = outputs[0].shape if len(outputs) == 1 else [tensor.shape for tensor in outputs]
    return str(shape) if shape is not None else "?"


def _connected_to(layer, graph):
    """Keras' "Connected to" cell: ``name[node][tensor]`` of each input of the layer's calls in the graph."""
    names = []
    for node in graph:
        if node.layer is layer:
            for tensor in node.input_tensors:
                source, node_index, tensor_index = tensor._keras_history
                names.append(f"{source.name}[{node_index}][{tensor_index}]")
    return ", ".join(names) or "-"


def _format_bytes(count):
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.2f} {unit}"
        count /= 1024
