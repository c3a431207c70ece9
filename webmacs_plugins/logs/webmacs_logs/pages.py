"""The logs page of the web UI: entries newest first, filtered by type, status and text, paged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from webmacs_logs import store
from webmacs_logs.tables import log_entries
from webmacs_sdk.db import fetch_page
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Page, Policy
from webmacs_sdk.web import page_params


async def logs_context(request: web.Request) -> Mapping[str, Any]:
    params = page_params(request)
    kind, status, text = (request.query.get(k, "").strip() for k in ("type", "status", "q"))
    query = sa.select(log_entries).order_by(log_entries.c.created_on.desc(), log_entries.c.id.desc())
    if kind:
        query = query.where(log_entries.c.logging_type == kind)
    if status:
        query = query.where(log_entries.c.status_type == status)
    if text:
        query = query.where(log_entries.c.content.contains(text, autoescape=True))
    async with request.app[DATABASE].connect() as conn:
        total, rows = await fetch_page(conn, query, params.page, params.page_size)
        kinds = sorted(k for (k,) in await conn.execute(sa.select(log_entries.c.logging_type).distinct()) if k)
    listing = {"page": params.page, "page_size": params.page_size, "total": total,
               "data": [store.to_response(r) for r in rows]}
    return {"listing": listing, "kinds": kinds, "kind": kind, "status": status, "text": text}


PAGES = [Page("/logs", "Logs", "logs/list.html", Policy.AUTHENTICATED, logs_context, menu_order=65)]
