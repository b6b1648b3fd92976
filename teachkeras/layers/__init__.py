"""Layers: ``from teachkeras.layers import Dense`` (Keras: ``keras.layers``)."""

from teachkeras.layers.activation_layers import LeakyReLU, PReLU
from teachkeras.layers.base import InputSpec, Layer
from teachkeras.layers.core import Activation, Dense
