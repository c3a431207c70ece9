"""Hooks the events plugin calls and other plugins implement (added through ``webmacs_addhooks``).

Implement them with ``@hookimpl(optionalhook=True)``: the events plugin may be registered after yours.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Iterable

from webmacs_sdk import ReferencingTable
from webmacs_sdk.markers import hookspec


@hookspec
def webmacs_event_referencing_tables() -> Iterable[ReferencingTable]:
    """Declare the tables whose rows refer to an event by its internal id without a foreign key.

    Sync; called when events are deleted, inside the deletion's transaction. Right after the
    event rows, the declared rows that refer to them are deleted too, as ``ON DELETE CASCADE``
    would (a table with such a foreign key needs no declaration).

    :returns: ReferencingTable objects (table and the column holding the event id).

    Example::

        @hookimpl(optionalhook=True)
        def webmacs_event_referencing_tables():
            return [ReferencingTable(datapoints, "event_id")]

    .. versionadded:: 2.1
    """
