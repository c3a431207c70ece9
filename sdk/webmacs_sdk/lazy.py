"""Package names imported on first use (PEP 562), so that importing a package costs next to nothing."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def homes(modules: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Each public name mapped to its module, from a table of modules and the names each holds."""
    return {name: module for module, names in modules.items() for name in names}


def lazy_names(package: str, home: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose public names live where ``home`` says.

    A module name without a dot is a sub-module of ``package``. A name is imported on first use and
    then kept in the package, so the next use is an ordinary attribute.
    """
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module if "." in module else f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *home})

    return __getattr__, __dir__
