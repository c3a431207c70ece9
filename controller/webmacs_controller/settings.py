"""Controller settings from ``WEBMACS_*`` environment variables and an optional TOML file.

They are loaded like the server's, by :func:`webmacs_sdk.settings.load_settings`: the environment
wins over the file, values are structured by cattrs into each field's type (booleans ``1/0``,
``true/false``, ``yes/no``, ``on/off``), and a value that cannot be used is a :class:`SettingsError`
naming the variable. The controller's file has its settings as top-level keys (``server_url``;
``WEBMACS_SERVER_URL`` is read as the same key), not in a ``[server]`` table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from webmacs_sdk.settings import SettingsError, load_settings, read_toml

__all__ = ["ControllerSettings", "SettingsError"]


@attrs.define
class ControllerSettings:
    """Everything the controller can be told; env names are ``WEBMACS_`` + the upper-case field name."""

    env: str = "development"
    server_url: str = "http://localhost"
    server_port: int = 8000
    admin_email: str = ""
    admin_password: str = ""
    api_token: str = ""
    poll_interval: float = 1.0
    request_timeout: float = 30.0
    max_batch_size: int = 100
    dedup_enabled: bool = False
    telemetry_mode: str = "websocket"
    auto_seed: bool = True
    plugin_sync_interval: float = 10.0
    spool_path: str = "webmacs-spool.db"
    #: Where drivers fetched from the server's wheelhouse are installed (never the controller's environment).
    plugin_dir: str = "webmacs-plugins"
    #: Seconds the first login may wait for the server before the controller gives up with an error.
    connect_timeout: float = 60.0
    spool_max_bytes: int = 256 * 1024 * 1024
    safe_state_after: float = 60.0
    ack_window: int = 8
    #: The A/B installation this controller runs from; ``webmacs-controller supervise`` sets it for its
    #: child, which then reports its health there (``state/healthy.json``). Empty: not supervised.
    ota_root: str = ""
    #: How long a controller switched to by an update has to get its first batch acknowledged.
    ota_ready_timeout_seconds: float = 120.0
    #: Ed25519 public keys whose bundle signatures the controller trusts: ``ed25519:<base64>`` texts or
    #: paths of ``.pub`` files, comma-separated.
    ota_trusted_keys: str = ""
    #: Seconds between asks for an offered update (under the supervisor only).
    ota_check_interval: float = 60.0
    #: Largest bundle the controller downloads.
    ota_max_bundle_bytes: int = 500 * 1024 * 1024
    #: Keys of the TOML file that are no setting (kept, not used).
    extra: dict[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.poll_interval < 0.2:
            raise SettingsError("WEBMACS_POLL_INTERVAL must be >= 0.2")
        if not 1 <= self.max_batch_size <= 500:
            raise SettingsError("WEBMACS_MAX_BATCH_SIZE must be between 1 and 500")
        if self.spool_max_bytes < 64 * 1024:
            raise SettingsError("WEBMACS_SPOOL_MAX_BYTES must be at least 65536")
        if self.ack_window < 1:
            raise SettingsError("WEBMACS_ACK_WINDOW must be >= 1")
        if self.ota_ready_timeout_seconds <= 0:
            raise SettingsError("WEBMACS_OTA_READY_TIMEOUT_SECONDS must be > 0")
        if self.ota_check_interval < 1:
            raise SettingsError("WEBMACS_OTA_CHECK_INTERVAL must be >= 1")
        self.telemetry_mode = self.telemetry_mode.strip().lower()
        if self.telemetry_mode not in {"http", "websocket"}:
            raise SettingsError("WEBMACS_TELEMETRY_MODE must be 'http' or 'websocket'")
        self.server_url = self.server_url.rstrip("/")
        parts = urlsplit(self.server_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                f"WEBMACS_SERVER_URL must start with http:// or https:// and name a host "
                f"(got {self.server_url!r}, e.g. http://192.168.1.10)"
            )
        if parts.port is not None or parts.path:
            raise SettingsError(
                f"WEBMACS_SERVER_URL is scheme and host only; the port goes in WEBMACS_SERVER_PORT "
                f"(got {self.server_url!r})"
            )

    @property
    def is_production(self) -> bool:
        """Production disables the dev auto-seed."""
        return self.env.lower() == "production"

    @property
    def api_base(self) -> str:
        """REST base URL, e.g. ``http://host:8000/api/v1``."""
        return f"{self.server_url}:{self.server_port}/api/v1"

    @property
    def telemetry_url(self) -> str:
        """Telemetry WebSocket URL without query string."""
        parts = urlsplit(self.server_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.hostname}:{self.server_port}/ws/controller/telemetry"

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> ControllerSettings:
        """Defaults, then the TOML file named by ``WEBMACS_CONTROLLER_CONFIG``, then the environment.

        :raises SettingsError: a value that cannot be used, or a file that is missing or not TOML.
        """
        environ = os.environ if environ is None else environ
        config_file = environ.get("WEBMACS_CONTROLLER_CONFIG")
        table = read_toml(Path(config_file)) if config_file else {}
        keys = {key.lower().removeprefix("webmacs_"): value for key, value in table.items()}
        known = {field.name for field in attrs.fields(cls)} - {"extra"}
        settings = load_settings(cls, {k: v for k, v in keys.items() if k in known}, environ)
        settings.extra = {k: v for k, v in keys.items() if k not in known}
        return settings
