"""Settings of the SSO plugin (``WEBMACS_OIDC_*``; the contract's ``OIDC_*`` names with the prefix)."""

from __future__ import annotations

from typing import Any

import attrs

from webmacs_sdk.egress import EgressPolicy
from webmacs_sdk.models import Role
from webmacs_sdk.settings import SettingsError


def parse_role_map(entries: tuple[str, ...]) -> dict[str, Role]:
    """``("wm-admins=admin", ...)`` → ``{"wm-admins": Role.ADMIN}``.

    :raises SettingsError: an entry without ``=`` or naming no role.
    """
    mapping: dict[str, Role] = {}
    for entry in entries:
        value, sep, role = entry.rpartition("=")
        if not sep or not value.strip():
            raise SettingsError(f"WEBMACS_OIDC_ROLE_MAP: {entry!r} is not value=role")
        try:
            mapping[value.strip()] = Role(role.strip().lower())
        except ValueError:
            raise SettingsError(f"WEBMACS_OIDC_ROLE_MAP: {role.strip()!r} in {entry!r} is not a role "
                                "(admin, operator, viewer)") from None
    return mapping


def _role(_instance: Any, _attribute: Any, value: str) -> None:
    if value not in {r.value for r in Role}:
        raise SettingsError(f"WEBMACS_OIDC_DEFAULT_ROLE: {value!r} is not a role (admin, operator, viewer)")


def _role_map(_instance: Any, _attribute: Any, value: tuple[str, ...]) -> None:
    parse_role_map(value)


def _egress(_instance: Any, _attribute: Any, value: tuple[str, ...]) -> None:
    try:
        EgressPolicy.from_setting(value)
    except ValueError as exc:
        raise SettingsError(f"WEBMACS_OIDC_EGRESS_ALLOW: {exc}") from None


@attrs.frozen
class SsoSettings:
    """The identity provider, the client registered there, and how its users become WebMACS users."""

    oidc_enabled: bool = False
    #: Shown on the sign-in button and stored as the users' ``sso_provider``.
    oidc_provider_name: str = "SSO"
    #: Discovery base: ``<issuer>/.well-known/openid-configuration`` is fetched from it.
    oidc_issuer_url: str = ""
    oidc_client_id: str = ""
    #: Empty for a public client (PKCE alone authenticates the code exchange).
    oidc_client_secret: str = attrs.field(default="", repr=False)
    oidc_scopes: str = "openid email profile"
    #: Empty: ``http(s)://<host or localhost>:<port>/api/v1/auth/sso/callback`` from the server's settings.
    oidc_redirect_uri: str = ""
    oidc_default_role: str = attrs.field(default=Role.VIEWER.value, validator=_role)
    oidc_auto_create_users: bool = True
    #: Where the browser goes with the one-time code; empty: the first CORS origin.
    oidc_frontend_url: str = ""
    #: Internal addresses the IdP may have (CIDR networks and/or host names): an on-premises IdP,
    #: or one on loopback. Public addresses need no entry.
    oidc_egress_allow: tuple[str, ...] = attrs.field(default=(), validator=_egress)
    #: A claim whose values pick the role (``groups``); empty: roles are managed in WebMACS.
    oidc_role_claim: str = ""
    #: ``value=role`` pairs for the role claim (``wm-admins=admin,wm-ops=operator``).
    oidc_role_map: tuple[str, ...] = attrs.field(default=(), validator=_role_map)
    oidc_discovery_cache_seconds: int = 3600
    #: How long the browser may take at the IdP between authorize and callback.
    oidc_state_ttl_seconds: int = 600
    oidc_code_ttl_seconds: int = 60
    oidc_http_timeout_seconds: float = 10.0
    #: Tolerated clock difference with the IdP when checking ``exp`` and ``iat``.
    oidc_clock_skew_seconds: int = 60
    #: Shortest time between two JWKS fetches for an unknown key id (key rotation).
    oidc_jwks_refresh_seconds: int = 60
    #: Sign-ins one client address may start (``/authorize``) within ``oidc_authorize_window_seconds``;
    #: each start stores a pending login and may fetch the provider's discovery document.
    oidc_authorize_per_address: int = 30
    oidc_authorize_window_seconds: float = 60.0
