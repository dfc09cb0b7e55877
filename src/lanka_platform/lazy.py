"""Module attributes built on first use, not at import: a value built at import (a template
validated, a model instance) is paid for in every Lambda cold start, by requests that never
use it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def lazy_attribute(module: str, name: str, build: Callable[[], Mapping[str, Any]]) -> Any:
    """The body of a module's `__getattr__`: `name` from what `build` makes (cache `build`).

    Dunder names are never built: `from module import X` asks the module for `__path__`
    first, and that alone must not build every lazy value."""
    if not name.startswith("__"):
        values = build()
        if name in values:
            return values[name]
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
