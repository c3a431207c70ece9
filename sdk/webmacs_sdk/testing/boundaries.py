"""The plugin boundary check: a plugin imports another plugin only through its public API.

Every plugin package ``webmacs_x`` may expose ``webmacs_x/public.py`` with an ``__all__``, and
re-exports those names from the package itself. Other plugins may import exactly those names, from
the package (``from webmacs_x import name``, the usual spelling) or from the public module
(``from webmacs_x.public import name``, ``from webmacs_x import public``). Every other module of a
plugin is private: moving or renaming it breaks nobody. A bare ``import webmacs_x`` is refused too,
since through it any private module could be reached. The SDK and the core are not plugins; anyone
may import the SDK.

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
        return f"{self.path}:{self.line}: imports {self.imported} (only what its public __all__ lists may be imported)"


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


def _imports(tree: ast.AST) -> Iterator[tuple[int, str, list[str], str | None]]:
    """``(line, module, names, bound)`` of every absolute import, including those inside functions;
    ``bound`` is the name an ``import`` statement binds (None for ``from ... import``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, [], alias.asname or alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names], None


def _check(module: str, names: list[str], public: Mapping[str, frozenset[str] | None]) -> list[str]:
    """The forbidden parts of one ``from`` import of plugin ``module`` (empty when allowed)."""
    package, _, rest = module.partition(".")
    exported = public.get(package)
    if rest == PUBLIC:
        return [f"{module}.{n}" for n in names if exported is None or (n != "*" and n not in exported)]
    if rest:
        return [module]
    if exported is None:
        return [f"{module}.{n}" for n in names]
    # The package re-exports its public module: ``from webmacs_x import name`` for a listed name,
    # or ``from webmacs_x import public``.
    return [f"{module}.{n}" for n in names if n not in exported and n not in (PUBLIC, "*")]


def _uses(tree: ast.AST, bound: Mapping[str, tuple[str, tuple[str, ...]]]) -> Iterator[tuple[int, str, list[str]]]:
    """``(line, package, path)`` of every use of a name bound by ``import webmacs_x [as y]``: the
    attributes read from it (``users.by_id`` gives ``["by_id"]``), after the module's own path."""
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or node.id not in bound:
            continue
        package, path = bound[node.id]
        reached: list[str] = [*path]
        current: ast.AST = node
        while len(reached) < 2 and isinstance(parent := parents.get(id(current)), ast.Attribute):
            reached.append(parent.attr)
            current = parent
        yield node.lineno, package, reached


def _allowed_path(path: list[str], exported: frozenset[str]) -> bool:
    """Whether ``webmacs_x.<path>`` names the public API: a listed name, or ``public.<listed name>``."""
    if path and path[0] == PUBLIC:
        return len(path) > 1 and path[1] in exported
    return bool(path) and path[0] in exported


def find_violations(packages: Mapping[str, Path], files: Iterable[Path] | None = None) -> list[Violation]:
    """Every import in ``files`` (default: all files of ``packages``) of another plugin's private part,
    and every use of a plugin imported whole (``import webmacs_x``) that reaches past its public API."""
    public = {name: _public_names(folder) for name, folder in packages.items()}
    owners = {folder: name for name, folder in packages.items()}
    violations: list[Violation] = []
    paths = files if files is not None else (p for folder in packages.values() for p in sorted(folder.rglob("*.py")))
    for path in paths:
        owner = next((name for folder, name in owners.items() if folder in path.parents), None)
        tree = ast.parse(path.read_text(), str(path))
        whole: dict[str, tuple[str, tuple[str, ...]]] = {}
        for line, module, names, bound in _imports(tree):
            package, _, rest = module.partition(".")
            if package == owner or package not in packages:
                continue
            if bound is None:
                violations.extend(Violation(path, line, part) for part in _check(module, names, public))
            elif public[package] is None or rest not in ("", PUBLIC):
                violations.append(Violation(path, line, module))
            else:
                # ``import webmacs_x.public`` binds ``webmacs_x``; ``import webmacs_x.public as p`` binds the module.
                whole[bound] = (package, (rest,) if rest and bound != package else ())
        for line, package, reached in _uses(tree, whole):
            if not _allowed_path(reached, public[package] or frozenset()):
                violations.append(Violation(path, line, ".".join([package, *reached])))
    return violations


__all__ = ["Violation", "find_violations", "plugin_packages"]
