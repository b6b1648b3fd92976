"""Data that arrives in batches: a torch ``DataLoader``, a ``keras.utils.PyDataset`` (or Keras 2's
``Sequence``), or a Python generator, as Keras' training guide feeds them to ``fit``.

Each batch is a tuple ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``, and is converted and checked
as fit converts arrays (``Trainer._standardize_data``), then placed on the model's device: torch
tensors from a DataLoader become numpy arrays for a model on the numpy path. An **epoch** is one pass
over a DataLoader or PyDataset, or ``steps_per_epoch`` batches of it; with ``shuffle=True`` (fit's
default) a PyDataset's batches come in a new order each epoch, as in Keras 3 (drawn from fit's
seeded generator, so ``set_random_seed`` repeats it); a generator cannot start again,
so each epoch continues it, and ``steps_per_epoch`` says how many batches make an epoch. When the
data runs out before ``steps_per_epoch`` batches, training stops with Keras' warning.

Chapter 04's trainer calls ``is_data_source`` and ``DataSource``; ``teachkeras.utils.PyDataset``
(chapter 12) is the base class for a PyDataset.

Hand-written plumbing: no chapter builds this module.
"""

import collections.abc
import concurrent.futures
import itertools
import numbers
import sys
import warnings

from teachkeras.backend import is_torch, to_device

__all__ = ["is_data_source", "DataSource", "fits_on_device"]


def _is_dataloader(x):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.utils.data.DataLoader)


def _is_py_dataset(x):
    return hasattr(x, "__getitem__") and hasattr(x, "on_epoch_end") and not hasattr(x, "shape")


def is_data_source(x):
    """Whether ``x`` yields batches (DataLoader, PyDataset, generator) rather than being an array."""
    return _is_dataloader(x) or _is_py_dataset(x) or isinstance(x, collections.abc.Iterator)


def _kind(x):
    return "DataLoader" if _is_dataloader(x) else "PyDataset" if _is_py_dataset(x) else "generator"


def fits_on_device(nbytes, device):
    """Whether ``nbytes`` of data can stay on ``device`` for a whole fit: always on the CPU; on a GPU,
    when they take at most half of its free memory (the model and its activations need the rest)."""
    if device is None or not str(device).startswith("cuda"):
        return True
    import torch

    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return nbytes <= free // 2


def check_steps(method, argument, steps):
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1):
        raise ValueError(f"{method}: {argument} must be a positive integer or None, received {argument}={steps!r}")
    return None if steps is None else int(steps)


class DataSource:
    """Batches of ``data`` for ``method`` ('fit', 'evaluate', 'predict'), ``steps`` of them per epoch
    (None: until the data ends)."""

    def __init__(self, data, method, steps=None, steps_argument="steps_per_epoch", class_weight=None, y=None,
                 sample_weight=None, validation_split=0.0):
        self.data, self.method, self.kind = data, method, _kind(data)
        for argument, given in [("y", y), ("sample_weight", sample_weight)]:
            if given is not None:
                raise ValueError(f"{method}: x is a {self.kind}, whose batches hold the targets and weights; do not "
                                 f"pass {argument} (received {type(given).__name__}), yield (x, y, sample_weight)")
        if validation_split:
            raise ValueError(f"{method}: validation_split is only supported for arrays, received a {self.kind}; "
                             "pass validation_data=(another source, or arrays) instead")
        self.steps_argument = steps_argument
        self.steps = check_steps(method, steps_argument, steps)
        self.class_weight = class_weight
        self._iterator = data if self.kind == "generator" else None  # a generator goes on across epochs

    @property
    def steps_per_epoch(self):
        """The number of steps of one epoch, or None when only the end of the data tells."""
        if self.steps is not None:
            return self.steps
        if self.kind == "generator":
            return None
        return _batch_count(self.data) if self.kind == "PyDataset" else len(self.data)

    def _raw_batches(self, shuffle, random):
        if self.kind == "generator":
            return self._iterator
        if self.kind == "DataLoader":
            return iter(self.data)
        count = _batch_count(self.data)
        order = random.permutation(count) if shuffle is True and random is not None and count else None
        return _py_dataset_batches(self.data, count, order)

    def epoch(self, trainer, shuffle=False, random=None):
        """One epoch of ``(x, y, sample_weight)`` batches, converted and on ``trainer.device``; the
        end of a PyDataset's epoch calls its ``on_epoch_end``. ``shuffle=True`` shuffles the order of
        a PyDataset's batches with ``random`` (a ``teachkeras.backend.RandomGenerator``)."""
        if self.kind == "PyDataset" and hasattr(self.data, "on_epoch_begin"):
            self.data.on_epoch_begin()
        taken = 0
        for batch in itertools.islice(self._raw_batches(shuffle, random), self.steps):
            taken += 1
            yield self._convert(trainer, batch)
        if self.kind == "PyDataset":
            self.data.on_epoch_end()
        if self.steps is not None and taken < self.steps or self.kind == "generator" and taken == 0:
            warnings.warn(
                "Your input ran out of data; interrupting training. Make sure that your dataset or generator "
                f"can generate at least `{self.steps_argument} * epochs` batches (here {self.steps_argument}="
                f"{self.steps}); a {self.kind} gave {taken} this epoch.", UserWarning, stacklevel=3)
            trainer.stop_training = True

    def _convert(self, trainer, batch):
        if not isinstance(batch, (tuple, list)) or isinstance(batch, list) and len(batch) > 3:
            batch = (batch,)
        if not 1 <= len(batch) <= 3:
            raise ValueError(f"{self.method}: each batch of the {self.kind} must be (x,), (x, y) or "
                             f"(x, y, sample_weight), received a tuple of {len(batch)}")
        x, y, sample_weight = tuple(batch) + (None,) * (3 - len(batch))
        device = trainer.device
        x = trainer._standardize_inputs(_host_or(x, device))
        if self.method == "predict":
            return _place(x, device), None, None
        if y is None:
            raise ValueError(f"{self.method}: the {self.kind} gave a batch without targets; yield (x, y) or "
                             "(x, y, sample_weight)")
        x, y, sample_weight = trainer._standardize_data(self.method, x, _host_or(y, device),
                                                        _host_or(sample_weight, device), self.class_weight)
        return _place(x, device), _place(y, device), _place(sample_weight, device)


def _host_or(array, device):
    """A torch tensor stays a tensor when the model is on a torch device; for the numpy path it
    becomes a numpy array (otherwise the model's weights would follow it onto torch)."""
    if array is None or not is_torch(array) or device is not None:
        return array
    return to_device(array, None)


def _place(data, device):
    if data is None or device is None:
        return data
    if isinstance(data, tuple):
        return tuple(_place(one, device) for one in data)
    return to_device(data, device)


def _batch_count(dataset):
    """A PyDataset's number of batches (``num_batches``, else ``len``), or None when it has no end."""
    try:
        count = dataset.num_batches
    except (AttributeError, NotImplementedError):
        count = None
    if count is None and hasattr(dataset, "__len__"):
        count = len(dataset)
    return count


def _py_dataset_batches(dataset, count, order=None):
    """``dataset[i]`` for ``i`` in ``order`` (default 0, 1, ..., until ``count`` or an IndexError);
    with ``workers > 1`` read ahead by a pool of threads, at most ``max_queue_size`` batches ahead,
    still in order (``use_multiprocessing`` also uses threads here)."""
    indices = [int(index) for index in order] if order is not None else range(count) if count is not None \
        else itertools.count()
    workers = getattr(dataset, "workers", 1) or 1
    if workers <= 1:
        for index in indices:
            try:
                yield dataset[index]
            except IndexError:
                if count is None:
                    return
                raise
        return
    ahead = max(getattr(dataset, "max_queue_size", 10) or 10, workers)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        queue = collections.deque()
        indices = iter(indices)
        for index in itertools.islice(indices, ahead):
            queue.append(pool.submit(dataset.__getitem__, index))
        while queue:
            batch = queue.popleft().result()
            for index in itertools.islice(indices, 1):
                queue.append(pool.submit(dataset.__getitem__, index))
            yield batch
