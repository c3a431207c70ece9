"""Hooks the users plugin calls and other plugins implement (added through ``webmacs_addhooks``).

Implement them with ``@hookimpl(optionalhook=True)``: the users plugin may be registered after yours.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Iterable

from webmacs_sdk.markers import hookspec
from webmacs_sdk.specs import OwnedTable


@hookspec
def webmacs_user_owned_tables() -> Iterable[OwnedTable]:
    """Declare the tables whose rows belong to a user.

    Sync; called when a user is deleted, inside the deletion's transaction. Every declared
    row of the deleted user is handed to the admin deleting it, before the user row goes, so
    removing an account never wipes the data it created.

    :returns: OwnedTable objects (table and owner column).

    Example::

        @hookimpl(optionalhook=True)
        def webmacs_user_owned_tables():
            return [OwnedTable(dashboards)]

    .. versionadded:: 2.1
    """
