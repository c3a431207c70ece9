"""Hooks the webhooks plugin calls and other plugins implement (added through ``webmacs_addhooks``).

Implement them with ``@hookimpl(optionalhook=True)``: the webhooks plugin may be registered
after yours, or not be installed at all.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Iterable

from webmacs_sdk.markers import hookspec
from webmacs_sdk.specs import EventTypeSpec


@hookspec
def webmacs_event_types() -> Iterable[EventTypeSpec]:
    """Declare domain event types that webhooks may subscribe to.

    Sync; called once per app, the first time the list is needed (a subscription is
    validated, a rule names a webhook event type, an event is emitted). Only events whose
    type is declared here are written to the webhook outbox.

    :returns: EventTypeSpec objects (``sensor.threshold_exceeded``, ...).

    Example::

        @hookimpl(optionalhook=True)
        def webmacs_event_types():
            return [EventTypeSpec("batch.finished", "A production batch finished.")]

    .. versionadded:: 2.0
    """
