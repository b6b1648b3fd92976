"""Objects as JSON-ready dicts, and back: Keras 3's ``serialize_keras_object`` layout.

Every object is written as four keys (Keras 3's layout, which real Keras reads)::

    {"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": None}

plus ``build_config`` (the input shape a built layer was built for) and, for a compiled model,
``compile_config``. A teachkeras class that has a Keras counterpart is written under Keras'
public module name (``keras.layers``, ``keras.initializers``, ``keras.optimizers``, ...), so Keras
loads our files and we load Keras'. Our layers' ``get_config`` stays as the chapters wrote it; this
module translates the few places where Keras' layout differs (``dtype`` is a ``DTypePolicy``
object; nested initializers and schedules carry all four keys; Keras-only options that still have
their default value are dropped when read).

A class of your own is found through the registry only, as in Keras (never by importing the
module a file names): ``@register_keras_serializable(package="my")`` names it ``"my>MyLayer"``;
``custom_objects={"MyLayer": MyLayer}`` and ``custom_object_scope`` work as in Keras. In safe mode
(the default) reading a config never runs code from it: a Python
``lambda`` saved as bytecode is refused unless ``safe_mode=False``.

>>> from teachkeras.layers import Dense
>>> config = serialize_keras_object(Dense(3, name="d"))
>>> config["module"], config["class_name"], config["config"]["dtype"]["class_name"]
('keras.layers', 'Dense', 'DTypePolicy')
>>> deserialize_keras_object(config).units
3

Hand-written plumbing: no chapter builds this module.
"""

import base64
import contextlib
import importlib
import inspect
import marshal
import threading
import types
import warnings

import numpy as np

__all__ = ["UnknownObjectError", "serialize_keras_object", "deserialize_keras_object", "register_keras_serializable",
           "get_custom_objects", "custom_object_scope", "CustomObjectScope", "get_registered_name",
           "get_registered_object", "SafeModeScope", "in_safe_mode", "enable_unsafe_deserialization"]

# ----------------------------------------------------------------------------- the registry

_GLOBAL_CUSTOM_OBJECTS = {}  # registered name ("package>Name") -> class or function
_GLOBAL_CUSTOM_NAMES = {}    # class or function -> registered name
_state = threading.local()   # .scopes: stack of custom_objects dicts; .safe_mode: None / True / False


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable by name, as ``"package>name"``.

    >>> @register_keras_serializable(package="demo")
    ... def twice(x):
    ...     return 2 * x
    >>> get_registered_name(twice), get_registered_object("demo>twice") is twice
    ('demo>twice', True)
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a string without '>', received {package!r}")

    def decorator(arg):
        class_name = name if name is not None else arg.__name__
        registered_name = f"{package}>{class_name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError(f"register_keras_serializable: class {arg.__name__} must define get_config() "
                             "so that its arguments can be saved")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj):
    """``"package>Name"`` for a registered class or function, else its ``__name__``."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_custom_objects():
    """The global registry itself (a dict you may add to: ``get_custom_objects()["f"] = f``)."""
    return _GLOBAL_CUSTOM_OBJECTS


def _scopes():
    if not hasattr(_state, "scopes"):
        _state.scopes = []
    return _state.scopes


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` makes those names loadable inside."""

    def __init__(self, custom_objects):
        if not isinstance(custom_objects, dict):
            raise TypeError(f"custom_object_scope: expected a dict of name -> class or function, received "
                            f"{custom_objects!r}")
        self.custom_objects = dict(custom_objects)

    def __enter__(self):
        _scopes().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scopes().pop()


custom_object_scope = CustomObjectScope


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function called ``name``: from ``custom_objects``, an open scope, the
    registry, then ``module_objects``; None if none has it."""
    for source in [custom_objects or {}, *reversed(_scopes()), _GLOBAL_CUSTOM_OBJECTS, module_objects or {}]:
        if name in source:
            return source[name]
    return None


# ----------------------------------------------------------------------------- safe mode

class SafeModeScope:
    """``with SafeModeScope(False):`` allows (True: forbids) code from a config inside."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc):
        _state.safe_mode = self.previous


def in_safe_mode():
    """True, False, or None when no scope and no global switch says."""
    return getattr(_state, "safe_mode", None)


def enable_unsafe_deserialization():
    """Allow lambdas in configs for the rest of this thread (Keras: ``keras.config``)."""
    _state.safe_mode = False


# ----------------------------------------------------------------------------- Keras' public names

# teachkeras namespace -> the Keras module that holds the same public classes
PUBLIC_MODULES = [("teachkeras.layers", "keras.layers"), ("teachkeras.initializers", "keras.initializers"),
                  ("teachkeras.optimizers.schedules", "keras.optimizers.schedules"),
                  ("teachkeras.optimizers", "keras.optimizers"), ("teachkeras.losses", "keras.losses"),
                  ("teachkeras.metrics", "keras.metrics"), ("teachkeras.activations", "keras.activations"),
                  ("teachkeras.regularizers", "keras.regularizers"), ("teachkeras.constraints", "keras.constraints"),
                  ("teachkeras.models", "keras")]
# Where Keras writes a class under an internal module name, the public namespace it lives in
KERAS_INTERNAL = [("keras.src.models", "teachkeras.models"), ("keras.src.backend", "teachkeras.optimizers"),
                  ("keras.src.optimizers", "teachkeras.optimizers"), ("keras.src.layers", "teachkeras.layers")]
# Keras' public names that some teachkeras classes have under another Python module
RENAMED_MODULES = {"Functional": "keras.src.models.functional"}
# Options Keras 3.15 writes that teachkeras does not have, with the value that means "not used":
# read with that value they are dropped; with any other value the loader says what is missing.
KERAS_ONLY_DEFAULTS = {"quantization_config": None, "sparse": False, "ragged": False, "optional": False,
                       "input_axes": None, "output_axes": None, "use_ema": False, "ema_momentum": 0.99,
                       "ema_overwrite_frequency": None, "loss_scale_factor": None,
                       "gradient_accumulation_steps": None, "lora_rank": None, "lora_alpha": None,
                       "synchronized": False, "autocast": True, "renorm": False, "renorm_clipping": None,
                       "renorm_momentum": 0.99}
# Arguments some Keras 3.15 classes do not take (their constructors have no **kwargs): left out of
# the config we write when they hold their default, so that Keras can read the file.
KERAS_REFUSES = {"SpatialDropout1D": {"trainable": True}, "SpatialDropout2D": {"trainable": True},
                 "SpatialDropout3D": {"trainable": True}}


def _namespace(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def public_module(cls):
    """The Keras module name under which ``cls`` is public (``keras.layers``), or None."""
    if cls.__name__ in RENAMED_MODULES and cls.__module__.startswith("teachkeras"):
        return RENAMED_MODULES[cls.__name__]
    for ours, keras_module in PUBLIC_MODULES:
        if cls.__module__ == ours or cls.__module__.startswith(ours + "."):
            namespace = _namespace(ours)
            if namespace is not None and getattr(namespace, cls.__name__, None) is cls:
                return keras_module
    return None


def _teachkeras_class(module, class_name):
    """The teachkeras class that Keras' ``module`` + ``class_name`` names, or None."""
    if not isinstance(module, str) or not module.startswith("keras"):
        return None
    candidates = [ours for ours, keras_module in PUBLIC_MODULES if keras_module == module]
    candidates += [ours for prefix, ours in KERAS_INTERNAL if module.startswith(prefix)]
    if module == "keras":
        candidates += ["teachkeras"]
    for name in candidates:
        namespace = _namespace(name)
        found = getattr(namespace, class_name, None) if namespace is not None else None
        if found is not None:
            return found
    return None


def _find_teachkeras_class(class_name, layers=False):
    """A public teachkeras class by name (a layer or model only if ``layers``), for the two-key
    dicts our configs nest."""
    for ours, _ in PUBLIC_MODULES:
        if ours in ("teachkeras.layers", "teachkeras.models") and not layers:
            continue
        namespace = _namespace(ours)
        found = getattr(namespace, class_name, None) if namespace is not None else None
        if inspect.isclass(found):
            return found
    return None


def _is_layer_class(cls):
    from teachkeras.layers.base import Layer

    return inspect.isclass(cls) and issubclass(cls, Layer)


# ----------------------------------------------------------------------------- serializing

def dtype_policy(name):
    """Keras 3's ``DTypePolicy`` object for a dtype name such as 'float32'."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def serialize_keras_object(obj):
    """``obj`` as JSON-ready values: plain values stay, lists stay lists, objects become the
    four-key dict (plus ``build_config`` / ``compile_config`` when the object has them)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(value) for value in obj]
    if isinstance(obj, dict):
        return _serialize_dict(obj)
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, types.FunctionType):
        return _serialize_function(obj)
    if hasattr(obj, "get_config"):
        return _serialize_object(obj)
    raise TypeError(f"serialize_keras_object: cannot serialize {obj!r} of type {type(obj).__name__}; an object "
                    "needs a get_config() method (and from_config() to be read back)")


def _serialize_dict(config):
    """A dict's values serialized; a two-key ``{"class_name", "config"}`` of one of our classes
    (an initializer or schedule inside a layer's config) gains Keras' ``module`` and ``registered_name``."""
    if set(config) == {"class_name", "config"} and isinstance(config["class_name"], str):
        cls = get_registered_object(config["class_name"]) or _find_teachkeras_class(config["class_name"], layers=True)
        if inspect.isclass(cls):
            return _four_keys(cls, _serialize_dict(dict(config["config"] or {})))
    return {key: serialize_keras_object(value) for key, value in config.items()}


def _four_keys(cls, config):
    module = public_module(cls)
    if module is not None:
        return {"module": module, "class_name": cls.__name__, "config": config, "registered_name": None}
    return {"module": cls.__module__, "class_name": cls.__name__, "config": config,
            "registered_name": _GLOBAL_CUSTOM_NAMES.get(cls, cls.__name__)}


def _serialize_object(obj):
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"serialize_keras_object: {type(obj).__name__}.get_config() must return a dict, "
                        f"received {config!r}")
    config = _serialize_dict(config)
    for key, value in config.items():  # a function of your own that get_config wrote by its bare name
        function = getattr(obj, key, None)
        if isinstance(value, str) and isinstance(function, types.FunctionType) and _is_custom_function(function):
            config[key] = _serialize_function(function)
    if _is_layer_class(type(obj)) and isinstance(config.get("dtype"), str) and type(obj).__name__ != "InputLayer":
        config["dtype"] = dtype_policy(config["dtype"])  # Keras 3 writes a layer's dtype as a policy
    for key, default in KERAS_REFUSES.get(type(obj).__name__, {}).items():
        if config.get(key, default) == default and public_module(type(obj)) is not None:
            config.pop(key, None)
    result = _four_keys(type(obj), config)
    build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build_config is None and getattr(obj, "built", False):
        shape = getattr(obj, "_build_input_shape", None) or getattr(obj, "_built_input_shape", None)
        if shape:  # the shape of the first call (a model), or the one Sequential was built for
            build_config = {"input_shape": list(shape)}
    if build_config is not None:
        result["build_config"] = serialize_keras_object(build_config)
    compile_config = obj.get_compile_config() if hasattr(obj, "get_compile_config") else None
    if compile_config is not None:
        result["compile_config"] = serialize_keras_object(compile_config)
    return result


def _is_custom_function(function):
    """A function that is not one of teachkeras' public ones (an activation, a loss)."""
    if function in _GLOBAL_CUSTOM_NAMES:
        return True
    for ours, _ in PUBLIC_MODULES:
        namespace = _namespace(ours) if function.__module__.startswith(ours) else None
        if namespace is not None and getattr(namespace, function.__name__, None) is function:
            return False
    return True


def _serialize_function(function):
    if function.__name__ == "<lambda>":  # Keras' layout: the bytecode, base64; loading it runs code
        closure = None
        if function.__closure__:
            closure = [serialize_keras_object(cell.cell_contents) for cell in function.__closure__]
        return {"class_name": "__lambda__",
                "config": {"code": base64.b64encode(marshal.dumps(function.__code__)).decode("ascii"),
                           "defaults": serialize_keras_object(function.__defaults__), "closure": closure}}
    name = _GLOBAL_CUSTOM_NAMES.get(function, function.__name__)
    module = function.__module__
    for ours, keras_module in PUBLIC_MODULES:
        namespace = _namespace(ours) if module.startswith(ours) else None
        if namespace is not None and getattr(namespace, function.__name__, None) is function:
            module = keras_module
            break
    return {"module": module, "class_name": "function", "config": name, "registered_name": name}


# ----------------------------------------------------------------------------- deserializing

def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object that ``serialize_keras_object`` described (built, and compiled when the config
    holds a ``compile_config``). ``custom_objects`` maps names to your classes and functions.
    With ``safe_mode=True`` (the default) a lambda's saved bytecode is refused, never run."""
    if kwargs:
        raise TypeError(f"deserialize_keras_object: unexpected argument(s) {sorted(kwargs)}")
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    with SafeModeScope(safe_mode), CustomObjectScope(dict(custom_objects or {})):
        return _deserialize(config, safe_mode)


def _deserialize(config, safe_mode):
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(value, safe_mode) for value in config]
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object: expected a dict, list or plain value, received {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value, safe_mode) for key, value in config.items()}
    class_name, inner = config["class_name"], config["config"]
    special = _SPECIAL.get(class_name)
    if special is not None:
        return special(inner, safe_mode)
    if class_name == "function":
        return _find_function(config)
    if class_name == "DTypePolicy":
        return inner["name"]
    cls = _find_class(config)
    inner = _from_keras_config(cls, dict(inner or {}), safe_mode)
    try:
        instance = cls.from_config(inner)
    except TypeError as error:
        raise TypeError(f"{cls.__name__}.from_config could not rebuild the object from {inner!r}: {error}") from error
    _build_and_compile(instance, config)
    return instance


def _build_and_compile(instance, config):
    build_config = config.get("build_config")
    if build_config and hasattr(instance, "build_from_config"):
        instance.build_from_config(build_config)
    elif build_config and build_config.get("input_shape") is not None and not getattr(instance, "built", True):
        instance.build_for(tuple(build_config["input_shape"]))
    if config.get("compile_config") and hasattr(instance, "compile_from_config"):
        instance.compile_from_config(config["compile_config"])


class UnknownObjectError(TypeError, ValueError):
    """A config names a class or function that neither teachkeras nor the registry knows (Keras
    raises a TypeError here; older teachkeras code caught a ValueError: both work)."""


def _not_found(config, what):
    if what == "class" and config.get("module") in (None, "keras.layers"):
        what = "layer class"
    return UnknownObjectError(
        f"unknown {what} {config.get('class_name')!r}: could not locate it (module {config.get('module')!r}, "
        f"registered name "
        f"{config.get('registered_name')!r}). If it is your own, pass custom_objects={{{config.get('class_name')!r}: "
        f"{config.get('class_name')}}} "
        f"to the loading function, open a keras.saving.custom_object_scope, or decorate it with "
        f"@keras.saving.register_keras_serializable() before loading.")


def _find_class(config):
    module, class_name, registered = config.get("module"), config["class_name"], config.get("registered_name")
    found = None
    for name in (registered, class_name):
        if name and found is None:
            found = get_registered_object(name)
    if found is None:
        found = _teachkeras_class(module, class_name)
    if found is None and module is None:  # the older two-key layout: a layer or model by class name
        found = (_teachkeras_class("keras.layers", class_name) or _teachkeras_class("keras", class_name)
                 or _find_teachkeras_class(class_name))
    if not inspect.isclass(found) or not hasattr(found, "from_config"):
        raise _not_found(config, "class")
    return found


def _find_function(config):
    module, name = config.get("module"), config["config"]
    found = get_registered_object(config.get("registered_name") or name) or get_registered_object(name)
    if found is None and isinstance(module, str) and module.startswith("keras"):
        for ours, keras_module in PUBLIC_MODULES:  # modelling functions only: never load_model & co.
            if keras_module == module and ours not in ("teachkeras.models", "teachkeras.layers"):
                namespace = _namespace(ours)
                found = getattr(namespace, name, None) if namespace is not None else None
    if not callable(found):
        raise _not_found(config, "function")
    return found


def _load_lambda(config, safe_mode):
    if safe_mode is not False:
        raise ValueError(
            "Refusing to load a Python lambda from this file: its saved bytecode would run on your machine, "
            "and a file from a stranger can hide anything in it. If you trust where the file comes from, "
            "load it again with safe_mode=False (or call keras.saving.enable_unsafe_deserialization() once).")
    code = marshal.loads(base64.b64decode(config["code"].encode("ascii")))
    closure = config.get("closure")
    cells = tuple(types.CellType(value) for value in closure) if closure else None
    defaults = tuple(config["defaults"]) if config.get("defaults") else None
    import builtins

    return types.FunctionType(code, {"__builtins__": builtins}, code.co_name, defaults, cells)


_SPECIAL = {
    "__numpy__": lambda config, safe: np.array(config["value"], dtype=config["dtype"]),
    "__bytes__": lambda config, safe: config["value"].encode("utf-8"),
    "__tuple__": lambda config, safe: tuple(_deserialize(config["value"], safe)),
    "__ellipsis__": lambda config, safe: Ellipsis,
    "__slice__": lambda config, safe: slice(config["start"], config["stop"], config["step"]),
    "__lambda__": _load_lambda,
}


def _accepted_arguments(cls):
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up the class tree."""
    accepted = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass is object:
            continue
        parameters = inspect.signature(vars(klass)["__init__"]).parameters.values()
        accepted.update(parameter.name for parameter in parameters if parameter.kind not in
                        (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL))
        if not any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
            break
    return accepted


def _from_keras_config(cls, config, safe_mode):
    """Keras' layout of ``cls``'s config turned into what ``cls.from_config`` takes."""
    is_model = hasattr(cls, "compile")
    accepted = None if is_model else _accepted_arguments(cls)
    if accepted is not None and "batch_input_shape" in config and "batch_input_shape" not in accepted:
        batch_shape = config.pop("batch_input_shape")  # Keras 2's spelling, in old .h5 files
        if batch_shape is not None:
            config.update({"batch_shape": batch_shape} if "batch_shape" in accepted
                          else {"input_shape": list(batch_shape)[1:]})
    for key in list(config):
        value = config[key]
        if accepted is not None and key not in accepted and key in KERAS_ONLY_DEFAULTS:
            if value == KERAS_ONLY_DEFAULTS[key] or value is None:
                del config[key]
                continue
            raise ValueError(f"{cls.__name__}: the file sets {key}={value!r}, a Keras option that teachkeras "
                             "does not have")
        if is_model:
            continue  # a model's config (its layers) is read by the model's own from_config
        if key == "dtype" and isinstance(value, dict):
            config[key] = value.get("config", {}).get("name")
        elif isinstance(value, dict) and not _holds_layer(value):
            config[key] = _deserialize(value, safe_mode)
        elif isinstance(value, list) and not any(isinstance(item, dict) and _holds_layer(item) for item in value):
            config[key] = _deserialize(value, safe_mode)
        else:  # a nested layer's config, left for the owner's from_config: with dtypes as plain names
            config[key] = _plain_dtypes(value)
    return config


def _plain_dtypes(value):
    """``value`` with every ``DTypePolicy`` object replaced by its dtype name ('float32'), and the
    Keras-only options that hold their default left out of each nested layer's config (so that a
    wrapper's ``from_config`` calling ``Dense.from_config(inner)`` itself reads Keras' files)."""
    if isinstance(value, dict):
        if value.get("class_name") == "DTypePolicy" and isinstance(value.get("config"), dict):
            return value["config"].get("name")
        value = {key: _plain_dtypes(item) for key, item in value.items()}
        if isinstance(value.get("config"), dict) and isinstance(value.get("class_name"), str):
            try:
                cls = _find_class(value)
            except TypeError:
                return value
            if not hasattr(cls, "compile"):  # a layer, an initializer, ...; a model reads its own config
                accepted = _accepted_arguments(cls)
                value["config"] = {key: item for key, item in value["config"].items() if key in accepted
                                   or key not in KERAS_ONLY_DEFAULTS or item != KERAS_ONLY_DEFAULTS[key]}
        return value
    if isinstance(value, list):
        return [_plain_dtypes(item) for item in value]
    return value


def _holds_layer(config):
    """Whether a nested config describes a layer (left for the owner's from_config to build)."""
    if "class_name" not in config:
        return False
    if config["class_name"] == "__keras_tensor__":
        return True
    try:
        return _is_layer_class(_find_class(config))
    except TypeError:
        return False
