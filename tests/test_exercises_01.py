"""Chapter 01's exercises: the right answers pass their tests cells, known-wrong answers do not."""

import pytest

from exercise_checks import exercises, run_exercise

pytest.importorskip("torch")

NOTEBOOK = "notebooks/01_axis_sums.ipynb"

# What the exercises' cells use from earlier in the notebook: imports, the chapter's functions (the
# module built from the notebook), the random generator, and section 7's loop version of unbroadcast.
PREAMBLE = """
import math
import operator
import warnings

import numpy as np
import torch

from teachkeras.ops.core import logsumexp, max, mean, softmax, sum

rng = np.random.default_rng(0)


def loop_unbroadcast(grad, shape):
    output = np.zeros(shape)
    added = grad.ndim - len(shape)
    for index in np.ndindex(grad.shape):
        source = tuple(0 if length == 1 else position for position, length in zip(index[added:], shape))
        output[source] += grad[index]
    return output
"""


def exercise(number):
    found = exercises(NOTEBOOK)
    assert len(found) == 3, "chapter 01 has three exercises"
    return found[number - 1]


def test_the_notebook_has_three_exercises_and_the_first_is_the_exported_unbroadcast():
    found = exercises(NOTEBOOK)
    assert len(found) == 3
    assert found[0].solution.startswith("#| export\ndef unbroadcast(grad, shape):")


# ---------------------------------------------------------------- 1: unbroadcast's two sums

UNBROADCAST_RIGHT = exercises(NOTEBOOK)[0].answer  # the notebook's own answer, not a copy of it

UNBROADCAST_WRONG = {
    "only the added leading axes (the bias habit)": """
        if added:
            grad = sum(grad, axis=tuple(range(added)))
        return grad
    """,
    "stretched axes summed without keepdims": """
        if added:
            grad = sum(grad, axis=tuple(range(added)))
        stretched = tuple(axis for axis, length in enumerate(shape) if length == 1 and grad.shape[axis] != 1)
        if stretched:
            grad = sum(grad, axis=stretched)
        return grad
    """,
    "mean instead of sum": """
        if added:
            grad = mean(grad, axis=tuple(range(added)))
        stretched = tuple(axis for axis, length in enumerate(shape) if length == 1 and grad.shape[axis] != 1)
        if stretched:
            grad = mean(grad, axis=stretched, keepdims=True)
        return grad
    """,
    "always the batch axis": """
        return sum(grad, axis=0)
    """,
    "section 7's loop version (numpy only)": """
        return loop_unbroadcast(grad, shape)
    """,
}


def test_unbroadcast_right_answer_passes():
    namespace = run_exercise(exercise(1), UNBROADCAST_RIGHT, PREAMBLE)
    assert namespace["unbroadcast"](namespace["np"].ones((4, 3)), (1, 3)).tolist() == [[4.0, 4.0, 4.0]]


def test_unbroadcast_the_books_answer_passes():
    """The answer as written in the notebook (what the package runs) passes its own tests."""
    solution = exercise(1).solution
    body = solution.split("### BEGIN SOLUTION\n", 1)[1].split("    ### END SOLUTION", 1)[0]
    run_exercise(exercise(1), body, PREAMBLE)


@pytest.mark.parametrize("answer", UNBROADCAST_WRONG.values(), ids=UNBROADCAST_WRONG.keys())
def test_unbroadcast_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(1), answer, PREAMBLE)


def test_unbroadcast_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(1), "raise NotImplementedError()", PREAMBLE)


# ---------------------------------------------------------------- 2: masked_mean

MASKED_MEAN_RIGHT = """
totals = sum(x * mask[:, :, None], axis=1)
counts = sum(mask, axis=1, keepdims=True)
return totals / counts
"""

MASKED_MEAN_WRONG = {
    "plain mean over the steps, mask ignored": "return mean(x, axis=1)",
    "padding zeroed but divided by every step": "return sum(x * mask[:, :, None], axis=1) / x.shape[1]",
    "divided by the real steps of the whole batch": "return sum(x * mask[:, :, None], axis=1) / sum(mask)",
    "mean of the masked values over the batch axis": "return mean(x * mask[:, :, None], axis=0)",
}


def test_masked_mean_right_answer_passes():
    run_exercise(exercise(2), MASKED_MEAN_RIGHT, PREAMBLE)


@pytest.mark.parametrize("answer", MASKED_MEAN_WRONG.values(), ids=MASKED_MEAN_WRONG.keys())
def test_masked_mean_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(2), answer, PREAMBLE)


def test_masked_mean_counts_without_keepdims_does_not_pass():
    """Counts of shape (batch,) against totals of shape (batch, features): numpy refuses to broadcast."""
    answer = "return sum(x * mask[:, :, None], axis=1) / sum(mask, axis=1)"
    with pytest.raises(ValueError, match="broadcast"):
        run_exercise(exercise(2), answer, PREAMBLE)


# ---------------------------------------------------------------- 3: logmeanexp

LOGMEANEXP_WRONG = {
    "the formula as written (overflows)": "return np.log(np.mean(np.exp(x), axis=axis))",
    "divides the log by the count": "return logsumexp(x, axis=axis) / x.shape[axis]",
    "subtracts the count, not its log": "return logsumexp(x, axis=axis) - x.shape[axis]",
    "counts the first axis whatever axis is": "return logsumexp(x, axis=axis) - math.log(x.shape[0])",
}


def test_logmeanexp_right_answer_passes():
    run_exercise(exercise(3), "return logsumexp(x, axis=axis) - math.log(x.shape[axis])", PREAMBLE)


@pytest.mark.parametrize("answer", LOGMEANEXP_WRONG.values(), ids=LOGMEANEXP_WRONG.keys())
def test_logmeanexp_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(3), answer, PREAMBLE)
