"""Queries on the dashboard tables and their response shapes (contract §2.5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_dashboards.tables import dashboard_widgets, dashboards
from webmacs_sdk.timefmt import iso_z

Row = sa.Row[Any]


async def by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    return (await conn.execute(sa.select(dashboards).where(dashboards.c.public_id == public_id))).first()


async def widget_by_public_id(conn: AsyncConnection, public_id: str) -> Row | None:
    query = sa.select(dashboard_widgets).where(dashboard_widgets.c.public_id == public_id)
    return (await conn.execute(query)).first()


async def widgets_of(conn: AsyncConnection, dashboard_ids: Sequence[int]) -> dict[int, list[Row]]:
    """Widgets of several dashboards in one query, each list in creation order."""
    if not dashboard_ids:
        return {}
    query = (
        sa.select(dashboard_widgets)
        .where(dashboard_widgets.c.dashboard_id.in_(list(dashboard_ids)))
        .order_by(dashboard_widgets.c.id)
    )
    grouped: dict[int, list[Row]] = {i: [] for i in dashboard_ids}
    for row in (await conn.execute(query)).all():
        grouped[row.dashboard_id].append(row)
    return grouped


def widget_response(row: Row) -> dict[str, Any]:
    """DashboardWidgetResponse."""
    return {
        "public_id": row.public_id,
        "widget_type": row.widget_type,
        "title": row.title,
        "event_public_id": row.event_public_id,
        "x": row.x,
        "y": row.y,
        "w": row.w,
        "h": row.h,
        "config_json": row.config_json,
    }


def to_response(row: Row, widgets: Sequence[Row]) -> dict[str, Any]:
    """DashboardResponse with its widgets embedded."""
    return {
        "public_id": row.public_id,
        "name": row.name,
        "is_global": row.is_global,
        "created_on": iso_z(row.created_on),
        "user_public_id": row.user_public_id,
        "widgets": [widget_response(w) for w in widgets],
    }
