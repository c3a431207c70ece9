"""WebMACS auth plugin: JWT login/logout/me, persisted revocation, login throttling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webmacs_auth import hookspecs
from webmacs_auth.backend import JwtBackend
from webmacs_auth.cleanup import cleanup_ctx

# The plugin's public API, listed once in public.py and importable from the package itself.
from webmacs_auth.public import *  # noqa: F403
from webmacs_auth.public import __all__ as __all__
from webmacs_auth.routes import routes
from webmacs_auth.session import CookieBackend
from webmacs_auth.settings import AuthSettings
from webmacs_sdk import AuthBackendSpec, CleanupContextSpec, MigrationSpec, Route, SettingsSpec, hookimpl


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("auth", AuthSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("auth", Path(__file__).parent / "migrations")]


@hookimpl
def webmacs_register_auth_backends() -> list[AuthBackendSpec]:
    return [AuthBackendSpec("jwt", JwtBackend, priority=50), AuthBackendSpec("session", CookieBackend, priority=40)]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("auth.blacklist-cleanup", cleanup_ctx)]


