"""SGD: stochastic gradient descent, with optional momentum and Nesterov momentum.

Defined in notebooks/04_batches_vs_epochs.ipynb (chapter 04).
"""
from teachkeras.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent (Keras 3 rule, learning_rate default 0.01)::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity                                  # nesterov=False
        w = w + momentum * velocity - learning_rate * g   # nesterov=True

    With ``momentum=0`` this is plain ``w = w - learning_rate * g``.

    >>> import numpy as np
    >>> from teachkeras.variables import Variable
    >>> w = Variable(np.array([1.0]), name="w")
    >>> SGD(learning_rate=0.1).apply([np.array([2.0])], [w]); w.value.tolist()
    [0.8]
    """

    DEFAULT_LEARNING_RATE = 0.01

    def __init__(self, learning_rate=None, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1], received momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build(self, variables):
        if self.momentum:
            for variable in variables:
                self.add_slot(variable, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        if not self.momentum:
            variable.value -= learning_rate * gradient
            return
        velocity = self.slot(variable, "momentum")
        velocity *= self.momentum
        velocity -= learning_rate * gradient
        if self.nesterov:
            variable.value += self.momentum * velocity - learning_rate * gradient
        else:
            variable.value += velocity

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
