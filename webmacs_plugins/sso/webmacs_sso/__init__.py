"""WebMACS SSO plugin: OpenID Connect sign-in (authorization code + PKCE) per contract §1.4.

Routes under ``/api/v1/auth/sso``; sign-ins in progress and one-time codes live in the
database (its own alembic branch ``sso``); tokens and browser sessions come from the auth
plugin's public API. With the web UI, its sign-in page offers "Sign in with <provider>".
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from webmacs_sdk import CleanupContextSpec, MigrationSpec, Page, Route, SettingsSpec, SignInMethod, hookimpl
from webmacs_sdk.models import Principal, Transaction
from webmacs_sso import signouts, webui
from webmacs_sso.routes import routes
from webmacs_sso.runtime import cleanup_ctx
from webmacs_sso.settings import SsoSettings


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("sso", SsoSettings)]


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("sso", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("sso.identity-provider", cleanup_ctx)]


@hookimpl(optionalhook=True)
def webmacs_sign_in_methods(request: web.Request) -> list[SignInMethod]:
    return webui.sign_in_methods(request)


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Page]:
    return webui.pages()


@hookimpl(optionalhook=True)
def webmacs_sign_out_url(request: web.Request) -> str | None:
    return webui.sign_out_url(request)


@hookimpl(optionalhook=True)
async def webmacs_on_logout(app: web.Application, tx: Transaction, principal: Principal) -> None:
    """A signed-out session that began with an SSO sign-in may now end at the IdP too."""
    await signouts.mark_signed_out(tx.conn, principal.credential)
