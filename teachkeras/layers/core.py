"""Dense and Activation: ``output = activation(dot(input, kernel) + bias)``.

Defined in notebooks/02_dense.ipynb (chapter 02).

>>> import numpy as np
>>> layer = Dense(4, activation="relu", input_dim=3)
>>> layer(np.ones((2, 3))).shape
(2, 4)
>>> [weight.path for weight in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
True
"""
import numbers

from teachkeras import activations, initializers
from teachkeras.backend import namespace
from teachkeras.layers.base import InputSpec, Layer


class Dense(Layer):
    """A fully connected layer: every output unit sees every input feature.

    Args:
        units: number of outputs per sample (a positive integer).
        activation: name or function applied to the result (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (names or objects).

    Input shape ``(batch, ..., input_dim)``; output shape ``(batch, ..., units)``.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        if isinstance(activation, numbers.Integral) and not isinstance(activation, bool) and not isinstance(units, bool):
            raise TypeError(
                f"Dense({units}, {activation}): Keras 1 took (input_dim, output_dim); "
                f"write Dense({activation}, input_dim={units})"
            )
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Dense {self.name!r}: units must be a positive integer, received units={units!r}")
        for argument, value in [("kernel_regularizer", kernel_regularizer), ("bias_regularizer", bias_regularizer),
                                ("kernel_constraint", kernel_constraint), ("bias_constraint", bias_constraint)]:
            if value is not None:
                raise NotImplementedError(f"Dense: {argument} arrives in the regularizers chapter")
        self.units = int(units)
        self.activation = self._lookup(activations.get, "activation", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = self._lookup(initializers.get, "kernel_initializer", kernel_initializer)
        self.bias_initializer = self._lookup(initializers.get, "bias_initializer", bias_initializer)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight((input_dim, self.units), self.kernel_initializer, name="kernel")
        self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias") if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs, training=False):
        self.inputs = inputs                                     # (batch, ..., input_dim)
        pre_activation = inputs @ self.kernel.value              # (batch, ..., units)
        if self.use_bias:
            pre_activation = pre_activation + self.bias.value
        self.pre_activation = pre_activation
        self.outputs = self.activation(pre_activation)
        return self.outputs

    def backward(self, grad_outputs):
        grad_pre_activation = activations.backward(self.activation, grad_outputs, self.pre_activation, self.outputs)
        return self.backward_pre_activation(grad_pre_activation)

    def backward_pre_activation(self, grad_pre_activation):
        """Backward from the gradient of ``dot(input, kernel) + bias`` (skipping the activation):
        a loss fused with this layer's softmax or sigmoid starts here."""
        xp = namespace(grad_pre_activation)
        inputs_2d = xp.reshape(self.inputs, (-1, self.inputs.shape[-1]))          # (samples, input_dim)
        grad_2d = xp.reshape(grad_pre_activation, (-1, self.units))                 # (samples, units)
        self.kernel.grad = inputs_2d.T @ grad_2d                                    # (input_dim, units)
        if self.use_bias:
            self.bias.grad = xp.sum(grad_2d, axis=0)                                # (units,)
        return grad_pre_activation @ self.kernel.value.T                            # (batch, ..., input_dim)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class Activation(Layer):
    """Applies an activation function to its input: ``Activation('tanh')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = self._lookup(activations.get, "activation", activation)

    def call(self, inputs, training=False):
        self.inputs = inputs
        self.outputs = self.activation(inputs)
        return self.outputs

    def backward(self, grad_outputs):
        return activations.backward(self.activation, grad_outputs, self.inputs, self.outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
