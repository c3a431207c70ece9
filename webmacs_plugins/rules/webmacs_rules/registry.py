"""The operators and actions rules can use, collected once per app from the rules plugin's hooks."""

from __future__ import annotations

import attrs
from aiohttp import web

from webmacs_sdk.hooks import named_results
from webmacs_sdk.keys import HOST
from webmacs_sdk.specs import RuleActionSpec, RuleOperatorSpec


@attrs.frozen
class Registry:
    """Registered operators and actions by name."""

    operators: dict[str, RuleOperatorSpec]
    actions: dict[str, RuleActionSpec]


REGISTRY: web.AppKey[Registry] = web.AppKey("webmacs_rules.registry", Registry)


def _collect(app: web.Application) -> Registry:
    hook = app[HOST].hook()
    return Registry(
        named_results(hook.webmacs_register_rule_operators), named_results(hook.webmacs_register_rule_actions)
    )


def registry(app: web.Application) -> Registry:
    """The app's operators and actions.

    :raises PluginConflictError: two plugins register one name (raised at startup by the rules engine).
    """
    return app[HOST].state(REGISTRY, lambda: _collect(app))
