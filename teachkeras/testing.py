"""Checks for hand-written backward passes, used by the tests and by the chapter notebooks.

* ``numerical_gradient(f, x)``: central differences, the oracle that needs no calculus;
* ``check_gradients(layer, inputs)``: a layer's ``backward`` against finite differences in
  float64, for the inputs and every weight;
* ``check_torch_autograd(layer, inputs)``: the same layer code run on torch tensors, its
  hand-written backward compared with torch's automatic differentiation;
* ``check_backend_parity(make_layer, inputs)``: the same layer on numpy and on torch (CPU),
  same weights, forward and backward compared in float32.

``reproducible_arithmetic()`` gives the environment the test run, nbval's kernels, the grading tool
and ``tools/execute_notebook.py`` share, so that printed float32 results match the committed outputs.

Each check raises AssertionError with the largest error when it fails and returns the errors.
The loss used is ``sum(outputs * projection)`` with a fixed random ``projection``, so that
``grad_outputs`` is a generic array rather than all ones (which can hide transposition bugs).

Hand-written tooling: no chapter builds this module.
"""

import os
import platform

import numpy as np

from teachkeras.backend import RandomGenerator, to_device, to_numpy

__all__ = ["check_backend_parity", "check_gradients", "check_torch_autograd", "numerical_gradient",
           "reproducible_arithmetic"]


def _has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return any(line.startswith("flags") and " avx2" in line for line in cpuinfo)
    except OSError:
        return False


def reproducible_arithmetic() -> dict:
    """Environment variables that make float32 results repeat from machine to machine.

    One BLAS / OpenMP thread: OpenBLAS splits a product differently by thread count, which moves
    the last digits (and, after a few epochs, an accuracy by a few images). On x86-64 with AVX2,
    OpenBLAS' Haswell kernels: by default it picks kernels by CPU (SkylakeX on AVX-512 Intel parts),
    and each kind rounds differently; Haswell's run on every AVX2 machine, and are what the CI
    machines use. Set these before numpy (or a kernel) starts.

    >>> reproducible_arithmetic()["OPENBLAS_NUM_THREADS"]
    '1'
    """
    environment = {variable: "1" for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if platform.machine().lower() in ("x86_64", "amd64") and _has_avx2():
        environment["OPENBLAS_CORETYPE"] = "Haswell"
    return environment


def numerical_gradient(function, x, epsilon=1e-6):
    """d function(x) / dx by central differences; ``x`` is a float64 numpy array changed in place
    and restored. ``function`` returns a scalar."""
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for index in range(flat_x.size):
        original = flat_x[index]
        flat_x[index] = original + epsilon
        plus = float(function())
        flat_x[index] = original - epsilon
        minus = float(function())
        flat_x[index] = original
        flat_grad[index] = (plus - minus) / (2 * epsilon)
    return grad


def _relative_error(expected, actual):
    expected, actual = np.asarray(expected, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    return float(np.abs(expected - actual).max(initial=0.0)) / scale


def check_gradients(layer, inputs, training=False, tolerance=1e-6, seed=0):
    """Compare ``layer.backward`` with finite differences (the layer must use float64).

    Returns ``{'inputs': error, weight path: error, ...}`` (max error relative to the gradient's
    scale). Layers with randomness must be deterministic given ``training`` (Dropout: seed it
    and call it with training=False, or check the mask separately).
    """
    if layer.dtype != "float64":
        raise ValueError(f"check_gradients: build the layer with dtype='float64', received dtype={layer.dtype!r}")
    inputs = np.array(inputs, dtype=np.float64)
    outputs = layer(inputs, training=training)
    projection = RandomGenerator(seed).normal(tuple(outputs.shape), dtype="float64")

    def loss():
        return np.sum(to_numpy(layer(inputs, training=training)) * projection)

    loss()
    analytic_inputs = to_numpy(layer.backward(to_device(projection, layer.device)))
    analytic_weights = {weight.path: to_numpy(weight.grad) for weight in layer.trainable_weights}
    errors = {"inputs": _relative_error(numerical_gradient(loss, inputs), analytic_inputs)}
    for weight in layer.trainable_weights:
        numeric = numerical_gradient(loss, weight.value)
        errors[weight.path] = _relative_error(numeric, analytic_weights[weight.path])
    worst = max(errors, key=errors.get)
    assert errors[worst] < tolerance, f"{layer.name}: gradient of {worst} is off by {errors[worst]:.2e}: {errors}"
    return errors


def check_torch_autograd(layer, inputs, training=False, tolerance=1e-5, seed=0):
    """Run ``layer`` on torch tensors and compare its backward with torch autograd."""
    import torch

    tensor = torch.as_tensor(np.asarray(inputs), dtype=getattr(torch, layer.dtype)).requires_grad_(True)
    layer(tensor.detach(), training=training)  # builds the layer and moves its weights to torch
    for weight in layer.trainable_weights:
        weight.value = weight.value.detach().requires_grad_(True)
    outputs = layer(tensor, training=training)
    projection = torch.as_tensor(
        RandomGenerator(seed).normal(tuple(outputs.shape), dtype=layer.dtype), device=outputs.device
    )
    (outputs * projection).sum().backward()
    with torch.no_grad():
        ours_inputs = layer.backward(projection)
    errors = {"inputs": _relative_error(to_numpy(tensor.grad), to_numpy(ours_inputs))}
    for weight in layer.trainable_weights:
        errors[weight.path] = _relative_error(to_numpy(weight.value.grad), to_numpy(weight.grad))
        weight.value = weight.value.detach()
    worst = max(errors, key=errors.get)
    assert errors[worst] < tolerance, f"{layer.name}: torch autograd disagrees on {worst} by {errors[worst]:.2e}"
    return errors


def check_backend_parity(make_layer, inputs, training=False, tolerance=1e-5, seed=0, device="cpu"):
    """The same layer (same weights) on numpy and on torch ``device``: forward and backward agree."""
    inputs = np.asarray(inputs, dtype=np.float32)
    on_numpy, on_torch = make_layer(), make_layer()
    outputs = to_numpy(on_numpy(inputs, training=training))
    on_torch(inputs, training=training)  # build, then copy the weights across
    on_torch.set_weights(on_numpy.get_weights())
    torch_outputs = on_torch(to_device(inputs, device), training=training)
    projection = RandomGenerator(seed).normal(outputs.shape, dtype="float32")
    grad_numpy = to_numpy(on_numpy.backward(projection))
    grad_torch = to_numpy(on_torch.backward(to_device(projection, device)))
    errors = {
        "outputs": _relative_error(outputs, to_numpy(torch_outputs)),
        "grad_inputs": _relative_error(grad_numpy, grad_torch),
    }
    for ours, theirs in zip(on_numpy.trainable_weights, on_torch.trainable_weights):
        errors[ours.name] = _relative_error(to_numpy(ours.grad), to_numpy(theirs.grad))
    worst = max(errors, key=errors.get)
    assert errors[worst] < tolerance, f"numpy and torch disagree on {worst} by {errors[worst]:.2e}: {errors}"
    return errors
