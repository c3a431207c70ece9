"""Example third-party WebMACS plugin: rule actions ``jsonl`` and ``chat`` (see README)."""

from __future__ import annotations

from webmacs_example_rule_actions.actions import ACTIONS, client_ctx
from webmacs_example_rule_actions.settings import RuleActionSettings
from webmacs_sdk import CleanupContextSpec, RuleActionSpec, SettingsSpec, hookimpl


@hookimpl
def webmacs_settings_model() -> list[SettingsSpec]:
    return [SettingsSpec("rule_actions_example", RuleActionSettings)]


@hookimpl(optionalhook=True)
def webmacs_register_rule_actions() -> list[RuleActionSpec]:
    return list(ACTIONS)


@hookimpl
def webmacs_cleanup_ctx() -> list[CleanupContextSpec]:
    return [CleanupContextSpec("rule-actions-example.client", client_ctx)]
