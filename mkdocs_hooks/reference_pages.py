"""mkdocs hooks: the reference pages get their generated part at build time.

``docs/reference/hooks.md`` keeps its hand-written introduction; the hook catalogue of every
installed plugin is appended below it on each build. ``docs/reference/api.md`` is the Markdown that
``webmacs openapi --markdown`` writes from the server's own OpenAPI document, with the page's
introduction after its title. Neither can drift from the code.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import hook_reference  # a sibling module: mkdocs loads hook files by path

HOOKS_PAGE = "reference/hooks.md"
API_PAGE = "reference/api.md"


def _plugin_manager() -> Any:
    from webmacs_core.plugins import build_plugin_manager

    # strict: a plugin that fails to load would silently drop its hooks from the reference.
    return build_plugin_manager(strict=True)


def _api_markdown() -> str:
    """What ``webmacs openapi --markdown`` writes: built from the route table, no server started."""
    from webmacs_core.cli import main

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "api.md"
        if main(["openapi", "--markdown", "--output", str(target)]) != 0:
            raise RuntimeError("webmacs openapi --markdown failed")
        return target.read_text()


def _after_title(generated: str, intro: str) -> str:
    title, _, rest = generated.partition("\n")
    return f"{title}\n\n{intro.strip()}\n{rest}"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri == HOOKS_PAGE:
        return hook_reference.render(_plugin_manager(), markdown)
    if page.file.src_uri == API_PAGE:
        return _after_title(_api_markdown(), markdown)
    return markdown
