"""mkdocs hooks: the reference pages get their generated part at build time.

``docs/reference/hooks.md`` keeps its hand-written introduction; the hook catalogue of every
installed plugin is appended below it on each build, so it can never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import hook_reference  # a sibling module: mkdocs loads hook files by path

HOOKS_PAGE = "reference/hooks.md"


def _plugin_manager() -> Any:
    from webmacs_core.plugins import build_plugin_manager

    # strict: a plugin that fails to load would silently drop its hooks from the reference.
    return build_plugin_manager(strict=True)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri == HOOKS_PAGE:
        return hook_reference.render(_plugin_manager(), markdown)
    return markdown
