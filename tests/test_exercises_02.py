"""Chapter 02's exercises: the right answers pass their tests cells, known-wrong answers do not.

Exercise 1 is the exported ``_silu_backward`` of ``teachkeras.activations`` itself; the answer is
run in a namespace of its own, so a wrong answer never reaches the package. Exercise 2 is a layer
of the student's own, ``Quadratic``.
"""

import textwrap

import pytest

from exercise_checks import BEGIN, END, exercises, run_exercise

NOTEBOOK = "notebooks/02_dense.ipynb"
EXERCISES = exercises(NOTEBOOK)


def notebook_answer(exercise):
    """The notebook's own answer: the lines between the markers, dedented."""
    lines = exercise.solution.splitlines()
    begin = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    end = next(i for i, line in enumerate(lines) if line.strip() == END)
    return textwrap.dedent("\n".join(lines[begin + 1:end]))


def changed(answer, old, new):
    assert answer.count(old) == 1, (old, answer)
    return answer.replace(old, new)


def test_the_chapter_has_its_two_exercises():
    assert len(EXERCISES) == 2
    assert EXERCISES[0].solution.startswith("#| export activations")  # the package runs the answer
    assert "def _silu_backward(grad, inputs, outputs)" in EXERCISES[0].solution
    assert "class Quadratic(Layer)" in EXERCISES[1].solution


# ---------------------------------------------------------------- exercise 1: silu's derivative

SILU_PREAMBLE = """
import warnings

import numpy as np

from teachkeras.activations import sigmoid, silu
from teachkeras.testing import numerical_gradient
"""

SILU_RIGHT = {
    "the notebook's": notebook_answer(EXERCISES[0]),
    "factored": "s = sigmoid(inputs)\nreturn grad * s * (1.0 + inputs * (1.0 - s))",
    "from the output": "s = sigmoid(inputs)\nreturn grad * (s + outputs * (1.0 - s))",
}

SILU_WRONG = {
    "no product rule": "return grad * sigmoid(inputs)",
    "grad forgotten": "s = sigmoid(inputs)\nreturn s + inputs * s * (1.0 - s)",
    "sigmoid's rule on silu's output": "return grad * outputs * (1.0 - outputs)",
    "sigmoid' taken as 1 - sigmoid": "s = sigmoid(inputs)\nreturn grad * (s + inputs * (1.0 - s))",
    "float64 out of float32 in": "s = sigmoid(inputs.astype('float64'))\nreturn grad * (s + inputs * s * (1.0 - s))",
}


@pytest.mark.parametrize("answer", SILU_RIGHT.values(), ids=SILU_RIGHT.keys())
def test_exercise_1_right_answers_pass(answer):
    run_exercise(EXERCISES[0], answer, SILU_PREAMBLE)


@pytest.mark.parametrize("answer", SILU_WRONG.values(), ids=SILU_WRONG.keys())
def test_exercise_1_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[0], answer, SILU_PREAMBLE)


def test_exercise_1_the_naive_sigmoid_fails_at_extreme_inputs():
    naive = "s = 1 / (1 + np.exp(-inputs))\nreturn grad * (s + inputs * s * (1 - s))"
    with pytest.raises(RuntimeWarning, match="overflow"):
        run_exercise(EXERCISES[0], naive, SILU_PREAMBLE)


def test_exercise_1_the_handout_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(EXERCISES[0], "raise NotImplementedError()", SILU_PREAMBLE)


# ---------------------------------------------------------------- exercise 2: the Quadratic layer

QUADRATIC_PREAMBLE = """
import numpy as np

from teachkeras.layers import Layer
from teachkeras.ops import unbroadcast
from teachkeras.testing import check_gradients
"""

QUADRATIC = notebook_answer(EXERCISES[1])
A_GRAD = "unbroadcast(grad_outputs * self.inputs ** 2, self.a.shape)"
B_GRAD = "unbroadcast(grad_outputs * self.inputs, self.b.shape)"
INPUT_GRAD = "(2 * self.a.value * self.inputs + self.b.value)"

QUADRATIC_RIGHT = {
    "the notebook's": QUADRATIC,
    "sums over the batch by hand": changed(changed(
        QUADRATIC, A_GRAD, "(grad_outputs * self.inputs ** 2).sum(axis=0)"),
        B_GRAD, "(grad_outputs * self.inputs).sum(axis=0)"),
}

QUADRATIC_WRONG = {
    "input gradient without the 2": changed(QUADRATIC, INPUT_GRAD, "(self.a.value * self.inputs + self.b.value)"),
    "weight gradients not summed over the batch": changed(QUADRATIC, A_GRAD, "grad_outputs * self.inputs ** 2"),
    "weight gradients without grad_outputs": changed(QUADRATIC, B_GRAD, "unbroadcast(self.inputs, self.b.shape)"),
    "gradients of a and b swapped": changed(changed(
        QUADRATIC, A_GRAD, "unbroadcast(grad_outputs * self.inputs, self.a.shape)"),
        B_GRAD, "unbroadcast(grad_outputs * self.inputs ** 2, self.b.shape)"),
    "a and b start swapped": changed(changed(
        QUADRATIC, 'initializer="zeros", name="a"', 'initializer="ones", name="a"'),
        'initializer="ones", name="b"', 'initializer="zeros", name="b"'),
}


@pytest.mark.parametrize("answer", QUADRATIC_RIGHT.values(), ids=QUADRATIC_RIGHT.keys())
def test_exercise_2_right_answers_pass(answer):
    run_exercise(EXERCISES[1], answer, QUADRATIC_PREAMBLE)


@pytest.mark.parametrize("answer", QUADRATIC_WRONG.values(), ids=QUADRATIC_WRONG.keys())
def test_exercise_2_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[1], answer, QUADRATIC_PREAMBLE)


def test_exercise_2_the_handout_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(EXERCISES[1], "raise NotImplementedError()", QUADRATIC_PREAMBLE)
