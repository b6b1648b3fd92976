"""Callbacks, as in ``keras.callbacks``: ``teachkeras.callbacks.History``, ``EarlyStopping``, ...

Each chapter's callbacks live in a module of their own (chapter 04: ``callbacks.base``, the loop's
hooks, History, the progress bar); this file only gathers their names.

Hand-written plumbing: no chapter builds this module.
"""
from teachkeras.callbacks.base import (Callback, CallbackList, History, LambdaCallback, ProgbarLogger,
                                       TerminateOnNaN)

__all__ = ["Callback", "CallbackList", "History", "LambdaCallback", "TerminateOnNaN", "ProgbarLogger"]
