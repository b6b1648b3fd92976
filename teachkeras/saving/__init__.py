"""Saving and loading models, as in ``keras.saving``: ``load_model``, ``save_model``, the
registry of your own classes (``register_keras_serializable``, ``custom_object_scope``, ...) and
``serialize_keras_object`` / ``deserialize_keras_object``.

Chapter 10 (notebooks/10_saving_and_loading.ipynb) builds the file formats (``weights_h5``,
``keras_format``, ``saving_api``); ``serialization_lib``, ``saving_utils`` and ``legacy_h5`` are
hand-written plumbing. This file only gathers their names.

Hand-written plumbing: no chapter builds this module.
"""
from teachkeras.saving.serialization_lib import (CustomObjectScope, custom_object_scope, deserialize_keras_object,
                                                 enable_unsafe_deserialization, get_custom_objects,
                                                 get_registered_name, get_registered_object,
                                                 register_keras_serializable, serialize_keras_object)
from teachkeras.saving.saving_api import (clone_model, load_model, load_weights, model_from_json, save_model,
                                          save_weights)

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "enable_unsafe_deserialization",
           "get_custom_objects", "get_registered_name", "get_registered_object", "register_keras_serializable",
           "serialize_keras_object", "clone_model", "load_model", "load_weights", "model_from_json", "save_model",
           "save_weights"]
