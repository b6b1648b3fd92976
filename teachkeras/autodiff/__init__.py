"""Automatic differentiation, built by notebooks/08_automatic_differentiation.ipynb (chapter 08).

``Value`` is the scalar engine the chapter starts with; ``GradientTape`` records the array-API
operations on numpy arrays and torch tensors and computes their gradients with the vector-Jacobian
products in ``VJPS``; ``training`` makes a layer call one node on the tape and lets ``fit`` train
code that has no backward (importing it registers it in ``teachkeras.hooks``). Package file,
hand-written: it gathers the generated modules.

>>> import numpy as np
>>> from teachkeras import ops
>>> with GradientTape() as tape:
...     w = tape.watch(np.array([1.0, -2.0]))
...     loss = ops.sum(w ** 2)
>>> tape.gradient(loss, w).tolist()
[2.0, -4.0]
"""

from teachkeras.autodiff import tape, training, value, vjps
from teachkeras.autodiff.tape import GradientTape, TapeError, Tensor, grad, value_and_grad
from teachkeras.autodiff.value import Value
from teachkeras.autodiff.vjps import VJPS, defvjp

__all__ = ["GradientTape", "TapeError", "Tensor", "VJPS", "Value", "defvjp", "grad", "tape", "training",
           "value", "value_and_grad", "vjps"]
