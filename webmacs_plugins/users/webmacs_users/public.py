"""The users plugin's public API: what other plugins may import (everything else is private).

Accounts are read and changed through these functions; passwords are hashed and checked here
so every plugin uses one scheme. ``users`` is the table, for joins that name a user.
"""

from __future__ import annotations

from aiohttp import web

from webmacs_sdk.keys import HOST
from webmacs_users.passwords import hash_password, verify_password
from webmacs_users.schemas import UserResponse
from webmacs_users.settings import UsersSettings
from webmacs_users.store import (
    Row,
    by_email,
    by_id,
    by_public_id,
    by_sso_identity,
    count_admins,
    first_admin,
    insert,
    link_sso,
    principal,
    set_role,
    taken,
    to_response,
)
from webmacs_users.tables import users


def bcrypt_rounds(app: web.Application) -> int:
    """The configured cost of a password hash (``WEBMACS_BCRYPT_ROUNDS``)."""
    return app[HOST].section(UsersSettings).bcrypt_rounds


__all__ = [
    "Row",
    "UserResponse",
    "bcrypt_rounds",
    "by_email",
    "by_id",
    "by_public_id",
    "by_sso_identity",
    "count_admins",
    "first_admin",
    "hash_password",
    "insert",
    "link_sso",
    "principal",
    "set_role",
    "taken",
    "to_response",
    "users",
    "verify_password",
]
