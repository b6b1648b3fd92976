"""The legacy HDF5 file (``model.save("m.h5")``), in the layout of Keras 2 and of Keras 3's
legacy writer: root attributes ``model_config`` and ``training_config`` (JSON), a group
``model_weights`` (attribute ``layer_names``; one group per layer with attribute
``weight_names``, the arrays stored under those names), and ``optimizer_weights``.

Weights are matched to layers by position (the layers that have weights, in order) or, with
``by_name=True``, by layer name: the way to reuse the layers of a trained network in a new one
(transfer learning), where ``skip_mismatch=True`` skips the layers whose shapes changed. Keras 2
names (``dense/kernel:0``) and Keras 3 names (``sequential/dense/kernel``) are both read; string
attributes may be bytes or str. Optimizer state is restored from files written by Keras 3 or
teachkeras; a Keras 2 file's is dropped with a warning, as Keras 3 drops it.

Hand-written plumbing: no chapter builds this module (chapter 10 teaches the format it reads).
"""

import io
import json
import re
import warnings

import h5py
import numpy as np

from teachkeras.saving.saving_utils import (as_text, check_file, compile_from_config, get_compile_config,
                                            open_h5, optimizer_state, set_optimizer_state, write_bytes_atomically)
from teachkeras.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

__all__ = ["LEGACY_WARNING", "save_model_to_h5", "load_model_from_h5", "load_weights_from_h5_file"]

KERAS_VERSION = "3.15.1"
LEGACY_WARNING = ("You are saving your model as an HDF5 file via `model.save()` or `keras.saving.save_model(model)`. "
                  "This file format is considered legacy. We recommend using instead the native Keras format, e.g. "
                  "`model.save('my_model.keras')` or `keras.saving.save_model(model, 'my_model.keras')`. ")


def _strings(values):
    return np.array([value.encode("utf-8") for value in values], dtype=h5py.string_dtype()) if values else np.array([])


def save_model_to_h5(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` in the legacy layout (Keras 3.15's legacy writer, checked with h5py)."""
    warnings.warn(LEGACY_WARNING, UserWarning, stacklevel=3)
    config = serialize_keras_object(model)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["backend"] = "numpy"
        h5.attrs["keras_version"] = KERAS_VERSION
        h5.attrs["model_config"] = json.dumps({"class_name": config["class_name"], "config": config["config"]})
        weights_group = h5.create_group("model_weights")
        weights_group.attrs["backend"], weights_group.attrs["keras_version"] = "numpy", KERAS_VERSION
        layers = list(model.layers)
        weights_group.attrs["layer_names"] = _strings([layer.name for layer in layers])
        for layer in layers:
            group = weights_group.create_group(layer.name)
            names = [f"{model.name}/{weight.path}" for weight in layer.weights]
            group.attrs["weight_names"] = _strings(names)
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=np.asarray(weight))
        weights_group.create_group("top_level_model_weights").attrs["weight_names"] = _strings([])
        if include_optimizer and model.compiled and model.optimizer is not None:
            training = get_compile_config(model)
            optimizer = training.pop("optimizer")
            if isinstance(training["loss"], str) and hasattr(model.loss, "fn"):
                training["loss"] = model.loss.fn.__name__  # Keras 3.15's legacy reader fails on aliases like 'mse'
            training["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
            h5.attrs["training_config"] = json.dumps(training)
            _save_optimizer(h5, model)
    write_bytes_atomically(filepath, buffer.getvalue(), overwrite, what="save")


def _save_optimizer(h5, model):
    state = optimizer_state(model.optimizer, model.trainable_weights)
    prefix = model.optimizer.name
    names = [f"{prefix}/{name}" if name in ("iteration", "learning_rate") else f"{prefix}/{model.name}_{name}"
             for name, _ in state]
    group = h5.create_group("optimizer_weights")
    group.attrs["weight_names"] = _strings(names)
    for name, (_, array) in zip(names, state):
        group.create_dataset(name, data=array)


def load_model_from_h5(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model in a legacy ``.h5`` file: its config, weights and (Keras 3 / teachkeras files)
    optimizer state."""
    check_file(filepath, "hdf5", "load_model")
    with open_h5(filepath, "load_model") as h5:
        if "model_config" not in h5.attrs:
            raise ValueError(f"load_model: {str(filepath)!r} holds weights only (no model_config): build the model "
                             "in code, then call model.load_weights(filepath)")
        config = json.loads(as_text(h5.attrs["model_config"]))
        model = deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
        load_weights_from_group(h5["model_weights"], model)
        if compile and "training_config" in h5.attrs:
            training = json.loads(as_text(h5.attrs["training_config"]))
            training["optimizer"] = training.pop("optimizer_config", None)
            compile_from_config(model, training)
            _load_optimizer(h5, model)
    return model


def _load_optimizer(h5, model):
    if "optimizer_weights" not in h5:
        return
    group = h5["optimizer_weights"]
    names = _names(group.attrs.get("weight_names", []))
    version = as_text(h5.attrs.get("keras_version", "2"))
    arrays = [group[name][()] for name in names]
    if not version.startswith("3") or not set_optimizer_state(model.optimizer, model.trainable_weights, arrays):
        warnings.warn(f"load_model: the optimizer state in this file (written by Keras {version}) does not fit this "
                      "optimizer; the model is compiled with a freshly initialized optimizer", UserWarning,
                      stacklevel=3)


def load_weights_from_h5_file(model, filepath, by_name=False, skip_mismatch=False):
    """``model.load_weights("w.h5")``: a legacy full-model file or a Keras 2 weights-only file."""
    check_file(filepath, "hdf5", "load_weights")
    with open_h5(filepath, "load_weights") as h5:
        group = h5["model_weights"] if "model_weights" in h5 else h5
        if "layer_names" not in group.attrs:
            raise ValueError(f"load_weights: {str(filepath)!r} is HDF5 but not a legacy Keras weights file (no "
                             "layer_names); files written by save_weights end in .weights.h5")
        load_weights_from_group(group, model, by_name=by_name, skip_mismatch=skip_mismatch)


def _names(attribute):
    """A list of names from an HDF5 attribute: an array of bytes or str, or (Keras 3.15 writes
    ``optimizer_weights``' names so) one string holding numpy's printed array."""
    if isinstance(attribute, (str, bytes)) or getattr(attribute, "shape", None) == ():
        return re.findall(r"'([^']*)'", as_text(attribute))
    return [as_text(name) for name in attribute]


def _file_layers(group):
    """``[(layer name, [arrays])]`` for the file's layers that have weights, in file order."""
    found = []
    for layer_name in _names(group.attrs["layer_names"]):
        names = _names(group[layer_name].attrs.get("weight_names", []))
        if names:
            found.append((layer_name, [group[layer_name][name][()] for name in names]))
    return found


def load_weights_from_group(group, model, by_name=False, skip_mismatch=False):
    """Assign the file's arrays to the model's layers, by position or (``by_name``) by layer name."""
    file_layers = _file_layers(group)
    model_layers = [layer for layer in model.layers if layer.weights]
    if by_name:
        by_layer = dict(file_layers)
        pairs = [(layer, layer.name, by_layer[layer.name]) for layer in model.layers if layer.name in by_layer]
    else:
        if len(file_layers) != len(model_layers):
            raise ValueError(
                f"load_weights: the file has {len(file_layers)} layers with weights "
                f"({[name for name, _ in file_layers]}), the model {len(model_layers)} "
                f"({[layer.name for layer in model_layers]}); pass by_name=True to match layers by name")
        pairs = [(layer, name, arrays) for layer, (name, arrays) in zip(model_layers, file_layers)]
    for layer, file_name, arrays in pairs:
        expected = [weight.shape for weight in layer.weights]
        found = [tuple(array.shape) for array in arrays]
        if expected != found:
            message = (f"load_weights: layer {layer.name!r} expected {len(expected)} weights of shapes {expected}, "
                       f"the file's layer {file_name!r} has {len(found)} of shapes {found}")
            if not skip_mismatch:
                raise ValueError(message + " (skip_mismatch=True skips such layers)")
            warnings.warn(message + "; skipped (skip_mismatch=True)", UserWarning, stacklevel=4)
            continue
        for weight, array in zip(layer.weights, arrays):
            weight.assign(array)
