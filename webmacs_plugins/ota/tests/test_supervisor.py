"""The supervisor with small stand-in servers (real processes, real HTTP, a real SQLite file):
switching, the readiness time-out with database restore, the manual switch back, and restarting a
server that died. Stand-ins start in a fraction of a second, so the time-out can be short."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ota_support import free_port, stop_group

from webmacs_sdk.ota.layout import COMPLETE_MARKER, Layout, read_json, write_json

READY_TIMEOUT = 4

#: The supervisor without the CLI around it (``webmacs supervise`` loads every plugin first; the
#: end-to-end test runs it that way): settings from the same environment variables.
RUN_SUPERVISOR = """
import os, sys, types
from pathlib import Path
from webmacs_ota.supervisor import Supervisor, SupervisorSettings
core = types.SimpleNamespace(database_url=os.environ["WEBMACS_DATABASE_URL"], host=os.environ["WEBMACS_HOST"],
                             port=int(os.environ["WEBMACS_PORT"]))
options = SupervisorSettings(ota_ready_timeout_seconds=float(sys.argv[2]), ota_poll_seconds=0.1,
                             ota_restart_delay_seconds=0.2)
sys.exit(Supervisor(Path(sys.argv[1]), core, options).run())
"""

#: A stand-in ``webmacs``: records its start in the database, sets the schema revision, then
#: either answers /health/ready with its version or (``hang``) never listens.
STAND_IN = '''#!{python}
import http.server, json, os, sqlite3, sys, time
VERSION, REVISION, HANG = {version!r}, {revision!r}, {hang!r}
db = sqlite3.connect(os.environ["STAND_IN_DB"])
db.execute("CREATE TABLE IF NOT EXISTS starts (version TEXT)")
db.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num TEXT)")
db.execute("INSERT INTO starts VALUES (?)", (VERSION,))
db.execute("DELETE FROM alembic_version")
db.execute("INSERT INTO alembic_version VALUES (?)", (REVISION,))
db.commit()
db.close()
if HANG:
    time.sleep(3600)
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"version": VERSION, "pid": os.getpid()}}).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["WEBMACS_PORT"])), Ready).serve_forever()
'''


def _stand_in(layout: Layout, version: str, revision: str, *, hang: bool = False) -> None:
    bin_dir = layout.version_dir(version) / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "webmacs"
    script.write_text(STAND_IN.format(python=sys.executable, version=version, revision=revision, hang=hang))
    script.chmod(0o755)
    (layout.version_dir(version) / COMPLETE_MARKER).write_text(version)


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as resp:
            return json.loads(resp.read())
    except OSError:
        return None


def _wait(predicate, within: float, what: str, log: Path):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (value := predicate()) is not None:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}\n{log.read_text(errors='replace')[-3000:]}")


def _outcome(layout: Layout) -> dict | None:
    try:
        data = json.loads(layout.outcome_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    layout.outcome_file.unlink()
    return data


def _starts(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM starts")]


def test_switch_timeout_rollback_manual_rollback_and_restart(tmp_path):
    layout = Layout(tmp_path / "install")
    layout.ensure()
    _stand_in(layout, "1.0.0", "r1")
    _stand_in(layout, "1.0.1", "r1")
    _stand_in(layout, "1.0.2", "r2", hang=True)
    layout.point(layout.current, "1.0.0")
    db, port, log = tmp_path / "site.db", free_port(), tmp_path / "supervisor.log"
    env = {**os.environ, "WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "WEBMACS_HOST": "127.0.0.1",
           "WEBMACS_PORT": str(port), "STAND_IN_DB": str(db)}
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-c", RUN_SUPERVISOR, str(layout.root), str(READY_TIMEOUT)],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first = _wait(lambda: _health(port), 60, "1.0.0 never answered", log)
        assert first["version"] == "1.0.0"

        write_json(layout.request_file, {"action": "switch", "version": "1.0.1", "record": "r-101"})
        outcome = _wait(lambda: _outcome(layout), 30, "no outcome of the switch to 1.0.1", log)
        assert (outcome["result"], outcome["record"], outcome["from_version"]) == ("running", "r-101", "1.0.0")
        assert _health(port)["version"] == "1.0.1"
        assert os.readlink(layout.previous) == "versions/1.0.0"
        assert sorted(p.name for p in layout.backups.iterdir()) == [
            next(p.name for p in layout.backups.iterdir() if p.name.startswith("1.0.0-to-1.0.1-"))]

        # 1.0.2 writes to the database, changes the schema revision, and never gets ready.
        write_json(layout.request_file, {"action": "switch", "version": "1.0.2", "record": "r-102"})
        outcome = _wait(lambda: _outcome(layout), 30 + READY_TIMEOUT, "no outcome of the switch to 1.0.2", log)
        assert outcome["result"] == "rolled_back"
        assert outcome["reason"] == (f"version 1.0.2 did not answer /health/ready within {READY_TIMEOUT} s; "
                                     "switched back to 1.0.1 and restored the database backup")
        back = _wait(lambda: _health(port), 30, "1.0.1 did not come back", log)
        assert back["version"] == "1.0.1"
        assert "1.0.2" not in _starts(db)  # the backup was restored over what 1.0.2 wrote
        assert os.readlink(layout.current) == "versions/1.0.1"
        assert os.readlink(layout.previous) == "versions/1.0.0"

        # A server that dies is started again.
        os.kill(back["pid"], signal.SIGKILL)
        def restarted() -> dict | None:
            now = _health(port)
            return now if now is not None and now["pid"] != back["pid"] else None

        again = _wait(restarted, 30, "the server was not restarted", log)
        assert again["version"] == "1.0.1"

        # Manual rollback: back to 1.0.0; same schema revision, so the database is kept as it is.
        write_json(layout.request_file, {"action": "rollback", "version": "1.0.1", "record": "r-101"})
        outcome = _wait(lambda: _outcome(layout), 30, "no outcome of the manual rollback", log)
        assert outcome["result"] == "switched_back"
        assert outcome["reason"] == "switched back to 1.0.0; kept the database as it is (same schema)"
        assert _wait(lambda: _health(port), 30, "1.0.0 did not answer", log)["version"] == "1.0.0"
        assert _starts(db).count("1.0.1") == 3  # what 1.0.1 wrote (three starts) is still there
        assert not layout.previous.is_symlink()
    finally:
        stop_group(supervisor)


def test_a_switch_pending_when_the_supervisor_dies_is_rolled_back_with_the_database_at_its_next_start(tmp_path):
    layout = Layout(tmp_path / "install")
    layout.ensure()
    _stand_in(layout, "1.0.0", "r1")
    _stand_in(layout, "1.0.1", "r2", hang=True)
    layout.point(layout.current, "1.0.0")
    db, port, log = tmp_path / "site.db", free_port(), tmp_path / "supervisor.log"
    env = {**os.environ, "WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "WEBMACS_HOST": "127.0.0.1",
           "WEBMACS_PORT": str(port), "STAND_IN_DB": str(db)}

    def start() -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-c", RUN_SUPERVISOR, str(layout.root), str(READY_TIMEOUT)],
                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def checking() -> dict | None:
        # 1.0.1 is switched to and has written to the database: the supervisor waits for its health.
        pending = read_json(layout.pending_file)
        return pending if pending and layout.running_version() == "1.0.1" and "1.0.1" in _starts(db) else None

    supervisor = start()
    try:
        assert _wait(lambda: _health(port), 60, "1.0.0 never answered", log)["version"] == "1.0.0"
        write_json(layout.request_file, {"action": "switch", "version": "1.0.1", "record": "r-101"})
        pending = _wait(checking, 30, "the switch to 1.0.1 never started", log)
        assert pending["kept"]["backup"].startswith(str(layout.backups))
        os.killpg(supervisor.pid, signal.SIGKILL)  # supervisor and server at once, as a power loss
        supervisor.wait()
        assert not layout.outcome_file.exists()

        supervisor = start()
        outcome = _wait(lambda: _outcome(layout), 30 + READY_TIMEOUT, "no outcome after the restart", log)
        assert (outcome["result"], outcome["record"], outcome["from_version"]) == ("rolled_back", "r-101", "1.0.0")
        assert outcome["reason"] == (f"version 1.0.1 did not answer /health/ready within {READY_TIMEOUT} s (checked "
                                     "again after the supervisor restarted); switched back to 1.0.0 and restored "
                                     "the database backup")
        assert _wait(lambda: _health(port), 30, "1.0.0 did not come back", log)["version"] == "1.0.0"
        assert "1.0.1" not in _starts(db)
        assert os.readlink(layout.current) == "versions/1.0.0"
        assert not layout.pending_file.exists()
    finally:
        stop_group(supervisor)
