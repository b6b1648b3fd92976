"""Metrics, as in ``keras.metrics``: ``teachkeras.metrics.Accuracy``, ``get("mae")``, ...

Each chapter's metrics live in a module of their own (chapter 04: ``metrics.base``, the Metric
protocol, means and accuracies, and ``get``); this file only gathers their names.

Hand-written plumbing: no chapter builds this module.
"""
from teachkeras.metrics.base import *  # noqa: F401,F403  (its __all__ is the public list)
from teachkeras.metrics.base import __all__ as _base_names

from teachkeras.metrics.accuracy_metrics import (SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
                                                 sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from teachkeras.metrics.confusion_metrics import AUC, Precision, Recall
from teachkeras.metrics.iou_metrics import MeanIoU

__all__ = list(_base_names)
__all__ += ["Precision", "Recall", "AUC", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
            "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "MeanIoU"]
