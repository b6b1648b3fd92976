"""Chapter 05's exercises: the right answers pass their tests cells, known-wrong answers do not."""

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/05_conv1d_vs_conv2d.ipynb"

# What the exercises' cells use from earlier in the notebook: imports, the chapter's functions and
# layers (the modules built from the notebook), and section 2's edge kernel.
PREAMBLE = """
import itertools
import math

import numpy as np

from teachkeras.layers import Conv1D, Conv2D
from teachkeras.layers.conv_loops import conv_loop
from teachkeras.layers.conv_shapes import dilated_kernel_size
from teachkeras.utils import set_random_seed

vertical_edges = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
"""


def exercise(number):
    found = exercises(NOTEBOOK)
    assert len(found) == 4, "chapter 05 has four exercises"
    return found[number - 1]


def test_the_first_two_exercises_are_exported_cells_that_the_chapter_runs():
    found = exercises(NOTEBOOK)
    assert found[0].solution.startswith("#| export layers.conv_shapes\ndef conv_output_length(")
    assert found[1].solution.startswith("#| export layers.im2col\ndef tap_windows(")


def test_an_empty_answer_fails_every_exercise():
    for number in range(1, 5):
        with pytest.raises(NotImplementedError):
            run_exercise(exercise(number), "raise NotImplementedError()", PREAMBLE)


# ---------------------------------------------------------------- 1: conv_output_length

OUTPUT_LENGTH_RIGHT = """
if padding == "valid":
    return (length - dilated_kernel_size(kernel_size, dilation)) // stride + 1
return (length + stride - 1) // stride
"""

OUTPUT_LENGTH_WRONG = {
    "dilation forgotten": """
if padding == "valid":
    return (length - kernel_size) // stride + 1
return (length + stride - 1) // stride
""",
    "floor instead of ceil for 'same'": """
if padding == "valid":
    return (length - dilated_kernel_size(kernel_size, dilation)) // stride + 1
return length // stride
""",
    "stride forgotten for 'valid'": """
if padding == "valid":
    return length - dilated_kernel_size(kernel_size, dilation) + 1
return (length + stride - 1) // stride
""",
    "floats": """
if padding == "valid":
    return math.floor((length - dilated_kernel_size(kernel_size, dilation)) / stride) + 1
return math.ceil(length / stride) + 0.0
""",
}


def test_exercise_1_right_answer_passes():
    namespace = run_exercise(exercise(1), OUTPUT_LENGTH_RIGHT, PREAMBLE)
    assert namespace["conv_output_length"](28, 3, "same", 2) == 14


@pytest.mark.parametrize("mistake", list(OUTPUT_LENGTH_WRONG))
def test_exercise_1_wrong_answers_fail(mistake):
    with pytest.raises(AssertionError):
        run_exercise(exercise(1), OUTPUT_LENGTH_WRONG[mistake], PREAMBLE)


# ---------------------------------------------------------------- 2: tap_windows

TAP_WINDOWS_RIGHT = exercises(NOTEBOOK)[1].answer  # the notebook's own answer, not a copy of it

TAP_WINDOWS_WRONG = {
    "dilation forgotten": TAP_WINDOWS_RIGHT.replace(
        "slice(offset * dilation, offset * dilation + stride * (length - 1) + 1, stride)",
        "slice(offset, offset + stride * (length - 1) + 1, stride)"),
    "no stop: the slice runs to the end of the input": TAP_WINDOWS_RIGHT.replace(
        "slice(offset * dilation, offset * dilation + stride * (length - 1) + 1, stride)",
        "slice(offset * dilation, None, stride)"),
    "stride forgotten": TAP_WINDOWS_RIGHT.replace(
        "slice(offset * dilation, offset * dilation + stride * (length - 1) + 1, stride)",
        "slice(offset * dilation, offset * dilation + length)"),
    "taps in the wrong order (first axis fastest)": """
windows = []
for reversed_tap in itertools.product(*(range(size) for size in reversed(kernel_size))):
    tap = reversed_tap[::-1]
    spatial = tuple(slice(offset * dilation, offset * dilation + stride * (length - 1) + 1, stride)
                    for offset, dilation, stride, length in zip(tap, dilation_rate, strides, output_shape))
    windows.append((slice(None), *spatial, slice(None)))
return windows
""",
}


def test_exercise_2_right_answer_passes():
    namespace = run_exercise(exercise(2), TAP_WINDOWS_RIGHT, PREAMBLE)
    assert len(namespace["tap_windows"]((3, 3), (1, 1), (1, 1), (4, 4))) == 9


@pytest.mark.parametrize("mistake", list(TAP_WINDOWS_WRONG))
def test_exercise_2_wrong_answers_fail(mistake):
    with pytest.raises(AssertionError):
        run_exercise(exercise(2), TAP_WINDOWS_WRONG[mistake], PREAMBLE)


# ---------------------------------------------------------------- 3: the receptive field of a stack

RECEPTIVE_FIELD_RIGHT = "return 1 + sum(dilation * (size - 1) for size, dilation in zip(kernel_sizes, dilations))"

RECEPTIVE_FIELD_WRONG = {
    "one span per layer, added up": "return sum(dilation * (size - 1) + 1 for size, dilation in zip(kernel_sizes, dilations))",
    "dilations forgotten": "return 1 + sum(size - 1 for size in kernel_sizes)",
    "dilations multiplied": "return 1 + math.prod(dilations) * sum(size - 1 for size in kernel_sizes)",
}


def test_exercise_3_right_answer_passes():
    run_exercise(exercise(3), RECEPTIVE_FIELD_RIGHT, PREAMBLE)


@pytest.mark.parametrize("mistake", list(RECEPTIVE_FIELD_WRONG))
def test_exercise_3_wrong_answers_fail(mistake):
    with pytest.raises(AssertionError):
        run_exercise(exercise(3), RECEPTIVE_FIELD_WRONG[mistake], PREAMBLE)


# ---------------------------------------------------------------- 4: grey edges of a colour image

GREY_EDGES_RIGHT = "grey_edges.set_weights([vertical_edges[:, :, None, None] * luminance[None, None, :, None]])"

GREY_EDGES_WRONG = {
    "the same edge kernel on every channel, no grey weights": (
        "grey_edges.set_weights([np.repeat(vertical_edges[:, :, None, None], 3, axis=2)])"),
    "an average instead of the grey weights": (
        "grey_edges.set_weights([np.repeat(vertical_edges[:, :, None, None], 3, axis=2) / 3])"),
    "the horizontal kernel": (
        "grey_edges.set_weights([vertical_edges.T[:, :, None, None] * luminance[None, None, :, None]])"),
    "weights left as initialized": "pass",
}


def test_exercise_4_right_answer_passes():
    run_exercise(exercise(4), GREY_EDGES_RIGHT, PREAMBLE)


@pytest.mark.parametrize("mistake", list(GREY_EDGES_WRONG))
def test_exercise_4_wrong_answers_fail(mistake):
    with pytest.raises(AssertionError):
        run_exercise(exercise(4), GREY_EDGES_WRONG[mistake], PREAMBLE)
