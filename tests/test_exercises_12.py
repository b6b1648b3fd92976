"""Chapter 12's exercises: the right answers pass their tests cells, known-wrong answers do not."""

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/12_devices.ipynb"
PREAMBLE = "import numpy as np\n"


def exercise(number):
    found = exercises(NOTEBOOK)
    assert len(found) == 2, "chapter 12 has two exercises"
    return found[number - 1]


def test_the_first_exercise_is_the_exported_shard_rows():
    assert exercise(1).solution.startswith("#| export\ndef shard_rows(samples, rank, world_size,")


# ---------------------------------------------------------------- 1: DistributedSampler's rows

def test_shard_rows_right_answer_passes():
    run_exercise(exercise(1), exercise(1).answer, PREAMBLE)
    run_exercise(exercise(1), """
        per_rank = -(-samples // world_size)
        padded = np.concatenate([order, order[:per_rank * world_size - samples]])
        return padded[rank::world_size]
        """, PREAMBLE)


@pytest.mark.parametrize("answer", [
    "return order[rank::world_size]",                                     # no padding: unequal shares
    "return np.array_split(order, world_size)[rank]",                     # contiguous blocks, no padding
    """padded = np.resize(order, -(-samples // world_size) * world_size)
return np.split(padded, world_size)[rank]""",                        # contiguous blocks: step k is not batch k
    """padded = np.resize(order, -(-samples // world_size) * world_size)
return np.random.default_rng(rank).permutation(padded)[rank::world_size]""",  # each rank its own order
    """per_rank = -(-samples // world_size)
padded = np.concatenate([order, np.full(per_rank * world_size - samples, order[-1])])
return padded[rank::world_size]""",                                  # padded with the last row
    "raise NotImplementedError()",
])
def test_shard_rows_wrong_answers_fail(answer):
    with pytest.raises((AssertionError, NotImplementedError)):
        run_exercise(exercise(1), answer, PREAMBLE)


# ---------------------------------------------------------------- 2: bytes of a ring all-reduce

def test_ring_bytes_right_answer_passes():
    run_exercise(exercise(2), exercise(2).answer)
    run_exercise(exercise(2), "return 2 * parameters * bytes_per_value * (1 - 1 / world_size)")


@pytest.mark.parametrize("answer", [
    "return parameters * bytes_per_value",                                  # the buffer once
    "return 2 * parameters * bytes_per_value",                              # forgets that a rank keeps its own chunk
    "return (world_size - 1) * parameters * bytes_per_value",               # everything to everyone
    "return (world_size - 1) * parameters * bytes_per_value / world_size",  # only the reduce-scatter
    "return 2 * (world_size - 1) * parameters / world_size",                # counts values, not bytes
    "raise NotImplementedError()",
])
def test_ring_bytes_wrong_answers_fail(answer):
    with pytest.raises((AssertionError, NotImplementedError)):
        run_exercise(exercise(2), answer)
