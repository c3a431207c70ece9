"""WebMACS API-token plugin: ``/api/v1/tokens`` and the ``api_token`` auth backend.

Logging out with an API token revokes it (upstream kept it valid).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from webmacs_sdk import AuthBackendSpec, MigrationSpec, Principal, Route, Transaction, hookimpl
from webmacs_tokens import pages as ui_pages
from webmacs_tokens.backend import ApiTokenBackend
from webmacs_tokens.routes import routes
from webmacs_tokens.tables import api_tokens


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("tokens", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_auth_backends() -> list[AuthBackendSpec]:
    return [AuthBackendSpec("api_token", ApiTokenBackend, priority=40)]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl(optionalhook=True)  # declared by the auth plugin
async def webmacs_on_logout(app: web.Application, tx: Transaction, principal: Principal) -> None:
    if principal.credential_kind == "api_token" and principal.credential_id:
        await tx.conn.execute(sa.delete(api_tokens).where(api_tokens.c.public_id == principal.credential_id))


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
