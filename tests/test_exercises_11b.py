"""Chapter 11 part 2's exercises (callbacks and metrics): the right answers pass their tests cells,
known-wrong answers do not."""

import pytest

from exercise_checks import ROOT, exercises, run_exercise

# The exercises of chapter 11's second part (callbacks and metrics) come after the first part's own
# exercises, so they are found by what they define, not by their position.
NOTEBOOK = "notebooks/11_fighting_overfitting.ipynb"
DEFINES = {1: "def _reduce_learning_rate(", 2: "def f1_at("}

# What the exercises' cells use from earlier in the notebook. The first exercise adds a method with
# add_to_class; it goes to a subclass here, so a wrong answer never changes the package's class.
PREAMBLE = """
import math

import numpy as np

import teachkeras as keras
from teachkeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau as PackageReduceLROnPlateau
from teachkeras.course import add_to_class
from teachkeras.metrics import Precision, Recall


class ReduceLROnPlateau(PackageReduceLROnPlateau):
    pass


rng = np.random.default_rng(0)
y_rare_val = (rng.random(2000) < 0.05).astype("float32")
scores = np.clip(rng.normal(0.1 + 0.3 * y_rare_val, 0.12), 0, 1).astype("float32")
"""


def exercise(number):
    found = [exercise for exercise in exercises(NOTEBOOK) if DEFINES[number] in exercise.solution]
    assert len(found) == 1, f"exercise {number} of chapter 11 part 2 ({DEFINES[number]}...) is in {NOTEBOOK} once"
    return found[0]


def test_the_first_exercise_is_the_exported_reduction_step():
    assert exercise(1).solution.startswith(
        "#| export callbacks.reduce_lr_on_plateau\n@add_to_class(ReduceLROnPlateau)\ndef _reduce_learning_rate(")


# ---------------------------------------------------------------- 1: one reduction

def test_reduction_right_answer_passes():
    run_exercise(exercise(1), exercise(1).answer, PREAMBLE)


@pytest.mark.parametrize("answer", [
    # no floor at min_lr
    "new_rate = old_rate * self.factor\noptimizer.learning_rate = new_rate",
    # floored, but a rate already at min_lr still counts as a reduction
    "new_rate = max(old_rate * self.factor, self.min_lr)\noptimizer.learning_rate = new_rate",
    # divides by the factor
    "if old_rate <= np.float32(self.min_lr):\n    return False\n"
    "new_rate = max(old_rate / self.factor, self.min_lr)\noptimizer.learning_rate = new_rate",
    # subtracts the factor
    "if old_rate <= np.float32(self.min_lr):\n    return False\n"
    "new_rate = max(old_rate - self.factor, self.min_lr)\noptimizer.learning_rate = new_rate",
    # computes the new rate but never sets it
    "if old_rate <= np.float32(self.min_lr):\n    return False\nnew_rate = max(old_rate * self.factor, self.min_lr)",
])
def test_reduction_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(1), answer, PREAMBLE)


def test_reduction_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(1), "raise NotImplementedError()", PREAMBLE)


# ---------------------------------------------------------------- 2: the F1 score

def test_f1_right_answer_passes():
    namespace = run_exercise(exercise(2), exercise(2).answer, PREAMBLE)
    assert namespace["best_threshold"] == 0.4


@pytest.mark.parametrize("answer", [
    # the arithmetic mean
    "precision, recall = Precision(thresholds=threshold), Recall(thresholds=threshold)\n"
    "precision.update_state(y_true, scores)\nrecall.update_state(y_true, scores)\n"
    "return (precision.result() + recall.result()) / 2",
    # the geometric mean
    "precision, recall = Precision(thresholds=threshold), Recall(thresholds=threshold)\n"
    "precision.update_state(y_true, scores)\nrecall.update_state(y_true, scores)\n"
    "return math.sqrt(precision.result() * recall.result())",
    # the threshold forgotten: always 0.5
    "precision, recall = Precision(), Recall()\n"
    "precision.update_state(y_true, scores)\nrecall.update_state(y_true, scores)\n"
    "p, r = precision.result(), recall.result()\nreturn 0.0 if p + r == 0 else 2 * p * r / (p + r)",
    # precision used twice
    "precision = Precision(thresholds=threshold)\nprecision.update_state(y_true, scores)\n"
    "return precision.result()",
])
def test_f1_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(2), answer, PREAMBLE)


def test_f1_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(2), "raise NotImplementedError()", PREAMBLE)
