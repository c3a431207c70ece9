"""Database backup and restore around a switch: SQLite through its online backup API, PostgreSQL
with ``pg_dump``/``pg_restore``. Run by the supervisor while no server is running."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupFailed(Exception):
    """A backup or restore did not complete; the message says which tool failed and why."""


def _kind(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupFailed("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str], what: str, timeout: float = 3600) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupFailed(f"{what}: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise BackupFailed(f"{what}: {lines[-1] if lines else f'exit status {done.returncode}'}")
    return done.stdout


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup(database_url: str, base: Path) -> Path:
    """Back the database up to ``base`` plus a suffix (``.sqlite`` or ``.dump``); returns the file."""
    base.parent.mkdir(parents=True, exist_ok=True)
    try:
        if _kind(database_url) == "sqlite":
            target = base.with_name(base.name + ".sqlite")
            _sqlite_copy(_sqlite_path(database_url), target)
            return target
        target = base.with_name(base.name + ".dump")
        _run(["pg_dump", "--format=custom", "--file", str(target), "--dbname", _libpq_url(database_url)], "pg_dump")
        return target
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite backup: {exc}") from None


def restore(database_url: str, backup_file: Path) -> None:
    """Put the database back exactly as ``backup_file`` has it (tables made since are dropped)."""
    try:
        if _kind(database_url) == "sqlite":
            _sqlite_copy(backup_file, _sqlite_path(database_url))
            return
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite restore: {exc}") from None
    url = _libpq_url(database_url)
    tables = _run(["psql", "--no-psqlrc", "-At", "--dbname", url, "-c",
                   "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"], "psql").split()
    if tables:
        _run(["psql", "--no-psqlrc", "-q", "--dbname", url, "-v", "ON_ERROR_STOP=1", "-c",
              f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE"], "psql")
    _run(["pg_restore", "--single-transaction", "--no-owner", "--exit-on-error", "--dbname", url,
          str(backup_file)], "pg_restore")


def revisions(database_url: str) -> list[str]:
    """The alembic revisions the database is at (empty when it has none yet)."""
    if _kind(database_url) == "sqlite":
        connection = sqlite3.connect(_sqlite_path(database_url))
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.Error:
            return []
        finally:
            connection.close()
        return sorted(str(row[0]) for row in rows)
    try:
        out = _run(["psql", "--no-psqlrc", "-At", "--dbname", _libpq_url(database_url), "-c",
                    "SELECT version_num FROM alembic_version"], "psql")
    except BackupFailed:
        return []
    return sorted(out.split())
