"""WebMACS demo plugin: the ``webmacs demo`` command (server + controller + simulated device)."""

from __future__ import annotations

from typing import Any

from webmacs_demo import cli
from webmacs_sdk import hookimpl


@hookimpl
def webmacs_cli_commands(subparsers: Any) -> None:
    cli.add_command(subparsers)
