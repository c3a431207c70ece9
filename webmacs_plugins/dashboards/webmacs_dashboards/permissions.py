"""Who may read or change a dashboard: the plugin's default rule, widened or narrowed by other
plugins through its ``webmacs_permission`` hook (shared team dashboards, read-only kiosks...)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from webmacs_sdk.keys import HOST
from webmacs_sdk.models import Principal


def permitted(app: web.Application, principal: Principal, action: str, resource: Any, *, default: bool) -> bool:
    """Ask every ``webmacs_permission`` implementation: any False denies, otherwise any True allows,
    otherwise ``default`` applies."""
    answers = app[HOST].hook().webmacs_permission(principal=principal, action=action, resource=resource)
    if False in answers:
        return False
    if True in answers:
        return True
    return default


def allowed(request: web.Request, caller: Principal, action: str, row: Any) -> bool:
    """Whether ``caller`` may ``action`` (``dashboard.read``, ``.update``, ``.delete``) the dashboard ``row``.

    By default reading needs ownership or a global dashboard, changing needs ownership or admin.
    """
    owner = row.user_public_id == caller.public_id
    default = (owner or row.is_global) if action == "dashboard.read" else (owner or caller.is_admin)
    return permitted(request.app, caller, action, dict(row._mapping), default=default)
