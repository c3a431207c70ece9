"""Settings: attrs classes filled from ``WEBMACS_*`` environment variables and a TOML file.

Each field ``foo_bar`` of a settings class is read from ``WEBMACS_FOO_BAR`` (environment wins)
or from the key ``foo_bar`` of its TOML table, and structured by cattrs into the field's type.
Lists accept JSON (``["a","b"]``) or commas; booleans ``1/0``, ``true/false``, ``yes/no``, ``on/off``.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs

T = TypeVar("T")
ENV_PREFIX = "WEBMACS_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


#: Shortest secret key a production server accepts (HS256 wants at least 256 bits of key).
MIN_SECRET_KEY_LENGTH = 32
#: Words of the placeholders that sample files and guides show instead of a real key.
_PLACEHOLDER_WORDS = ("changeme", "replaceme", "yoursecret", "secretkey", "example", "default", "insecure")
_HOW_TO_MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def production_secret_key_problem(env: str, secret_key: str) -> str | None:
    """Why a server of deployment ``env`` must not start with ``secret_key``, or ``None`` when it may.

    Only ``production`` is checked: development and demo servers keep working without a key (one is
    generated and kept in a file). A production key must be set, be no placeholder and be long
    enough, because whoever knows or guesses it can sign tokens for any account.
    """
    if env.strip().lower() != "production":
        return None
    make = (
        f"set WEBMACS_SECRET_KEY to a random string of at least {MIN_SECRET_KEY_LENGTH} characters "
        f"({_HOW_TO_MAKE_A_KEY})"
    )
    key = secret_key.strip()
    if not key:
        return f"WEBMACS_SECRET_KEY is not set and WEBMACS_ENV is production; {make}"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"WEBMACS_SECRET_KEY has only {len(key)} characters; {make}"
    letters = "".join(ch for ch in key.lower() if ch.isalnum())
    if any(word in letters for word in _PLACEHOLDER_WORDS) or len(set(letters)) < 8:
        return f"WEBMACS_SECRET_KEY looks like a placeholder, not a random key; {make}"
    return None


def _text_bool(raw: Any, _: type) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected a boolean, got {raw!r}")


def _number(raw: Any, kind: type) -> Any:
    if isinstance(raw, bool):  # TOML true is not a number
        raise ValueError(f"expected a number, got {raw!r}")
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {raw!r}") from None


def _items(raw: Any) -> Any:
    """A list from TOML as it is; from the environment as JSON (``["a","b"]``) or comma-separated."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"invalid JSON list {raw!r}") from None
    return [part.strip() for part in text.split(",") if part.strip()]


def _is_sequence(kind: Any) -> bool:
    return typing.get_origin(kind) in (list, tuple) or kind in (list, tuple)


def _optional_of(kind: Any) -> Any:
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in args:
        return next(a for a in args if a is not type(None))
    return None


def _converter() -> cattrs.Converter:
    """cattrs structuring for settings: text from the environment, typed values from TOML."""
    converter = cattrs.Converter()
    converter.register_structure_hook(bool, _text_bool)
    converter.register_structure_hook(int, _number)
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook(str, lambda raw, _: str(raw))
    converter.register_structure_hook(Path, lambda raw, _: Path(raw))

    def sequence(kind: Any) -> Any:
        args = typing.get_args(kind)
        item = args[0] if args else str
        container = tuple if (typing.get_origin(kind) or kind) is tuple else list
        return lambda raw, _: container(converter.structure(value, item) for value in _items(raw))

    def optional(kind: Any) -> Any:
        inner = _optional_of(kind)
        return lambda raw, _: None if raw is None or raw == "" else converter.structure(raw, inner)

    converter.register_structure_hook_factory(_is_sequence, sequence)
    converter.register_structure_hook_factory(lambda kind: _optional_of(kind) is not None, optional)
    return converter


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def load_settings(cls: type[T], table: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> T:
    """Build ``cls`` from a TOML table and the environment (environment wins), structured by cattrs.

    :raises SettingsError: with the variable name when a value cannot be converted.
    """
    table = table or {}
    environ = environ if environ is not None else {}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        env_name = ENV_PREFIX + field.name.upper()
        if env_name in environ:
            name, raw = env_name, environ[env_name]
        elif field.name in table:
            name, raw = field.name, table[field.name]
        else:
            continue
        try:
            values[field.name] = _CONVERTER.structure(raw, hints[field.name])
        except Exception as exc:
            raise SettingsError(f"{name}: {_reason(exc)}") from None
    return cls(**values)


def _reason(exc: BaseException) -> str:
    """The innermost message of a cattrs error (it wraps the hook's ``ValueError``)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return str(exc) or type(exc).__name__


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


_CONVERTER = _converter()
