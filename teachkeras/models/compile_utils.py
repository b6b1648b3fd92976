"""compile() and fit() for models with several inputs or outputs (the functional API, chapter 09).

A model with several outputs has one loss per output, each with a weight; the training loss is
``sum(loss_weight_i * loss_i)`` and History reports each term as ``<output name>_loss`` (without
its weight), and each output's metrics as ``<output name>_<metric>``, as Keras 3 does. ``loss``
may be one loss for every output, a list in output order or a dict keyed by output name (an
output left out of the dict has no loss); ``loss_weights`` a list or a dict; ``metrics`` a list of
lists or a dict. Data for several inputs (outputs) is a list in the model's order or a dict keyed
by the input (output) names; inside the trainer it is a tuple in that order.

The trainer of chapter 04 calls ``CompileLoss`` and the ``standardize_*`` functions here; they
are Keras' bookkeeping, not an idea of the course.

Hand-written plumbing: no chapter builds this module.
"""

import numbers

from teachkeras import losses, metrics as metrics_module
from teachkeras.backend import plain_array
from teachkeras.tree import flatten, is_nested

__all__ = ["several_outputs", "CompileLoss", "arrange", "structure_names"]


def structure_names(model, which):
    """The names of ``model``'s inputs or outputs (``which``: 'input' or 'output'), or None."""
    return getattr(model, f"{which}_names", None)


def several_outputs(model, loss, loss_weights, metrics):
    """Whether compile needs the per-output bookkeeping of this module."""
    names = structure_names(model, "output")
    if names is not None and len(names) > 1:
        return True
    return isinstance(loss, (list, tuple, dict)) or loss_weights is not None or isinstance(metrics, dict)


def arrange(data, names, argument, method=None, what="input"):
    """``data`` (a list in the model's order, or a dict keyed by name) as a tuple in ``names``'
    order; a count or keys that do not match are an error listing expected and received names."""
    method = f"{method}: " if method else ""
    if isinstance(data, dict):
        missing = [name for name in names if name not in data]
        unknown = sorted(set(data) - set(names))
        if missing or unknown:
            raise ValueError(f"{method}{argument} is a dict with keys {sorted(data)}, but the model's {what}s "
                             f"are named {list(names)}" + (f"; missing: {missing}" if missing else "")
                             + (f"; unknown: {unknown}" if unknown else ""))
        return tuple(data[name] for name in names)
    if isinstance(data, (list, tuple)) and data and all(hasattr(one, "shape") for one in data):
        if len(data) != len(names):
            raise ValueError(f"{method}the model has {len(names)} {what}s {list(names)}, but {argument} holds "
                             f"{len(data)} arrays; pass one array per {what}, in this order, or a dict keyed by name")
        return tuple(data)
    if len(names) == 1:
        return (data,)
    raise ValueError(f"{method}the model has {len(names)} {what}s {list(names)}; {argument} must be a list of "
                     f"{len(names)} arrays or a dict keyed by those names, received {type(data).__name__}")


def _per_output(value, names, argument, default=None):
    """A list with one entry per output from one value, a list or a dict (missing keys: default)."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile: {argument} has keys {unknown} that are not output names; "
                             f"the outputs are {list(names)}")
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"compile: {argument} is a list of {len(value)} entries, but the model has "
                             f"{len(names)} outputs {list(names)}; give one per output or a dict keyed by name")
        return list(value)
    return [value] * len(names)


class CompileLoss:
    """The loss of a model with several outputs: ``sum(weight_i * loss_i(y_i, y_pred_i))``,
    and the per-output trackers and metrics that History reports."""

    name = "loss"

    def __init__(self, model, loss, loss_weights=None, metrics=None, weighted_metrics=None):
        names = structure_names(model, "output") or ["output"]
        self.output_names = list(names)
        prefix = len(names) > 1  # one output: Keras names its metrics without a prefix
        self.losses = [None if one is None else losses.as_loss(one) for one in _per_output(loss, names, "loss")]
        if all(one is None for one in self.losses):
            raise ValueError(f"compile: no output has a loss; the outputs are {self.output_names}")
        weights = _per_output(1.0 if loss_weights is None else loss_weights, names, "loss_weights", 1.0)
        for weight in weights:
            if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
                raise ValueError(f"compile: loss_weights must be numbers, received {loss_weights!r}")
        self.loss_weights = [float(weight) for weight in weights]
        self.trackers = [metrics_module.Mean(name=f"{name}_loss") if (prefix and loss is not None) else None
                         for name, loss in zip(names, self.losses)]
        self.metric_specs = [[] for _ in names]
        for given, weighted in [(metrics, False), (weighted_metrics, True)]:
            if given is None:
                continue
            if isinstance(given, (list, tuple)) and len(names) > 1 and not any(
                    isinstance(one, (list, tuple)) for one in given):
                raise ValueError(f"compile: the model has {len(names)} outputs {self.output_names}; metrics must "
                                 "be a list of lists (one list per output) or a dict keyed by output name, "
                                 f"received {given!r}")
            per_output = _per_output(given, names, "metrics") if len(names) > 1 or isinstance(given, dict) else [given]
            for index, identifiers in enumerate(per_output):
                for identifier in flatten(identifiers) if identifiers is not None else []:
                    self.metric_specs[index].append((identifier, weighted))
        self.prefix = prefix
        self.metric_objects = None
        self.last_values = []

    def has_gradient(self):
        return False  # several losses: the tape of chapter 08 differentiates their sum

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = flatten(y_pred)
        weights = sample_weight if isinstance(sample_weight, tuple) else (sample_weight,) * len(y_pred)
        total, self.last_values = 0.0, []
        for loss, weight, truth, prediction, sample in zip(self.losses, self.loss_weights, y_true, y_pred, weights):
            if loss is None:
                self.last_values.append(None)
                continue
            value = loss(truth, prediction, sample)
            self.last_values.append(float(plain_array(value)))
            total = total + weight * value
        return total

    @property
    def metrics(self):
        tracked = [tracker for tracker in self.trackers if tracker is not None]  # Keras: output order, then
        return tracked + sorted((metric for metric, _ in (self.metric_objects or [])), key=lambda m: m.name)  # by name

    def update_metrics(self, y_true, y_pred, sample_weight, batch_size):
        y_pred = flatten(y_pred)
        weights = sample_weight if isinstance(sample_weight, tuple) else (sample_weight,) * len(y_pred)
        for tracker, value in zip(self.trackers, self.last_values):
            if tracker is not None and value is not None:
                tracker.update_state(value, sample_weight=batch_size)
        if self.metric_objects is None:
            self.metric_objects = []
            for index, specs in enumerate(self.metric_specs):
                for identifier, weighted in specs:
                    metric = metrics_module.get(identifier, y_true[index], y_pred[index])
                    if self.prefix:
                        metric.name = f"{self.output_names[index]}_{metric.name}"
                    self.metric_objects.append((metric, weighted, index))
            self.metric_objects = [(metric, (weighted, index)) for metric, weighted, index in self.metric_objects]
        for metric, (weighted, index) in self.metric_objects:
            metric.update_state(y_true[index], y_pred[index], weights[index] if weighted else None)

    def sparse(self, index):
        loss = self.losses[index]
        return loss is not None and getattr(loss, "fn", None) is losses.sparse_categorical_crossentropy


def is_structure(data):
    return is_nested(data)


def _standardize_targets(compile_loss, y, dtype, argument):
    from teachkeras.models.data_adapter import standardize_targets

    arranged = arrange(y, compile_loss.output_names, argument, None, "output")
    return tuple(
        standardize_targets(one, dtype, argument, sparse_loss_name=compile_loss.losses[index].name)
        if compile_loss.sparse(index) else standardize_targets(one, dtype, argument)
        for index, one in enumerate(arranged))


def _standardize_sample_weight(compile_loss, sample_weight, class_weight, y, method, dtype):
    from teachkeras.models.data_adapter import standardize_sample_weight

    if class_weight is not None:
        raise ValueError(f"{method}: class_weight is only supported for models with a single output; "
                         f"this one has {compile_loss.output_names}")
    if sample_weight is None or hasattr(sample_weight, "shape"):  # one weight per sample, for every output
        return standardize_sample_weight(sample_weight, None, y, method, dtype)
    arranged = arrange(sample_weight, compile_loss.output_names, "sample_weight", method, "output")
    return tuple(standardize_sample_weight(one, None, y, method, dtype) for one in arranged)


CompileLoss.standardize_targets = _standardize_targets
CompileLoss.standardize_sample_weight = _standardize_sample_weight
