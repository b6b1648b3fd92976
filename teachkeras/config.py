"""Global settings, where Keras 3 keeps them: ``keras.config.floatx()``, ``set_floatx``, ``epsilon``,
``set_epsilon``, ``image_data_format``, ``set_image_data_format`` and ``backend()``.

Hand-written tooling: these live in ``teachkeras.backend`` (where Keras 2 kept them, and where old
tutorials' ``from keras import backend as K`` finds them); this module gives them Keras 3's address.
"""

from teachkeras.backend import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                                set_image_data_format)

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format"]
