"""Utilities, as in ``keras.utils``: ``set_random_seed`` (and later ``to_categorical``)."""

from teachkeras.backend import set_random_seed
from teachkeras.callbacks import Progbar
from teachkeras.utils.numerical_utils import to_categorical
