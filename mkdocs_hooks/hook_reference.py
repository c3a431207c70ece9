"""The hook reference page, rendered from the hook specs a real plugin manager holds.

The page is built from ``pm.hook`` after every installed plugin has been loaded, not from a fixed
list of modules: a hook that moves from the core into the plugin that owns it (or a plugin that
adds its own specs) moves on the page by itself. Each spec is grouped by the module that declares
it, in source order, under the banner comment (``# ---- / # Title / # ----``) above it.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import pluggy

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`~?([^`]+)`")
_FIELD = re.compile(r"^:(param|returns?|raises)\s*([^:]*):\s*(.*)$")
_VERSION = re.compile(r"^\.\. versionadded::\s*(\S+)")
_BANNER_RULE = re.compile(r"^#\s*-{10,}\s*$")
_INLINE_LITERAL = re.compile(r"``(.+?)``")


def _inline(text: str) -> str:
    """reST inline markup as Markdown: ``x`` and :class:`~a.b.C` become code spans."""

    def role(match: re.Match[str]) -> str:
        return f"`{match.group(1)}`"

    return _INLINE_LITERAL.sub(r"`\1`", _ROLE.sub(role, text))


def _blocks(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Split a docstring body into ``("text", lines)``, ``("code", lines)`` and ``("field", lines)`` blocks."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FIELD.match(line) or _VERSION.match(line):
            field = [line]
            i += 1
            while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
                field.append(lines[i].strip())
                i += 1
            yield "field", field
            continue
        if not line.strip():
            i += 1
            continue
        paragraph = []
        while i < len(lines) and lines[i].strip() and not _FIELD.match(lines[i]) and not _VERSION.match(lines[i]):
            paragraph.append(lines[i])
            i += 1
        yield "text", paragraph
        if paragraph[-1].rstrip().endswith("::"):
            code: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                code.append(lines[i])
                i += 1
            yield "code", code


def docstring_markdown(doc: str) -> tuple[str, list[tuple[str, str]], str, str]:
    """``(body, params, returns, version)`` of a reST-style hook docstring, as Markdown."""
    lines = inspect.cleandoc(doc).splitlines()
    body: list[str] = []
    params: list[tuple[str, str]] = []
    returns = version = ""
    for kind, block in _blocks(lines):
        if kind == "code":
            code = inspect.cleandoc("\n".join(block))
            body.append(f"```python\n{code}\n```")
        elif kind == "text":
            text = "\n".join(block)
            if text.endswith("::"):
                text = text[:-1]
            body.append(_inline(text))
        else:
            joined = " ".join(block)
            version_match = _VERSION.match(joined)
            if version_match:
                version = version_match.group(1)
                continue
            field = _FIELD.match(joined)
            assert field is not None
            name, argument, text = field.groups()
            if name == "param":
                params.append((argument.strip(), _inline(text)))
            elif name.startswith("return"):
                returns = _inline(text)
            else:
                body.append(f"Raises `{argument.strip()}`: {_inline(text)}")
    return "\n\n".join(body), params, returns, version


def _banner_titles(namespace: Any) -> dict[int, str]:
    """Line number → title of every ``# ---- / # Title / # ----`` banner in the module's source."""
    try:
        source = inspect.getsource(namespace).splitlines()
    except (OSError, TypeError):
        return {}
    titles = {}
    for number in range(len(source) - 2):
        if _BANNER_RULE.match(source[number]) and _BANNER_RULE.match(source[number + 2]):
            titles[number + 2] = source[number + 1].lstrip("#").strip()
    return titles


def _annotation(annotation: Any) -> str:
    # Specs use ``from __future__ import annotations``: annotations are the source text already.
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


def _signature(name: str, function: Any) -> str:
    signature = inspect.signature(function)
    params = [
        p.name if p.annotation is inspect.Parameter.empty else f"{p.name}: {_annotation(p.annotation)}"
        for p in signature.parameters.values()
    ]
    result = signature.return_annotation
    arrow = "" if result is inspect.Signature.empty else f" -> {_annotation(result)}"
    return f"def {name}({', '.join(params)}){arrow}"


def _namespace_name(namespace: Any) -> str:
    if isinstance(namespace, types.ModuleType):
        return namespace.__name__
    return f"{namespace.__module__}.{namespace.__qualname__}"


def _source_line(function: Any) -> int:
    try:
        return inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        return sys.maxsize


def specs_by_namespace(pm: pluggy.PluginManager) -> dict[str, list[Any]]:
    """Every hook spec the manager holds, grouped by declaring module, in source order."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for name in dir(pm.hook):
        caller = getattr(pm.hook, name)
        if isinstance(caller, pluggy.HookCaller) and caller.spec is not None:
            grouped[_namespace_name(caller.spec.namespace)].append(caller)
    for callers in grouped.values():
        callers.sort(key=lambda c: _source_line(c.spec.function))
    return dict(grouped)


def _flags(caller: Any) -> list[str]:
    opts = caller.spec.opts
    flags = []
    if opts.get("firstresult"):
        flags.append("first result wins")
    if opts.get("historic"):
        flags.append("historic")
    return flags


def _hook_section(caller: Any, level: int) -> list[str]:
    spec = caller.spec
    body, params, returns, version = docstring_markdown(inspect.getdoc(spec.function) or "")
    heading = f"{'#' * level} `{caller.name}` {{#{caller.name}}}"
    out = [heading, "", "```python", _signature(caller.name, spec.function), "```", ""]
    flags = _flags(caller)
    if flags:
        out += [" · ".join(f"**{flag}**" for flag in flags), ""]
    out += [body, ""]
    if params:
        out += ["| parameter | meaning |", "|---|---|"]
        out += [f"| `{name}` | {text} |" for name, text in params]
        out.append("")
    if returns:
        out += [f"**Returns:** {returns}", ""]
    implementers = sorted({impl.plugin_name for impl in caller.get_hookimpls()})
    where = ", ".join(f"`{name}`" for name in implementers) if implementers else "no installed plugin"
    out += [f"*Implemented by:* {where}." + (f" *Added in {version}.*" if version else ""), ""]
    return out


def render(pm: pluggy.PluginManager, intro: str) -> str:
    """The whole page: the intro, then one section per declaring module."""
    out = [intro.rstrip(), ""]
    core_first = sorted(specs_by_namespace(pm).items(), key=lambda item: (item[0] != "webmacs_core.hookspecs", item[0]))
    for namespace, callers in core_first:
        out += [f"## `{namespace}`", ""]
        summary = (inspect.getdoc(callers[0].spec.namespace) or "").split("\n\n")[0]
        if summary:
            out += [_inline(summary), ""]
        titles = _banner_titles(callers[0].spec.namespace)
        shown_title = None
        for caller in callers:
            line = _source_line(caller.spec.function)
            title = next((titles[n] for n in sorted(titles, reverse=True) if n < line), None)
            if title and title != shown_title:
                out += [f"### {title}", ""]
                shown_title = title
            out += _hook_section(caller, 4 if titles else 3)
    return "\n".join(out)


def hook_names(pm: pluggy.PluginManager) -> Iterable[str]:
    """Names of every specified hook, as the reference lists them."""
    for callers in specs_by_namespace(pm).values():
        for caller in callers:
            yield caller.name
