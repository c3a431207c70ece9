"""Hooks the dashboards plugin calls and other plugins implement (added through ``webmacs_addhooks``).

Implement them with ``@hookimpl(optionalhook=True)``: the dashboards plugin may be registered after
yours, or not be installed at all.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from webmacs_sdk.markers import hookspec

if TYPE_CHECKING:
    from webmacs_sdk.models import Principal


@hookspec
def webmacs_permission(principal: Principal, action: str, resource: Any) -> bool | None:
    """Decide whether ``principal`` may perform ``action`` on ``resource``.

    Sync; called by the dashboards plugin for checks that go beyond the route's role policy
    (ownership of a dashboard, say). Every implementation is asked: any ``False`` denies,
    otherwise any ``True`` allows, otherwise the dashboards plugin's default applies (the
    owner, a global dashboard for reading, an admin for changes). Must not block.

    :param principal: the caller.
    :param action: a dotted verb: ``"dashboard.read"``, ``"dashboard.update"``, ``"dashboard.delete"``.
    :param resource: the dashboard's row as a mapping (``user_public_id``, ``is_global``...).
    :returns: ``True``, ``False`` or ``None`` (no opinion).

    Example::

        @hookimpl(optionalhook=True)
        def webmacs_permission(principal, action, resource):
            if action == "dashboard.update" and resource["is_global"]:
                return principal.role.at_least(Role.OPERATOR)
            return None

    .. versionadded:: 2.0
    """
