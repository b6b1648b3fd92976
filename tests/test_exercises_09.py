"""Chapter 09's exercises: the right answers pass their tests cells, known-wrong answers do not."""

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/09_functional_api.ipynb"

PREAMBLE_1 = "import numpy as np\nfrom teachkeras.layers.merging import Merge\n"

PREAMBLE_2 = """
import numpy as np
import teachkeras as keras
from teachkeras import layers
from teachkeras.utils import set_random_seed

set_random_seed(1)
x = keras.Input(shape=(32,), name="input")
dense1 = layers.Dense(16, name="dense1")(x)
dense2 = layers.Dense(4, name="dense2")(x)
dense3 = layers.Dense(4, name="dense3")(dense1)
graph = keras.Model(x, {"output1": dense2, "output2": dense3}, name="graph")
X_train = np.random.default_rng(0).normal(size=(8, 32)).astype("float32")
"""


def exercise(number):
    found = exercises(NOTEBOOK)
    assert len(found) == 2, "chapter 09 has two exercises"
    return found[number - 1]


def test_the_first_exercise_is_the_exported_subtract_backward():
    assert exercise(1).solution.startswith("#| export layers.merging\nclass Subtract(Merge):")


@pytest.mark.parametrize("answer", [
    "return [grad_outputs, -grad_outputs]",
    "return [grad_outputs, grad_outputs * -1]",
])
def test_subtract_right_answers_pass(answer):
    run_exercise(exercise(1), answer, PREAMBLE_1)


@pytest.mark.parametrize("answer", [
    "return [grad_outputs, grad_outputs]",          # the sign of the second input forgotten
    "return [-grad_outputs, grad_outputs]",         # signs swapped
    "return grad_outputs - grad_outputs",           # one array instead of a list
])
def test_subtract_wrong_answers_fail(answer):
    with pytest.raises((AssertionError, TypeError)):
        run_exercise(exercise(1), answer, PREAMBLE_1)


def test_feature_extraction_right_answer_passes():
    run_exercise(exercise(2), 'inner = keras.Model(graph.inputs, [graph.get_layer("dense1").output, '
                              'graph.get_layer("dense3").output])', PREAMBLE_2)


@pytest.mark.parametrize("answer", [
    'inner = keras.Model(graph.inputs, [graph.get_layer("dense3").output, graph.get_layer("dense1").output])',
    'inner = keras.Model(graph.inputs, [graph.get_layer("dense1").output, graph.get_layer("dense2").output])',
    'inner = keras.Model(graph.inputs, graph.get_layer("dense1").output)',     # only one of the two
])
def test_feature_extraction_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(2), answer, PREAMBLE_2)
