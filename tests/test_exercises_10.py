"""Chapter 10's exercises: the right answers pass their tests cells, known-wrong answers do not."""

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/10_saving_and_loading.ipynb"

# What the exercises' cells use from earlier in the notebook: the walk of the weights file (the
# package's, from the same cells), the layers, and the two configs of exercise 2.
PREAMBLE = """
from teachkeras import layers
from teachkeras.backend import snake_case
from teachkeras.layers.base import Layer
from teachkeras.saving.weights_h5 import walk

lambda_config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None, 2]}},
    {"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "x"}}}},
    {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]}}
saved_config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
    {"class_name": "Dense", "config": {"units": 3, "kernel_initializer": {"class_name": "GlorotUniform"}}}]},
    "compile_config": {"loss": "mse", "metrics": ["accuracy"]}}
"""


def exercise(number):
    found = exercises(NOTEBOOK)
    assert len(found) == 2, "chapter 10 has two exercises"
    return found[number - 1]


def test_the_first_exercise_is_the_exported_walk_container():
    assert exercise(1).solution.startswith("#| export\ndef walk_container(container, path, visited):")


# ---------------------------------------------------------------- 1: names inside a list of layers

def test_walk_container_right_answer_passes():
    run_exercise(exercise(1), exercise(1).answer, PREAMBLE)


@pytest.mark.parametrize("answer", [
    "unique = name",                                                   # no counter: every Dense is 'dense'
    "unique = item.name",                                              # the user's names, not the class's
    "used[name] = used.get(name, 0) + 1\nunique = f'{name}_{used[name]}'",  # counted from 1: 'dense_1' first
    "used[name] = used.get(name, -1) + 1\nunique = name if used[name] == 0 else f'{name}{used[name]}'",  # no '_'
    # one counter for all classes
    "used['all'] = used.get('all', -1) + 1\nunique = name if used['all'] == 0 else f'{name}_{used[\"all\"]}'",
])
def test_walk_container_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(1), answer, PREAMBLE)


def test_walk_container_that_skips_shared_layers_in_the_count_fails():
    answer = """
        if id(item) in visited:
            continue
        used[name] = used.get(name, -1) + 1
        unique = name if used[name] == 0 else f"{name}_{used[name]}"
    """
    with pytest.raises(AssertionError):
        run_exercise(exercise(1), answer, PREAMBLE)


def test_walk_container_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(1), "raise NotImplementedError()", PREAMBLE)


# ---------------------------------------------------------------- 2: find the lambdas in a config

def test_lambdas_in_right_answer_passes():
    run_exercise(exercise(2), exercise(2).answer, PREAMBLE)


@pytest.mark.parametrize("answer", [
    # only the top level
    "return [path] if isinstance(config, dict) and config.get('class_name') == '__lambda__' else []",
    # dicts only: lists (a Sequential's layers) are not searched
    """
    found = [path] if isinstance(config, dict) and config.get("class_name") == "__lambda__" else []
    if isinstance(config, dict):
        for key, value in config.items():
            found += lambdas_in(value, f"{path}/{key}" if path else key)
    return found
    """,
    # the class names instead of the paths
    """
    found = []
    if isinstance(config, dict):
        if config.get("class_name") == "__lambda__":
            found.append(config["class_name"])
        for key, value in config.items():
            found += lambdas_in(value, key)
    elif isinstance(config, list):
        for value in config:
            found += lambdas_in(value, path)
    return found
    """,
    # paths that start with '/'
    """
    found = []
    if isinstance(config, dict):
        if config.get("class_name") == "__lambda__":
            found.append(path)
        items = config.items()
    elif isinstance(config, list):
        items = enumerate(config)
    else:
        return found
    for key, value in items:
        found += lambdas_in(value, f"{path}/{key}")
    return found
    """,
])
def test_lambdas_in_wrong_answers_fail(answer):
    with pytest.raises(AssertionError):
        run_exercise(exercise(2), answer, PREAMBLE)


def test_lambdas_in_empty_answer_fails():
    with pytest.raises(NotImplementedError):
        run_exercise(exercise(2), "raise NotImplementedError()", PREAMBLE)
