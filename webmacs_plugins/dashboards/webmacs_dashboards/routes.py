"""``/api/v1/dashboards`` (contract §2.6.12). Reading needs ownership or a global dashboard;
changing needs operator+ and ownership or admin, decided in ``permissions`` so a plugin can widen or
narrow the policy through the ``webmacs_permission`` hook (shared team dashboards, read-only kiosks...)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web

import webmacs_events as events_api
from webmacs_dashboards import store
from webmacs_dashboards.permissions import allowed
from webmacs_dashboards.schemas import (
    DashboardCreate,
    DashboardResponse,
    DashboardUpdate,
    DashboardWidgetResponse,
    WidgetCreate,
    WidgetUpdate,
)
from webmacs_dashboards.tables import WIDGET_TYPES, dashboard_widgets, dashboards
from webmacs_sdk.db import count, new_public_id
from webmacs_sdk.errors import Forbidden, NotFound, ValidationFailed
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.web import (
    Page,
    PageParams,
    StatusResponse,
    fields_set,
    json_response,
    page_params,
    paginated,
    parse_body,
    principal,
    status_response,
)

routes = RouteTable("/api/v1/dashboards")

NOT_ALLOWED = "Not allowed."


async def _dashboard(request: web.Request, conn: Any, action: str) -> Any:
    public_id = request.match_info["public_id"]
    row = await store.by_public_id(conn, public_id)
    if row is None:
        raise NotFound.entity("Dashboard", public_id)
    if not allowed(request, principal(request), action, row):
        raise Forbidden(NOT_ALLOWED)
    return row


async def _widget(conn: Any, dashboard: Any, widget_id: str) -> Any:
    row = await store.widget_by_public_id(conn, widget_id)
    if row is None:
        raise NotFound.entity("DashboardWidget", widget_id)
    if row.dashboard_id != dashboard.id:
        raise NotFound("Widget not on this dashboard.")
    return row


async def _require_event(conn: Any, event_public_id: str | None) -> None:
    if event_public_id is not None and await events_api.by_public_id(conn, event_public_id) is None:
        raise NotFound("Event not found.")


def _widget_types(request: web.Request) -> list[str]:
    names = list(WIDGET_TYPES)
    # The ui plugin declares this hook; without it (blocked) only the built-in types exist.
    contributed = getattr(request.app[HOST].hook(), "webmacs_widget_types", None)
    for specs in contributed() if contributed is not None else ():
        names.extend(spec.name for spec in specs or () if spec.name not in names)
    return names


def _check_widget_type(request: web.Request, value: str) -> None:
    allowed = _widget_types(request)
    if value not in allowed:
        expected = ", ".join(f"'{a}'" for a in allowed[:-1]) + f" or '{allowed[-1]}'"
        raise ValidationFailed(
            [
                {
                    "type": "enum",
                    "loc": ["body", "widget_type"],
                    "msg": f"Input should be {expected}",
                    "input": value,
                    "ctx": {"expected": expected},
                }
            ]
        )


@routes.get("", policy=Policy.AUTHENTICATED, query=PageParams, response=Page[DashboardResponse])
async def list_dashboards(request: web.Request) -> web.Response:
    params = page_params(request)
    caller = principal(request)
    query = (
        sa.select(dashboards)
        .where(sa.or_(dashboards.c.user_public_id == caller.public_id, dashboards.c.is_global.is_(True)))
        .order_by(dashboards.c.created_on.desc(), dashboards.c.id.desc())
    )
    async with request.app[DATABASE].connect() as conn:
        total = await count(conn, query)
        rows = (
            await conn.execute(query.limit(params.page_size).offset((params.page - 1) * params.page_size))
        ).all()
        widgets = await store.widgets_of(conn, [r.id for r in rows])
    return paginated(
        params.page, params.page_size, total, [store.to_response(r, widgets[r.id]) for r in rows]
    )


@routes.post("", policy=Policy.OPERATOR, body=DashboardCreate, response=DashboardResponse, status=201)
async def create_dashboard(request: web.Request) -> web.Response:
    body = await parse_body(request, DashboardCreate)
    caller = principal(request)
    async with request.app[DATABASE].transaction() as tx:
        row = (
            await tx.conn.execute(
                sa.insert(dashboards)
                .values(
                    public_id=new_public_id(),
                    name=body.name,
                    is_global=body.is_global,
                    created_on=utcnow(),
                    user_public_id=caller.public_id,
                )
                .returning(dashboards)
            )
        ).one()
    return json_response(store.to_response(row, []), status=201)


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED, response=DashboardResponse)
async def get_dashboard(request: web.Request) -> web.Response:
    async with request.app[DATABASE].connect() as conn:
        row = await _dashboard(request, conn, "dashboard.read")
        widgets = await store.widgets_of(conn, [row.id])
    return json_response(store.to_response(row, widgets[row.id]))


@routes.put("/{public_id}", policy=Policy.OPERATOR, body=DashboardUpdate, response=StatusResponse)
async def update_dashboard(request: web.Request) -> web.Response:
    body = await parse_body(request, DashboardUpdate)
    values = {k: v for k, v in fields_set(body).items() if v is not None}
    async with request.app[DATABASE].transaction() as tx:
        row = await _dashboard(request, tx.conn, "dashboard.update")
        if values:
            await tx.conn.execute(sa.update(dashboards).where(dashboards.c.id == row.id).values(**values))
    return status_response("Dashboard successfully updated.")


@routes.delete("/{public_id}", policy=Policy.OPERATOR, response=StatusResponse)
async def delete_dashboard(request: web.Request) -> web.Response:
    async with request.app[DATABASE].transaction() as tx:
        row = await _dashboard(request, tx.conn, "dashboard.delete")
        await tx.conn.execute(sa.delete(dashboards).where(dashboards.c.id == row.id))
    return status_response("Dashboard successfully deleted.")


@routes.post("/{public_id}/widgets", policy=Policy.OPERATOR, body=WidgetCreate, response=DashboardWidgetResponse,
              status=201)
async def create_widget(request: web.Request) -> web.Response:
    body = await parse_body(request, WidgetCreate)
    _check_widget_type(request, body.widget_type)
    async with request.app[DATABASE].transaction() as tx:
        dashboard = await _dashboard(request, tx.conn, "dashboard.update")
        await _require_event(tx.conn, body.event_public_id)
        row = (
            await tx.conn.execute(
                sa.insert(dashboard_widgets)
                .values(
                    public_id=new_public_id(),
                    dashboard_id=dashboard.id,
                    **body.model_dump(),
                )
                .returning(dashboard_widgets)
            )
        ).one()
    return json_response(store.widget_response(row), status=201)


#: Only these may be set to null explicitly; null for the others means "unchanged".
NULLABLE = frozenset({"event_public_id", "config_json"})


@routes.put("/{public_id}/widgets/{widget_id}", policy=Policy.OPERATOR, body=WidgetUpdate, response=StatusResponse)
async def update_widget(request: web.Request) -> web.Response:
    body = await parse_body(request, WidgetUpdate)
    values = {k: v for k, v in fields_set(body).items() if v is not None or k in NULLABLE}
    async with request.app[DATABASE].transaction() as tx:
        dashboard = await _dashboard(request, tx.conn, "dashboard.update")
        widget = await _widget(tx.conn, dashboard, request.match_info["widget_id"])
        await _require_event(tx.conn, values.get("event_public_id"))
        if values:
            await tx.conn.execute(
                sa.update(dashboard_widgets).where(dashboard_widgets.c.id == widget.id).values(**values)
            )
    return status_response("Widget successfully updated.")


@routes.delete("/{public_id}/widgets/{widget_id}", policy=Policy.OPERATOR, response=StatusResponse)
async def delete_widget(request: web.Request) -> web.Response:
    async with request.app[DATABASE].transaction() as tx:
        dashboard = await _dashboard(request, tx.conn, "dashboard.update")
        widget = await _widget(tx.conn, dashboard, request.match_info["widget_id"])
        await tx.conn.execute(sa.delete(dashboard_widgets).where(dashboard_widgets.c.id == widget.id))
    return status_response("Widget successfully deleted.")
