"""Layers: ``from teachkeras.layers import Dense`` (Keras: ``keras.layers``)."""

from teachkeras.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from teachkeras.layers.base import InputSpec, Layer
from teachkeras.layers.convolutional import (
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, Convolution1D,
    Convolution1DTranspose, Convolution2D, Convolution2DTranspose, Convolution3D, Convolution3DTranspose,
)
from teachkeras.layers.core import Activation, Dense
from teachkeras.layers.dropout import Dropout
from teachkeras.layers.input_layer import Input, InputLayer, KerasTensor
from teachkeras.layers.lambda_layer import Lambda
from teachkeras.layers.normalization import BatchNormalization, LayerNormalization
from teachkeras.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D, AvgPool3D, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
    GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
    MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
)
from teachkeras.layers.regularization import GaussianNoise, SpatialDropout1D, SpatialDropout2D
from teachkeras.layers.reshaping import (
    Cropping1D, Cropping2D, Cropping3D, Flatten, Reshape, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
)
from teachkeras.layers.time_distributed import TimeDistributed
from teachkeras.layers.upsampling import UpSampling1D, UpSampling2D
from teachkeras.layers.merging import (  # chapter 09
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate, dot, maximum,
    minimum, multiply, subtract,
)
