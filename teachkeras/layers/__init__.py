"""Layers: ``from teachkeras.layers import Dense`` (Keras: ``keras.layers``)."""

from teachkeras.layers.activation_layers import LeakyReLU, PReLU
from teachkeras.layers.base import InputSpec, Layer
from teachkeras.layers.convolutional import (
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
)
from teachkeras.layers.core import Activation, Dense
from teachkeras.layers.dropout import Dropout
from teachkeras.layers.input_layer import Input, InputLayer, KerasTensor
from teachkeras.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D,
    MaxPooling2D, MaxPooling3D,
)
from teachkeras.layers.reshaping import (
    Cropping1D, Cropping2D, Cropping3D, Flatten, Reshape, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
)
