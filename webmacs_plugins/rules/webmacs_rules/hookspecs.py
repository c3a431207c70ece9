"""Hooks the rules plugin calls and other plugins implement (added through ``webmacs_addhooks``).

Implement them with ``@hookimpl(optionalhook=True)``: the rules plugin may be registered after
yours, or not be installed at all.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Iterable

from webmacs_sdk.markers import hookspec
from webmacs_sdk.specs import RuleActionSpec, RuleOperatorSpec


@hookspec
def webmacs_register_rule_operators() -> Iterable[RuleOperatorSpec]:
    """Declare comparisons threshold rules can use (``gt``, ``between``...).

    Sync; called once when the rules plugin starts. Names are unique across plugins: a
    name registered twice stops the start with an error naming both plugins.

    :returns: RuleOperatorSpec objects.

    Example::

        @hookimpl(optionalhook=True)
        def webmacs_register_rule_operators():
            return [RuleOperatorSpec("gt", lambda v, t, h: v > t)]

    .. versionadded:: 2.0
    .. versionchanged:: 2.1 declared by the rules plugin, no longer by the core.
    """


@hookspec
def webmacs_register_rule_actions() -> Iterable[RuleActionSpec]:
    """Declare what a rule can do when it fires (``webhook``, ``log``, or a third party's).

    Sync; called once when the rules plugin starts; names are unique. ``run`` is awaited inside the transaction
    that records the firing, so an outbox row written there is durable with it.

    :returns: RuleActionSpec objects.

    Example::

        @hookimpl(optionalhook=True)
        def webmacs_register_rule_actions():
            return [RuleActionSpec("notify-shift", notify_shift)]

    .. versionadded:: 2.0
    .. versionchanged:: 2.1 declared by the rules plugin, no longer by the core.
    """
