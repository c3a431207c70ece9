"""Settings: attrs classes filled from ``WEBMACS_*`` environment variables and a TOML file.

Each field ``foo_bar`` of a settings class is read from ``WEBMACS_FOO_BAR`` (environment wins)
or from the key ``foo_bar`` of its TOML table. Lists accept JSON (``["a","b"]``) or commas.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

T = TypeVar("T")
ENV_PREFIX = "WEBMACS_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def _coerce(raw: Any, annotation: Any, name: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if raw is None or (isinstance(raw, str) and raw == "" and type(None) in args):
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(raw, inner[0], name)
    if annotation is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(f"{name}: expected a boolean, got {raw!r}")
    if annotation in (int, float):
        try:
            return annotation(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{name}: expected a number, got {raw!r}") from None
    if annotation is Path:
        return Path(raw)
    if origin in (list, tuple) or annotation in (list, tuple):
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("["):
                try:
                    raw = json.loads(text)
                except json.JSONDecodeError:
                    raise SettingsError(f"{name}: invalid JSON list {raw!r}") from None
            else:
                raw = [part.strip() for part in text.split(",") if part.strip()]
        item_type = args[0] if args else str
        items = [_coerce(item, item_type, name) for item in raw]
        return tuple(items) if (origin is tuple or annotation is tuple) else items
    if annotation is str:
        return str(raw)
    return raw


def load_settings(cls: type[T], table: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> T:
    """Build ``cls`` from a TOML table and the environment (environment wins).

    :raises SettingsError: with the variable name when a value cannot be converted.
    """
    table = table or {}
    environ = environ if environ is not None else {}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        env_name = ENV_PREFIX + field.name.upper()
        if env_name in environ:
            values[field.name] = _coerce(environ[env_name], hints[field.name], env_name)
        elif field.name in table:
            values[field.name] = _coerce(table[field.name], hints[field.name], field.name)
    return cls(**values)


def read_toml(path: Path | None) -> dict[str, Any]:
    """Read a TOML settings file; a missing path gives an empty table."""
    if path is None:
        return {}
    import tomllib

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
