"""Queries on the users table: the public module other plugins (auth, SSO) use to read users."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_sdk.db import new_public_id
from webmacs_sdk.models import Principal, Role
from webmacs_sdk.timefmt import iso_z, utcnow
from webmacs_users.tables import users

Row = sa.Row[Any]


async def by_id(conn: AsyncConnection, user_id: int) -> Row | None:
    return (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()


async def by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    return (await conn.execute(sa.select(users).where(users.c.public_id == public_id))).first()


async def by_email(conn: AsyncConnection, email: str) -> Row | None:
    """The user with this email, whatever its case (emails are unique regardless of case)."""
    query = sa.select(users).where(sa.func.lower(users.c.email) == sa.func.lower(email))
    return (await conn.execute(query)).first()


async def by_sso_identity(conn: AsyncConnection, provider: str, subject: str) -> Row | None:
    """The user linked to ``subject`` at the identity provider named ``provider``."""
    query = sa.select(users).where(users.c.sso_provider == provider, users.c.sso_subject_id == subject)
    return (await conn.execute(query)).first()


async def link_sso(conn: AsyncConnection, user_id: int, provider: str, subject: str) -> Row:
    """Link a user to an identity-provider subject; returns the updated row."""
    query = (sa.update(users).where(users.c.id == user_id)
             .values(sso_provider=provider, sso_subject_id=subject).returning(users))
    return (await conn.execute(query)).one()


async def set_role(conn: AsyncConnection, user_id: int, role: Role) -> Row:
    """Give a user ``role``; every access token issued under the old one stops working."""
    query = (sa.update(users).where(users.c.id == user_id)
             .values(role=role.value, token_epoch=next_token_epoch()).returning(users))
    return (await conn.execute(query)).one()


async def first_admin(conn: AsyncConnection) -> Row | None:
    query = sa.select(users).where(users.c.role == Role.ADMIN.value).order_by(users.c.id).limit(1)
    return (await conn.execute(query)).first()


async def count_users(conn: AsyncConnection) -> int:
    return int((await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one())


async def count_admins(conn: AsyncConnection) -> int:
    query = sa.select(sa.func.count()).select_from(users).where(users.c.role == Role.ADMIN.value)
    return int((await conn.execute(query)).scalar_one())


async def taken(conn: AsyncConnection, *, email: str | None = None, username: str | None = None,
                exclude_id: int | None = None) -> bool:
    """True if another user already has this email or username, in any case (``Admin`` is ``admin``)."""
    conditions = []
    if email is not None:
        conditions.append(sa.func.lower(users.c.email) == sa.func.lower(email))
    if username is not None:
        conditions.append(sa.func.lower(users.c.username) == sa.func.lower(username))
    if not conditions:
        return False
    query = sa.select(users.c.id).where(sa.or_(*conditions))
    if exclude_id is not None:
        query = query.where(users.c.id != exclude_id)
    return (await conn.execute(query.limit(1))).first() is not None


async def insert(conn: AsyncConnection, *, email: str, username: str, password_hash: str,
                 role: Role, sso_provider: str | None = None, sso_subject_id: str | None = None,
                 password_change_required: bool = False) -> Row:
    values = {
        "public_id": new_public_id(),
        "email": email,
        "username": username,
        "password_hash": password_hash,
        "role": role.value,
        "registered_on": utcnow(),
        "sso_provider": sso_provider,
        "sso_subject_id": sso_subject_id,
        "password_change_required": password_change_required,
    }
    result = await conn.execute(sa.insert(users).values(**values).returning(users))
    return result.one()


def next_token_epoch() -> sa.ColumnElement[int]:
    """The value for ``token_epoch`` in an update that changes a password or a role: every access
    token issued before stops working."""
    return users.c.token_epoch + 1


def principal(row: Row, credential: str = "", kind: str = "", credential_id: str | None = None) -> Principal:
    """The principal of a user row, with the credential that authenticated it."""
    return Principal(
        user_id=row.id,
        public_id=row.public_id,
        username=row.username,
        email=row.email,
        role=Role(row.role),
        credential=credential,
        credential_kind=kind,
        credential_id=credential_id,
        password_change_required=bool(getattr(row, "password_change_required", False)),
    )


def to_response(row: Row) -> dict[str, Any]:
    """UserResponse of contract §2.5 (``admin`` is the legacy flag; the SSO subject stays private)."""
    return {
        "public_id": row.public_id,
        "email": row.email,
        "username": row.username,
        "role": row.role,
        "admin": row.role == Role.ADMIN.value,
        "registered_on": iso_z(row.registered_on),
        "sso_provider": row.sso_provider,
    }


async def rehome_owned_rows(conn: AsyncConnection, hook: Any, old_owner: str, new_owner: str) -> None:
    """Hand every row declared through ``webmacs_user_owned_tables`` from ``old_owner`` to ``new_owner``."""
    caller = getattr(hook, "webmacs_user_owned_tables", None)
    for specs in caller() if caller is not None else ():
        for spec in specs or ():
            column = spec.table.c[spec.column]
            await conn.execute(sa.update(spec.table).where(column == old_owner).values({spec.column: new_owner}))
