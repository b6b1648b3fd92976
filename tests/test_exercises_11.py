"""Chapter 11's exercises (part 1, regularization): the right answers pass their tests cells,
known-wrong answers do not."""

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/11_fighting_overfitting.ipynb"

# What the exercises' cells use from earlier in the notebook: imports and the constraints module's
# helpers (exercise 1 is a method of the exported MinMaxNorm).
PREAMBLE = """
import numpy as np

import teachkeras as keras
from teachkeras import layers, ops, regularizers
from teachkeras.backend import epsilon
from teachkeras.constraints import Constraint, _axis, _norms
from teachkeras.utils import set_random_seed
from teachkeras.validation import check_number
"""


def exercise(number):
    found = exercises(NOTEBOOK)
    assert len(found) == 4, "chapter 11 has four exercises: two in part 1, two in part 2 (test_exercises_11b.py)"
    return found[number - 1]


def test_the_first_exercise_is_the_exported_min_max_norm():
    assert exercise(1).solution.startswith("#| export constraints\nclass MinMaxNorm(Constraint):")


# ---------------------------------------------------------------- 1: MinMaxNorm.__call__

def test_min_max_norm_right_answer_passes():
    run_exercise(exercise(1), exercise(1).answer, PREAMBLE)


@pytest.mark.parametrize("answer", [
    "desired = ops.clip(norms, self.min_value, self.max_value)",                                # rate ignored
    "desired = self.rate * ops.clip(norms, self.min_value, self.max_value) + (1 - self.rate)",   # norms forgotten
    "desired = self.rate * norms + (1 - self.rate) * ops.clip(norms, self.min_value, self.max_value)",  # swapped
    "desired = ops.clip(norms, 0, self.max_value)",                                             # no minimum
])
def test_min_max_norm_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(1), answer, PREAMBLE)


def test_min_max_norm_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(1), "raise NotImplementedError()", PREAMBLE)


# ---------------------------------------------------------------- 2: L2 as weight decay

def test_weight_decay_right_answer_passes():
    run_exercise(exercise(2), "weight_decay = 2 * l2_factor", PREAMBLE)


@pytest.mark.parametrize("answer", [
    "weight_decay = l2_factor",                        # the 1/2 convention of chapter 06's formula
    "weight_decay = l2_factor / 2",
    "weight_decay = 2 * l2_factor * learning_rate",    # the learning rate counted twice
])
def test_weight_decay_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(2), answer, PREAMBLE)


def test_weight_decay_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(2), "raise NotImplementedError()", PREAMBLE)
