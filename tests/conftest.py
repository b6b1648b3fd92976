"""Every test starts from the same random state and a fresh name registry, whatever ran before it
in the same worker, so a failure reproduces with `pytest path::test` alone."""

import pytest

from teachkeras.backend import clear_session, set_random_seed


@pytest.fixture(autouse=True)
def _fresh_seeded_session():
    clear_session()
    set_random_seed(1234)
    yield
