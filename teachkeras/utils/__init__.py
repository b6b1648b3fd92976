"""Utilities, as in ``keras.utils``: ``set_random_seed`` (and later ``to_categorical``)."""

from teachkeras.backend import set_random_seed
