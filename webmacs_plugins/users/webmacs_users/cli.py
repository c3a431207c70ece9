"""``webmacs create-admin``: add an admin account (or promote and reset an existing one)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from webmacs_sdk.db import Database
from webmacs_sdk.emails import normalize_email
from webmacs_sdk.models import Role
from webmacs_users import store
from webmacs_users.passwords import hash_password, password_problem
from webmacs_users.settings import UsersSettings
from webmacs_users.tables import users


def add_command(subparsers: Any) -> None:
    parser = subparsers.add_parser("create-admin", help="create an admin account (or promote an existing one)")
    parser.add_argument("--email", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", help="prompted for when omitted")
    parser.set_defaults(func=create_admin)


def create_admin(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    # The same rule as the users API and the login form: an admin who cannot sign in helps nobody.
    try:
        email = normalize_email(args.email)
    except ValueError as exc:
        print(f"webmacs: {exc}", file=sys.stderr)
        return 2
    if not 2 <= len(args.username) <= 50:
        print("webmacs: the username needs 2 to 50 characters", file=sys.stderr)
        return 2
    if args.password is None and not sys.stdin.isatty():
        print("webmacs: create-admin has no terminal to ask for the password on; pass --password", file=sys.stderr)
        return 2
    password = args.password if args.password is not None else getpass.getpass("Password for the new admin: ")
    problem = password_problem(password)
    if problem:
        print(f"webmacs: {problem}", file=sys.stderr)
        return 2
    rounds = settings.section("users", UsersSettings).bcrypt_rounds
    return asyncio.run(_create(settings.database_url, email, args.username, password, rounds))


async def _create(url: str, email: str, username: str, password: str, rounds: int) -> int:
    db = Database(create_async_engine(url))
    password_hash = await hash_password(password, rounds)
    try:
        async with db.transaction() as tx:
            existing = await store.by_email(tx.conn, email)
            if existing is not None:
                await tx.conn.execute(
                    sa.update(users).where(users.c.id == existing.id)
                    .values(role=Role.ADMIN.value, password_hash=password_hash, token_epoch=store.next_token_epoch())
                )
                print(f"{email} is now an admin; the password was reset")
                return 0
            if await store.taken(tx.conn, username=username):
                print(f"webmacs: the username {username!r} is taken")
                return 2
            await store.insert(tx.conn, email=email, username=username, password_hash=password_hash,
                               role=Role.ADMIN)
    except sa.exc.OperationalError as exc:
        print(f"webmacs: cannot use the database ({exc.orig}); run `webmacs migrate` first")
        return 2
    finally:
        await db.engine.dispose()
    print(f"admin {email} created")
    return 0
