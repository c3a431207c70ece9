"""Per-app state of the SSO plugin: its settings, the identity provider client, derived URLs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from webmacs_sdk.egress import HostResolver
from webmacs_sdk.keys import HOST, SETTINGS
from webmacs_sso import logins, messages, signouts
from webmacs_sso.provider import IdentityProvider
from webmacs_sso.settings import SsoSettings

CALLBACK_PATH = "/api/v1/auth/sso/callback"
AUTHORIZE_PATH = "/api/v1/auth/sso/authorize"
#: The binding cookie is sent only to the SSO routes.
COOKIE_PATH = "/api/v1/auth/sso"
#: The web UI page that says why a sign-in it started was refused.
FAILED_PATH = "/sso-failed"
#: Where the web UI's sign-out goes on to the IdP's end-session endpoint.
LOGOUT_PATH = "/api/v1/auth/sso/logout"
#: The web UI's sign-in page: where every sign-out ends.
SIGNIN_PATH = "/signin"
_UNSPECIFIED_HOSTS = {"", "0.0.0.0", "::", "[::]"}


class Runtime:
    """Everything the plugin keeps while the app runs (the app itself is frozen)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.settings = app[HOST].section(SsoSettings)
        self._provider: IdentityProvider | None = None
        #: Name resolution of the egress guard; tests may substitute their own.
        self.resolver: HostResolver | None = None

    @property
    def configured(self) -> bool:
        return bool(self.settings.oidc_issuer_url and self.settings.oidc_client_id)

    def require_enabled(self) -> None:
        """:raises ApiError: 404 when SSO is off, 500 when it is on but incomplete (contract)."""
        if not self.settings.oidc_enabled:
            raise messages.not_enabled()
        if not self.configured:
            raise messages.misconfigured()

    @property
    def provider(self) -> IdentityProvider:
        if self._provider is None:
            self._provider = IdentityProvider(self.settings, resolver=self.resolver)
        return self._provider

    async def close(self) -> None:
        if self._provider is not None:
            await self._provider.close()
            self._provider = None

    def redirect_uri(self) -> str:
        """``WEBMACS_OIDC_REDIRECT_URI``, else derived from the server's own address (contract §1.4)."""
        if self.settings.oidc_redirect_uri:
            return self.settings.oidc_redirect_uri
        core = self.app[SETTINGS]
        scheme = "https" if core.env == "production" else "http"
        host = "localhost" if core.host in _UNSPECIFIED_HOSTS else core.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{scheme}://{host}:{core.port}{CALLBACK_PATH}"

    def frontend_url(self) -> str:
        """``WEBMACS_OIDC_FRONTEND_URL``, else the first CORS origin, else the Vite dev server."""
        if self.settings.oidc_frontend_url:
            return self.settings.oidc_frontend_url.rstrip("/")
        origins = self.app[SETTINGS].cors_origins
        return origins[0].rstrip("/") if origins else "http://localhost:5173"

    def post_logout_redirect_uri(self) -> str:
        """Where the IdP sends the browser after its sign-out: the sign-in page on the redirect URI's site."""
        parts = urlsplit(self.redirect_uri())
        return urlunsplit((parts.scheme, parts.netloc, SIGNIN_PATH, "", ""))

    def session_cookie(self) -> tuple[str, str, bool]:
        """Name, path and ``Secure`` flag of the cookie naming the SSO session (as the binding cookie's)."""
        if self.redirect_uri().startswith("https://"):
            return signouts.SECURE_COOKIE, "/", True
        return signouts.COOKIE, COOKIE_PATH, False

    def binding_cookie(self) -> tuple[str, str, bool]:
        """Name, path and ``Secure`` flag of the binding cookie: ``__Host-`` (path ``/``) over https."""
        if self.redirect_uri().startswith("https://"):
            return logins.SECURE_BINDING_COOKIE, "/", True
        return logins.BINDING_COOKIE, COOKIE_PATH, False


def local_path(value: str | None) -> str | None:
    """``value`` if it is a path on this site (``/events?x=1``), else ``None``: no open redirect."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 300:
        return None
    if any(ch < " " or ch == "\\" for ch in value):
        return None
    return value


RUNTIME: web.AppKey[Runtime] = web.AppKey("webmacs_sso.runtime", Runtime)


def runtime(app: web.Application) -> Runtime:
    return app[HOST].state(RUNTIME, lambda: Runtime(app))


async def cleanup_ctx(app: web.Application) -> AsyncIterator[None]:
    """Closes the IdP client's connections at shutdown."""
    yield
    await runtime(app).close()
