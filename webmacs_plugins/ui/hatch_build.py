"""Wheel build hook: the chart library from npm goes into the wheel (see build_assets.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class AssetsBuildHook(BuildHookInterface):  # type: ignore[misc]
    """Builds ``webmacs_ui/static/vendor`` before a (non-editable) wheel is packed."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return  # a source checkout gets its assets from ./wm
        spec = importlib.util.spec_from_file_location("build_assets", Path(self.root) / "build_assets.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if module.build(quiet=True):  # with the dev packages: a checkout keeps what its tests use
            build_data["artifacts"].append("webmacs_ui/static/vendor/*")
