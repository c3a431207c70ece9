"""The plugin boundary check: a plugin imports another plugin only through its ``public`` module.

Every plugin package ``webmacs_x`` may expose ``webmacs_x/public.py`` with an ``__all__``; that
module is the only part of it other plugins may import, and only names listed in ``__all__``.
Everything else is private: moving or renaming it breaks nobody. The SDK and the core are not
plugins; anyone may import the SDK.

:func:`find_violations` reads source files (it imports nothing), so a test can run it over a
whole checkout in well under a second::

    def test_plugins_import_each_other_only_through_public_modules():
        assert find_violations(plugin_packages(ROOT / "webmacs_plugins")) == []
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import attrs

PUBLIC = "public"


@attrs.frozen
class Violation:
    """One import of another plugin's private part."""

    path: Path
    line: int
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} (only its public module and __all__ may be imported)"


def plugin_packages(*roots: Path) -> dict[str, Path]:
    """``{package name: folder}`` of every ``webmacs_*`` package one level below a distribution in ``roots``."""
    found: dict[str, Path] = {}
    for root in roots:
        for init in sorted(root.glob("*/webmacs_*/__init__.py")):
            found[init.parent.name] = init.parent
    return found


def _public_names(package: Path) -> frozenset[str] | None:
    """The ``__all__`` of ``package/public.py``, or None when the plugin has no public module."""
    module = package / f"{PUBLIC}.py"
    if not module.is_file():
        return None
    for node in ast.parse(module.read_text(), str(module)).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


def _imports(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """``(line, module, names)`` of every absolute import, including those inside functions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _check(module: str, names: list[str], public: Mapping[str, frozenset[str] | None]) -> list[str]:
    """The forbidden parts of one import of plugin ``module`` (empty when allowed)."""
    package, _, rest = module.partition(".")
    exported = public.get(package)
    if rest == PUBLIC:
        return [f"{module}.{n}" for n in names if exported is None or (n != "*" and n not in exported)]
    if rest:
        return [module]
    # ``from webmacs_x import public`` is the one allowed spelling without a dotted module.
    if names and all(n == PUBLIC for n in names) and exported is not None:
        return []
    return [f"{module}.{n}" for n in names if n != PUBLIC] or [module]


def find_violations(packages: Mapping[str, Path], files: Iterable[Path] | None = None) -> list[Violation]:
    """Every import in ``files`` (default: all files of ``packages``) of another plugin's private part."""
    public = {name: _public_names(folder) for name, folder in packages.items()}
    owners = {folder: name for name, folder in packages.items()}
    violations: list[Violation] = []
    paths = files if files is not None else (p for folder in packages.values() for p in sorted(folder.rglob("*.py")))
    for path in paths:
        owner = next((name for folder, name in owners.items() if folder in path.parents), None)
        tree = ast.parse(path.read_text(), str(path))
        for line, module, names in _imports(tree):
            package = module.partition(".")[0]
            if package == owner or package not in packages:
                continue
            violations.extend(Violation(path, line, part) for part in _check(module, names, public))
    return violations


__all__ = ["Violation", "find_violations", "plugin_packages"]
