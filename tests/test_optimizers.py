"""Chapter 06 optimizers (and the chapter-04 SGD and clipping they share a base with).

* the rules: several steps on a constant gradient against the closed-form result, and on changing
  gradients against plain-Python scalar loops, in float64;
* Keras 3 as the oracle (torch backend; skipped without keras): every optimizer and option, clipping,
  schedules, weight decay exclusion, defaults in ``get_config``;
* the same code on torch tensors gives the same numbers;
* state (slots, iterations) is inspectable, configs round-trip, and bad input is refused by name.
"""

import math
import types
import warnings

import numpy as np
import pytest

from teachkeras import optimizers
from teachkeras.backend import namespace, to_numpy
from teachkeras.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Nadam, RMSprop, schedules
from teachkeras.optimizers.scratch import _one_pass_addcdiv, add_quotient, scratch
from teachkeras.variables import Variable

CLASSES = [SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Nadam]
NAMES = ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamw", "nadam"]

# Two weights, five steps. Entries of 1e-3 make epsilon matter (a misplaced epsilon shows up), entries of
# several units make clipping act, and signs change from step to step.
KERNEL = np.array([1.0, -2.0, 0.5, 3.0])
BIAS = np.array([[0.2, -0.1], [0.0, 1.5]])
KERNEL_GRADIENTS = np.array([
    [1e-3, -2e-3, 0.5, 4.0],
    [2e-3, 1e-3, -0.3, 3.0],
    [5e-4, -1e-3, 0.1, -2.0],
    [3e-3, 4e-4, 0.2, 5.0],
    [-1e-3, 2e-3, -0.4, 1.0],
])
BIAS_GRADIENTS = np.array([
    [[0.3, -0.2], [1e-3, 2.0]],
    [[0.1, 0.4], [-2e-3, 1.0]],
    [[-0.2, 0.3], [1e-3, -1.5]],
    [[0.5, -0.1], [4e-3, 0.5]],
    [[0.2, 0.2], [-1e-3, 2.5]],
])


def run(optimizer, to_array=np.asarray, dtype="float64"):
    """Apply the five steps to (kernel, bias); return their final values as numpy arrays."""
    kernel = Variable(to_array(KERNEL.astype(dtype)), name="kernel")
    bias = Variable(to_array(BIAS.astype(dtype)), name="bias")
    for kernel_gradient, bias_gradient in zip(KERNEL_GRADIENTS, BIAS_GRADIENTS):
        optimizer.apply([to_array(kernel_gradient.astype(dtype)), to_array(bias_gradient.astype(dtype))],
                        [kernel, bias])
    return to_numpy(kernel.value), to_numpy(bias.value)


def run_constant(optimizer, gradient, steps, start=1.0):
    """``steps`` updates of one scalar-like weight with the same gradient; the weights after each."""
    weight = Variable(np.array([start]), name="w")
    weights = []
    for _ in range(steps):
        optimizer.apply([np.array([gradient])], [weight])
        weights.append(float(weight.value[0]))
    return np.array(weights)


# ---------------------------------------------------------------- closed forms, constant gradient


G, STEPS, LR = 0.4, 6, 0.05
K = np.arange(1, STEPS + 1)  # step numbers t = 1..STEPS


def cumulative(steps, start=1.0):
    return start + np.cumsum(steps)


def test_sgd_closed_form():
    np.testing.assert_allclose(run_constant(SGD(LR), G, STEPS), 1.0 - K * LR * G, rtol=1e-13)


def test_sgd_momentum_closed_form():
    momentum = 0.8
    velocity = -LR * G * (1 - momentum ** K) / (1 - momentum)
    np.testing.assert_allclose(run_constant(SGD(LR, momentum=momentum), G, STEPS), cumulative(velocity), rtol=1e-13)
    nesterov_steps = momentum * velocity - LR * G
    np.testing.assert_allclose(run_constant(SGD(LR, momentum=momentum, nesterov=True), G, STEPS),
                               cumulative(nesterov_steps), rtol=1e-13)


def test_adagrad_closed_form():
    steps = -LR * G / np.sqrt(0.1 + K * G * G + 1e-7)
    np.testing.assert_allclose(run_constant(Adagrad(LR), G, STEPS), cumulative(steps), rtol=1e-13)
    steps = -LR * G / np.sqrt(0.5 + K * G * G + 1e-3)
    np.testing.assert_allclose(run_constant(Adagrad(LR, initial_accumulator_value=0.5, epsilon=1e-3), G, STEPS),
                               cumulative(steps), rtol=1e-13)


def test_rmsprop_closed_form():
    rho = 0.9
    velocity = G * G * (1 - rho ** K)
    increments = LR * G / np.sqrt(velocity + 1e-7)
    np.testing.assert_allclose(run_constant(RMSprop(LR), G, STEPS), cumulative(-increments), rtol=1e-13)
    average = G * (1 - rho ** K)
    centered = LR * G / np.sqrt(velocity - average * average + 1e-7)
    np.testing.assert_allclose(run_constant(RMSprop(LR, centered=True), G, STEPS), cumulative(-centered), rtol=1e-12)
    momentum = 0.5
    accumulated = [sum(momentum ** (t - j) * increments[j - 1] for j in range(1, t + 1)) for t in K]
    np.testing.assert_allclose(run_constant(RMSprop(LR, momentum=momentum), G, STEPS),
                               cumulative(-np.array(accumulated)), rtol=1e-13)


def test_adadelta_first_step_closed_form():
    rho, epsilon = 0.95, 1e-7
    expected = 1.0 - 1.0 * math.sqrt(epsilon) * G / math.sqrt((1 - rho) * G * G + epsilon)
    assert math.isclose(run_constant(Adadelta(1.0), G, 1)[0], expected, rel_tol=1e-14)


def test_adam_closed_form():
    # constant g: m = g (1 - b1^t), v = g^2 (1 - b2^t), so the step is lr g c / (|g| c + eps), c = sqrt(1 - b2^t)
    for beta_1, beta_2, epsilon in [(0.9, 0.999, 1e-7), (0.5, 0.9, 1e-2)]:
        root = np.sqrt(1 - beta_2 ** K)
        steps = -LR * G * root / (abs(G) * root + epsilon)
        optimizer = Adam(LR, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        np.testing.assert_allclose(run_constant(optimizer, G, STEPS), cumulative(steps), rtol=1e-13)
        # v only grows on a constant gradient, so amsgrad changes nothing here
        optimizer = Adam(LR, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=True)
        np.testing.assert_allclose(run_constant(optimizer, G, STEPS), cumulative(steps), rtol=1e-13)


def test_adamw_closed_form():
    weight_decay, epsilon = 0.3, 1e-7
    root = np.sqrt(1 - 0.999 ** K)
    adam_steps = -LR * G * root / (abs(G) * root + epsilon)
    expected, weight = [], 1.0
    for step in adam_steps:
        weight = weight * (1 - LR * weight_decay) + step
        expected.append(weight)
    np.testing.assert_allclose(run_constant(AdamW(LR, weight_decay=weight_decay), G, STEPS), expected, rtol=1e-13)


def test_nadam_closed_form():
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    u = beta_1 * (1 - 0.5 * 0.96 ** np.arange(1, STEPS + 2))  # u_1 .. u_{STEPS+1}
    u_product = np.cumprod(u[:STEPS])
    m = G * (1 - beta_1 ** K)
    m_hat = u[1:] * m / (1 - u_product * u[1:]) + (1 - u[:STEPS]) * G / (1 - u_product)
    steps = -LR * m_hat / (abs(G) + epsilon)  # v_hat = g^2 exactly
    np.testing.assert_allclose(run_constant(Nadam(LR), G, STEPS), cumulative(steps), rtol=1e-12)


# ---------------------------------------------------------------- scalar loops, changing gradients


def scalar_loop(rule, gradients, start=1.0, **options):
    """Run ``rule(weight, gradient, state, t, **options) -> weight`` over gradients with a state dict."""
    weight, state, weights = start, {}, []
    for t, gradient in enumerate(gradients, start=1):
        weight = rule(weight, gradient, state, t, **options)
        weights.append(weight)
    return np.array(weights)


def rmsprop_rule(w, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    denominator = s["v"] + epsilon
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator -= s["a"] ** 2
    increment = lr * g / math.sqrt(denominator)
    if momentum:
        s["m"] = momentum * s.get("m", 0.0) + increment
        return w - s["m"]
    return w - increment


def adadelta_rule(w, g, s, t, lr, rho=0.95, epsilon=1e-7):
    s["g"] = rho * s.get("g", 0.0) + (1 - rho) * g * g
    delta = -math.sqrt(s.get("d", 0.0) + epsilon) / math.sqrt(s["g"] + epsilon) * g
    s["d"] = rho * s.get("d", 0.0) + (1 - rho) * delta * delta
    return w + lr * delta


def adam_rule(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=0.0):
    w = w - w * weight_decay * lr
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g * g
    v = s["v"]
    if amsgrad:
        s["v_hat"] = v = max(s.get("v_hat", 0.0), v)
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * s["m"] / (math.sqrt(v) + epsilon)


def nadam_rule(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    u_t, u_next = beta_1 * (1 - 0.5 * 0.96 ** t), beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
    s["u"] = s.get("u", 1.0) * u_t
    s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g * g
    m_hat = u_next * s["m"] / (1 - s["u"] * u_next) + (1 - u_t) * g / (1 - s["u"])
    return w - lr * m_hat / (math.sqrt(s["v"] / (1 - beta_2 ** t)) + epsilon)


CHANGING = [0.3, -1.2, 0.8, 0.05, 2.0, -0.4, 1e-3, 0.6]

LOOP_CASES = {
    "rmsprop": (lambda: RMSprop(0.01), rmsprop_rule, {"lr": 0.01}),
    "rmsprop-centered-momentum": (lambda: RMSprop(0.01, rho=0.7, momentum=0.6, centered=True), rmsprop_rule,
                                  {"lr": 0.01, "rho": 0.7, "momentum": 0.6, "centered": True}),
    "adadelta": (lambda: Adadelta(1.0, rho=0.9), adadelta_rule, {"lr": 1.0, "rho": 0.9}),
    "adam": (lambda: Adam(0.1), adam_rule, {"lr": 0.1}),
    "adam-amsgrad": (lambda: Adam(0.1, amsgrad=True), adam_rule, {"lr": 0.1, "amsgrad": True}),
    "adamw-amsgrad": (lambda: AdamW(0.1, weight_decay=0.2, amsgrad=True), adam_rule,
                      {"lr": 0.1, "amsgrad": True, "weight_decay": 0.2}),
    "nadam": (lambda: Nadam(0.1, beta_1=0.8), nadam_rule, {"lr": 0.1, "beta_1": 0.8}),
}


@pytest.mark.parametrize("case", sorted(LOOP_CASES))
def test_changing_gradients_match_a_scalar_loop(case):
    make, rule, options = LOOP_CASES[case]
    optimizer = make()
    weight = Variable(np.array([1.0]), name="w")
    weights = []
    for gradient in CHANGING:
        optimizer.apply([np.array([gradient])], [weight])
        weights.append(float(weight.value[0]))
    np.testing.assert_allclose(weights, scalar_loop(rule, CHANGING, **options), rtol=1e-12)


def test_epsilon_placement_is_not_a_rounding_detail():
    """With gradients near sqrt(epsilon), Keras' placement and the textbook's differ visibly."""
    small = [1e-3, -2e-3, 1.5e-3]
    ours = scalar_loop(rmsprop_rule, small, start=0.0, lr=0.01)[-1]
    weight, v = 0.0, 0.0
    for g in small:  # Keras 2 / PyTorch: epsilon outside the root
        v = 0.9 * v + 0.1 * g * g
        weight -= 0.01 * g / (math.sqrt(v) + 1e-7)
    assert abs(ours - weight) > 1e-3 * abs(weight)
    assert math.isclose(run_constant(RMSprop(0.01), 1e-3, 1, start=0.0)[0],
                        -0.01 * 1e-3 / math.sqrt(0.1 * 1e-6 + 1e-7), rel_tol=1e-13)


# ---------------------------------------------------------------- Keras as the oracle

# Each case builds the optimizer from a module: teachkeras.optimizers or keras.optimizers.
# Every optimizer with its defaults and each option; below, every optimizer with each kind of clipping, and
# the schedules.
KERAS_CASES = {
    "sgd": lambda o: o.SGD(),
    "sgd-lr": lambda o: o.SGD(learning_rate=0.1),
    "sgd-momentum": lambda o: o.SGD(learning_rate=0.05, momentum=0.9),
    "sgd-nesterov": lambda o: o.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda o: o.RMSprop(),
    "rmsprop-rho-epsilon": lambda o: o.RMSprop(learning_rate=0.01, rho=0.7, epsilon=1e-4),
    "rmsprop-momentum": lambda o: o.RMSprop(learning_rate=0.01, momentum=0.5),
    "rmsprop-centered": lambda o: o.RMSprop(learning_rate=0.01, centered=True),
    "rmsprop-centered-momentum": lambda o: o.RMSprop(learning_rate=0.01, centered=True, momentum=0.9),
    "adagrad": lambda o: o.Adagrad(),
    "adagrad-options": lambda o: o.Adagrad(learning_rate=0.1, initial_accumulator_value=0.01, epsilon=1e-5),
    "adadelta": lambda o: o.Adadelta(),
    "adadelta-lr1": lambda o: o.Adadelta(learning_rate=1.0, rho=0.9),
    "adam": lambda o: o.Adam(),
    "adam-betas": lambda o: o.Adam(learning_rate=0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-5),
    "adam-amsgrad": lambda o: o.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda o: o.AdamW(),
    "adamw-strong": lambda o: o.AdamW(learning_rate=0.05, weight_decay=0.2),
    "adamw-amsgrad": lambda o: o.AdamW(learning_rate=0.05, weight_decay=0.2, amsgrad=True),
    "nadam": lambda o: o.Nadam(),
    "nadam-betas": lambda o: o.Nadam(learning_rate=0.01, beta_1=0.8, beta_2=0.99),
}
for _name, _make in [("sgd", lambda o, **c: o.SGD(learning_rate=0.05, momentum=0.9, **c)),
                     ("rmsprop", lambda o, **c: o.RMSprop(learning_rate=0.01, **c)),
                     ("adagrad", lambda o, **c: o.Adagrad(learning_rate=0.1, **c)),
                     ("adadelta", lambda o, **c: o.Adadelta(learning_rate=1.0, **c)),
                     ("adam", lambda o, **c: o.Adam(learning_rate=0.01, **c)),
                     ("adamw", lambda o, **c: o.AdamW(learning_rate=0.01, weight_decay=0.1, **c)),
                     ("nadam", lambda o, **c: o.Nadam(learning_rate=0.01, **c))]:
    KERAS_CASES[f"{_name}-clipnorm"] = lambda o, make=_make: make(o, clipnorm=0.5)
    KERAS_CASES[f"{_name}-clipvalue"] = lambda o, make=_make: make(o, clipvalue=0.2)
    KERAS_CASES[f"{_name}-global_clipnorm"] = lambda o, make=_make: make(o, global_clipnorm=1.0)
    # Keras 3 accepts weight_decay on every optimizer (decoupled, before the rule).
    if _name != "adamw":  # AdamW's case already decays
        KERAS_CASES[f"{_name}-weight_decay"] = lambda o, make=_make: make(o, weight_decay=0.05)
del _name, _make

SCHEDULE_CASES = {
    "sgd-momentum-exponential_decay": lambda o: o.SGD(
        learning_rate=o.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5), momentum=0.9),
    "rmsprop-exponential_decay-staircase": lambda o: o.RMSprop(
        learning_rate=o.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5, staircase=True)),
    "adagrad-exponential_decay": lambda o: o.Adagrad(
        learning_rate=o.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.3)),
    "adadelta-exponential_decay": lambda o: o.Adadelta(
        learning_rate=o.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.8)),
    "adam-exponential_decay": lambda o: o.Adam(
        learning_rate=o.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)),
    "adamw-exponential_decay": lambda o: o.AdamW(
        learning_rate=o.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5), weight_decay=0.2),
    "nadam-exponential_decay": lambda o: o.Nadam(
        learning_rate=o.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)),
    "adam-inverse_time_decay": lambda o: o.Adam(
        learning_rate=o.schedules.InverseTimeDecay(0.01, decay_steps=1, decay_rate=0.5)),
    "sgd-piecewise_constant": lambda o: o.SGD(
        learning_rate=o.schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01])),
    "rmsprop-cosine_warmup": lambda o: o.RMSprop(
        learning_rate=o.schedules.CosineDecay(0.0, decay_steps=3, warmup_target=0.01, warmup_steps=2)),
}
KERAS_CASES.update(SCHEDULE_CASES)


def run_keras(keras, optimizer, dtype="float64", exclude_bias=False):
    kernel = keras.Variable(KERNEL.astype(dtype), dtype=dtype, name="kernel")
    bias = keras.Variable(BIAS.astype(dtype), dtype=dtype, name="bias")
    if exclude_bias:
        optimizer.exclude_from_weight_decay(var_names=["bias"])
    for kernel_gradient, bias_gradient in zip(KERNEL_GRADIENTS, BIAS_GRADIENTS):
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(kernel_gradient.astype(dtype)), kernel),
                                   (keras.ops.convert_to_tensor(bias_gradient.astype(dtype)), bias)])
    return keras.ops.convert_to_numpy(kernel.value), keras.ops.convert_to_numpy(bias.value)


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_matches_keras_float64(keras, case):
    make = KERAS_CASES[case]
    ours, theirs = run(make(optimizers)), run_keras(keras, make(keras.optimizers))
    for mine, reference, start in zip(ours, theirs, (KERNEL, BIAS)):
        np.testing.assert_allclose(mine, reference, rtol=1e-6)
        # the displacement too, which a misplaced epsilon or a wrong bias correction would change;
        # Keras keeps the learning rate (and AdamW's decay factor) in float32, hence not tighter
        np.testing.assert_allclose(mine - start, reference - start, rtol=1e-4, atol=1e-12)


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_matches_keras_float32(keras, case):
    make = KERAS_CASES[case]
    ours = run(make(optimizers), dtype="float32")
    theirs = run_keras(keras, make(keras.optimizers), dtype="float32")
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == np.float32
        # float32 is the everyday case but not a strict oracle: Keras raises float32(beta) to the step in float32
        # (1 - float32(0.999) is 1.3e-5 off) and torch AdamW multiplies by a float32 (1 - decay * lr), which moves
        # weights of order 1 by up to ~1.4e-6; the float64 test above is the strict one
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=2e-6)


def test_adamw_exclude_from_weight_decay_matches_keras(keras):
    ours = AdamW(learning_rate=0.05, weight_decay=0.5)
    ours.exclude_from_weight_decay(var_names=["bias"])
    theirs = run_keras(keras, keras.optimizers.AdamW(learning_rate=0.05, weight_decay=0.5), exclude_bias=True)
    for mine, reference in zip(run(ours), theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-6)
    excluded_by_list = AdamW(learning_rate=0.05, weight_decay=0.5)
    weight = Variable(np.array([2.0]), name="kernel")
    excluded_by_list.exclude_from_weight_decay(var_list=[weight])
    excluded_by_list.apply([np.array([0.0])], [weight])
    assert weight.value[0] == 2.0  # zero gradient, no decay: unchanged


@pytest.mark.parametrize("name", NAMES)
def test_defaults_match_keras(keras, name):
    ours, theirs = optimizers.get(name).get_config(), keras.optimizers.get(name).get_config()
    shared = set(ours) - {"name", "decay"}
    assert shared <= set(theirs), f"{name}: config keys Keras does not have: {shared - set(theirs)}"
    for key in shared:
        if isinstance(theirs[key], float):
            assert math.isclose(ours[key], theirs[key], rel_tol=1e-6), (name, key, ours[key], theirs[key])
        else:
            assert ours[key] == theirs[key], (name, key, ours[key], theirs[key])


SCHEDULES_BOTH = {
    "exponential": lambda s: s.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.3),
    "exponential-staircase": lambda s: s.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.3, staircase=True),
    "inverse_time": lambda s: s.InverseTimeDecay(0.1, decay_steps=5, decay_rate=2.0),
    "inverse_time-staircase": lambda s: s.InverseTimeDecay(0.1, decay_steps=5, decay_rate=2.0, staircase=True),
    "piecewise": lambda s: s.PiecewiseConstantDecay([5, 10, 20], [1.0, 0.5, 0.1, 0.01]),
    "cosine": lambda s: s.CosineDecay(0.1, decay_steps=20, alpha=0.1),
    "cosine-warmup": lambda s: s.CosineDecay(0.01, decay_steps=20, warmup_target=0.1, warmup_steps=8),
    "polynomial": lambda s: s.PolynomialDecay(0.1, decay_steps=15),
    "polynomial-power": lambda s: s.PolynomialDecay(0.1, decay_steps=15, end_learning_rate=0.01, power=0.5),
    "polynomial-cycle": lambda s: s.PolynomialDecay(0.1, decay_steps=7, end_learning_rate=0.02, power=2.0,
                                                    cycle=True),
}


@pytest.mark.parametrize("case", sorted(SCHEDULES_BOTH))
def test_schedules_match_keras(keras, case):
    ours, theirs = SCHEDULES_BOTH[case](schedules), SCHEDULES_BOTH[case](keras.optimizers.schedules)
    steps = range(40)
    expected = [float(keras.ops.convert_to_numpy(theirs(step))) for step in steps]
    np.testing.assert_allclose([ours(step) for step in steps], expected, rtol=1e-6, atol=1e-9)
    assert ours.get_config() == theirs.get_config()


# ---------------------------------------------------------------- torch parity


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_same_code_on_torch_tensors(case):
    torch = pytest.importorskip("torch")
    make = KERAS_CASES[case]
    for dtype, rtol in [("float64", 1e-12), ("float32", 1e-6)]:
        optimizer = make(optimizers)
        on_torch = run(optimizer, to_array=torch.as_tensor, dtype=dtype)
        on_numpy = run(make(optimizers), dtype=dtype)
        for tensor_result, array_result in zip(on_torch, on_numpy):
            assert tensor_result.dtype == np.dtype(dtype)
            np.testing.assert_allclose(tensor_result, array_result, rtol=rtol, atol=1e-7 if dtype == "float32" else 0)
        slots = [value for name, value in optimizer.variables if name not in ("iterations", "u_product")]
        assert all(isinstance(slot, torch.Tensor) for slot in slots)


# ---------------------------------------------------------------- work arrays: the formula, to the last bit
# The package's RMSprop and Adam write their intermediates into reused work arrays
# (teachkeras.optimizers.scratch). Chapter 06 shows the rules as formulas; these are those formulas,
# the oracle the package's update_step must match bit for bit.


def rmsprop_formula(self, gradient, variable, learning_rate):
    xp = namespace(gradient)
    velocity = self.slot(variable, "velocity")
    velocity *= self.rho
    velocity += (1 - self.rho) * gradient * gradient
    if self.centered:
        average_gradient = self.slot(variable, "average_gradient")
        average_gradient *= self.rho
        average_gradient += (1 - self.rho) * gradient
        denominator = velocity - average_gradient * average_gradient + self.epsilon
    else:
        denominator = velocity + self.epsilon
    increment = learning_rate * gradient / xp.sqrt(denominator)
    if self.momentum:
        velocity_of_steps = self.slot(variable, "momentum")
        velocity_of_steps *= self.momentum
        velocity_of_steps += increment
        variable.value -= velocity_of_steps
    else:
        variable.value -= increment


def adam_formula(self, gradient, variable, learning_rate):
    xp = namespace(gradient)
    step = self.iterations + 1
    alpha = learning_rate * math.sqrt(1 - self.beta_2 ** step) / (1 - self.beta_1 ** step)
    m = self.slot(variable, "momentum")
    v = self.slot(variable, "velocity")
    m += (gradient - m) * (1 - self.beta_1)
    v += (gradient * gradient - v) * (1 - self.beta_2)
    if self.amsgrad:
        v_hat = self.slot(variable, "velocity_hat")
        v_hat[...] = xp.maximum(v_hat, v)
        v = v_hat
    variable.value -= alpha * m / (xp.sqrt(v) + self.epsilon)


FORMULA_CASES = {
    "rmsprop": (lambda: RMSprop(0.01), rmsprop_formula),
    "rmsprop_centered": (lambda: RMSprop(0.01, centered=True), rmsprop_formula),
    "rmsprop_momentum": (lambda: RMSprop(0.01, momentum=0.9), rmsprop_formula),
    "rmsprop_centered_momentum": (lambda: RMSprop(0.01, centered=True, momentum=0.5), rmsprop_formula),
    "rmsprop_clipnorm_decay": (lambda: RMSprop(0.01, clipnorm=1.0, weight_decay=0.1), rmsprop_formula),
    "adam": (lambda: Adam(0.01), adam_formula),
    "adam_amsgrad": (lambda: Adam(0.01, amsgrad=True), adam_formula),
    "adamw": (lambda: AdamW(0.01), adam_formula),
    "adam_schedule": (lambda: Adam(schedules.ExponentialDecay(0.01, 2, 0.5)), adam_formula),
}


@pytest.mark.parametrize("case", sorted(FORMULA_CASES))
@pytest.mark.parametrize("backend, dtype", [("numpy", "float32"), ("numpy", "float64"), ("torch", "float32"),
                                            ("torch", "float64")])
def test_work_arrays_give_the_formula_to_the_last_bit(case, backend, dtype):
    to_array = np.asarray if backend == "numpy" else pytest.importorskip("torch").as_tensor
    make, formula = FORMULA_CASES[case]
    package = make()
    oracle = make()
    oracle.update_step = types.MethodType(formula, oracle)
    rng = np.random.default_rng(0)
    shapes = [(6, 5), (5,), (300, 120)]  # 36,000 elements: torch's vector loops, on several threads
    starts = [rng.normal(size=shape).astype(dtype) for shape in shapes]
    gradients = [[rng.normal(scale=scale, size=shape).astype(dtype) for shape in shapes]
                 for scale in (1e-3, 1.0, 3.0, 1e-2, 0.5, 2.0)]
    results = []
    for optimizer in (package, oracle):
        weights = [Variable(to_array(start.copy()), name=f"w{index}") for index, start in enumerate(starts)]
        for step_gradients in gradients:
            optimizer.apply([to_array(gradient) for gradient in step_gradients], weights)
        results.append([to_numpy(weight.value) for weight in weights])
        results.append([to_numpy(value) for name, value in optimizer.variables if name != "iterations"])
    package_weights, package_slots, oracle_weights, oracle_slots = results
    for ours, expected in zip(package_weights + package_slots, oracle_weights + oracle_slots):
        assert ours.dtype == expected.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("backend, dtype", [("numpy", "float32"), ("numpy", "float64"), ("torch", "float32"),
                                            ("torch", "float64")])
def test_add_quotient_rounds_as_three_operations(backend, dtype):
    # target + (numerator * scale) / denominator: torch's one-pass addcdiv_ (float32 and float64 on the
    # CPU) against numpy's three passes, on values that round, overflow, underflow and divide by zero
    rng = np.random.default_rng(1)
    count = 50_000
    numerator = rng.normal(scale=10.0 ** rng.integers(-30, 30, count), size=count).astype(dtype)
    denominator = np.abs(rng.normal(scale=10.0 ** rng.integers(-30, 30, count), size=count)).astype(dtype)
    target = rng.normal(size=count).astype(dtype)
    numerator[:4], denominator[:4] = [0.0, -0.0, 1.0, np.inf], [0.0, 1.0, 0.0, 2.0]
    for scale in (-0.001, 0.01, -1e-7):
        with np.errstate(all="ignore"):
            expected = target - (numerator * np.dtype(dtype).type(-scale)) / denominator
            expected_plus = target + (numerator * np.dtype(dtype).type(scale)) / denominator
        np.testing.assert_array_equal(expected, expected_plus)  # the sign costs nothing
        if backend == "numpy":
            ours = target.copy()
            with np.errstate(all="ignore"):
                add_quotient(ours, scale, numerator, denominator, np.empty_like(ours))
        else:
            torch = pytest.importorskip("torch")
            ours = torch.as_tensor(target.copy())
            add_quotient(ours, scale, torch.as_tensor(numerator), torch.as_tensor(denominator),
                         torch.empty_like(ours))
            ours = ours.numpy()
        assert ours.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(ours, expected_plus)


def test_add_quotient_takes_one_pass_only_where_it_rounds_the_same():
    torch = pytest.importorskip("torch")
    one = torch.ones(3)
    assert _one_pass_addcdiv(one, one, one) and _one_pass_addcdiv(*[one.double()] * 3)
    assert not _one_pass_addcdiv(np.ones(3), np.ones(3), np.ones(3))
    assert not _one_pass_addcdiv(*[one.half()] * 3)                  # computed in float32, rounded once
    assert not _one_pass_addcdiv(one, one.double(), one)             # mixed dtypes promote
    assert not _one_pass_addcdiv(torch.ones(3, requires_grad=True), one, one)


def test_work_arrays_are_reused_and_follow_the_variable():
    torch = pytest.importorskip("torch")
    optimizer = RMSprop(0.01)
    weight = Variable(np.ones((3, 2), dtype="float32"), name="w")
    optimizer.apply([np.ones((3, 2), dtype="float32")], [weight])
    first = scratch(optimizer, weight, 2)
    optimizer.apply([np.ones((3, 2), dtype="float32")], [weight])
    assert all(again is before for again, before in zip(scratch(optimizer, weight, 2), first))
    assert all(isinstance(array, np.ndarray) and array.dtype == np.float32 for array in first)
    assert "_scratch" not in [name for name, _ in optimizer.variables]  # not state: never saved
    weight.value = torch.as_tensor(weight.value)                      # the variable moved to torch
    assert all(isinstance(array, torch.Tensor) for array in scratch(optimizer, weight, 2))
    assert scratch(optimizer, weight, 1)[0].shape == (3, 2)


# ---------------------------------------------------------------- state, names and configs


@pytest.mark.parametrize("optimizer, slot_names", [
    (SGD(momentum=0.9), {"momentum"}),
    (RMSprop(), {"velocity"}),
    (RMSprop(momentum=0.5, centered=True), {"velocity", "momentum", "average_gradient"}),
    (Adagrad(), {"accumulator"}),
    (Adadelta(), {"accumulated_grad", "accumulated_delta_var"}),
    (Adam(), {"momentum", "velocity"}),
    (Adam(amsgrad=True), {"momentum", "velocity", "velocity_hat"}),
    (AdamW(), {"momentum", "velocity"}),
    (Nadam(), {"momentum", "velocity", "u_product"}),
])
def test_state_is_inspectable(optimizer, slot_names):
    run(optimizer)
    state = optimizer.variables
    assert state[0] == ("iterations", 5) and optimizer.iterations == 5
    assert {name for name, _ in state[1:]} == slot_names
    per_weight = [value for name, value in state if name not in ("iterations", "u_product")]
    assert len(per_weight) == 2 * len(slot_names - {"u_product"})  # one of each slot per weight
    assert {tuple(np.shape(value)) for value in per_weight} == {KERNEL.shape, BIAS.shape}


def test_adagrad_accumulator_starts_at_initial_value():
    optimizer = Adagrad(initial_accumulator_value=0.25)
    weight = Variable(np.zeros(3), name="w")
    optimizer.apply([np.array([1.0, 2.0, 0.0])], [weight])
    np.testing.assert_allclose(optimizer.slot(weight, "accumulator"), [1.25, 4.25, 0.25])


def test_nadam_u_product_advances_once_per_step_not_per_weight():
    optimizer = Nadam()
    run(optimizer)  # two weights, five steps
    expected = np.prod([0.9 * (1 - 0.5 * 0.96 ** t) for t in range(1, 6)])
    assert math.isclose(dict(optimizer.variables)["u_product"], expected, rel_tol=1e-14)


def test_nadam_failed_step_leaves_u_product_unchanged():
    optimizer = Nadam()
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        optimizer.apply([np.ones(1), np.ones(1)], [Variable(np.ones(1), name="w")])
    assert optimizer.u_product == 1.0 and optimizer.iterations == 0


@pytest.mark.parametrize("name, cls", list(zip(NAMES, CLASSES)))
def test_names_and_defaults(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls
    assert optimizers.get(name.upper()).__class__ is cls
    assert optimizer.learning_rate == (0.01 if cls is SGD else 0.001)
    assert optimizers.get(optimizer) is optimizer


def test_keras_3_defaults_not_the_notes():
    assert RMSprop().epsilon == 1e-7 and RMSprop().rho == 0.9
    assert Adagrad().initial_accumulator_value == 0.1 and Adagrad().learning_rate == 0.001
    assert Adadelta().learning_rate == 0.001 and Adadelta().rho == 0.95
    assert (Adam().beta_1, Adam().beta_2, Adam().epsilon, Adam().amsgrad) == (0.9, 0.999, 1e-7, False)
    assert AdamW().weight_decay == 0.004


@pytest.mark.parametrize("cls", CLASSES)
def test_config_round_trip(cls):
    optimizer = cls(learning_rate=0.02, clipnorm=0.5)
    copy = cls.from_config(optimizer.get_config())
    assert copy.get_config() == optimizer.get_config()
    np.testing.assert_allclose(run(copy)[0], run(cls(learning_rate=0.02, clipnorm=0.5))[0], rtol=1e-14)


def test_schedule_in_config_deserializes():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5, staircase=True)
    config = Adam(learning_rate=schedule).get_config()
    rebuilt = schedules.deserialize(config["learning_rate"])
    assert type(rebuilt) is schedules.ExponentialDecay and rebuilt.get_config() == schedule.get_config()
    for make in [lambda: schedules.PiecewiseConstantDecay([2], [0.1, 0.01]),
                 lambda: schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=3),
                 lambda: schedules.InverseTimeDecay(0.1, 1, 0.5),
                 lambda: schedules.PolynomialDecay(0.1, 10, 0.001, power=2.0, cycle=True)]:
        original = make()
        rebuilt = schedules.deserialize(schedules.serialize(original))
        assert [rebuilt(step) for step in range(15)] == [original(step) for step in range(15)]


def test_schedule_is_called_with_iterations_from_zero():
    calls = []

    class Recording(schedules.LearningRateSchedule):
        def __call__(self, step):
            calls.append(step)
            return 0.1

    run(Adam(learning_rate=Recording()))
    assert calls == [0, 1, 2, 3, 4]


def test_a_plain_function_learning_rate_is_called_without_arguments_as_in_keras():
    rates = iter([0.1, 0.2, 0.3, 0.4, 0.5])
    weight = Variable(np.array([0.0]), name="w")
    optimizer = SGD(learning_rate=lambda: next(rates))  # Keras' own form: a function of nothing
    for _ in range(3):
        optimizer.apply([np.array([1.0])], [weight])
    np.testing.assert_allclose(weight.value, [-(0.1 + 0.2 + 0.3)])
    assert float(optimizer.learning_rate) == 0.4


def test_learning_rate_is_variable_like_as_in_keras():
    optimizer = SGD(learning_rate=0.1)
    rate = optimizer.learning_rate
    assert float(rate) == 0.1 and rate.numpy().dtype == np.float32 and rate.numpy().shape == ()
    assert rate * 2 == 0.2 and 1 - rate == pytest.approx(0.9) and rate / 2 == 0.05 and -rate == -0.1
    assert f"{rate}" == "0.1" and f"{rate:.3f}" == "0.100" and rate > 0.05
    optimizer.learning_rate.assign(0.5)
    assert float(optimizer.learning_rate) == 0.5 and optimizer.current_learning_rate() == 0.5
    optimizer.learning_rate = 0.25  # Keras allows setting it too
    weight = Variable(np.array([1.0]), name="w")
    optimizer.apply([np.array([1.0])], [weight])
    assert weight.value.tolist() == [0.75]
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        optimizer.learning_rate.assign(-1.0)


def test_learning_rate_reads_the_schedule_now_and_cannot_be_assigned():
    optimizer = SGD(learning_rate=schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    assert float(optimizer.learning_rate) == pytest.approx(0.1)
    run(optimizer)  # five steps
    assert float(optimizer.learning_rate) == pytest.approx(0.1 * 0.5 ** 5)
    assert isinstance(optimizer.learning_rate_schedule, schedules.ExponentialDecay)
    with pytest.raises(TypeError, match="cannot be set to a number"):
        optimizer.learning_rate.assign(0.1)


def test_learning_rate_matches_keras_reading_and_assign():
    keras = pytest.importorskip("keras")
    ours, theirs = SGD(learning_rate=0.1), keras.optimizers.SGD(learning_rate=0.1)
    for optimizer in (ours, theirs):
        optimizer.learning_rate.assign(0.3)
    assert float(ours.learning_rate) == pytest.approx(float(theirs.learning_rate))
    assert float(ours.learning_rate * 2) == pytest.approx(float(theirs.learning_rate * 2))


@pytest.mark.parametrize("cls", [AdamW, Nadam, Adam, SGD])
@pytest.mark.parametrize("argument", [{"lr": 0.01}, {"decay": 0.1}])
def test_legacy_warnings_point_at_the_callers_line(cls, argument):
    """The warning must be attributed to this file: Python's default filters show a
    DeprecationWarning only when it comes from __main__, so a wrong stacklevel hides it."""
    with pytest.warns(DeprecationWarning) as caught:
        cls(**argument)
    assert [warning.filename for warning in caught] == [__file__]


def test_weight_decay_skips_variables_without_a_gradient():
    kernel, frozen = Variable(np.ones(2), name="kernel"), Variable(np.ones(2), name="frozen")
    optimizer = SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.apply([np.zeros(2), None], [kernel, frozen])
    assert kernel.value.tolist() == [0.95, 0.95] and frozen.value.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_learning_rate_must_be_finite(value):
    with pytest.raises(ValueError, match=f"learning_rate must be a finite number >= 0.*received learning_rate={value}"):
        SGD(learning_rate=value)


def test_decay_none_means_no_decay():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer = SGD(learning_rate=0.1, decay=None)
    assert optimizer.decay == 0.0 and "decay" not in optimizer.get_config()


def test_legacy_decay_is_inverse_time_decay():
    with pytest.warns(DeprecationWarning, match="decay="):
        legacy = RMSprop(learning_rate=0.01, decay=0.3)
    schedule = RMSprop(learning_rate=schedules.InverseTimeDecay(0.01, decay_steps=1, decay_rate=0.3))
    for mine, reference in zip(run(legacy), run(schedule)):
        np.testing.assert_allclose(mine, reference, rtol=1e-13)


@pytest.mark.parametrize("cls", CLASSES)
def test_legacy_lr_works_with_a_warning(cls):
    with pytest.warns(DeprecationWarning, match="lr="):
        optimizer = cls(lr=0.02)
    assert optimizer.learning_rate == 0.02


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", CLASSES)
def test_negative_learning_rate(cls):
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number >= 0.*received learning_rate=-0\.1"):
        cls(learning_rate=-0.1)


@pytest.mark.parametrize("cls", CLASSES)
def test_lr_and_learning_rate(cls):
    with pytest.raises(ValueError, match=r"learning_rate= or the old lr=, not both; received learning_rate=0.1 and "
                                         r"lr=0.2"):
        cls(learning_rate=0.1, lr=0.2)


@pytest.mark.parametrize("make, argument, value", [
    (lambda v: SGD(momentum=v), "momentum", -0.1),
    (lambda v: SGD(momentum=v), "momentum", 1.5),
    (lambda v: RMSprop(momentum=v), "momentum", -0.1),
    (lambda v: RMSprop(momentum=v), "momentum", 1.01),
    (lambda v: RMSprop(rho=v), "rho", 1.0),
    (lambda v: RMSprop(rho=v), "rho", -0.5),
    (lambda v: Adadelta(rho=v), "rho", 1.0),
    (lambda v: Adadelta(rho=v), "rho", "0.9"),
    (lambda v: Adam(beta_1=v), "beta_1", 1.0),
    (lambda v: Adam(beta_2=v), "beta_2", -0.001),
    (lambda v: AdamW(beta_2=v), "beta_2", 1.2),
    (lambda v: Nadam(beta_1=v), "beta_1", 1.0),
    (lambda v: RMSprop(epsilon=v), "epsilon", -1e-7),
    (lambda v: Adam(epsilon=v), "epsilon", None),
    (lambda v: Adagrad(initial_accumulator_value=v), "initial_accumulator_value", -0.1),
    (lambda v: AdamW(weight_decay=v), "weight_decay", -0.01),
    (lambda v: AdamW(weight_decay=v), "weight_decay", None),
])
def test_out_of_range_arguments(make, argument, value):
    with pytest.raises(ValueError, match=rf"{argument}.*received {argument}={value!r}".replace("(", r"\(")):
        make(value)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as error:
        optimizers.get("adamax_typo")
    message = str(error.value)
    assert "'adamax_typo'" in message
    for name in NAMES:
        assert f"'{name}'" in message


def test_unknown_keyword_and_nadam_amsgrad():
    with pytest.raises(TypeError, match="momentum"):
        Adam(momentum=0.9)
    with pytest.raises(TypeError, match="amsgrad"):
        Nadam(amsgrad=True)


@pytest.mark.parametrize("make, message", [
    (lambda: schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5), "decay_steps must be a number > 0"),
    (lambda: schedules.ExponentialDecay(-0.1, decay_steps=10, decay_rate=0.5), "initial_learning_rate must be"),
    (lambda: schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=-1.0), "decay_rate must be"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.01]), "one more value than boundaries"),
    (lambda: schedules.PiecewiseConstantDecay([5, 2], [0.1, 0.01, 0.001]), "boundaries must increase"),
    (lambda: schedules.CosineDecay(0.1, decay_steps=10, alpha=2.0), "alpha must be"),
    (lambda: schedules.CosineDecay(0.1, decay_steps=10, warmup_target=0.2, warmup_steps=-1), "warmup_steps must"),
    (lambda: schedules.PolynomialDecay(0.1, decay_steps=0), "decay_steps must be a number > 0"),
    (lambda: schedules.PolynomialDecay(0.1, 10, end_learning_rate=-1.0), "end_learning_rate must be a number >= 0"),
    (lambda: schedules.PolynomialDecay(0.1, 10, power=0), "power must be a number > 0, received power=0"),
    (lambda: schedules.deserialize({"class_name": "Wobble", "config": {}}), "unknown schedule 'Wobble'"),
    (lambda: schedules.deserialize(0.1), "expected a dict"),
])
def test_schedule_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_no_warning_in_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in CLASSES:
            run(cls(learning_rate=schedules.ExponentialDecay(0.01, 2, 0.5)))


def test_from_config_rebuilds_a_schedule_learning_rate():
    from teachkeras.optimizers import Adam, schedules

    optimizer = Adam(learning_rate=schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
    copy = Adam.from_config(optimizer.get_config())
    assert isinstance(copy.learning_rate_schedule, schedules.ExponentialDecay)
    copy.iterations = 10
    assert copy.current_learning_rate() == pytest.approx(0.05)


@pytest.mark.parametrize("make, argument, value", [
    (lambda v: RMSprop(momentum=v), "momentum", True),
    (lambda v: RMSprop(rho=v), "rho", False),
    (lambda v: RMSprop(momentum=v), "momentum", "0.9"),
    (lambda v: Adam(beta_1=v), "beta_1", False),
    (lambda v: Adam(beta_2=v), "beta_2", True),
    (lambda v: AdamW(beta_1=v), "beta_1", False),
    (lambda v: AdamW(weight_decay=v), "weight_decay", True),
    (lambda v: Nadam(beta_1=v), "beta_1", False),
    (lambda v: Adadelta(rho=v), "rho", True),
    (lambda v: Adagrad(initial_accumulator_value=v), "initial_accumulator_value", True),
    (lambda v: Adagrad(epsilon=v), "epsilon", float("nan")),
    (lambda v: schedules.ExponentialDecay(0.1, decay_steps=v, decay_rate=0.5), "decay_steps", True),
    (lambda v: schedules.InverseTimeDecay(v, decay_steps=10, decay_rate=0.5), "initial_learning_rate", False),
    (lambda v: schedules.CosineDecay(0.1, decay_steps=10, alpha=v), "alpha", True),
    (lambda v: schedules.PolynomialDecay(0.1, decay_steps=10, power=v), "power", True),
])
def test_booleans_and_non_numbers_are_refused_by_the_one_check(make, argument, value):
    """Every chapter-06 optimizer and schedule checks its numbers with teachkeras.validation.check_number:
    True / False are not 1 / 0 (``Adam(beta_1=False)`` is a mistake), and the message reads alike."""
    with pytest.raises(ValueError, match=rf"^\w+: {argument} must be a number .*received {argument}={value!r}$"):
        make(value)


def test_the_optimizer_checks_name_the_class_that_was_called():
    with pytest.raises(ValueError, match=r"^RMSprop: momentum must be a number in \[0, 1\], received momentum=True$"):
        RMSprop(momentum=True)
    with pytest.raises(ValueError, match=r"^Adam: beta_1 must be a number in \[0, 1\), received beta_1=False$"):
        Adam(beta_1=False)
    with pytest.raises(ValueError, match=r"^AdamW: beta_2 must be a number in \[0, 1\), received beta_2=1\.0$"):
        AdamW(beta_2=1.0)
    with pytest.raises(ValueError, match=r"^CosineDecay: warmup_target must be a number >= 0 or None, "):
        schedules.CosineDecay(0.1, 10, warmup_target=-1.0)


@pytest.mark.parametrize("momentum", ["a", None, True, -0.1, 1.5])
def test_sgd_momentum_of_the_wrong_kind_is_a_named_value_error(momentum):
    from teachkeras.optimizers import SGD

    with pytest.raises(ValueError, match="SGD: momentum must be a number in"):
        SGD(momentum=momentum)


def test_exclude_from_weight_decay_works_for_every_optimizer():
    import numpy as np
    from teachkeras.optimizers import SGD
    from teachkeras.variables import Variable

    kernel, bias = Variable(np.ones(2), name="kernel"), Variable(np.ones(2), name="bias")
    optimizer = SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    optimizer.apply([np.zeros(2), np.zeros(2)], [kernel, bias])
    assert kernel.value.tolist() == [0.95, 0.95] and bias.value.tolist() == [1.0, 1.0]
    assert optimizer.get_config()["weight_decay"] == 0.5


def test_learning_rate_converts_like_a_number():
    torch = pytest.importorskip("torch")
    optimizer = SGD(learning_rate=0.25)
    rate = optimizer.learning_rate
    as_array = np.asarray(rate)
    assert as_array.dtype.kind == "f" and as_array.shape == () and float(as_array) == 0.25
    assert np.asarray(rate, dtype="float64").dtype == np.float64
    assert abs(rate) == 0.25 and bool(rate)
    optimizer.learning_rate = 0.0
    assert not optimizer.learning_rate  # a rate of 0 is falsy, as 0.0 is
    for value in (np.array(0.5), np.float32(0.5), torch.tensor(0.5), torch.tensor(0.5, dtype=torch.float64)):
        optimizer.learning_rate.assign(value)
        assert float(optimizer.learning_rate) == 0.5
        assert float(SGD(learning_rate=value).learning_rate) == 0.5
    for bad in (np.array([0.5]), torch.tensor([0.1, 0.2]), np.array(True), np.array(-0.5), torch.tensor(float("nan"))):
        with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
            SGD(learning_rate=bad)


def test_polynomial_decay_cycles_from_the_start_rate_over_a_longer_horizon():
    schedule = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert [round(schedule(step), 6) for step in (0, 5, 10, 11, 20, 30)] == [0.1, 0.05, 0.0, 0.045, 0.0, 0.0]
    flat = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01)
    assert flat(10) == flat(1000) == pytest.approx(0.01)
    optimizer = SGD(learning_rate=flat)
    config = optimizer.get_config()["learning_rate"]
    assert config["class_name"] == "PolynomialDecay"
    assert schedules.deserialize(config).get_config() == flat.get_config()
