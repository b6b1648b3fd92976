"""Optimizer: the base class that turns gradients into weight updates.

Defined in notebooks/04_batches_vs_epochs.ipynb (chapter 04). An optimizer keeps per-variable
state ("slots", such as a momentum buffer) and an ``iterations`` count. ``apply(grads,
variables)`` (or Keras' ``apply_gradients(zip(grads, variables))``) clips the gradients if asked,
then calls ``update_step(gradient, variable, learning_rate)`` once per variable; subclasses write
only ``build`` (create slots) and ``update_step`` (the rule), so the rule reads like its formula.

Clipping follows Keras 3: ``clipnorm`` rescales each gradient to norm at most ``clipnorm``
(per variable), ``global_clipnorm`` rescales all of them together, ``clipvalue`` clips each
element to [-clipvalue, clipvalue]. ``learning_rate`` may be a number or a schedule (any
callable of the iteration count). The notes' ``decay=`` (Keras 2) still works, with a
DeprecationWarning: the step's rate is ``learning_rate / (1 + decay * iterations)``.
"""
import math
import numbers
import warnings

from teachkeras.backend import namespace


class Optimizer:
    """Base class. Args: learning_rate (None: the class's ``DEFAULT_LEARNING_RATE``), clipnorm,
    clipvalue, global_clipnorm, name. The Keras 2 spelling ``lr=`` works with a warning."""

    DEFAULT_LEARNING_RATE = 0.001

    def __init__(self, learning_rate=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None,
                 **kwargs):
        if "lr" in kwargs:
            if learning_rate is not None:
                raise ValueError(f"{type(self).__name__}: pass learning_rate= or the old lr=, not both")
            warnings.warn(
                f"{type(self).__name__}: lr= is the Keras 2 spelling, use learning_rate=",
                DeprecationWarning, stacklevel=3,
            )
            learning_rate = kwargs.pop("lr")
        if learning_rate is None:
            learning_rate = self.DEFAULT_LEARNING_RATE
        decay = kwargs.pop("decay", 0.0)
        if decay:
            warnings.warn(
                f"{type(self).__name__}: decay= is the Keras 2 spelling (removed in Keras 3) of "
                "learning_rate / (1 + decay * iterations); a learning-rate schedule says the same",
                DeprecationWarning, stacklevel=3,
            )
            if not (isinstance(decay, numbers.Real) and decay >= 0):
                raise ValueError(f"{type(self).__name__}: decay must be a number >= 0, received {decay!r}")
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        if sum(option is not None for option in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{type(self).__name__}: pass at most one of clipnorm, clipvalue and global_clipnorm, received "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        for argument, value in [("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)]:
            if value is not None and not (isinstance(value, numbers.Real) and value > 0):
                raise ValueError(f"{type(self).__name__}: {argument} must be a number > 0, received {value!r}")
        if not callable(learning_rate):
            if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) or learning_rate < 0:
                raise ValueError(
                    f"{type(self).__name__}: learning_rate must be a number >= 0 or a schedule, "
                    f"received {learning_rate!r}"
                )
            learning_rate = float(learning_rate)
        self.learning_rate = learning_rate
        self.decay = float(decay)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self.built = False
        self._slots = {}  # id(variable) -> {slot name: array}

    # ------------------------------------------------------------ slots

    def build(self, variables):
        """Create the slots each variable needs (subclasses add theirs with ``add_slot``)."""
        self.built = True

    def add_slot(self, variable, name, initial_value=0.0):
        """A state array shaped like ``variable``, on its device, filled with ``initial_value``."""
        xp = namespace(variable.value)
        slot = xp.full_like(variable.value, initial_value)
        self._slots.setdefault(id(variable), {})[name] = slot
        return slot

    def slot(self, variable, name):
        """The state array ``name`` kept for ``variable``."""
        return self._slots[id(variable)][name]

    @property
    def variables(self):
        """All state, for inspection and saving: ``[iterations, slots...]`` as (name, array) pairs."""
        pairs = [("iterations", self.iterations)]
        for slots in self._slots.values():
            pairs.extend(slots.items())
        return pairs

    # ------------------------------------------------------------ applying gradients

    def current_learning_rate(self):
        """The learning rate for this step: the number, or the schedule at ``iterations``."""
        if callable(self.learning_rate):
            learning_rate = float(self.learning_rate(self.iterations))
        else:
            learning_rate = self.learning_rate
        if self.decay:
            learning_rate /= 1.0 + self.decay * self.iterations
        return learning_rate

    def apply_gradients(self, grads_and_vars):
        """Keras' spelling: ``optimizer.apply_gradients(zip(grads, variables))``."""
        pairs = list(grads_and_vars)
        return self.apply([grad for grad, _ in pairs], [variable for _, variable in pairs])

    def apply(self, grads, variables):
        """One update of every variable from its gradient; then ``iterations += 1``."""
        grads, variables = list(grads), list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"{self.name}: {len(grads)} gradients for {len(variables)} variables")
        if not self.built:
            self.build(variables)
            self.built = True
        for variable in variables:
            if id(variable) not in self._slots:  # a variable first seen after build (e.g. unfrozen)
                self.build([variable])
                self._slots.setdefault(id(variable), {})
        grads = self.clip_gradients(grads)
        learning_rate = self.current_learning_rate()
        for grad, variable in zip(grads, variables):
            if grad is not None:
                self.update_step(grad, variable, learning_rate)
        self.iterations += 1

    def clip_gradients(self, grads):
        """Apply clipnorm, global_clipnorm or clipvalue (at most one is set)."""
        if self.clipvalue is not None:
            return [None if g is None else namespace(g).clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            return [None if g is None else g * (self.clipnorm / max(_norm(g), self.clipnorm)) for g in grads]
        if self.global_clipnorm is not None:
            total = math.sqrt(sum(_norm(g) ** 2 for g in grads if g is not None))
            scale = self.global_clipnorm / max(total, self.global_clipnorm)
            return [None if g is None else g * scale for g in grads]
        return grads

    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable.value`` in place from ``gradient``: the optimizer's rule."""
        raise NotImplementedError(f"{type(self).__name__} does not define update_step()")

    # ------------------------------------------------------------ config

    def get_config(self):
        learning_rate = self.learning_rate
        if hasattr(learning_rate, "get_config"):
            learning_rate = {"class_name": type(learning_rate).__name__, "config": learning_rate.get_config()}
        return {
            "name": self.name, "learning_rate": learning_rate, "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm,
            **({"decay": self.decay} if self.decay else {}),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)



def _norm(array):
    xp = namespace(array)
    return float(xp.sqrt(xp.sum(array * array)))
