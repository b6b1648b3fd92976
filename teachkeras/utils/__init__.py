"""Utilities, as in ``keras.utils``: ``set_random_seed``, ``clear_session``, ``to_categorical``, ``Progbar``."""

from teachkeras.backend import clear_session, set_random_seed
from teachkeras.utils.progbar import Progbar
from teachkeras.utils.numerical_utils import to_categorical
