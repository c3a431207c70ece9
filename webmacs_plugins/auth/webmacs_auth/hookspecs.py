"""Hooks the auth plugin calls and other plugins implement (added through ``webmacs_addhooks``)."""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from typing import TYPE_CHECKING

from webmacs_sdk.markers import hookspec

if TYPE_CHECKING:
    from aiohttp import web

    from webmacs_sdk.models import Principal, Transaction


@hookspec
def webmacs_on_logout(app: web.Application, tx: Transaction, principal: Principal) -> None:
    """Notify that ``principal`` logged out; revoke the credential it used.

    May be async; awaited inside the logout transaction; a failing implementation fails the
    logout (the transaction rolls back), since a credential left valid must not be reported
    as revoked. Implement it with ``@hookimpl(optionalhook=True)``. The JWT backend blacklists the
    token; the API-token plugin revokes an API token used to log out.

    :param app: the running application.
    :param tx: the logout transaction.
    :param principal: the caller, with ``credential`` and ``credential_kind``.

    .. versionadded:: 2.0
    .. versionchanged:: 2.1 declared by the auth plugin, no longer by the core.
    """
