"""Who an IdP identity is in WebMACS (contract §1.4): the linked user, a user linked now by a
verified email, or a new user; and, when configured, the role the IdP's claim gives them."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

import webmacs_users as users_api
from webmacs_sdk.db import is_unique_violation
from webmacs_sdk.emails import normalize_email
from webmacs_sdk.errors import BadRequest
from webmacs_sdk.models import Role
from webmacs_sso import messages
from webmacs_sso.settings import SsoSettings, parse_role_map

log = logging.getLogger(__name__)

USERNAME_MAX = 50
_NOT_USERNAME = re.compile(r"[^A-Za-z0-9._-]")


@attrs.frozen
class Identity:
    """The claims of a signed-in IdP user that WebMACS uses."""

    subject: str
    email: str
    email_verified: bool
    username_hint: str
    claims: Mapping[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Identity:
        """:raises BadRequest: no email, an invalid email, or no subject (contract messages)."""
        raw_email = claims.get("email")
        if not isinstance(raw_email, str) or not raw_email.strip():
            raise BadRequest(messages.NO_EMAIL)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise BadRequest(messages.NO_SUBJECT)
        try:
            # The one email rule of every account path: match and store as the users API does.
            email = normalize_email(raw_email.strip())
        except ValueError:
            raise BadRequest(messages.INVALID_EMAIL) from None
        verified = claims.get("email_verified")
        hint = next((str(claims[k]) for k in ("preferred_username", "name") if claims.get(k)), "")
        return cls(subject=subject, email=email,
                   email_verified=verified is True or verified == "true",
                   username_hint=hint or email.split("@", 1)[0], claims=claims)


def username_from(hint: str) -> str:
    """The contract's derivation: allowed characters only, at most 50, ``sso_user_<hex>`` if nothing is left."""
    cleaned = _NOT_USERNAME.sub("", hint.strip())[:USERNAME_MAX]
    return cleaned if len(cleaned) >= 2 else f"sso_user_{secrets.token_hex(3)}"


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by dotted path into nested objects (``realm_access.roles``)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def mapped_role(identity: Identity, settings: SsoSettings) -> Role | None:
    """The highest role the role claim's values map to; the default role when none maps;
    ``None`` when no role claim is configured (roles are then managed in WebMACS)."""
    if not settings.oidc_role_claim:
        return None
    value = _claim(identity.claims, settings.oidc_role_claim)
    values = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] \
        if isinstance(value, list) else []
    mapping = parse_role_map(settings.oidc_role_map)
    roles = [mapping[v] for v in values if v in mapping]
    return max(roles, key=lambda r: r.rank) if roles else Role(settings.oidc_default_role)


async def resolve(conn: AsyncConnection, identity: Identity, settings: SsoSettings) -> users_api.Row:
    """The user this identity signs in as, linked or created as the contract says.

    :raises Forbidden: linking or creation refused (contract messages).
    """
    provider = settings.oidc_provider_name
    row = await users_api.by_sso_identity(conn, provider, identity.subject)
    if row is None:
        row = await users_api.by_email(conn, identity.email)
        if row is not None:
            row = await _link(conn, row, identity, provider)
        else:
            row = await _create(conn, identity, settings)
    return await _apply_role(conn, row, mapped_role(identity, settings))


async def _link(conn: AsyncConnection, row: users_api.Row, identity: Identity, provider: str) -> users_api.Row:
    if not identity.email_verified:
        raise messages.forbidden(messages.LINK_UNVERIFIED)
    if row.role == Role.ADMIN.value:
        log.warning("refused to link admin %s to %s automatically", row.email, provider)
        raise messages.forbidden(messages.ADMIN_LINK)
    log.info("linked user %s to %s", row.username, provider)
    return await users_api.link_sso(conn, row.id, provider, identity.subject)


async def _create(conn: AsyncConnection, identity: Identity, settings: SsoSettings) -> users_api.Row:
    if not settings.oidc_auto_create_users:
        raise messages.forbidden(messages.NO_AUTO_CREATE)
    if not identity.email_verified:
        raise messages.forbidden(messages.CREATE_UNVERIFIED)
    username = username_from(identity.username_hint)
    if await users_api.taken(conn, username=username):
        username = f"{username[:USERNAME_MAX - 7]}_{secrets.token_hex(3)}"
    role = mapped_role(identity, settings) or Role(settings.oidc_default_role)
    try:
        async with conn.begin_nested():
            # Not a password hash: bcrypt refuses it, so no password ever signs this user in.
            row = await users_api.insert(conn, email=identity.email, username=username,
                                     password_hash=f"!sso:{secrets.token_hex(16)}", role=role,
                                     sso_provider=settings.oidc_provider_name, sso_subject_id=identity.subject)
    except sa.exc.IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        # A parallel callback of the same person created the account first.
        found = await users_api.by_sso_identity(conn, settings.oidc_provider_name, identity.subject)
        if found is None:
            raise
        return found
    log.info("created user %s (%s) from %s", username, role.value, settings.oidc_provider_name)
    return row


async def _apply_role(conn: AsyncConnection, row: users_api.Row, role: Role | None) -> users_api.Row:
    """Give ``row`` the role its claim maps to; the last admin is never demoted this way."""
    if role is None or row.role == role.value:
        return row
    if row.role == Role.ADMIN.value and await users_api.count_admins(conn) <= 1:
        log.warning("the role claim would demote %s, the last admin; kept admin", row.username)
        return row
    return await users_api.set_role(conn, row.id, role)  # ends the tokens issued under the old role
