"""Plugins import each other only through their ``public`` module (and only what its ``__all__`` lists)."""

from pathlib import Path

from webmacs_sdk.testing.boundaries import find_violations, plugin_packages

ROOT = Path(__file__).resolve().parents[2]


def test_plugins_import_each_other_only_through_public_modules():
    packages = plugin_packages(ROOT / "webmacs_plugins", ROOT / "examples")
    assert {"webmacs_users", "webmacs_events", "webmacs_experiments", "webmacs_auth"} <= set(packages)
    violations = find_violations(packages)
    assert violations == [], "\n".join(map(str, violations))


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
    ]
