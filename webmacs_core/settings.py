"""Core settings: ``WEBMACS_*`` environment variables, or a TOML file named by ``WEBMACS_CONFIG``.

Every field below is documented with its default; ``webmacs serve --help`` and
``docs/configuration.md`` list the same names.
"""

from __future__ import annotations

import importlib.metadata
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from webmacs_sdk.settings import load_settings, read_toml

T = TypeVar("T")


def installed_version() -> str:
    """The version of the installed ``webmacs`` distribution (what an update changes)."""
    try:
        return importlib.metadata.version("webmacs")
    except importlib.metadata.PackageNotFoundError:
        return "2.0.0"


@attrs.frozen
class Settings:
    """The server's own settings. Plugin settings live in their own sections (``section()``)."""

    #: SQLAlchemy URL. Default: a SQLite file ``webmacs.db`` in the working directory.
    #: PostgreSQL: ``postgresql+asyncpg://user:pass@host/db``.
    database_url: str = "sqlite+aiosqlite:///webmacs.db"
    #: Run migrations when the server starts.
    auto_migrate: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    #: ``development`` or ``production``. Production refuses a missing, placeholder or short
    #: ``secret_key`` at ``serve``; single sign-on derives an https callback address from it.
    env: str = "development"
    #: Signing key of tokens. Empty: a random key is generated and kept in ``secret_key_file``.
    secret_key: str = attrs.field(default="", repr=False)
    secret_key_file: Path = Path(".webmacs-secret")
    #: Plugins not to load, by entry-point name (``logs,ota``). Essential plugins cannot be blocked.
    disable_plugins: tuple[str, ...] = ()
    #: Load no entry-point plugins at all (only explicitly given ones: tests).
    disable_plugin_autoload: bool = False
    #: Where uploaded plugin wheels are installed; its ``site-packages`` is searched for plugins.
    plugin_dir: Path = Path("plugins")
    #: A plugin that fails to load aborts startup instead of being recorded.
    strict_plugins: bool = False
    #: Name of the storage backend, of the live bus, and the ordered auth backends (empty: all).
    storage_backend: str = "sql"
    live_bus: str = "memory"
    auth_backends: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ("http://localhost:3000", "http://localhost:5173")
    #: Largest accepted request body (uploads have their own caps).
    max_body_bytes: int = 1_048_576
    #: Seconds a client may take to send a request's headers, and then its body (slow clients are cut off).
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 60.0
    #: Proxies whose ``X-Forwarded-For`` (client address) and ``X-Forwarded-Proto`` (https) are
    #: believed (addresses or CIDR networks).
    trusted_proxies: tuple[str, ...] = ()
    #: Datapoint timestamps further in the future than this are rejected.
    max_clock_skew_seconds: float = 300.0
    #: Datapoint timestamps older than this are rejected (a spool replay may be days late).
    max_datapoint_age_days: float = 3650.0
    #: Batches waiting for after-commit notification before ingestion waits for them.
    notify_queue_size: int = 10_000
    #: Database connection pool size (PostgreSQL).
    db_pool_size: int = 10
    #: The running version (``/health``, ``/ota/check``): the installed ``webmacs`` distribution's.
    version: str = attrs.field(factory=installed_version)
    #: Raw TOML tables of the plugin sections, ``[plugins.<name>]``.
    plugin_tables: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    environ: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment and the optional TOML file; ``overrides`` win."""
        environ = dict(os.environ if environ is None else environ)
        config_path = environ.get("WEBMACS_CONFIG")
        table = read_toml(Path(config_path)) if config_path else {}
        base = load_settings(cls, table.get("server", {}), environ)
        return attrs.evolve(base, plugin_tables=table.get("plugins", {}), environ=environ, **overrides)

    def section(self, name: str, cls: type[T]) -> T:
        """A plugin's settings: ``[plugins.<name>]`` of the TOML file, then ``WEBMACS_*`` env."""
        return load_settings(cls, self.plugin_tables.get(name, {}), self.environ)

    def resolved_secret_key(self) -> str:
        """The configured key, or a random one persisted beside the database on first use."""
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key
