"""Logs that stay on the device until something reads them.

On the torch path a step's loss is a 0-d tensor on the model's device. Reading it as a Python
number (``float(loss)``) makes the host wait until the device has finished the step: one
synchronisation per step, and on a GPU the queue of work the host has sent ahead runs dry. So the
trainer keeps each step's loss, targets and predictions where they are (``DeviceUpdates``) and
turns them into the metrics' numbers only when something reads the logs:

* ``BatchLogs`` is the dict that ``on_train_batch_end`` / ``on_test_batch_end`` receive on the torch
  path. It is empty until first read; then it copies every pending loss to the host at once and
  fills itself. Keras' callback semantics hold (a callback that reads ``logs['loss']`` every batch
  gets the right number every batch, and pays one wait per batch); the progress bar reads the logs
  only when it redraws (at most every 0.05 s), History only at the end of each epoch. One
  difference from Keras: a batch's logs that nobody read in time and that are read after a later
  batch's show the numbers as of that read (a callback should read, or copy, the logs in its hook).
* A loss that became NaN on the device is found when the logs are read (``non_finite``), so fit
  stops a few batches later than on the numpy path, at the next redraw or at the end of the epoch.

Chapter 04's trainer uses it; chapter 12 measures what it saves.

Hand-written plumbing: no chapter builds this module.

>>> logs = BatchLogs(lambda: {"loss": 0.5})
>>> dict.__len__(logs), logs["loss"], dict(logs)
(0, 0.5, {'loss': 0.5})
"""

import math

from teachkeras.backend import is_torch, namespace, to_numpy
from teachkeras.tree import map_structure

__all__ = ["BatchLogs", "DeviceUpdates"]


class BatchLogs(dict):
    """A dict of logs filled by ``fill()`` the first time anything reads or changes it."""

    def __init__(self, fill):
        super().__init__()
        self._fill = fill

    def _ready(self):
        if self._fill is not None:
            fill, self._fill = self._fill, None
            dict.update(self, fill())
        return self


def _reading(name):
    method = getattr(dict, name)

    def read(self, *args, **kwargs):
        return method(self._ready(), *args, **kwargs)

    read.__name__ = name
    return read


for _name in ("__getitem__", "__iter__", "__len__", "__contains__", "__eq__", "__ne__", "__repr__", "__or__",
              "__reversed__", "__setitem__", "__delitem__", "get", "keys", "items", "values", "copy", "pop",
              "popitem", "setdefault", "update", "clear"):
    setattr(BatchLogs, _name, _reading(_name))


def _detach(array):
    return array.detach() if is_torch(array) else array


class DeviceUpdates:
    """The metric updates of the steps since the logs were last read, kept on the device."""

    def __init__(self):
        self.pending = []      # (step, loss tensor, y_true, y_pred, sample_weight)
        self.steps = 0         # steps added since the last reset (the step number of the next one)
        self.non_finite = None  # (loss, step) of the first loss found not finite, or None

    def __bool__(self):
        return bool(self.pending)

    def reset(self):
        self.pending, self.steps, self.non_finite = [], 0, None

    def add(self, loss_value, y_true, y_pred, sample_weight):
        self.pending.append((self.steps, _detach(loss_value), y_true, map_structure(_detach, y_pred), sample_weight))
        self.steps += 1

    def apply(self, update_metrics):
        """Copy every pending loss to the host in one transfer, then call
        ``update_metrics(loss, y_true, y_pred, sample_weight)`` for each step, in order."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        losses = [loss for _, loss, _, _, _ in pending]
        values = to_numpy(namespace(losses[0]).stack(losses)) if is_torch(losses[0]) else losses
        for (step, _, y_true, y_pred, sample_weight), value in zip(pending, values):
            value = float(value)
            if self.non_finite is None and not math.isfinite(value):
                self.non_finite = (value, step)
            update_metrics(value, y_true, y_pred, sample_weight)
