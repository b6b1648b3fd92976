"""Where chapter 08's tape plugs into the chapters before it.

Chapters 02-04 call layers and train models with hand-written backward passes, and a module they
generate may not import chapter 08 (a student of chapter 04 can then read every line it runs).
So they ask this module instead: ``tape`` is None until ``teachkeras.autodiff`` (imported by
``import teachkeras``) registers its implementation with ``register_tape``. It provides:

* ``recording()``: whether a ``GradientTape`` is recording now;
* ``call_layer(layer, inputs, args, kwargs)``: one call of ``layer.call`` while a tape records
  (a layer with its own backward becomes one node on the tape);
* ``train_step(model, x, y, sample_weight)``: forward and loss on a tape, each trainable weight's
  ``grad`` set from the tape; returns ``(loss_value, y_pred)``.

>>> import teachkeras
>>> tape is not None and not recording()
True

Hand-written plumbing: no chapter builds this module.
"""

__all__ = ["tape", "register_tape", "recording"]

tape = None


def register_tape(implementation):
    """Called once by chapter 08's module: ``implementation`` has the functions listed above."""
    global tape
    tape = implementation


def recording():
    """True while a GradientTape records (then layer calls go through ``tape.call_layer``)."""
    return tape is not None and tape.recording()
