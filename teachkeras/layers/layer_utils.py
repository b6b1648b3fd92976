"""What every layer checks and converts, so that ``Layer`` and ``Dense`` show only their idea.

``Layer.__init__`` refuses unknown keywords and Keras 1/2 spellings (with the table of
``teachkeras.legacy``), checks ``name``, ``dtype``, ``input_shape`` / ``input_dim``; ``Layer``
wraps each subclass's ``build`` (calling it marks the layer built) and ``backward`` (called before
any forward pass, it says so instead of failing on a missing attribute); ``layer(inputs)`` turns
lists and other number types into arrays of the layer's dtype. Those few lines are the same for
every layer and teach nothing about layers, so they live here. Chapter 02 builds ``Layer``.

Calling a layer follows Keras' rules (``run_call``): ``training`` and ``mask`` reach ``call`` only
if its signature takes them, and a layer called without ``training`` inherits it from the layer
that calls it (so ``self.dropout(x)`` inside a model's ``call`` knows that fit is training). While
chapter 08's tape records, the call goes through ``teachkeras.hooks``. A layer with an
``activity_regularizer`` adds its penalty on the outputs after each call (``add_activity_loss``);
regularizer and constraint arguments are resolved through the hooks of chapter 11. Layers kept as attributes of
a layer are its sublayers: their weights are its weights (``all_weights``) and their ``add_loss``
values its ``losses``.

>>> shape_tuple([None, 3], "Dense 'dense': input_shape")
(None, 3)
>>> positive_integer(0, "units", "Dense 'dense'")
Traceback (most recent call last):
...
ValueError: Dense 'dense': units must be a positive integer, received units=0

Hand-written plumbing: no chapter builds this module.
"""

import functools
import inspect
import numbers
import operator

from teachkeras import hooks
from teachkeras.backend import device_of, floatx, namespace, snake_case, standardize_dtype, to_device, unique_name
from teachkeras.legacy import LEGACY_ARGUMENTS, legacy_argument_error

__all__ = ["owner", "shape_tuple", "positive_integer", "refuse_regularizers", "lookup", "layer_name",
           "layer_dtype", "sample_shape", "refuse_unknown_arguments", "refuse_legacy_arguments",
           "refuse_keras1_dense", "shared_axes_list", "convert_input", "not_called_error",
           "regularizer_argument", "constraint_argument", "store_weight_options", "serialized", "add_activity_loss",
           "wrap_protocol", "call_parameters", "run_call", "sublayers", "all_weights", "writes_its_backward",
           "losses_of_this_call", "collected_losses", "nested_or_symbolic", "call_nested",
           "keras_tensor_operators"]


def owner(layer):
    """How error messages name a layer: ``"Dense 'dense_1'"``."""
    return f"{type(layer).__name__} {layer.name!r}"


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def shape_tuple(shape, owner):
    """A shape as a tuple of non-negative ints (None allowed for unknown sizes); an int is a 1-tuple."""
    if _is_integer(shape):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{owner}: expected a shape (a tuple of integers), received {shape!r}") from None
    for size in shape:
        if size is not None and (not _is_integer(size) or size < 0):
            raise ValueError(f"{owner}: expected a shape of non-negative integers or None, received {shape!r}")
    return tuple(None if size is None else int(size) for size in shape)


def positive_integer(value, argument, owner):
    """``value`` as an int if it is a positive integer (``True`` is not), else a ValueError."""
    if not _is_integer(value) or value <= 0:
        raise ValueError(f"{owner}: {argument} must be a positive integer, received {argument}={value!r}")
    return int(value)


def refuse_regularizers(owner, **arguments):
    """Refuse regularizer and constraint arguments that a layer does not support yet (PReLU's
    ``alpha_regularizer``), instead of ignoring them.

    >>> refuse_regularizers("Dense 'dense'", kernel_regularizer=None)  # None is fine
    """
    for argument, value in arguments.items():
        if value is not None:
            raise NotImplementedError(f"{owner}: {argument} is not supported by teachkeras yet; leave it None")


def regularizer_argument(layer, argument, value):
    """``regularizers.get(value)`` for an argument such as ``kernel_regularizer`` (None stays None).

    Chapter 11 builds the regularizers; a layer of chapter 02 or 05 reaches them through
    ``teachkeras.hooks``, so an error names the layer and the argument either way.

    >>> import teachkeras
    >>> from teachkeras.layers import Dense
    >>> regularizer_argument(Dense(2), "kernel_regularizer", "l2")
    L2(l2=0.01)
    """
    if value is None:
        return None
    regularizers = hooks.need("regularizers", f"{owner(layer)}({argument}=...)")
    return lookup(layer, regularizers.get, argument, value)


def constraint_argument(layer, argument, value):
    """``constraints.get(value)`` for an argument such as ``kernel_constraint`` (None stays None),
    through ``teachkeras.hooks`` as ``regularizer_argument``."""
    if value is None:
        return None
    constraints = hooks.need("constraints", f"{owner(layer)}({argument}=...)")
    return lookup(layer, constraints.get, argument, value)


def store_weight_options(layer, kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                         bias_constraint=None):
    """Resolve the four weight options of a layer with a kernel and a bias (the convolutions) and
    store them under their own names, as Dense's ``__init__`` does line by line."""
    layer.kernel_regularizer = regularizer_argument(layer, "kernel_regularizer", kernel_regularizer)
    layer.bias_regularizer = regularizer_argument(layer, "bias_regularizer", bias_regularizer)
    layer.kernel_constraint = constraint_argument(layer, "kernel_constraint", kernel_constraint)
    layer.bias_constraint = constraint_argument(layer, "bias_constraint", bias_constraint)


def serialized(kind, value):
    """A regularizer or constraint (``kind``: "regularizers" or "constraints") as ``get_config``
    writes it: None, or ``{'class_name': ..., 'config': ...}``."""
    if value is None:
        return None
    return hooks.need(kind, f"get_config of a layer with a {kind[:-1]}").serialize(value)


def add_activity_loss(layer, outputs):
    """Keras 3's activity regularization, after each call of a layer that has an
    ``activity_regularizer``: ``add_loss(activity_regularizer(outputs) / batch size)``."""
    regularizer = getattr(layer, "activity_regularizer", None)
    if regularizer is None or not hasattr(outputs, "shape"):
        return
    loss = regularizer(outputs)
    if len(outputs.shape) > 0 and outputs.shape[0]:
        loss = loss / outputs.shape[0]
    layer.add_loss(loss)


def lookup(layer, get, argument, value):
    """``get(value)`` (``activations.get``, ``initializers.get``) with the layer and argument named
    in the error."""
    try:
        return get(value)
    except ValueError as error:
        raise ValueError(f"{owner(layer)}: {argument}: {error}") from None


# ---------------------------------------------------------------- Layer.__init__'s arguments

def layer_name(layer, name):
    """``name`` if it is a string, else the class name in snake case made unique ('dense_1')."""
    if name is not None and not isinstance(name, str):
        raise ValueError(f"{type(layer).__name__}: name must be a string, received {name!r}")
    return name or unique_name(snake_case(type(layer).__name__))


def layer_dtype(dtype):
    """The dtype's name; ``floatx()`` for None. Keras 3 configs hold a policy dict,
    ``{'class_name': 'DTypePolicy', 'config': {'name': 'float32'}}``: its name is used."""
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name")
    return standardize_dtype(dtype or floatx())


def sample_shape(layer, input_shape, input_dim):
    """The shape of one sample from ``input_shape=`` or ``input_dim=`` (``n`` means ``(n,)``), or None."""
    if input_dim is not None:
        if input_shape is not None:
            raise ValueError(f"{owner(layer)}: pass input_shape or input_dim, not both")
        input_shape = (positive_integer(input_dim, "input_dim", owner(layer)),)
    if input_shape is None:
        return None
    return shape_tuple(input_shape, f"{owner(layer)}: input_shape")


def refuse_unknown_arguments(layer, kwargs):
    """A TypeError for keywords that reached ``Layer.__init__`` unused: a Keras 1/2 spelling is
    named with its modern one, anything else is listed beside the accepted keywords."""
    if not kwargs:
        return
    legacy = {key: value for key, value in kwargs.items() if key in LEGACY_ARGUMENTS}
    if legacy:
        raise legacy_argument_error(type(layer).__name__, legacy)
    accepted = sorted(set(inspect.signature(type(layer).__init__).parameters) - {"self", "kwargs"})
    accepted += ["activity_regularizer", "dtype", "input_dim", "input_shape", "name", "trainable"]
    raise TypeError(
        f"{type(layer).__name__}: unexpected keyword argument(s) {sorted(kwargs)}; "
        f"accepted are {sorted(set(accepted))}"
    )


def refuse_legacy_arguments(cls, args, kwargs):
    """Called by ``Layer.__new__``, before Python matches the arguments to ``__init__``'s signature:
    ``Conv1D(nb_filter=4, filter_length=3)`` then hears about ``filters=`` and ``kernel_size=``,
    not "missing 2 required positional arguments".

    A layer that takes one of the old names as its own argument keeps it. teachkeras' own layers are
    refused at once. Any other class (your own layer) may take ``stride=`` or ``init=`` through
    ``**kwargs`` for itself, so it is refused here only when the call cannot bind to its
    ``__init__`` and that ``__init__`` takes the modern spelling (``Dense(output_dim=10)``: ``units``
    is missing). Otherwise ``__init__`` runs, and a legacy name that reaches ``Layer.__init__``
    unused is refused there with the same message.
    """
    legacy = {key: value for key, value in kwargs.items() if key in LEGACY_ARGUMENTS}
    if not legacy:
        return
    signature = inspect.signature(cls.__init__)
    legacy = {key: value for key, value in legacy.items() if key not in signature.parameters}
    if not legacy:
        return
    if not cls.__module__.startswith("teachkeras."):
        try:
            signature.bind(None, *args, **kwargs)
            return
        except TypeError:
            if not any(LEGACY_ARGUMENTS[key] in signature.parameters for key in legacy):
                return
    raise legacy_argument_error(cls.__name__, legacy)


def refuse_keras1_dense(units, activation):
    """Keras 1's ``Dense(500, 10)`` meant 500 inputs and 10 outputs; today the second argument is
    the activation. Refuse it, saying what to write."""
    if _is_integer(activation) and not isinstance(units, bool):
        raise TypeError(
            f"Dense({units}, {activation}): Keras 1 took (input_dim, output_dim); "
            f"write Dense({activation}, input_dim={units})"
        )


def shared_axes_list(shared_axes, owner):
    """``shared_axes`` (PReLU) as a list of ints >= 1 (1 is the first axis after the batch), or None."""
    if shared_axes is None:
        return None
    axes = [shared_axes] if isinstance(shared_axes, numbers.Integral) else shared_axes
    if isinstance(axes, str) or not isinstance(axes, (list, tuple)) or not all(
        _is_integer(axis) and axis >= 1 for axis in axes
    ):
        raise ValueError(
            f"{owner}: shared_axes must be an axis (an integer >= 1; 1 is the first axis "
            f"after the batch) or a list of them, received shared_axes={shared_axes!r}"
        )
    return [int(axis) for axis in axes]


# ---------------------------------------------------------------- calling a layer

def convert_input(inputs, dtype, device):
    """Lists and numbers become arrays of ``dtype`` on ``device``; arrays and tensors of another
    number type are cast to ``dtype``; anything else (strings, objects) is left for the layer to refuse."""
    if not hasattr(inputs, "shape") or not hasattr(inputs, "dtype"):
        return to_device(inputs, device, dtype=dtype)
    name = standardize_dtype(inputs.dtype)
    if name != dtype and (name.startswith(("float", "int", "uint")) or name == "bool"):
        xp = namespace(inputs)
        return xp.astype(inputs, getattr(xp, dtype))
    return inputs


def not_called_error(layer, method):
    """The error for ``backward`` before any forward pass (there is nothing to go back through)."""
    return ValueError(
        f"{owner(layer)}: {method}() needs the inputs of a forward pass; "
        f"call the layer on an input first, as in layer(inputs), then {method}(grad_outputs)"
    )


def _marks_built(build):
    """Wrap a subclass's ``build`` so that calling it directly, as Keras code sometimes does
    (``layer.build((None, 4))``), marks the layer built, and its first call does not build it again."""

    @functools.wraps(build)
    def build_and_mark(self, input_shape):
        build(self, input_shape)
        self.built = True

    return build_and_mark


def _needs_a_call(backward):
    """Wrap a subclass's ``backward`` so that using it before any call names the cause.

    Without this, ``Dense(3).backward(g)`` fails with an AttributeError about ``inputs``. The same
    goes for a backward after fit has freed what the layer lists in ``backward_cache``."""

    @functools.wraps(backward)
    def backward_after_a_call(self, grad_outputs, *args, **kwargs):
        released = [name for name in getattr(self, "backward_cache", ()) if getattr(self, name, None) is None]
        if released and getattr(self, "_called", False):  # fit freed them after its own backward
            raise ValueError(
                f"{owner(self)}: backward() needs what the last forward pass kept ({', '.join(released)}), "
                "which fit frees once its backward has run; call the layer again, as in layer(inputs), "
                "then backward(grad_outputs)")
        try:
            return backward(self, grad_outputs, *args, **kwargs)
        except AttributeError:
            if getattr(self, "_called", False):
                raise  # a real bug in a backward that had its forward pass
            raise not_called_error(self, "backward") from None

    return backward_after_a_call


def wrap_protocol(cls):
    """Called by ``Layer.__init_subclass__`` for every subclass: wraps the ``build`` and
    ``backward`` that the class body defines (see ``_marks_built`` and ``_needs_a_call``)."""
    if "build" in vars(cls):
        cls.build = _marks_built(vars(cls)["build"])
    if "backward" in vars(cls):
        cls.backward = _needs_a_call(vars(cls)["backward"])


def nested_or_symbolic(inputs):
    """True when ``layer(inputs)`` is not one array: a KerasTensor (``Input(...)``, the functional
    API of chapter 09), or a list, tuple or dict of arrays or KerasTensors (a merge layer's inputs).
    A list of plain numbers is one array. Cheap for an array: it runs on every layer call."""
    if hasattr(inputs, "shape"):
        return getattr(inputs, "_keras_symbolic", False) is True
    # a list of arrays or tensors (not of numbers, nor of numpy scalars, which have a shape () too)
    return isinstance(inputs, (list, tuple, dict)) and any(getattr(leaf, "ndim", 0) > 0 for leaf in _leaves(inputs))


def _leaves(inputs):
    from teachkeras.tree import flatten  # hand-written, imports nothing

    return flatten(inputs)


def call_nested(layer, inputs, args, kwargs):
    """``layer(inputs)`` for a KerasTensor or a list/tuple/dict of arrays (see ``nested_or_symbolic``).
    Symbolic inputs go to the functional API (chapter 09), which records the call in a graph;
    arrays are converted one by one, the layer is built from the list of their shapes, and called."""
    from teachkeras.tree import map_structure

    if any(getattr(leaf, "_keras_symbolic", False) is True for leaf in _leaves(inputs)):
        functional = hooks.need("functional", f"calling {owner(layer)} on a KerasTensor (Input(...))")
        return functional.symbolic_call(layer, inputs, args, kwargs)
    inputs = map_structure(lambda one: convert_input(one, layer.dtype, layer.device), inputs)
    if not layer.built:
        layer.build_for(map_structure(lambda one: tuple(one.shape), inputs))
    device = device_of(_leaves(inputs)[0])
    if device != layer.device:
        layer.to(device)
    layer._called = True
    return run_call(layer, inputs, args, kwargs)


# ---------------------------------------------------------------- call signatures (Keras' rules)

_TRAINING = []  # the training flag of each layer call in progress, outermost first
_CALLS = [0]    # how many outermost calls have started: add_loss values belong to the latest


@functools.lru_cache(maxsize=None)
def call_parameters(call):
    """``(takes training, takes mask, training's default)`` for a ``call`` function."""
    parameters = inspect.signature(call).parameters
    any_keyword = any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters.values())
    training = parameters.get("training")
    default = None if training is None or training.default is inspect.Parameter.empty else training.default
    return training is not None or any_keyword, "mask" in parameters or any_keyword, default


def run_call(layer, inputs, args, kwargs):
    """``layer.call(inputs, *args, **kwargs)`` as Keras calls it: ``training`` is passed only if
    ``call`` takes it, and when not given it is the calling layer's (else ``call``'s default);
    ``mask`` only if given and taken. Through the tape while one records (chapter 08)."""
    takes_training, takes_mask, default = call_parameters(type(layer).call)
    training = kwargs.pop("training", None)
    if training is None:
        training = _TRAINING[-1] if _TRAINING else default
    if takes_training:
        kwargs["training"] = training
    mask = kwargs.pop("mask", None)
    if mask is not None:
        if not takes_mask:
            raise TypeError(f"{owner(layer)}: mask= was given, but its call() takes no mask argument")
        kwargs["mask"] = mask
    if not _TRAINING:
        _CALLS[0] += 1  # an outermost call: the losses added by earlier calls are dropped
    _TRAINING.append(training)
    try:
        if hooks.recording():
            outputs = hooks.tape.call_layer(layer, inputs, args, kwargs)
        else:
            outputs = layer.call(inputs, *args, **kwargs)
    finally:
        _TRAINING.pop()
    add_activity_loss(layer, outputs)  # Keras 3: after the call, a penalty on what it returned
    return outputs


# ---------------------------------------------------------------- sublayers, their weights and losses

def sublayers(layer):
    """The layers kept as attributes of ``layer`` (alone or in lists and tuples), each once."""
    layer_class = _layer_class()
    found = []
    for value in vars(layer).values():
        if isinstance(value, layer_class):
            candidates = (value,)
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], layer_class):
            candidates = value
        else:
            continue
        for one in candidates:
            if isinstance(one, layer_class) and one is not layer and not any(one is seen for seen in found):
                found.append(one)
    return found


@functools.lru_cache(maxsize=None)
def _layer_class():
    from teachkeras.layers.base import Layer  # here, not at the top: base imports this module

    return Layer


def all_weights(layer):
    """``layer``'s own weights, then its sublayers' (each weight once)."""
    weights = list(layer._weights)
    children = sublayers(layer)
    if not children:
        return weights
    for sublayer in children:
        for weight in sublayer.weights:
            if not any(weight is seen for seen in weights):
                weights.append(weight)
    return weights


def _owner_of(cls, method):
    return next((klass for klass in cls.__mro__ if method in vars(klass)), None)


@functools.lru_cache(maxsize=None)
def _class_writes_its_backward(cls):
    backward_owner, call_owner = _owner_of(cls, "backward"), _owner_of(cls, "call")
    base = [klass for klass in cls.__mro__ if "backward" in vars(klass)][-1]  # Layer, whose backward refuses
    return backward_owner is not base and issubclass(backward_owner, call_owner)


def writes_its_backward(layer):
    """True when ``layer``'s backward is hand-written for its ``call`` (the class that defines
    ``call`` or a subclass of it defines ``backward``), and so is every sublayer's."""
    if not _class_writes_its_backward(type(layer)):
        return False
    return all(writes_its_backward(one) for one in sublayers(layer))


def losses_of_this_call(layer):
    """The list that ``layer.add_loss`` appends to: emptied when a new outermost call starts."""
    if getattr(layer, "_losses_call", None) != _CALLS[0]:
        layer._losses_call, layer._losses = _CALLS[0], []
    return layer._losses


def collected_losses(layer):
    """The losses added during the latest outermost call by ``layer`` and its sublayers."""
    own = list(layer._losses) if getattr(layer, "_losses_call", None) == _CALLS[0] else []
    return own + [loss for sublayer in sublayers(layer) for loss in collected_losses(sublayer)]


def keras_tensor_operators():
    """``{method name: method}`` for ``KerasTensor``: ``x / 255.0``, ``a + b``, ``x[:, 0]``, ... each
    record one op node of the functional graph (chapter 09), named as Keras names them."""
    table = {"add": ("add", operator.add), "sub": ("subtract", operator.sub), "mul": ("multiply", operator.mul),
             "truediv": ("true_divide", operator.truediv), "pow": ("power", operator.pow),
             "matmul": ("matmul", operator.matmul)}

    def method(name, function, swap=False, unary=False):
        def apply(self, *other):
            functional = hooks.need("functional", "arithmetic on a KerasTensor")
            args = (self,) if unary else (other[0], self) if swap else (self, other[0])
            return functional.symbolic_op(function, args, {}, name)

        return apply

    methods = {"__neg__": method("negative", operator.neg, unary=True),
               "__abs__": method("absolute", operator.abs, unary=True), "__getitem__": method("get_item", operator.getitem)}
    for short, (name, function) in table.items():
        methods[f"__{short}__"] = method(name, function)
        methods[f"__r{short}__"] = method(name, function, swap=True)

    def refuse_iteration(self):  # without it, x[0], x[1], ... (``__getitem__``) would be tried one by one
        raise TypeError(f"Iterating over a KerasTensor {self.shape} is not supported: it holds no values; "
                        "slice it instead (x[:, 0])")

    methods["__iter__"] = refuse_iteration
    return methods
