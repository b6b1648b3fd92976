"""Chapter 07's exercises: the right answers pass their tests cells, known-wrong answers do not.

The tests cells read the chapter's ``probabilities``, ``predictions``, ``test_labels`` and
``counts``; here a small synthetic classifier stands in for the trained network (mostly right,
as a trained one is), so no MNIST and no training is needed.
"""

import pytest

from exercise_checks import exercises, run_exercise

EXERCISES = exercises("notebooks/07_mnist.ipynb")

PREAMBLE = """
import numpy as np

rng = np.random.default_rng(0)
test_labels = rng.integers(0, 10, size=2000)
logits = rng.normal(size=(2000, 10))
logits[np.arange(2000), test_labels] += 2.0  # right most of the time, as a trained network
probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
predictions = probabilities.argmax(axis=1)
counts = np.bincount(test_labels * 10 + predictions, minlength=100).reshape(10, 10)
assert 0.5 < np.mean(predictions == test_labels) < 0.9  # room for mistakes of every kind
"""


def test_the_chapter_has_its_three_exercises():
    assert len(EXERCISES) == 3
    assert "def per_class_accuracy" in EXERCISES[0].solution
    assert "def confident_mistakes" in EXERCISES[1].solution
    assert "def top_k_accuracy" in EXERCISES[2].solution


@pytest.mark.parametrize("number", [0, 1, 2])
def test_empty_answers_fail(number):
    with pytest.raises(NotImplementedError):
        run_exercise(EXERCISES[number], "raise NotImplementedError()", PREAMBLE)


# ---------------------------------------------------------------- exercise 1: accuracy per class

PER_CLASS_RIGHT = "return np.diag(counts) / counts.sum(axis=1)"
PER_CLASS_WRONG = {
    "column sums (that is each predicted class's precision)": "return np.diag(counts) / counts.sum(axis=0)",
    "the grand total": "return np.diag(counts) / counts.sum()",
    "a fixed class size": "return np.diag(counts) / 1000",
    "the row's largest entry": "return counts.max(axis=1) / counts.sum(axis=1)",
}


def test_exercise_1_right_answer_passes():
    run_exercise(EXERCISES[0], PER_CLASS_RIGHT, PREAMBLE)


@pytest.mark.parametrize("answer", PER_CLASS_WRONG.values(), ids=PER_CLASS_WRONG.keys())
def test_exercise_1_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[0], answer, PREAMBLE)


# ---------------------------------------------------------------- exercise 2: confident mistakes

MISTAKES = """
predicted = probabilities.argmax(axis=1)
wrong = np.flatnonzero(predicted != labels)
confidence = probabilities[wrong, predicted[wrong]]
"""
MISTAKES_RIGHT = MISTAKES + "return wrong[np.argsort(-confidence)[:count]]"
MISTAKES_WRONG = {
    "least confident first": MISTAKES + "return wrong[np.argsort(confidence)[:count]]",
    "positions among the mistakes, not indices": MISTAKES + "return np.argsort(-confidence)[:count]",
    "right answers too": "return np.argsort(-probabilities.max(axis=1))[:count]",
    "sorted by the true class's probability": """
predicted = probabilities.argmax(axis=1)
wrong = np.flatnonzero(predicted != labels)
return wrong[np.argsort(-probabilities[wrong, labels[wrong]])[:count]]
""",
}


def test_exercise_2_right_answer_passes():
    run_exercise(EXERCISES[1], MISTAKES_RIGHT, PREAMBLE)


@pytest.mark.parametrize("answer", MISTAKES_WRONG.values(), ids=MISTAKES_WRONG.keys())
def test_exercise_2_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[1], answer, PREAMBLE)


# ---------------------------------------------------------------- exercise 3: top-k accuracy

TOP_K_RIGHT = [
    """
top_k = np.argsort(probabilities, axis=1)[:, -k:]
return float(np.mean(np.any(top_k == np.asarray(labels)[:, None], axis=1)))
""",
    """
# rank of the label: how many classes are more probable than it
label_probability = probabilities[np.arange(len(labels)), labels]
rank = np.sum(probabilities > label_probability[:, None], axis=1)
return float(np.mean(rank < k))
""",
]
TOP_K_WRONG = {
    "the k least probable classes": """
top_k = np.argsort(probabilities, axis=1)[:, :k]
return float(np.mean(np.any(top_k == np.asarray(labels)[:, None], axis=1)))
""",
    "mean over all k columns": """
top_k = np.argsort(probabilities, axis=1)[:, -k:]
return float(np.mean(top_k == np.asarray(labels)[:, None]))
""",
    "one class too many": """
top_k = np.argsort(probabilities, axis=1)[:, -k - 1:]
return float(np.mean(np.any(top_k == np.asarray(labels)[:, None], axis=1)))
""",
    "top-1 whatever k": "return float(np.mean(probabilities.argmax(axis=1) == labels))",
}


@pytest.mark.parametrize("answer", TOP_K_RIGHT)
def test_exercise_3_right_answers_pass(answer):
    run_exercise(EXERCISES[2], answer, PREAMBLE)


@pytest.mark.parametrize("answer", TOP_K_WRONG.values(), ids=TOP_K_WRONG.keys())
def test_exercise_3_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[2], answer, PREAMBLE)
