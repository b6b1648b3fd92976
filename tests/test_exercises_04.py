"""Chapter 04's exercises: the right answers pass their tests cells, known-wrong answers do not.

Exercise 0 is the exported ``SGD.update_step`` itself: the answer is attached to a subclass made in
the preamble, so a wrong answer never reaches the package's ``SGD``.
"""

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/04_batches_vs_epochs.ipynb"
EXERCISES = exercises(NOTEBOOK)


def test_the_chapter_has_its_four_exercises():
    assert len(EXERCISES) == 4
    assert "def update_step(self, gradient, variable, learning_rate)" in EXERCISES[0].solution
    assert "class BatchLosses" in EXERCISES[1].solution
    assert "class Huber(Loss)" in EXERCISES[2].solution
    assert "def updates_for" in EXERCISES[3].solution


# ---------------------------------------------------------------- exercise 0: SGD's update rule

SGD_PREAMBLE = """
import numpy as np
import teachkeras.optimizers
from teachkeras.course import add_to_class


class SGD(teachkeras.optimizers.SGD):
    pass  # the answer's update_step is attached here, not to the package's class
"""

SGD_RIGHT = EXERCISES[0].answer  # the notebook's own answer, not a copy of it

SGD_WRONG = {
    "not implemented": "raise NotImplementedError()",
    "uphill": """
if not self.momentum:
    variable.value += learning_rate * gradient
    return
velocity = self.slot(variable, "momentum")
velocity *= self.momentum
velocity += learning_rate * gradient
variable.value += velocity
""",
    "velocity not kept (rebound instead of updated in place)": """
velocity = self.slot(variable, "momentum") if self.momentum else 0.0
velocity = self.momentum * velocity - learning_rate * gradient
if self.nesterov:
    variable.value += self.momentum * velocity - learning_rate * gradient
else:
    variable.value += velocity
""",
    "Nesterov ignored": """
if not self.momentum:
    variable.value -= learning_rate * gradient
    return
velocity = self.slot(variable, "momentum")
velocity *= self.momentum
velocity -= learning_rate * gradient
variable.value += velocity
""",
}


def test_sgd_right_answer_passes():
    run_exercise(EXERCISES[0], SGD_RIGHT, SGD_PREAMBLE)


@pytest.mark.parametrize("answer", SGD_WRONG.values(), ids=SGD_WRONG.keys())
def test_sgd_wrong_answers_fail(answer):
    with pytest.raises((AssertionError, NotImplementedError)):
        run_exercise(EXERCISES[0], answer, SGD_PREAMBLE)


def test_the_package_sgd_is_untouched_by_the_exercise_tests():
    import numpy as np

    import teachkeras.optimizers
    from teachkeras.variables import Variable

    with pytest.raises(AssertionError):
        run_exercise(EXERCISES[0], SGD_WRONG["uphill"], SGD_PREAMBLE)
    weight = Variable(np.array([1.0]), name="w")
    teachkeras.optimizers.SGD(learning_rate=0.1).apply([np.array([1.0])], [weight])
    assert weight.value.tolist() == [0.9]


# ---------------------------------------------------------------- exercise 1: each batch's own loss

BATCH_PREAMBLE = """
import numpy as np
import teachkeras as keras
from teachkeras.backend import clear_session
from teachkeras.utils import set_random_seed

generator = np.random.default_rng(0)
y_train = generator.integers(0, 3, 600)
x_train = (np.array([[0.0, 2.0], [-1.8, -1.0], [1.8, -1.0]])[y_train]
           + generator.normal(scale=1.1, size=(600, 2))).astype("float32")
"""

BATCH_RIGHT = """
def on_epoch_begin(self, epoch, logs=None):
    self.total, self.seen = 0.0, 0

def on_train_batch_end(self, batch, logs=None):
    size = min(self.batch_size, self.samples - batch * self.batch_size)
    new_total = logs["loss"] * (self.seen + size)
    self.losses.append((new_total - self.total) / size)
    self.total, self.seen = new_total, self.seen + size
"""

BATCH_WRONG = {
    "not implemented": "raise NotImplementedError()",
    "the running mean, not the batch's own loss": """
def on_train_batch_end(self, batch, logs=None):
    self.losses.append(logs["loss"])
""",
    "every batch assumed full (the last one has 4 samples)": """
def on_epoch_begin(self, epoch, logs=None):
    self.total = 0.0

def on_train_batch_end(self, batch, logs=None):
    new_total = logs["loss"] * (batch + 1) * self.batch_size
    self.losses.append((new_total - self.total) / self.batch_size)
    self.total = new_total
""",
    "totals not reset at a new epoch": """
def on_train_batch_end(self, batch, logs=None):
    if not hasattr(self, "total"):
        self.total, self.seen = 0.0, 0
    size = min(self.batch_size, self.samples - batch * self.batch_size)
    new_total = logs["loss"] * (self.seen + size)
    self.losses.append((new_total - self.total) / size)
    self.total, self.seen = new_total, self.seen + size
""",
}


def test_batch_losses_right_answer_passes():
    run_exercise(EXERCISES[1], BATCH_RIGHT, BATCH_PREAMBLE)


@pytest.mark.parametrize("answer", BATCH_WRONG.values(), ids=BATCH_WRONG.keys())
def test_batch_losses_wrong_answers_fail(answer):
    with pytest.raises((AssertionError, NotImplementedError)):
        run_exercise(EXERCISES[1], answer, BATCH_PREAMBLE)


# ---------------------------------------------------------------- exercise 2: the Huber loss

HUBER_PREAMBLE = BATCH_PREAMBLE + """
from teachkeras.losses import Loss
from teachkeras.testing import numerical_gradient

rng = np.random.default_rng(1)
"""

HUBER_RIGHT = {
    "minimum and clip": """
def call(self, y_true, y_pred):
    error = np.abs(y_pred - y_true)
    quadratic = np.minimum(error, self.delta)
    return np.mean(0.5 * quadratic**2 + self.delta * (error - quadratic), axis=-1)

def gradient(self, y_true, y_pred):
    return np.clip(y_pred - y_true, -self.delta, self.delta) / y_pred.shape[-1]
""",
    "where": """
def call(self, y_true, y_pred):
    error = y_pred - y_true
    small = np.abs(error) <= self.delta
    values = np.where(small, 0.5 * error**2, self.delta * (np.abs(error) - 0.5 * self.delta))
    return values.mean(axis=-1)

def gradient(self, y_true, y_pred):
    error = y_pred - y_true
    return np.where(np.abs(error) <= self.delta, error, self.delta * np.sign(error)) / y_pred.shape[-1]
""",
}

HUBER_WRONG = {
    "not implemented": "raise NotImplementedError()",
    "gradient not averaged over the last axis": """
def call(self, y_true, y_pred):
    error = np.abs(y_pred - y_true)
    quadratic = np.minimum(error, self.delta)
    return np.mean(0.5 * quadratic**2 + self.delta * (error - quadratic), axis=-1)

def gradient(self, y_true, y_pred):
    return np.clip(y_pred - y_true, -self.delta, self.delta)
""",
    "no 0.5 in the quadratic part": """
def call(self, y_true, y_pred):
    error = np.abs(y_pred - y_true)
    quadratic = np.minimum(error, self.delta)
    return np.mean(quadratic**2 + self.delta * (error - quadratic), axis=-1)

def gradient(self, y_true, y_pred):
    return 2 * np.clip(y_pred - y_true, -self.delta, self.delta) / y_pred.shape[-1]
""",
    "linear part without the - 0.5 * delta shift": """
def call(self, y_true, y_pred):
    error = np.abs(y_pred - y_true)
    return np.mean(np.where(error <= self.delta, 0.5 * error**2, self.delta * error), axis=-1)

def gradient(self, y_true, y_pred):
    return np.clip(y_pred - y_true, -self.delta, self.delta) / y_pred.shape[-1]
""",
}


@pytest.mark.parametrize("answer", HUBER_RIGHT.values(), ids=HUBER_RIGHT.keys())
def test_huber_right_answers_pass(answer):
    run_exercise(EXERCISES[2], answer, HUBER_PREAMBLE)


@pytest.mark.parametrize("answer", HUBER_WRONG.values(), ids=HUBER_WRONG.keys())
def test_huber_wrong_answers_fail(answer):
    with pytest.raises((AssertionError, NotImplementedError)):
        run_exercise(EXERCISES[2], answer, HUBER_PREAMBLE)


# ---------------------------------------------------------------- exercise 3: how many updates

UPDATES_PREAMBLE = """
import math
import numpy as np
import teachkeras as keras
"""

UPDATES_RIGHT = {
    "floor then ceil": """
training_samples = math.floor(samples * (1.0 - validation_split))
return epochs * math.ceil(training_samples / batch_size)
""",
    "integer arithmetic": """
training_samples = int(samples * (1.0 - validation_split))
return epochs * (-(-training_samples // batch_size))
""",
}

UPDATES_WRONG = {
    "not implemented": "raise NotImplementedError()",
    "validation rows trained on too": "return epochs * math.ceil(samples / batch_size)",
    "the last, smaller batch forgotten": """
return epochs * (math.floor(samples * (1.0 - validation_split)) // batch_size)
""",
    "validation rows rounded instead of the training rows floored": """
training_samples = samples - round(samples * validation_split)
return epochs * math.ceil(training_samples / batch_size)
""",
    "one update per epoch": "return epochs",
}


@pytest.mark.parametrize("answer", UPDATES_RIGHT.values(), ids=UPDATES_RIGHT.keys())
def test_updates_right_answers_pass(answer):
    run_exercise(EXERCISES[3], answer, UPDATES_PREAMBLE)


@pytest.mark.parametrize("answer", UPDATES_WRONG.values(), ids=UPDATES_WRONG.keys())
def test_updates_wrong_answers_fail(answer):
    with pytest.raises((AssertionError, NotImplementedError)):
        run_exercise(EXERCISES[3], answer, UPDATES_PREAMBLE)
