"""What saving needs besides the lesson: telling file formats apart, Keras' order of an
optimizer's variables, compile arguments as a config, and writing a file atomically.

* ``file_kind(path)`` reads the first bytes: a ``.keras`` file is a zip (``PK\\x03\\x04``), a
  ``.h5`` file is HDF5 (``\\x89HDF\\r\\n\\x1a\\n``). ``check_file`` turns a wrong, truncated or
  corrupt file into an error that names the file, what was expected and what was found.
* ``optimizer_state(optimizer, variables)`` lists ``[iterations, learning_rate, slots...]`` in
  the order Keras 3.15 writes them (``OPTIMIZER_SLOTS``: Adam interleaves momentum and velocity per
  variable, RMSprop writes all velocities first, ...), and ``set_optimizer_state`` reads it back.
* ``get_compile_config`` / ``compile_from_config``: Keras 3's ``compile_config`` dict.
* ``write_bytes_atomically``: the file is built in memory, then ``teachkeras._io`` writes it
  beside the target and renames it over, so an interrupted save leaves the old file intact.

>>> from teachkeras.optimizers import Adam
>>> OPTIMIZER_SLOTS["Adam"], OPTIMIZER_SLOTS["RMSprop"]
([['momentum', 'velocity'], ['velocity_hat']], [['velocity'], ['momentum'], ['average_gradient']])

Hand-written plumbing: no chapter builds this module.
"""

import io
import os

import numpy as np

from teachkeras._io import write_atomically
from teachkeras.saving.serialization_lib import UnknownObjectError, deserialize_keras_object, serialize_keras_object

__all__ = ["ZIP_MAGIC", "HDF5_MAGIC", "file_kind", "check_file", "open_h5", "OPTIMIZER_SLOTS",
           "OPTIMIZER_EXTRAS", "optimizer_state", "set_optimizer_state", "get_compile_config",
           "compile_from_config", "write_bytes_atomically", "as_text"]

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
KINDS = {"zip": "a .keras file (a zip archive)", "hdf5": "an HDF5 file (.h5)", None: "neither a zip nor an HDF5 file"}


def file_kind(path):
    """'zip', 'hdf5', or None for anything else (an empty, truncated or foreign file)."""
    with open(path, "rb") as file:
        head = file.read(8)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head == HDF5_MAGIC:
        return "hdf5"
    return None


def check_file(path, expected, what):
    """Raise a clear error unless ``path`` exists and is of kind ``expected`` ('zip' or 'hdf5')."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what}: no file at {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what}: {path!r} is a directory, expected {KINDS[expected]}")
    kind = file_kind(path)
    if kind != expected:
        found = KINDS[kind] if kind else "neither a zip nor an HDF5 file (empty, truncated or corrupt?)"
        raise ValueError(f"{what}: {path!r} should be {KINDS[expected]}, but it is {found}")


def open_h5(source, what, name=None):
    """``h5py.File(source, 'r')`` for a path or bytes; a damaged file gives a ValueError naming it."""
    import h5py

    shown = name or (source if isinstance(source, (str, os.PathLike)) else "the weights file")
    try:
        return h5py.File(io.BytesIO(source) if isinstance(source, bytes) else source, "r")
    except OSError as error:
        raise ValueError(f"{what}: cannot read {shown!r}: the HDF5 file is truncated or corrupt ({error})") from None


def as_text(value):
    """An HDF5 attribute as str (h5py gives bytes or str, depending on who wrote the file)."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def write_bytes_atomically(path, data, overwrite=True, what="save"):
    """Write ``data`` to ``path`` in one rename; with ``overwrite=False`` refuse an existing file."""
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{what}: {path!r} exists and overwrite=False; pass overwrite=True to replace it")
    write_atomically(path, data)


# ----------------------------------------------------------------------------- optimizer state

# Keras 3.15's order of an optimizer's slot variables after [iterations, learning_rate]: each inner
# list is written variable by variable (Adam: a_momentum, a_velocity, b_momentum, b_velocity), the
# lists one after another (RMSprop: every velocity, then every momentum). Checked with optimizer.variables.
OPTIMIZER_SLOTS = {"SGD": [["momentum"]], "RMSprop": [["velocity"], ["momentum"], ["average_gradient"]],
                   "Adam": [["momentum", "velocity"], ["velocity_hat"]],
                   "AdamW": [["momentum", "velocity"], ["velocity_hat"]], "Nadam": [["momentum", "velocity"]],
                   "Adagrad": [["accumulator"]], "Adadelta": [["accumulated_grad", "accumulated_delta_var"]]}
OPTIMIZER_EXTRAS = {"Nadam": ["u_product"]}  # scalars Keras keeps after the slots


def _slot_groups(optimizer):
    for klass in type(optimizer).__mro__:
        if klass.__name__ in OPTIMIZER_SLOTS:
            return OPTIMIZER_SLOTS[klass.__name__], OPTIMIZER_EXTRAS.get(klass.__name__, [])
    names = []  # an optimizer of your own: its slots in the order it made them
    for slots in optimizer._slots.values():
        names += [name for name in slots if name not in names]
    return [names], []


def optimizer_state(optimizer, variables):
    """``[(name, numpy array)]``: iterations, the learning rate (unless it is a schedule), then
    the slots of ``variables`` (the model's trainable weights) in Keras' order."""
    state = [("iteration", np.asarray(optimizer.iterations, dtype="int64"))]
    if optimizer.learning_rate_schedule is None:
        state.append(("learning_rate", np.asarray(float(optimizer.learning_rate), dtype="float32")))
    groups, extras = _slot_groups(optimizer)
    slots = getattr(optimizer, "_slots", {})
    for group in groups:
        for variable in variables:
            for name in group:
                if name in slots.get(id(variable), {}):
                    name_in_file = f"{variable.path.replace('/', '_')}_{name}"
                    state.append((name_in_file, np.array(_numpy(slots[id(variable)][name]))))
    for name in extras:
        state.append((name, np.asarray(getattr(optimizer, name), dtype="float32")))
    return state


def _numpy(value):
    from teachkeras.backend import to_numpy

    return to_numpy(value)


def set_optimizer_state(optimizer, variables, arrays):
    """Build ``optimizer`` for ``variables`` and load ``arrays`` (as ``optimizer_state`` lists them).
    Returns False, changing nothing, when the count differs (Keras warns and skips it then)."""
    arrays = list(arrays)
    head = 1 if optimizer.learning_rate_schedule is not None else 2  # iteration (and learning rate)
    if not optimizer.built and len(arrays) == head:  # saved before its first step: no slots yet
        _set_head(optimizer, arrays)
        return True
    if not optimizer.built:
        optimizer.build(list(variables))
        for variable in variables:
            optimizer._slots.setdefault(id(variable), {})
        optimizer.built = True
    expected = optimizer_state(optimizer, variables)
    if len(expected) != len(arrays):
        return False
    _set_head(optimizer, arrays)
    groups, extras = _slot_groups(optimizer)
    for group in groups:
        for variable in variables:
            for name in group:
                slot_arrays = optimizer._slots.get(id(variable), {})
                if name in slot_arrays:
                    slot = slot_arrays[name]
                    value = np.asarray(arrays.pop(0))
                    if tuple(value.shape) != tuple(slot.shape):
                        raise ValueError(f"optimizer {optimizer.name!r}: slot {name!r} of {variable.path!r} has shape "
                                         f"{tuple(slot.shape)}, the file has {tuple(value.shape)}")
                    slot[...] = _like(value, slot)
    for name in extras:
        setattr(optimizer, name, float(np.asarray(arrays.pop(0))))
    return True


def _set_head(optimizer, arrays):
    """Pop and set the step count and (unless it is a schedule) the learning rate."""
    optimizer.iterations = int(np.asarray(arrays.pop(0)))
    if optimizer.learning_rate_schedule is None:
        stored = np.asarray(arrays.pop(0), dtype="float32")
        if stored != np.float32(float(optimizer.learning_rate)):  # changed while training (float32 in the file)
            optimizer.learning_rate = float(stored)


def _like(value, slot):
    from teachkeras.backend import device_of, to_device

    return to_device(value.astype(str(np.asarray(_numpy(slot)).dtype)), device_of(slot))


# ----------------------------------------------------------------------------- compile arguments

def get_compile_config(model):
    """``compile``'s arguments in Keras 3's layout (``optimizer`` serialized, ``loss`` and
    ``metrics`` by name where they have one)."""
    if type(model.loss).__name__ == "CompileLoss":  # several outputs (chapter 09): one entry per output
        return _several_outputs_config(model)
    metrics = [_identifier(metric) for metric, weighted in model._compiled_metrics if not weighted]
    weighted = [_identifier(metric) for metric, weighted in model._compiled_metrics if weighted]
    return {"optimizer": serialize_keras_object(model.optimizer), "loss": _loss_identifier(model.loss),
            "loss_weights": None, "metrics": metrics or None, "weighted_metrics": weighted or None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def _several_outputs_config(model):
    compiled = model.loss
    losses = [None if loss is None else _loss_identifier(loss) for loss in compiled.losses]
    metrics = [[_identifier(metric) for metric, weighted in specs if not weighted] for specs in compiled.metric_specs]
    weighted = [[_identifier(metric) for metric, weighted in specs if weighted] for specs in compiled.metric_specs]
    return {"optimizer": serialize_keras_object(model.optimizer), "loss": losses,
            "loss_weights": list(compiled.loss_weights), "metrics": metrics if any(metrics) else None,
            "weighted_metrics": weighted if any(weighted) else None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def _loss_identifier(loss):
    """A loss made from a name or a function ('mse') is saved as that name, as Keras saves it."""
    if type(loss).__name__ == "LossFunctionWrapper":
        if loss.fn_kwargs:
            raise ValueError(f"save: the loss {loss.name!r} wraps a function with arguments {loss.fn_kwargs}; compile "
                             "with a Loss class instead (e.g. losses.CategoricalCrossentropy(from_logits=True))")
        from teachkeras import losses

        if getattr(losses, getattr(loss.fn, "__name__", ""), None) is loss.fn:
            return loss.name  # 'mse', 'categorical_crossentropy', ...
        return serialize_keras_object(loss.fn)  # your own function: found again by name when loading
    return _identifier(loss)


def _identifier(obj):
    if obj is None or isinstance(obj, str):
        return obj
    return serialize_keras_object(obj)


def compile_from_config(model, config):
    """Compile ``model`` from ``get_compile_config``'s output (or Keras')."""
    optimizer = deserialize_keras_object(config.get("optimizer")) if config.get("optimizer") else "rmsprop"
    arguments = {"loss": deserialize_keras_object(config.get("loss"))}
    for key in ("metrics", "weighted_metrics"):
        if config.get(key):  # a list, or one list per output
            arguments[key] = [[_metric(one) for one in entry] if isinstance(entry, list) else _metric(entry)
                              for entry in config[key]]
    if config.get("loss_weights") is not None:
        arguments["loss_weights"] = config["loss_weights"]
    model.compile(optimizer=optimizer, **arguments)


def _metric(entry):
    """A compiled metric from its config: a Keras metric class that teachkeras has only by name
    (``MeanAbsoluteError``: 'mean_absolute_error') comes back as that name."""
    if not isinstance(entry, dict):
        return deserialize_keras_object(entry)
    entry = dict(entry, module=entry.get("module") or "keras.metrics")
    try:
        return deserialize_keras_object(entry)
    except UnknownObjectError:
        from teachkeras import metrics

        name = (entry.get("config") or {}).get("name")
        if not isinstance(name, str):
            raise
        metrics.get(name)  # an unknown name fails here, naming the metrics there are
        return name
