"""One-line explanations of why a command could not start: a busy port, a database that cannot be
reached, refuses the login or does not exist, a malformed database URL or a missing driver.

Each message says what happened and what to do, and never shows the database password.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from webmacs_sdk.serving import ListenError

_URL_HELP = "e.g. postgresql+asyncpg://user:password@host:5432/webmacs or sqlite+aiosqlite:///webmacs.db"


def explain_startup_error(exc: BaseException, database_url: str) -> str | None:
    """What to tell the user about ``exc``, or ``None`` when it is not a known start-up problem."""
    if isinstance(exc, ListenError):
        return _listen_message(exc)
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, sa_exc.NoSuchModuleError):
        return f"no database driver for WEBMACS_DATABASE_URL {_safe(database_url)}: {exc}; use {_URL_HELP}"
    if isinstance(exc, sa_exc.ArgumentError):
        return f"WEBMACS_DATABASE_URL {_safe(database_url)} is not a database URL; use {_URL_HELP}"
    where = _where(database_url)
    for cause in _causes(exc):
        name = type(cause).__name__
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return (
                f"the database at {where} refused the login ({cause}); "
                "fix the user name and password in WEBMACS_DATABASE_URL"
            )
        if name == "InvalidCatalogNameError":
            return f"{cause} at {where}; create it (createdb) or fix the database name in WEBMACS_DATABASE_URL"
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the database host of {where}; fix the host in WEBMACS_DATABASE_URL"
        if isinstance(cause, ConnectionRefusedError | TimeoutError) or (
            isinstance(cause, OSError) and cause.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH)
        ):
            reason = cause.strerror or type(cause).__name__
            return (
                f"cannot reach the database at {where} ({reason}); start it, or point WEBMACS_DATABASE_URL "
                "at a running database server"
            )
        if name == "OperationalError" and "unable to open database file" in str(cause):
            return f"cannot open the SQLite database {where}; make sure its folder exists and is writable"
    return None


def _listen_message(exc: ListenError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {exc.host}:{exc.port}: the port is busy (another program listens there); "
            "stop it or choose another port with --port or WEBMACS_PORT"
        )
    if exc.errno == errno.EACCES:
        return (
            f"cannot listen on {exc.host}:{exc.port}: not allowed (ports below 1024 need privileges); "
            "choose another port with --port or WEBMACS_PORT"
        )
    if exc.errno in (errno.EADDRNOTAVAIL, socket.EAI_NONAME):
        return f"cannot listen on {exc.host}:{exc.port}: not an address of this machine; fix --host or WEBMACS_HOST"
    return f"cannot listen on {exc.host}:{exc.port} ({exc.strerror}); fix --host/--port or WEBMACS_HOST/WEBMACS_PORT"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                pending.append(nxt)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except Exception:
        return "(unparsable)"


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return "(unparsable URL)"
    if parsed.get_backend_name() == "sqlite":
        return repr(parsed.database or ":memory:")
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''} as user {parsed.username!r}"
