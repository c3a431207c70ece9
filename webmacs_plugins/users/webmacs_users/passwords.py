"""bcrypt hashing, always off the event loop (a cost-12 hash takes ~250 ms of CPU)."""

from __future__ import annotations

import asyncio

import bcrypt

#: bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated.
MAX_PASSWORD_BYTES = 72


MIN_PASSWORD_LENGTH = 8


def too_long(password: str) -> bool:
    return len(password.encode("utf-8")) > MAX_PASSWORD_BYTES


def password_problem(password: str) -> str | None:
    """What is wrong with ``password`` under the one rule of every way to set one, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    if too_long(password):
        return f"the password is longer than {MAX_PASSWORD_BYTES} bytes (bcrypt would cut it off)"
    return None


async def hash_password(password: str, rounds: int) -> str:
    def run() -> str:
        return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")

    return await asyncio.to_thread(run)


async def verify_password(password: str, password_hash: str) -> bool:
    """Constant-time check; a password over 72 bytes or a malformed hash never matches."""
    if too_long(password):
        return False

    def run() -> bool:
        try:
            return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
        except ValueError:
            return False

    return await asyncio.to_thread(run)


#: A valid hash of a random secret: checked against when the email is unknown, so the
#: response time does not tell which emails exist.
DUMMY_HASH = bcrypt.hashpw(b"unknown-user-timing-equaliser", bcrypt.gensalt(4)).decode("ascii")
