"""Components from outside the package, named by import path in a config.

Any ``kind`` of the ``scenario``, ``mechanism`` and ``adversary`` groups may be
``"package.module:ClassName"`` instead of a built-in name: the class is imported from the
user's own module (on ``sys.path``, e.g. the directory the command runs in) and used like a
built-in component.  What each group expects of the class is in ``simprive.contracts``.
"""

from __future__ import annotations

import importlib
import inspect

from simprive.validation import ConfigError

__all__ = ["is_import_path", "load", "construct"]


def is_import_path(kind) -> bool:
    """Whether a ``kind`` names a class by import path (``module:Class``)."""
    return isinstance(kind, str) and ":" in kind


def load(key: str, path: str, base: type | None = None) -> type:
    """The class ``path`` names (``module:Class``), or a one-line error naming ``key``."""
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(key, path, f"cannot import {module_name!r} ({exc}); is its folder on sys.path?") from None
    cls = getattr(module, attr, None)
    if not inspect.isclass(cls):
        raise ConfigError(key, path, f"{module_name!r} has no class {attr!r}")
    if base is not None and not issubclass(cls, base):
        raise ConfigError(key, path, f"must subclass {base.__module__}.{base.__qualname__}")
    return cls


def construct(key: str, cls: type, params: dict, **given):
    """``cls(**given, **params)``, refusing a config key the class does not take."""
    accepted = inspect.signature(cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    unknown = sorted(k for k in params if k not in accepted and not takes_any)
    if unknown:
        known = ", ".join(k for k in accepted if k not in given) or "none"
        raise ConfigError(f"{key}.{unknown[0]}", params[unknown[0]], f"not a {cls.__name__} key; known: {known}")
    return cls(**{k: v for k, v in given.items() if k in accepted or takes_any}, **params)
