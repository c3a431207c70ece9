"""``webmacs plugins``: every installed plugin and what happened to it when the command started
(loaded, blocked or failed, with the error), from the plugin manager's load records."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``webmacs plugins`` to the command line."""
    parser = subparsers.add_parser("plugins", help="list plugins: loaded, blocked or failed")
    parser.set_defaults(func=list_plugins)


def list_plugins(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    """Print one line per plugin (name, status, distribution and version), and its error if it failed."""
    rows = pm.report()
    width = max((len(r.name) for r in rows), default=4)
    for record in rows:
        origin = f"{record.distribution} {record.version}" if record.distribution else "built-in"
        flags = " (essential)" if record.essential else ""
        line = f"{record.name:<{width}}  {record.status:<7}  {origin}{flags}"
        if record.error:
            line += f"\n{'':<{width}}  error: {record.error}"
        print(line)
    return 0
