"""The rules plugin's public API: what other plugins may import (everything else is private).

Its hooks (``webmacs_register_rule_operators``, ``webmacs_register_rule_actions``) are declared in
``webmacs_rules.hookspecs``; implement them with ``@hookimpl(optionalhook=True)``.
"""

from __future__ import annotations

from webmacs_rules.registry import Registry, registry

__all__ = ["Registry", "registry"]
