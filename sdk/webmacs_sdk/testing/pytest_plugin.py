"""pytest fixtures for WebMACS plugins (registered as the ``pytest11`` entry point ``webmacs``).

* ``webmacs_database``: ``"sqlite"`` and ``"postgresql"`` (each test using it runs on both).
* ``make_app(*plugins, **env)``: an app with exactly these plugins (entry-point names or modules).
* ``make_client(*plugins, **env)``: the same app, started, with an in-process HTTP/WS client.
* ``hook_recorder``: records the hook calls of the last app built.
* ``fake_distribution``: puts a fake installed distribution with entry points on ``sys.path``.

The server fixtures import ``webmacs_core`` lazily: device-driver authors need not install it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from webmacs_sdk.discovery import DRIVER_GROUP, ENTRY_POINT_GROUP, find_plugins
from webmacs_sdk.testing.databases import PostgresTestDatabases
from webmacs_sdk.testing.recorder import HookRecorder

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-signing"

#: Settings every test app gets unless a test overrides them.
BASE_ENV = {
    "WEBMACS_INITIAL_ADMIN_EMAIL": "admin@example.com",
    "WEBMACS_INITIAL_ADMIN_USERNAME": "admin",
    "WEBMACS_INITIAL_ADMIN_PASSWORD": "admin-password-1",
    "WEBMACS_BCRYPT_ROUNDS": "4",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--webmacs-db",
        default=os.environ.get("WEBMACS_TEST_DATABASES", "sqlite,postgresql"),
        help="comma-separated databases server tests run on (sqlite, postgresql)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "webmacs_database" in metafunc.fixturenames:
        kinds = [k.strip() for k in metafunc.config.getoption("--webmacs-db").split(",") if k.strip()]
        metafunc.parametrize("webmacs_database", kinds, indirect=True)


@pytest.fixture(scope="session")
def webmacs_postgres() -> Iterator[PostgresTestDatabases]:
    databases = PostgresTestDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture
def webmacs_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[frozenset[str]], str]:
    """``url_for(branches)``: a database URL for this test, clean on its first use in the test.

    The same test asking again (an app "restarted" on the same data) gets the same database.
    """
    kind = request.param
    seen: dict[frozenset[str], str] = {}

    def url_for(branches: frozenset[str]) -> str:
        if branches in seen:
            return seen[branches]
        if kind == "postgresql":
            pg: PostgresTestDatabases = request.getfixturevalue("webmacs_postgres")
            database = pg.get(branches)
            pg.truncate(database)
            seen[branches] = database.url
        else:
            seen[branches] = f"sqlite+aiosqlite:///{tmp_path / 'webmacs.db'}"
        return seen[branches]

    url_for.kind = kind  # type: ignore[attr-defined]
    return url_for


def _entry_point_plugins(names: set[str]) -> list[tuple[str, object]]:
    found = {entry.name: entry for entry in find_plugins()}
    missing = names - set(found)
    if missing:
        raise LookupError(f"no installed webmacs plugin named {', '.join(sorted(missing))}")
    return [(name, found[name].load()) for name in sorted(names)]


@pytest.fixture
def hook_recorder() -> Iterator[Callable[[Any], HookRecorder]]:
    recorders: list[HookRecorder] = []

    def attach(pm: Any) -> HookRecorder:
        recorder = HookRecorder(pm)
        recorders.append(recorder)
        return recorder

    yield attach
    for recorder in recorders:
        recorder.close()


@pytest.fixture
def make_app(webmacs_database: Callable[[frozenset[str]], str], tmp_path: Path) -> Callable[..., Any]:
    """Build (not start) an app with exactly the given plugins on this test's database."""
    from webmacs_core.app import create_app
    from webmacs_core.plugins import build_plugin_manager
    from webmacs_core.settings import Settings

    def factory(*plugins: str | object, env: dict[str, str] | None = None, **overrides: Any) -> Any:
        names = {p for p in plugins if isinstance(p, str)}
        objects = [p for p in plugins if not isinstance(p, str)]
        pm = build_plugin_manager(
            plugins=[*_entry_point_plugins(names), *objects], entrypoints=False, strict=True
        )
        branches = frozenset(spec.branch for spec in pm.collect("webmacs_migrations"))
        environ = {**BASE_ENV, **(env or {})}
        settings = Settings.load(
            environ,
            database_url=webmacs_database(branches),
            secret_key=TEST_SECRET,
            secret_key_file=tmp_path / "secret",
            strict_plugins=True,
            **overrides,
        )
        return create_app(settings, pm=pm)

    return factory


@pytest.fixture
async def make_client(make_app: Callable[..., Any], aiohttp_client: Any) -> AsyncIterator[Callable[..., Any]]:
    """Build and start an app with exactly the given plugins; returns its test client."""

    async def factory(*plugins: str | object, env: dict[str, str] | None = None, **overrides: Any) -> Any:
        app = make_app(*plugins, env=env, **overrides)
        return await aiohttp_client(app)

    yield factory


@pytest.fixture
def fake_distribution(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Install a fake distribution: ``fake_distribution("acme", {"acme": "acme_mod"}, modules={...})``.

    ``drivers={"id": "mod"}`` also lists entries in the ``webmacs.drivers`` group.
    """
    root = tmp_path / "fake-site"
    root.mkdir()
    sys.path.insert(0, str(root))

    def install(
        name: str,
        entry_points: dict[str, str],
        modules: dict[str, str] | None = None,
        drivers: dict[str, str] | None = None,
    ) -> Path:
        info = root / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{k} = {v}" for k, v in entry_points.items())]
        if drivers:
            lines += [f"[{DRIVER_GROUP}]", *(f"{k} = {v}" for k, v in drivers.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in (modules or {}).items():
            (root / f"{module}.py").write_text(source)
        importlib.invalidate_caches()
        return info

    yield install
    sys.path.remove(str(root))
    importlib.invalidate_caches()


async def login(client: Any, email: str, password: str) -> str:
    """Log in through the API and return the access token."""
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert resp.status == 200, f"login failed: {resp.status} {await resp.text()}"
    return str((await resp.json())["access_token"])


@pytest.fixture
def auth_headers() -> Callable[..., Any]:
    """``await auth_headers(client, "operator")``: bearer headers of a user with that role.

    Needs the ``users`` and ``auth`` plugins in the app. Each role's user is created once per
    client through the API (the seeded admin creates it).
    """
    cache: dict[tuple[int, str], dict[str, str]] = {}

    async def headers(client: Any, role: str = "admin") -> dict[str, str]:
        key = (id(client), role)
        if key in cache:
            return cache[key]
        admin_token = await login(client, BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"],
                                  BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"])
        if role == "admin":
            cache[key] = {"Authorization": f"Bearer {admin_token}"}
            return cache[key]
        email, password = f"{role}@example.com", f"{role}-password-1"
        resp = await client.post("/api/v1/users", json={"email": email, "username": role, "password": password,
                                                        "role": role},
                                 headers={"Authorization": f"Bearer {admin_token}"})
        assert resp.status in (201, 409), await resp.text()
        cache[key] = {"Authorization": f"Bearer {await login(client, email, password)}"}
        return cache[key]

    return headers
