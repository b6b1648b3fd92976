"""Chapter 06's exercises: the right answers pass their tests cells, plausible wrong ones fail them.

Exercise 1 is Adadelta's ``update_step``, an exported method cell the rest of the chapter runs;
exercise 2 is an Adamax optimizer, exercise 3 a triangular cyclical learning-rate schedule. Each is
run by ``tests/exercise_checks.py``: a short preamble, the solution cell with the given answer, then
the notebook's own tests cell.
"""

import re

import pytest

from exercise_checks import exercises, run_exercise

NOTEBOOK = "notebooks/06_optimizers.ipynb"

PREAMBLE = """
import math

import numpy as np

from teachkeras.backend import namespace
from teachkeras.course import add_to_class
from teachkeras.optimizers import SGD, Optimizer, schedules
from teachkeras.validation import check_number
from teachkeras.variables import Variable
"""

# Exercise 1 adds update_step to the chapter's Adadelta; here a subclass of the package's class stands in
# for it, so the answer under test (not the package's rule) is what runs, and the package stays untouched.
ADADELTA_PREAMBLE = PREAMBLE + """
from teachkeras.optimizers.adadelta import Adadelta as PackageAdadelta


class Adadelta(PackageAdadelta):
    pass
"""


@pytest.fixture(scope="module")
def chapter():
    found = exercises(NOTEBOOK)
    assert len(found) == 3
    return found


# ---------------------------------------------------------------- exercise 1: Adadelta's rule

ADADELTA_RIGHT = exercises(NOTEBOOK)[0].answer  # the notebook's own answer, not a copy of it

ADADELTA_WRONG = {
    "epsilon outside the roots (Keras 2 style)": ADADELTA_RIGHT.replace(
        "delta = -xp.sqrt(accumulated_delta_var + self.epsilon) * gradient / xp.sqrt(accumulated_grad + self.epsilon)",
        "delta = -(xp.sqrt(accumulated_delta_var) + self.epsilon) * gradient / (xp.sqrt(accumulated_grad) + self.epsilon)"),
    "learning rate forgotten": ADADELTA_RIGHT.replace("variable.value += learning_rate * delta",
                                                      "variable.value += delta"),
    "slots rebound, not changed in place": """
xp = namespace(gradient)
accumulated_grad = self.slot(variable, "accumulated_grad")
accumulated_delta_var = self.slot(variable, "accumulated_delta_var")
accumulated_grad = self.rho * accumulated_grad + (1 - self.rho) * gradient * gradient
delta = -xp.sqrt(accumulated_delta_var + self.epsilon) * gradient / xp.sqrt(accumulated_grad + self.epsilon)
accumulated_delta_var = self.rho * accumulated_delta_var + (1 - self.rho) * delta * delta
variable.value += learning_rate * delta
""",
    "step computed before the gradient average is updated": """
xp = namespace(gradient)
accumulated_grad = self.slot(variable, "accumulated_grad")
accumulated_delta_var = self.slot(variable, "accumulated_delta_var")
delta = -xp.sqrt(accumulated_delta_var + self.epsilon) * gradient / xp.sqrt(accumulated_grad + self.epsilon)
accumulated_grad *= self.rho
accumulated_grad += (1 - self.rho) * gradient * gradient
accumulated_delta_var *= self.rho
accumulated_delta_var += (1 - self.rho) * delta * delta
variable.value += learning_rate * delta
""",
}


def test_adadelta_rule_right_answer_passes(chapter):
    namespace = run_exercise(chapter[0], ADADELTA_RIGHT, ADADELTA_PREAMBLE)
    assert "update_step" in vars(namespace["Adadelta"])  # the answer, not the package's rule, was tested


def test_adadelta_rule_empty_answer_fails(chapter):
    with pytest.raises(NotImplementedError):
        run_exercise(chapter[0], "raise NotImplementedError()", ADADELTA_PREAMBLE)


@pytest.mark.parametrize("mistake", sorted(ADADELTA_WRONG))
def test_adadelta_rule_wrong_answers_fail(chapter, mistake):
    with pytest.raises(AssertionError):
        run_exercise(chapter[0], ADADELTA_WRONG[mistake], ADADELTA_PREAMBLE)


def test_the_exercise_is_the_exported_rule(chapter):
    """The solution cell is the cell that writes Adadelta.update_step into teachkeras.optimizers.adadelta."""
    assert chapter[0].solution.startswith("#| export optimizers.adadelta\n@add_to_class(Adadelta)\n"
                                          "def update_step(self, gradient, variable, learning_rate):")


# ---------------------------------------------------------------- exercise 2: Adamax

ADAMAX_RIGHT = """
class Adamax(Optimizer):
    DEFAULT_LEARNING_RATE = 0.001

    def __init__(self, learning_rate=None, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_number("Adamax", "beta_1", beta_1, 0, 1, high_open=True)
        self.beta_2 = check_number("Adamax", "beta_2", beta_2, 0, 1, high_open=True)
        self.epsilon = check_number("Adamax", "epsilon", epsilon, 0)

    def build(self, variables):
        for variable in variables:
            self.add_slot(variable, "m")
            self.add_slot(variable, "u")

    def update_step(self, gradient, variable, learning_rate):
        xp = namespace(gradient)
        m, u = self.slot(variable, "m"), self.slot(variable, "u")
        m += (gradient - m) * (1 - self.beta_1)
        u[...] = xp.maximum(self.beta_2 * u, xp.abs(gradient))
        correction = 1 - self.beta_1 ** (self.iterations + 1)
        variable.value -= learning_rate * m / (correction * (u + self.epsilon))
"""

ADAMAX_WRONG = {
    "maximum of g, not of |g|": ADAMAX_RIGHT.replace("xp.maximum(self.beta_2 * u, xp.abs(gradient))",
                                                     "xp.maximum(self.beta_2 * u, gradient)"),
    "no bias correction": ADAMAX_RIGHT.replace("correction = 1 - self.beta_1 ** (self.iterations + 1)",
                                               "correction = 1.0"),
    "u rebound, not written into its slot": ADAMAX_RIGHT.replace(
        "u[...] = xp.maximum(self.beta_2 * u, xp.abs(gradient))",
        "u = xp.maximum(self.beta_2 * u, xp.abs(gradient))"),
    "state kept on the optimizer, shared by every weight": ADAMAX_RIGHT.replace(
        'm, u = self.slot(variable, "m"), self.slot(variable, "u")',
        'm, u = self.__dict__.setdefault("m_shared", 0 * gradient), self.__dict__.setdefault("u_shared", 0 * gradient)'),
    "range checks by hand for the betas, epsilon not checked": ADAMAX_RIGHT.replace(
        """        self.beta_1 = check_number("Adamax", "beta_1", beta_1, 0, 1, high_open=True)
        self.beta_2 = check_number("Adamax", "beta_2", beta_2, 0, 1, high_open=True)
        self.epsilon = check_number("Adamax", "epsilon", epsilon, 0)""",
        """        for name, value in [("beta_1", beta_1), ("beta_2", beta_2)]:
            if not 0 <= value < 1:
                raise ValueError(f"Adamax: {name} must be in [0, 1), received {value!r}")
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon"""),
}


def test_adamax_right_answer_passes(chapter):
    run_exercise(chapter[1], ADAMAX_RIGHT, PREAMBLE)


def test_adamax_empty_answer_fails(chapter):
    with pytest.raises(NotImplementedError):
        run_exercise(chapter[1], "raise NotImplementedError()", PREAMBLE)


@pytest.mark.parametrize("mistake", sorted(ADAMAX_WRONG))
def test_adamax_wrong_answers_fail(chapter, mistake):
    with pytest.raises(AssertionError):
        run_exercise(chapter[1], ADAMAX_WRONG[mistake], PREAMBLE)


def test_adamax_needs_only_public_names(chapter):
    """Solvable from the public API: the answer touches no private attribute of the base class."""
    for text in (ADAMAX_RIGHT, chapter[1].solution):
        assert not re.search(r"\._[A-Za-z]", text), re.search(r".*\._[A-Za-z].*", text).group()


# ---------------------------------------------------------------- exercise 3: triangular cycle

CYCLE_RIGHT = """
class TriangularCyclicalLearningRate(schedules.LearningRateSchedule):
    def __init__(self, initial_learning_rate, maximal_learning_rate, step_size):
        owner = type(self).__name__
        self.initial_learning_rate = check_number(owner, "initial_learning_rate", initial_learning_rate, 0)
        self.maximal_learning_rate = check_number(owner, "maximal_learning_rate", maximal_learning_rate, 0)
        self.step_size = check_number(owner, "step_size", step_size, 0, low_open=True)

    def __call__(self, step):
        position = (step / self.step_size) % 2
        fraction = position if position <= 1 else 2 - position
        return self.initial_learning_rate + (self.maximal_learning_rate - self.initial_learning_rate) * fraction

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "maximal_learning_rate": self.maximal_learning_rate, "step_size": self.step_size}
"""

CYCLE_WRONG = {
    "a sawtooth: up over the whole cycle, then a jump down": CYCLE_RIGHT.replace(
        "fraction = position if position <= 1 else 2 - position", "fraction = position / 2"),
    "one cycle is step_size steps, not 2 * step_size": CYCLE_RIGHT.replace(
        "position = (step / self.step_size) % 2", "position = (2 * step / self.step_size) % 2"),
    "starts at the top instead of the bottom": CYCLE_RIGHT.replace(
        "fraction = position if position <= 1 else 2 - position",
        "fraction = 1 - (position if position <= 1 else 2 - position)"),
    "only the first cycle, then flat": CYCLE_RIGHT.replace(
        "position = (step / self.step_size) % 2", "position = min(step / self.step_size, 2)"),
    "step_size checked >= 0, so 0 is accepted": CYCLE_RIGHT.replace(
        'check_number(owner, "step_size", step_size, 0, low_open=True)',
        'check_number(owner, "step_size", step_size, 0) or 1'),
}


def test_cycle_right_answer_passes(chapter):
    run_exercise(chapter[2], CYCLE_RIGHT, PREAMBLE)


def test_cycle_empty_answer_fails(chapter):
    with pytest.raises(NotImplementedError):
        run_exercise(chapter[2], "raise NotImplementedError()", PREAMBLE)


@pytest.mark.parametrize("mistake", sorted(CYCLE_WRONG))
def test_cycle_wrong_answers_fail(chapter, mistake):
    with pytest.raises(AssertionError):
        run_exercise(chapter[2], CYCLE_WRONG[mistake], PREAMBLE)


def test_no_exercise_is_answered_by_the_library():
    """Adamax and the triangular schedule are the student's to write: the package has neither."""
    from teachkeras import optimizers
    from teachkeras.optimizers import schedules

    assert not hasattr(optimizers, "Adamax") and "adamax" not in optimizers.ALL
    assert not any("cycl" in name.lower() for name in dir(schedules))
