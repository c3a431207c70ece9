"""The first admin: created when the user table is empty, never with a well-known password."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from webmacs_sdk.emails import normalize_email
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import Role
from webmacs_users import store
from webmacs_users.passwords import hash_password
from webmacs_users.settings import UsersSettings

log = logging.getLogger(__name__)


async def seed_admin(app: web.Application) -> None:
    settings = app[HOST].section(UsersSettings)
    password = settings.initial_admin_password or secrets.token_urlsafe(12)
    password_hash = await hash_password(password, settings.bcrypt_rounds)
    async with app[DATABASE].transaction() as tx:
        if await store.count_users(tx.conn):
            return
        await store.insert(tx.conn, email=normalize_email(settings.initial_admin_email),
                           username=settings.initial_admin_username,
                           password_hash=password_hash, role=Role.ADMIN,
                           password_change_required=not settings.initial_admin_password)
    log.info("created the first admin %s", settings.initial_admin_email)
    if not settings.initial_admin_password:
        # Printed, not logged: the password must not end up in log files.
        print(
            "\n  First start: an admin account was created.\n"
            f"    email:    {settings.initial_admin_email}\n"
            f"    password: {password}\n"
            "  It is shown only this once; the web UI asks for a new one at the first sign-in\n"
            "  (or change it with PUT /api/v1/users/<id>).\n",
            flush=True,
        )
