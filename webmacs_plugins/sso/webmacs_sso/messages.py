"""Every answer the SSO routes give, in one place: the contract's fixed strings and ours."""

from __future__ import annotations

from webmacs_sdk.errors import ApiError, BadRequest, Forbidden, NotFound

# Contract §1.4 / §2.6.2 (clients and tests match on these words).
NOT_ENABLED = "SSO is not enabled."
MISCONFIGURED = "SSO is enabled but OIDC_ISSUER_URL or OIDC_CLIENT_ID is missing."
BAD_STATE = "Invalid or expired SSO state."
EXCHANGE_FAILED = "Failed to exchange authorization code with identity provider."
NO_USERINFO_ENDPOINT = "Identity provider does not expose a userinfo endpoint."
TOO_MANY_STARTS = "Too many sign-ins started from this address. Please try again later."
USERINFO_FAILED = "Failed to fetch user information from identity provider."
NO_EMAIL = ("Identity provider did not return an email address. "
            "Ensure the 'email' scope is requested and the user has a verified email.")
NO_SUBJECT = "Identity provider did not return a subject identifier."
LINK_UNVERIFIED = "Cannot link SSO account: the identity provider has not verified this email address."
ADMIN_LINK = ("Cannot automatically link an admin account to SSO. "
              "An administrator must manually link this account.")
NO_AUTO_CREATE = ("No local account found and automatic user creation is disabled. "
                  "Ask an administrator to create your account first.")
CREATE_UNVERIFIED = "Cannot create account: the identity provider has not verified this email address."
BAD_CODE = "Invalid or expired SSO authorization code."

# Ours: what WebMACS upstream did not check.
DISCOVERY_FAILED = "Failed to fetch the identity provider's configuration."
INVALID_EMAIL = "Identity provider returned an email address that is not valid."
OTHER_ISSUER = "The authorization response came from another identity provider."


def bad_gateway(detail: str) -> ApiError:
    """502: the identity provider failed or answered something unusable."""
    return ApiError(detail, status=502)


def invalid_id_token(reason: str) -> ApiError:
    """502 naming what was wrong with the ID token (``wrong audience``, ``expired``...)."""
    return bad_gateway(f"Invalid ID token from identity provider: {reason}.")


def egress_refused(reason: str) -> ApiError:
    """500: the configured IdP lies where the egress guard does not let the server go."""
    return ApiError(f"SSO is enabled but the identity provider's address is not allowed: {reason} "
                    "Allow it with WEBMACS_OIDC_EGRESS_ALLOW.", status=500)


def idp_refused(error: str) -> BadRequest:
    """400: the IdP sent the browser back with ``error=`` instead of a code."""
    return BadRequest(f"Identity provider refused the sign-in: {error[:100]}.")


def not_enabled() -> NotFound:
    return NotFound(NOT_ENABLED)


def misconfigured() -> ApiError:
    return ApiError(MISCONFIGURED, status=500)


def bad_state() -> BadRequest:
    return BadRequest(BAD_STATE)


def forbidden(detail: str) -> Forbidden:
    return Forbidden(detail)


#: Why a sign-in started by the web UI failed, as a short key in the failure page's URL (never
#: free text, so nobody can make the page say what they like).
FAILURES = {
    "state": BAD_STATE, "exchange": EXCHANGE_FAILED, "userinfo": USERINFO_FAILED, "email": NO_EMAIL,
    "subject": NO_SUBJECT, "link-unverified": LINK_UNVERIFIED, "admin": ADMIN_LINK, "no-account": NO_AUTO_CREATE,
    "create-unverified": CREATE_UNVERIFIED, "issuer": OTHER_ISSUER, "invalid-email": INVALID_EMAIL,
    "refused": "The identity provider did not sign you in.",
    "provider": "The identity provider's answer could not be used; the server log says why.",
    "configuration": "Single sign-on is not set up correctly; the server log says why.",
}


def failure_key(exc: ApiError) -> str:
    """The :data:`FAILURES` key of an error raised during a sign-in."""
    for key, text in FAILURES.items():
        if exc.detail == text:
            return key
    if exc.status >= 500:
        return "provider" if exc.status == 502 else "configuration"
    return "refused"
