"""Chapter 08's exercises: the right answers pass their tests cells, known-wrong answers do not."""

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/08_automatic_differentiation.ipynb"

# What the exercises' cells use from earlier in the notebook: imports, the scalar engine, the
# forward values of exercise 1's graph, the random generator and the finite-difference helper.
PREAMBLE = """
import math

import numpy as np

from teachkeras.autodiff.value import Value
from teachkeras.backend import namespace
from teachkeras.testing import numerical_gradient

rng = np.random.default_rng(0)
x0, y0 = 0.5, -1.0
L0 = math.tanh(x0 * y0 + y0)
"""


def exercise(number):
    found = exercises(NOTEBOOK)
    assert len(found) == 2, "chapter 08 has two exercises"
    return found[number - 1]


def test_the_second_exercise_is_the_exported_matmul_vjp():
    assert exercise(2).solution.startswith("#| export autodiff.vjps\ndef matmul_vjps(grad, x1, x2):")


# ---------------------------------------------------------------- 1: read a graph

def test_reading_the_graph_right_answer_passes():
    run_exercise(exercise(1), "dL_dy = (1 - L0**2) * (x0 + 1)", PREAMBLE)


@pytest.mark.parametrize("answer", [
    "dL_dy = (1 - L0**2) * x0",          # only the path through x * y
    "dL_dy = (1 - L0) * (x0 + 1)",       # tanh' written as 1 - tanh
    "dL_dy = (1 - L0**2) * (x0 + y0)",   # the other factor of the product taken from the wrong input
    "dL_dy = 1 - L0**2",                 # only the direct path
])
def test_reading_the_graph_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(1), answer, PREAMBLE)


def test_reading_the_graph_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(1), "raise NotImplementedError()", PREAMBLE)


# ---------------------------------------------------------------- 2: matmul's VJP

def test_matmul_vjp_right_answer_passes():
    run_exercise(exercise(2), """
        grad_x1 = grad @ xp.matrix_transpose(x2)
        grad_x2 = xp.matrix_transpose(x1) @ grad
    """, PREAMBLE)


@pytest.mark.parametrize("answer", [
    "grad_x1 = grad @ x2\ngrad_x2 = x1 @ grad",                                               # no transposes
    "grad_x1 = xp.matrix_transpose(x2) @ grad\ngrad_x2 = grad @ xp.matrix_transpose(x1)",     # factors swapped
    "grad_x1 = grad @ xp.matrix_transpose(x2)\ngrad_x2 = xp.matrix_transpose(grad) @ x1",     # x2's gradient transposed
])
def test_matmul_vjp_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(2), answer, PREAMBLE)


def test_matmul_vjp_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(2), "raise NotImplementedError()", PREAMBLE)
