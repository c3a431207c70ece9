"""The hook catalogue is the plugin authors' contract: every hook documented, every hook tested."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

from webmacs_core import hookspecs

ROOT = Path(__file__).resolve().parents[2]

#: The core's catalogue and the hook specs plugins add through ``webmacs_addhooks``.
SPEC_MODULES = [hookspecs, *(importlib.import_module(f"{path.parent.name}.hookspecs")
                             for path in sorted(ROOT.glob("webmacs_plugins/*/webmacs_*/hookspecs.py")))]
SPECS = {name: obj for module in SPEC_MODULES for name, obj in vars(module).items()
         if name.startswith("webmacs_") and inspect.isfunction(obj)}
HOOKS = sorted(SPECS)
TEST_DIRS = [ROOT / "tests", ROOT / "sdk" / "tests", ROOT / "controller" / "tests",
             *ROOT.glob("webmacs_plugins/*/tests"), *ROOT.glob("examples/*/tests")]


def test_catalogue_is_not_empty():
    assert len(HOOKS) >= 20


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_fully_documented(name):
    spec = SPECS[name]
    doc = inspect.getdoc(spec) or ""
    assert len(doc) > 120, f"{name} has no real docstring"
    assert re.search(r"\b(Sync|May be async)\b", doc), f"{name} does not say whether it may be async"
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc, f"{name} does not document {param}"
    if inspect.signature(spec).return_annotation not in ("None", None):
        assert ":returns:" in doc, f"{name} does not document its return value"
    assert ".. versionadded::" in doc


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test(name):
    this = Path(__file__).resolve()
    for folder in TEST_DIRS:
        for path in folder.rglob("test_*.py"):
            if path.resolve() != this and name in path.read_text():
                return
    pytest.fail(f"no test mentions {name}")
