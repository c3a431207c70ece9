"""Database backup and restore as the supervisor does them, on SQLite and the real PostgreSQL:
a table written after the backup is gone after the restore, rows changed since are back."""

from __future__ import annotations

import sqlite3
import subprocess

from sqlalchemy.engine import make_url

from webmacs_ota import dbbackup


def _sql(url: str, statement: str) -> str:
    if make_url(url).get_backend_name() == "sqlite":
        with sqlite3.connect(make_url(url).database) as conn:
            rows = conn.execute(statement).fetchall()
        return "\n".join("|".join(str(c) for c in row) for row in rows)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run(["psql", "--no-psqlrc", "-At", "-v", "ON_ERROR_STOP=1", "--dbname", libpq, "-c", statement],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_backup_restore_and_revisions(webmacs_database, tmp_path):
    url = webmacs_database(frozenset({"ota-backup-test"}))
    for statement in ("DROP TABLE IF EXISTS readings", "DROP TABLE IF EXISTS alembic_version",
                      "DROP TABLE IF EXISTS added_later",
                      "CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL)",
                      "CREATE TABLE alembic_version (version_num VARCHAR(32))",
                      "INSERT INTO alembic_version VALUES ('core_0001')",
                      "INSERT INTO readings VALUES (1, 20.5), (2, 21.5)"):
        _sql(url, statement)
    assert dbbackup.revisions(url) == ["core_0001"]
    backup = dbbackup.backup(url, tmp_path / "backups" / "2.0.0-to-2.0.1")
    assert backup.exists() and backup.stat().st_size > 0

    # What a new version might do: migrate (new table, new revision) and change rows.
    for statement in ("CREATE TABLE added_later (id INTEGER)", "UPDATE alembic_version SET version_num = 'core_0002'",
                      "DELETE FROM readings WHERE id = 1", "INSERT INTO readings VALUES (3, 99.0)"):
        _sql(url, statement)
    assert dbbackup.revisions(url) == ["core_0002"]

    dbbackup.restore(url, backup)
    assert _sql(url, "SELECT id, value FROM readings ORDER BY id") == "1|20.5\n2|21.5"
    assert dbbackup.revisions(url) == ["core_0001"]
    tables = ("SELECT name FROM sqlite_master WHERE type = 'table'" if url.startswith("sqlite")
              else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert "added_later" not in _sql(url, tables)


def test_a_failed_backup_says_why(tmp_path):
    url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    try:
        dbbackup.backup(url, tmp_path / "b")
    except dbbackup.BackupFailed as exc:
        assert str(exc).startswith("pg_dump: ")
    else:
        raise AssertionError("a backup of an unreachable server succeeded")
