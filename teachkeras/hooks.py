"""Where later chapters plug into the chapters before them.

Chapters 02-04 call layers and train models, and a module they generate may not import a later
chapter (a student of chapter 04 can then read every line it runs). So they ask this module
instead. A later chapter's module registers what it provides when it is imported, and
``import teachkeras`` imports them all.

* ``tape`` (chapter 08, ``register_tape``) provides:

  * ``recording()``: whether a ``GradientTape`` is recording now;
  * ``call_layer(layer, inputs, args, kwargs)``: one call of ``layer.call`` while a tape records
    (a layer with its own backward becomes one node on the tape);
  * ``train_step(model, x, y, sample_weight)``: forward and loss on a tape, each trainable
    weight's ``grad`` set from the tape; returns ``(loss_value, y_pred)``.

* Other providers register by name with ``provide(name, implementation)`` and are fetched with
  ``need(name, what)``, which names the chapter to import when nothing is registered yet.
  ``provided(name)`` is the implementation or None. They are:

  * ``"functional"`` (chapter 09): ``symbolic_call(layer, inputs, args, kwargs)`` for a layer
    called on KerasTensors, ``symbolic_op(function, args, kwargs, name)`` for an operator or a
    ``teachkeras.ops`` function called on them, and the class ``Functional`` that
    ``Model(inputs, outputs)`` makes;
  * ``"saving"`` (chapter 10): the module ``teachkeras.saving.saving_api`` (``save_model``,
    ``save_weights``, ``load_weights``, ``to_json``, ...), which ``model.save`` and friends call;
  * ``"regularizers"`` and ``"constraints"`` (chapter 11): ``get``, ``serialize`` and
    ``deserialize``, which resolve ``kernel_regularizer=``, ``kernel_constraint=``, ... of the
    layers of chapters 02 and 05.

>>> import teachkeras
>>> tape is not None and not recording()
True
>>> need("no such thing", "doing it")
Traceback (most recent call last):
...
NotImplementedError: doing it needs 'no such thing', which no chapter has registered; import teachkeras to load every chapter

Hand-written plumbing: no chapter builds this module.
"""

__all__ = ["tape", "register_tape", "recording", "provide", "provided", "need"]

tape = None
_providers = {}

CHAPTERS = {"functional": "chapter 09 (teachkeras.models.functional)", "saving": "chapter 10 (teachkeras.saving)",
            "regularizers": "chapter 11 (teachkeras.regularizers)", "constraints": "chapter 11 (teachkeras.constraints)"}


def register_tape(implementation):
    """Called once by chapter 08's module: ``implementation`` has the functions listed above."""
    global tape
    tape = implementation


def recording():
    """True while a GradientTape records (then layer calls go through ``tape.call_layer``)."""
    return tape is not None and tape.recording()


def provide(name, implementation):
    """Register ``implementation`` (a module or namespace) under ``name``; a later call replaces it."""
    _providers[name] = implementation


def provided(name):
    """The implementation registered under ``name``, or None."""
    return _providers.get(name)


def need(name, what):
    """The implementation registered under ``name``; a NotImplementedError saying what needed it
    (``what``, e.g. "model.save") and which chapter provides it when none is registered."""
    implementation = _providers.get(name)
    if implementation is None:
        chapter = CHAPTERS.get(name)
        where = f"built in {chapter}" if chapter else "which no chapter has registered"
        raise NotImplementedError(f"{what} needs {name!r}, {where}; import teachkeras to load every chapter")
    return implementation
