"""Callbacks, as in ``keras.callbacks``: ``teachkeras.callbacks.History``, ``EarlyStopping``, ...

Each chapter's callbacks live in a module of their own (chapter 04: ``callbacks.base``, the loop's
hooks, History, the progress bar); this file only gathers their names.

Hand-written plumbing: no chapter builds this module.
"""
from teachkeras.callbacks.base import (Callback, CallbackList, History, LambdaCallback, ProgbarLogger,
                                       TerminateOnNaN)
from teachkeras.callbacks.csv_logger import CSVLogger
from teachkeras.callbacks.early_stopping import EarlyStopping
from teachkeras.callbacks.learning_rate_scheduler import LearningRateScheduler
from teachkeras.callbacks.live_plot import LivePlot
from teachkeras.callbacks.monitor_callback import MonitorCallback
from teachkeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from teachkeras.callbacks.model_checkpoint import ModelCheckpoint  # chapter 10
from teachkeras.callbacks.backup_and_restore import BackupAndRestore  # chapter 10

__all__ = ["Callback", "CallbackList", "History", "LambdaCallback", "TerminateOnNaN", "ProgbarLogger"]
__all__ += ["MonitorCallback", "EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "LivePlot"]
__all__ += ["ModelCheckpoint", "BackupAndRestore"]
