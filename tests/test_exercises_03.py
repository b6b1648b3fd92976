"""Chapter 03's exercises: the right answers pass their tests cells, known-wrong answers do not.

Exercise 1 is the exported ``Dropout.call`` itself: the answer is attached to a subclass made in
the preamble, so a wrong answer never reaches the package's ``Dropout``.
"""

import ast

import pytest

from exercise_checks import ROOT, exercises, run_exercise

NOTEBOOK = "notebooks/03_dropout.ipynb"
EXERCISES = exercises(NOTEBOOK)


def notebook_function(name):
    """The source of the function ``name`` as the notebook defines it (not the rest of its cell)."""
    import json

    cells = json.loads((ROOT / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "code" and f"def {name}(" in source:
            for node in ast.parse(source).body:
                if isinstance(node, ast.FunctionDef) and node.name == name:
                    return ast.get_source_segment(source, node)
    raise LookupError(f"{NOTEBOOK} defines no function {name}")


def test_the_chapter_has_its_three_exercises():
    assert len(EXERCISES) == 3
    assert "def call(self, inputs, training=False)" in EXERCISES[0].solution
    assert "def channel_noise_shape" in EXERCISES[1].solution
    assert "def mc_predict" in EXERCISES[2].solution


# ---------------------------------------------------------------- exercise 1: Dropout.call's mask

CALL_PREAMBLE = """
import numpy as np
import teachkeras.layers.dropout
from teachkeras.backend import RandomGenerator, namespace
from teachkeras.course import add_to_class


class Dropout(teachkeras.layers.dropout.Dropout):
    pass  # the answer's call is attached here, not to the package's class


""" + notebook_function("dropout_loop")

CALL_RIGHT = [
    "self.scaled_mask = xp.astype(uniform < keep, inputs.dtype) * (1.0 / keep)",
    "self.scaled_mask = xp.astype(uniform < keep, inputs.dtype) / keep",
]

CALL_WRONG = {
    "no scaling": "self.scaled_mask = xp.astype(uniform < keep, inputs.dtype)",
    "scaled by keep instead of 1 / keep": "self.scaled_mask = xp.astype(uniform < keep, inputs.dtype) * keep",
    "keeps with probability rate": "self.scaled_mask = xp.astype(uniform < self.rate, inputs.dtype) * (1.0 / keep)",
    "a float64 mask": "self.scaled_mask = np.where(uniform < keep, 1.0 / keep, 0.0)",
}


@pytest.mark.parametrize("answer", CALL_RIGHT)
def test_exercise_1_right_answers_pass(answer):
    run_exercise(EXERCISES[0], answer, CALL_PREAMBLE)


@pytest.mark.parametrize("answer", CALL_WRONG.values(), ids=CALL_WRONG.keys())
def test_exercise_1_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[0], answer, CALL_PREAMBLE)


def test_exercise_1_numpy_only_answer_fails_on_torch():
    pytest.importorskip("torch")
    with pytest.raises((AssertionError, AttributeError)):  # torch tensors have no .astype
        run_exercise(EXERCISES[0], "self.scaled_mask = (uniform < keep).astype(inputs.dtype) / keep", CALL_PREAMBLE)


def test_exercise_1_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(EXERCISES[0], "raise NotImplementedError()", CALL_PREAMBLE)


def test_exercise_1_leaves_the_package_class_alone():
    import teachkeras.layers.dropout

    original = teachkeras.layers.dropout.Dropout.call
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[0], CALL_WRONG["no scaling"], CALL_PREAMBLE)
    assert teachkeras.layers.dropout.Dropout.call is original


# ---------------------------------------------------------------- exercise 2: channel noise_shape

LAYER_PREAMBLE = """
import numpy as np
import teachkeras as keras
from teachkeras.backend import clear_session
from teachkeras.layers import Dropout

rng = np.random.default_rng(0)
"""

CHANNEL_RIGHT = [
    "batch, steps, channels = input_shape\nreturn (batch, 1, channels)",
    "return (None, 1, None)",
]
CHANNEL_WRONG = {
    "whole time steps": "batch, steps, channels = input_shape\nreturn (batch, steps, 1)",
    "one mask for the whole batch": "batch, steps, channels = input_shape\nreturn (1, 1, channels)",
    "whole samples": "batch, steps, channels = input_shape\nreturn (batch, 1, 1)",
    "single elements": "return tuple(input_shape)",
}


@pytest.mark.parametrize("answer", CHANNEL_RIGHT)
def test_exercise_2_right_answers_pass(answer):
    run_exercise(EXERCISES[1], answer, LAYER_PREAMBLE)


@pytest.mark.parametrize("answer", CHANNEL_WRONG.values(), ids=CHANNEL_WRONG.keys())
def test_exercise_2_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[1], answer, LAYER_PREAMBLE)


def test_exercise_2_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(EXERCISES[1], "raise NotImplementedError()", LAYER_PREAMBLE)


# ---------------------------------------------------------------- exercise 3: Monte Carlo dropout

MC_RIGHT = """
draws = np.stack([np.asarray(model(x, training=True)) for _ in range(samples)])
return draws.mean(axis=0), draws.std(axis=0)
"""
MC_WRONG = {
    "dropout off": """
draws = np.stack([np.asarray(model(x, training=False)) for _ in range(samples)])
return draws.mean(axis=0), draws.std(axis=0)
""",
    "variance, not standard deviation": """
draws = np.stack([np.asarray(model(x, training=True)) for _ in range(samples)])
return draws.mean(axis=0), draws.var(axis=0)
""",
    "statistics over the wrong axis": """
draws = np.stack([np.asarray(model(x, training=True)) for _ in range(samples)])
return draws.mean(axis=1), draws.std(axis=1)
""",
    "one draw": """
draw = np.asarray(model(x, training=True))
return draw, np.zeros_like(draw)
""",
}


def test_exercise_3_right_answer_passes():
    run_exercise(EXERCISES[2], MC_RIGHT, LAYER_PREAMBLE)


@pytest.mark.parametrize("answer", MC_WRONG.values(), ids=MC_WRONG.keys())
def test_exercise_3_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[2], answer, LAYER_PREAMBLE)


def test_exercise_3_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(EXERCISES[2], "raise NotImplementedError()", LAYER_PREAMBLE)
