"""The documentation site builds with ``mkdocs build --strict`` and its generated pages match the code.

Strict mode plus ``validation`` in mkdocs.yml turns a broken link, a missing anchor, a snippet of a
file that no longer exists, or a page under docs/ that is not in ``nav`` into a failure here. A new
setting of any plugin must be listed in docs/configuration.md. (Here, among the contract tests,
because every change can break these; the tests that run the tutorials are in tests/docs.)
"""

import json
import logging
import os
import re
import sys
from html import escape as html_escape
from pathlib import Path

import attrs
import pytest

from webmacs_core.plugins import build_plugin_manager
from webmacs_core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once per test run into a temporary folder (in this process: the plugins it
    documents are already imported here, which halves the build time)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    out = tmp_path_factory.mktemp("site")
    collect = _Collect()
    logging.getLogger("mkdocs").addHandler(collect)
    cwd = Path.cwd()
    os.chdir(ROOT)  # snippets of shipped files are included relative to the repository root
    try:
        build(load_config(str(ROOT / "mkdocs.yml"), site_dir=str(out), strict=True))
    except Abort as exc:
        hint = "a new page goes into `nav` of mkdocs.yml; `./wm docs` shows the site"
        pytest.fail(f"mkdocs build --strict failed: {exc} ({hint})\n" + "\n".join(collect.messages))
    finally:
        os.chdir(cwd)
        logging.getLogger("mkdocs").removeHandler(collect)
    return out


@pytest.fixture(scope="module")
def plugin_manager():
    return build_plugin_manager(strict=True)


def test_site_builds_strict_with_every_page(site):
    pages = sorted(p.relative_to(DOCS).with_suffix("") for p in DOCS.rglob("*.md"))
    for page in pages:
        built = site / ("index.html" if page == Path("index") else page / "index.html")
        assert built.is_file(), f"{page}.md was not built"


def test_hook_reference_documents_every_hook_of_every_plugin(site, plugin_manager):
    html = (site / "reference" / "hooks" / "index.html").read_text()
    hooks = [name for name in dir(plugin_manager.hook) if name.startswith("webmacs_")
             and getattr(plugin_manager.hook, name).spec is not None]
    assert len(hooks) >= 20
    for name in hooks:
        assert f'id="{name}"' in html, f"{name} is missing from the hook reference"
    # Docstrings are rendered, not pasted: reST markup is gone, examples are code.
    assert ".. versionadded::" not in html and ":param " not in html and ":returns:" not in html
    assert "Example::" not in html
    assert "Added in 2.0" in html


def _documented_names(text):
    return set(re.findall(r"`(WEBMACS_[A-Z0-9_]+)`", text))


#: Fields of the core settings class that are not settings (filled by the loader itself).
_NOT_SETTINGS = {"plugin_tables", "environ", "version"}


def _server_settings(pm):
    names = {"WEBMACS_" + f.name.upper() for f in attrs.fields(Settings) if f.name not in _NOT_SETTINGS}
    for spec in pm.collect("webmacs_settings_model"):
        module = sys.modules[spec.cls.__module__]
        if "webmacs_plugins" in Path(module.__file__).parts:  # not the examples' settings
            names |= {"WEBMACS_" + f.name.upper() for f in attrs.fields(spec.cls)}
    return names


def test_configuration_page_names_every_setting_and_only_real_ones(plugin_manager):
    from webmacs_controller.settings import ControllerSettings

    documented = _documented_names((DOCS / "configuration.md").read_text())
    server = _server_settings(plugin_manager)
    controller = {"WEBMACS_" + f.name.upper() for f in attrs.fields(ControllerSettings) if f.name != "extra"}
    files = {"WEBMACS_CONFIG", "WEBMACS_CONTROLLER_CONFIG"}
    assert not server - documented, f"add these settings to docs/configuration.md: {sorted(server - documented)}"
    assert not controller - documented, f"controller settings missing: {sorted(controller - documented)}"
    unknown = documented - server - controller - files
    assert not unknown, f"docs/configuration.md names settings that do not exist: {sorted(unknown)}"


def test_api_reference_lists_every_operation_of_the_openapi_document(site, tmp_path):
    from webmacs_core.cli import main

    target = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(target)]) == 0
    document = json.loads(target.read_text())
    html = (site / "reference" / "api" / "index.html").read_text()
    operations = [(method, path) for path, item in document["paths"].items() for method in item
                  if method in {"get", "post", "put", "patch", "delete"}]
    assert len(operations) >= 60
    for method, path in operations:
        assert f"<code>{html_escape(path)}</code>" in html, f"{method.upper()} {path} is missing from the API reference"
    assert "Every route of the installed plugins" in html  # the page's own introduction is kept
