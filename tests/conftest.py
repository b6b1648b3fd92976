"""Every test starts from the same random state, a fresh name registry and the default backend
settings, whatever ran before it in the same worker, so a failure reproduces with
`pytest path::test` alone and a test that changes a global setting cannot leak it into the next."""

import pytest

from teachkeras import backend


@pytest.fixture(autouse=True)
def _fresh_seeded_session():
    backend.clear_session()
    backend.set_random_seed(1234)
    settings = backend.floatx(), backend.epsilon(), backend.image_data_format()
    yield
    backend.set_floatx(settings[0])
    backend.set_epsilon(settings[1])
    backend.set_image_data_format(settings[2])


@pytest.fixture(scope="module")
def keras():
    """Keras 3 as the oracle (the dev extra installs it; the root conftest selects the torch backend)."""
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the Keras oracle runs with KERAS_BACKEND=torch")
    return keras
