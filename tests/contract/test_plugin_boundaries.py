"""Plugins import each other only through their public API: the names a plugin's ``public`` module lists
in ``__all__``, which its package re-exports (``from webmacs_events import by_public_id``)."""

import importlib
from pathlib import Path

import pytest

from webmacs_sdk.testing.boundaries import find_violations, plugin_packages

ROOT = Path(__file__).resolve().parents[2]


def test_plugins_import_each_other_only_through_public_modules():
    packages = plugin_packages(ROOT / "webmacs_plugins", ROOT / "examples")
    assert {"webmacs_users", "webmacs_events", "webmacs_experiments", "webmacs_auth"} <= set(packages)
    violations = find_violations(packages)
    assert violations == [], "\n".join(map(str, violations))


PUBLIC_PACKAGES = sorted(path.parent.name for path in ROOT.glob("webmacs_plugins/*/webmacs_*/public.py"))


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_each_package_re_exports_its_public_api(package):
    module = importlib.import_module(package)
    public = importlib.import_module(f"{package}.public")
    assert sorted(module.__all__) == sorted(public.__all__), "the package's __all__ is its public module's"
    for name in public.__all__:
        assert getattr(module, name) is getattr(public, name)


def _plugin(root: Path, name: str, files: dict[str, str]) -> None:
    package = root / name / f"webmacs_{name}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for file, source in files.items():
        (package / file).write_text(source)


def test_the_check_catches_an_import_of_a_private_module(tmp_path):
    _plugin(tmp_path, "owner", {
        "public.py": "from webmacs_owner.store import lookup\n__all__ = ['lookup']\n",
        "store.py": "def lookup(): ...\ndef secret(): ...\n",
    })
    _plugin(tmp_path, "user", {
        "fine.py": "from webmacs_owner.public import lookup\nfrom webmacs_owner import public\n",
        "package.py": "from webmacs_owner import lookup\n",
        "whole.py": "import webmacs_owner as owner\nimport webmacs_owner.public\ndef f():\n"
                    "    return owner.lookup(), webmacs_owner.public.lookup()\n",
        "unlisted_name.py": "from webmacs_owner import secret\n",
        "whole_private.py": "import webmacs_owner as owner\ndef f():\n    return owner.store.secret(), owner\n",
        "sideways.py": "from webmacs_owner import store\n",
        "deep.py": "def f():\n    from webmacs_owner.store import secret\n",
        "unlisted.py": "from webmacs_owner.public import secret\n",
        "dotted.py": "import webmacs_owner.store\n",
    })
    found = sorted((v.path.name, v.imported) for v in find_violations(plugin_packages(tmp_path)))
    assert found == [
        ("deep.py", "webmacs_owner.store"),
        ("dotted.py", "webmacs_owner.store"),
        ("sideways.py", "webmacs_owner.store"),
        ("unlisted.py", "webmacs_owner.public.secret"),
        ("unlisted_name.py", "webmacs_owner.secret"),
        ("whole_private.py", "webmacs_owner"),
        ("whole_private.py", "webmacs_owner.store.secret"),
    ]


def test_a_plugin_without_a_public_module_exports_nothing(tmp_path):
    _plugin(tmp_path, "closed", {"store.py": "def lookup(): ...\n"})
    _plugin(tmp_path, "user", {"a.py": "from webmacs_closed import lookup\n", "b.py": "import webmacs_closed\n"})
    found = sorted((v.path.name, v.imported) for v in find_violations(plugin_packages(tmp_path)))
    assert found == [("a.py", "webmacs_closed.lookup"), ("b.py", "webmacs_closed")]
