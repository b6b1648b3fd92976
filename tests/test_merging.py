"""Merge layers: values, shapes, errors and hand-written gradients against torch autograd."""

import numpy as np
import pytest
import torch

import teachkeras as tk
from teachkeras import layers

RNG = np.random.default_rng(0)


def pair(shape=(3, 4)):
    return [RNG.normal(size=shape), RNG.normal(size=shape)]


CASES = [
    (layers.Add, {}, lambda a, b: a + b, (3, 4)),
    (layers.Subtract, {}, lambda a, b: a - b, (3, 4)),
    (layers.Multiply, {}, lambda a, b: a * b, (3, 4)),
    (layers.Average, {}, lambda a, b: (a + b) / 2, (3, 4)),
    (layers.Maximum, {}, torch.maximum, (3, 4)),
    (layers.Minimum, {}, torch.minimum, (3, 4)),
    (layers.Concatenate, {"axis": 1}, lambda a, b: torch.cat([a, b], dim=1), (3, 4)),
    (layers.Dot, {"axes": 1}, lambda a, b: (a * b).sum(dim=1, keepdim=True), (3, 4)),
    (layers.Dot, {"axes": 1, "normalize": True},
     lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=1)[:, None], (3, 4)),
    (layers.Dot, {"axes": 2}, lambda a, b: a @ b.transpose(1, 2), (2, 3, 4)),
]


@pytest.mark.parametrize("cls, kwargs, reference, shape", CASES)
def test_forward_and_backward_match_torch(cls, kwargs, reference, shape):
    inputs = pair(shape)
    layer = cls(dtype="float64", **kwargs)
    output = layer(inputs)
    tensors = [torch.tensor(one, requires_grad=True) for one in inputs]
    expected = reference(*tensors)
    np.testing.assert_allclose(output, expected.detach().numpy(), rtol=1e-10)
    grad = RNG.normal(size=output.shape)
    expected.backward(torch.tensor(grad))
    grads = layer.backward(grad)
    for ours, theirs in zip(grads, tensors):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-8, atol=1e-10)
    symbolic = cls(**kwargs)([tk.Input(shape[1:]), tk.Input(shape[1:])])
    assert symbolic.shape == (None,) + output.shape[1:]


def test_functional_forms_make_and_call_the_layer():
    a, b = pair()
    np.testing.assert_allclose(layers.add([a, b]), a + b, rtol=1e-6)
    assert layers.concatenate([a, b], axis=0).shape == (6, 4)
    np.testing.assert_allclose(layers.dot([a, b], axes=1), (a * b).sum(1, keepdims=True), rtol=1e-5)


def test_incompatible_shapes_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Add 'bad_add'.*\(None, 3\).*\(None, 4\)"):
        layers.Add(name="bad_add")([tk.Input((3,)), tk.Input((4,))])
    with pytest.raises(ValueError, match="Concatenate"):
        layers.Concatenate(axis=-1)([tk.Input((3, 2)), tk.Input((4, 2))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([tk.Input((3,))] * 3)
    with pytest.raises(ValueError, match="list of tensors"):
        layers.Add()(tk.Input((3,)))


def test_config_round_trips():
    layer = layers.Dot(axes=(1, 2), normalize=True, name="d")
    copy = layers.Dot.from_config(layer.get_config())
    assert copy.get_config() == layer.get_config()
    assert layers.Concatenate.from_config(layers.Concatenate(axis=0).get_config()).axis == 0


def test_a_merge_is_one_node_on_the_tape_and_shared_merges_are_exact():
    add = layers.Multiply()
    a, b = (np.asarray(one, dtype="float32") for one in pair())
    with tk.GradientTape() as tape:
        ta, tb = tape.watch(a), tape.watch(b)
        out = add([add([ta, tb]), ta])       # the same layer twice: a * b * a
    assert sum(node.op == f"layer {add.name}" for node in tape.nodes) == 2
    ga, gb = tape.gradient(out, [ta, tb])
    np.testing.assert_allclose(ga, 2 * a * b, rtol=1e-5)
    np.testing.assert_allclose(gb, a * a, rtol=1e-5)
