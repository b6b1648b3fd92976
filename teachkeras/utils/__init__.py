"""Utilities, as in ``keras.utils``: ``set_random_seed``, ``clear_session``, ``to_categorical``, ``Progbar``."""

from teachkeras.backend import clear_session, set_random_seed
from teachkeras.utils.progbar import Progbar
from teachkeras.utils.numerical_utils import to_categorical
from teachkeras.utils.model_visualization import plot_model
from teachkeras.utils.multi_gpu import multi_gpu_model  # removed from Keras: an error pointing to chapter 12
from teachkeras.utils.py_dataset import PyDataset  # chapter 12
from teachkeras.saving.serialization_lib import (  # chapter 10; Keras has them in keras.utils too
    CustomObjectScope, custom_object_scope, deserialize_keras_object, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable, serialize_keras_object)
