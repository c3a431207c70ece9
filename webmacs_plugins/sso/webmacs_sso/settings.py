"""Settings of the SSO plugin (``WEBMACS_OIDC_*``; the contract's ``OIDC_*`` names with the prefix)."""

from __future__ import annotations

import attrs

from webmacs_sdk.models import Role


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
    oidc_default_role: str = Role.VIEWER.value
    oidc_auto_create_users: bool = True
    #: Where the browser goes with the one-time code; empty: the first CORS origin.
    oidc_frontend_url: str = ""
    #: Internal addresses the IdP may have (CIDR networks and/or host names): an on-premises IdP,
    #: or one on loopback. Public addresses need no entry.
    oidc_egress_allow: tuple[str, ...] = ()
    #: A claim whose values pick the role (``groups``); empty: roles are managed in WebMACS.
    oidc_role_claim: str = ""
    #: ``value=role`` pairs for the role claim (``wm-admins=admin,wm-ops=operator``).
    oidc_role_map: tuple[str, ...] = ()
    oidc_discovery_cache_seconds: int = 3600
    #: How long the browser may take at the IdP between authorize and callback.
    oidc_state_ttl_seconds: int = 600
    oidc_code_ttl_seconds: int = 60
    oidc_http_timeout_seconds: float = 10.0
    #: Tolerated clock difference with the IdP when checking ``exp`` and ``iat``.
    oidc_clock_skew_seconds: int = 60
    #: Shortest time between two JWKS fetches for an unknown key id (key rotation).
    oidc_jwks_refresh_seconds: int = 60
