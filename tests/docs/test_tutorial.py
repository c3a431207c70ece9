"""docs/tutorial-first-plugin.md works as written: its files, installed as a plugin, give a page, a
route, a setting and a migration, and the tests it shows pass."""

import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from tutorial import files_of, run_tests, write_project

from webmacs_sdk import DATABASE

PAGE = Path(__file__).resolve().parents[2] / "docs" / "tutorial-first-plugin.md"
PACKAGE = "acme_kiln"


def _forget_package():
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("acme-kiln")
    write_project(PAGE, root)
    return root


@pytest.fixture
def installed(project, fake_distribution):
    """The tutorial's distribution as pip would leave it: its package and its entry points."""
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    info = fake_distribution(metadata["name"], metadata["entry-points"]["webmacs.plugins"])
    shutil.copytree(project / PACKAGE, info.parent / PACKAGE)
    _forget_package()
    yield metadata
    _forget_package()


def test_the_tutorial_shows_a_whole_plugin():
    files = files_of(PAGE)
    assert {"pyproject.toml", f"{PACKAGE}/__init__.py", f"{PACKAGE}/migrations/0001_kiln_firings.py",
            f"{PACKAGE}/templates/kiln/firings.html", "tests/test_kiln.py"} <= set(files)


async def test_installed_by_its_entry_point_it_adds_a_migration_a_setting_a_route_and_a_page(
    installed, make_client, auth_headers, tmp_path
):
    settings_file = tmp_path / "webmacs.toml"
    settings_file.write_text("[plugins.kiln]\nkiln_max_temperature = 1200\n")
    client = await make_client("users", "auth", "ui", "kiln", env={"WEBMACS_CONFIG": str(settings_file)})

    async with client.app[DATABASE].connect() as conn:
        versions = set((await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())
    assert "kiln_0001" in versions

    operator = await auth_headers(client, "operator")
    too_hot = await client.post("/api/v1/kiln/firings", json={"name": "Stoneware", "peak_temperature": 1250},
                                headers=operator)
    assert too_hot.status == 422 and "limit of 1200 °C" in (await too_hot.json())["detail"]
    planned = await client.post("/api/v1/kiln/firings", json={"name": "Stoneware", "peak_temperature": 1180},
                                headers=operator)
    assert planned.status == 201
    listed = await (await client.get("/api/v1/kiln/firings", headers=operator)).json()
    assert [(f["name"], f["peak_temperature"]) for f in listed] == [("Stoneware", 1180)]

    sign_in = {"email": "admin@example.com", "password": "admin-password-1"}
    assert (await client.post("/api/v1/auth/session", json=sign_in)).status == 200
    assert 'href="/kiln"' in await (await client.get("/")).text()
    page = await client.get("/kiln")
    html = await page.text()
    assert page.status == 200 and "<h1>Kiln firings</h1>" in html
    assert "<td>Stoneware</td>" in html and "Peaks up to 1200" in html


def test_the_tests_the_tutorial_shows_pass(project, request):
    databases = [d for d in request.config.getoption("--webmacs-db").split(",") if d.strip()]
    outcomes = run_tests(project, PACKAGE, f"--webmacs-db={','.join(databases)}")
    assert len(outcomes.passed) == 3 * len(databases) and not outcomes.skipped
