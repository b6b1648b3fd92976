"""``plot_model``: a picture of a model's graph drawn with matplotlib (no graphviz needed).

One box per layer, ``name (Class)`` and, with ``show_shapes``, its output shape; inputs at the
top, each layer one row below the deepest layer that feeds it; arrows follow the graph's nodes.
Returns the matplotlib Figure; ``figure.graph_positions`` maps each layer name to its (x, y).

Hand-written plumbing: no chapter builds this module.
"""

__all__ = ["plot_model"]


def _edges(model):
    """(from layer, to layer) for every connection inside ``model``."""
    nodes = getattr(model, "_nodes", None)
    if nodes is None:  # a Sequential: a chain
        layers = model.layers
        return [(a, b) for a, b in zip(layers, layers[1:])]
    edges = []
    for node in nodes:
        for tensor in node.input_tensors:
            edges.append((tensor._keras_history[0], node.layer))
    return edges


def plot_model(model, to_file=None, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
               expand_nested=False, dpi=100, show_layer_activations=False, show_trainable=False):
    """Draw ``model``'s layers and connections; save to ``to_file`` if given; return the Figure.

    Keras' arguments: ``show_shapes`` / ``show_dtype`` / ``show_layer_activations`` /
    ``show_trainable`` add a line to each box; ``rankdir`` is "TB" (top to bottom) or "LR" (left to
    right). ``expand_nested=True`` (drawing the inside of nested models) is not supported and says so.
    """
    import matplotlib.pyplot as plt

    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', received rankdir={rankdir!r}")
    if expand_nested:
        raise NotImplementedError("plot_model: expand_nested=True is not supported; plot a nested model by "
                                  "calling plot_model on it")

    layers = model.layers
    edges = _edges(model)
    row = {}
    for layer in layers:  # layers come in topological order: parents have their row already
        parents = [a for a, b in edges if b is layer]
        row[id(layer)] = 1 + max((row.get(id(parent), 0) for parent in parents), default=-1)
    by_row = {}
    for layer in layers:
        by_row.setdefault(row[id(layer)], []).append(layer)
    rows = max(by_row) + 1
    columns = max(len(group) for group in by_row.values())
    figure, axes = plt.subplots(figsize=(3.2 * columns + 1, 1.1 * rows + 0.5), dpi=dpi)
    if rankdir == "LR":
        figure.set_size_inches(3.2 * rows + 1, 1.1 * columns + 0.5)
    positions = {}
    for index, group in by_row.items():
        for place, layer in enumerate(group):
            across, down = (place + 0.5) * columns / len(group), rows - index
            positions[layer.name] = (across, down) if rankdir == "TB" else (index + 0.5, columns - across)
    for a, b in edges:
        (x0, y0), (x1, y1) = positions[a.name], positions[b.name]
        if rankdir == "TB":
            start, end = (x0, y0 - 0.22), (x1, y1 + 0.22)
        else:
            start, end = (x0 + 0.3, y0), (x1 - 0.3, y1)
        axes.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "0.4"})
    for layer in layers:
        text = f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__
        if show_shapes:
            shape = getattr(layer, "batch_shape", None) or _shape(layer)
            text += f"\n{shape}"
        if show_dtype:
            text += f"\n{layer.dtype}"
        if show_layer_activations and getattr(layer, "activation", None) is not None:
            text += f"\nactivation: {getattr(layer.activation, '__name__', layer.activation)}"
        if show_trainable:
            text += f"\ntrainable: {layer.trainable}"
        axes.text(*positions[layer.name], text, ha="center", va="center", fontsize=9,
                  bbox={"boxstyle": "round", "facecolor": "#e8f0fe", "edgecolor": "#4a6fa5"})
    if rankdir == "TB":
        axes.set_xlim(0, columns)
        axes.set_ylim(0.4, rows + 0.6)
    else:
        axes.set_xlim(0, rows)
        axes.set_ylim(0, columns)
    axes.axis("off")
    axes.set_title(f'Model: "{model.name}"')
    figure.graph_positions = positions
    if to_file:
        figure.savefig(to_file, bbox_inches="tight")
    return figure


def _shape(layer):
    nodes = getattr(layer, "_inbound_nodes", None)
    if nodes:
        outputs = nodes[0].output_tensors
        return outputs[0].shape if len(outputs) == 1 else [tensor.shape for tensor in outputs]
    return getattr(layer, "output_shape", "?")
