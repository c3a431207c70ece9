"""``/api/v1/webhooks`` (contract §2.6.9, all admin), plus the additive redeliver, test and
attempt-log endpoints. URLs are checked by the egress guard when they are saved (422 with the
reason) and again, after resolution, on every send."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from webmacs_sdk.db import conflict_on_duplicate, fetch_page, list_page, new_public_id
from webmacs_sdk.egress import EgressDenied, vet
from webmacs_sdk.errors import Conflict, NotFound, ValidationFailed
from webmacs_sdk.events import WebhookTest
from webmacs_sdk.keys import DATABASE
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
from webmacs_webhooks import store
from webmacs_webhooks.event_types import event_types
from webmacs_webhooks.outbox import body_for
from webmacs_webhooks.runtime import runtime
from webmacs_webhooks.schemas import (
    DeliveryAttemptResponse,
    DeliveryQueuedResponse,
    WebhookCreate,
    WebhookDeliveryResponse,
    WebhookResponse,
    WebhookUpdate,
)
from webmacs_webhooks.tables import PENDING, webhook_deliveries, webhooks

routes = RouteTable("/api/v1/webhooks")

DUPLICATE = "Webhook already exists."
TEST_EVENT = WebhookTest.TYPE


def _not_found(public_id: str) -> NotFound:
    return NotFound.entity("Webhook", public_id)


def _check_events(request: web.Request, events: list[str]) -> None:
    known = [spec.name for spec in event_types(request.app)]
    errors = []
    for index, name in enumerate(events):
        if name not in known:
            expected = ", ".join(f"'{k}'" for k in known)
            errors.append(
                {
                    "type": "enum",
                    "loc": ["body", "events", index],
                    "msg": f"Input should be {expected}",
                    "input": name,
                    "ctx": {"expected": expected},
                }
            )
    if errors:
        raise ValidationFailed(errors)


async def _check_url(request: web.Request, url: str) -> None:
    rt = runtime(request.app)
    try:
        # A name that does not resolve right now may be saved; every send resolves and checks again.
        await vet(url, rt.policy, resolver=rt.resolver, require_resolution=False)
    except EgressDenied as exc:
        raise ValidationFailed(f"Webhook URL not allowed: {exc.reason}") from None


async def _webhook(conn: Any, public_id: str) -> Any:
    row = await store.by_public_id(conn, public_id)
    if row is None:
        raise _not_found(public_id)
    return row


@routes.get("", policy=Policy.ADMIN, query=PageParams, response=Page[WebhookResponse])
async def list_webhooks(request: web.Request) -> web.Response:
    return await list_page(request, sa.select(webhooks).order_by(webhooks.c.id), store.to_response)


@routes.post("", policy=Policy.ADMIN, body=WebhookCreate, response=StatusResponse, status=201)
async def create_webhook(request: web.Request) -> web.Response:
    body = await parse_body(request, WebhookCreate)
    _check_events(request, body.events)
    await _check_url(request, body.url)
    rt = runtime(request.app)
    caller = principal(request)
    with conflict_on_duplicate(DUPLICATE):
        async with request.app[DATABASE].transaction() as tx:
            if await store.url_taken(tx.conn, body.url):
                raise Conflict(DUPLICATE)
            await tx.conn.execute(
                sa.insert(webhooks).values(
                    public_id=new_public_id(),
                    url=body.url,
                    secret=rt.box.seal(body.secret),
                    events=json.dumps(list(dict.fromkeys(body.events))),
                    enabled=body.enabled,
                    created_on=utcnow(),
                    user_public_id=caller.public_id,
                )
            )
            tx.after_commit(rt.invalidate_subscriptions)
    return status_response("Webhook successfully created.", status=201)


@routes.get("/{public_id}", policy=Policy.ADMIN, response=WebhookResponse)
async def get_webhook(request: web.Request) -> web.Response:
    async with request.app[DATABASE].connect() as conn:
        row = await _webhook(conn, request.match_info["public_id"])
    return json_response(store.to_response(row))


@routes.put("/{public_id}", policy=Policy.ADMIN, body=WebhookUpdate, response=StatusResponse)
async def update_webhook(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    body = await parse_body(request, WebhookUpdate)
    changes = fields_set(body)
    rt = runtime(request.app)
    values: dict[str, Any] = {}
    if changes.get("url") is not None:
        await _check_url(request, changes["url"])
        values["url"] = changes["url"]
    if changes.get("events") is not None:
        _check_events(request, changes["events"])
        values["events"] = json.dumps(list(dict.fromkeys(changes["events"])))
    if changes.get("enabled") is not None:
        values["enabled"] = changes["enabled"]
    if "secret" in changes:
        # An explicit null or empty string removes the secret (deliveries are then unsigned).
        values["secret"] = rt.box.seal(changes["secret"])
    async with request.app[DATABASE].transaction() as tx:
        row = await _webhook(tx.conn, public_id)
        if values:
            await tx.conn.execute(sa.update(webhooks).where(webhooks.c.id == row.id).values(**values))
        tx.after_commit(rt.invalidate_subscriptions)
    return status_response("Webhook successfully updated.")


@routes.delete("/{public_id}", policy=Policy.ADMIN, response=StatusResponse)
async def delete_webhook(request: web.Request) -> web.Response:
    rt = runtime(request.app)
    async with request.app[DATABASE].transaction() as tx:
        row = await _webhook(tx.conn, request.match_info["public_id"])
        await tx.conn.execute(sa.delete(webhooks).where(webhooks.c.id == row.id))
        tx.after_commit(rt.invalidate_subscriptions)
    return status_response("Webhook successfully deleted.")


@routes.get("/{public_id}/deliveries", policy=Policy.ADMIN, query=PageParams,
            response=Page[WebhookDeliveryResponse])
async def list_deliveries(request: web.Request) -> web.Response:
    params = page_params(request)
    status = request.query.get("status")
    d = webhook_deliveries
    async with request.app[DATABASE].connect() as conn:
        row = await _webhook(conn, request.match_info["public_id"])
        query = sa.select(d).where(d.c.webhook_id == row.id).order_by(d.c.created_on.desc(), d.c.id.desc())
        if status:
            query = query.where(d.c.status == status)
        total, rows = await fetch_page(conn, query, params.page, params.page_size)
    return paginated(params.page, params.page_size, total, [store.delivery_response(r) for r in rows])


async def _delivery(conn: Any, hook: Any, delivery_id: str) -> Any:
    d = webhook_deliveries
    row = (await conn.execute(sa.select(d).where(d.c.public_id == delivery_id))).first()
    if row is None:
        raise NotFound.entity("WebhookDelivery", delivery_id)
    if row.webhook_id != hook.id:
        raise NotFound("Delivery not on this webhook.")
    return row


@routes.get("/{public_id}/deliveries/{delivery_id}/attempts", policy=Policy.ADMIN,
            response=list[DeliveryAttemptResponse])
async def list_attempts(request: web.Request) -> web.Response:
    """Every attempt of one delivery: time, duration, status code or error, start of the answer."""
    async with request.app[DATABASE].connect() as conn:
        hook = await _webhook(conn, request.match_info["public_id"])
        row = await _delivery(conn, hook, request.match_info["delivery_id"])
        attempts = await store.attempts_of(conn, row.id)
    return json_response([store.attempt_response(a) for a in attempts])


@routes.post(
    "/{public_id}/deliveries/{delivery_id}/redeliver", policy=Policy.ADMIN, response=StatusResponse, status=202
)
async def redeliver(request: web.Request) -> web.Response:
    """Send a delivery again (same body, same ``webhook-id``) with a fresh attempt budget."""
    rt = runtime(request.app)
    d = webhook_deliveries
    async with request.app[DATABASE].transaction() as tx:
        hook = await _webhook(tx.conn, request.match_info["public_id"])
        row = await _delivery(tx.conn, hook, request.match_info["delivery_id"])
        await tx.conn.execute(
            sa.update(d)
            .where(d.c.id == row.id)
            .values(status=PENDING, attempts=0, delivered_on=None, next_attempt_at=utcnow(), lease_owner=None)
        )
        tx.after_commit(rt.dispatcher.poke)
    return status_response("Delivery scheduled for redelivery.", status=202)


@routes.post("/{public_id}/test", policy=Policy.ADMIN, response=DeliveryQueuedResponse, status=202)
async def send_test(request: web.Request) -> web.Response:
    """Queue a ``webhook.test`` ping to this webhook (whatever it subscribes to)."""
    rt = runtime(request.app)
    delivery_id = new_public_id()
    async with request.app[DATABASE].transaction() as tx:
        hook = await _webhook(tx.conn, request.match_info["public_id"])
        now = utcnow()
        body = body_for(WebhookTest(webhook_id=hook.public_id, occurred_at=now))
        await tx.conn.execute(
            sa.insert(webhook_deliveries).values(
                public_id=delivery_id,
                webhook_id=hook.id,
                event_type=TEST_EVENT,
                payload=body,
                status=PENDING,
                attempts=0,
                created_on=now,
                next_attempt_at=now,
            )
        )
        tx.after_commit(rt.dispatcher.poke)
    return json_response(
        {"status": "success", "message": "Test delivery queued.", "delivery_id": delivery_id}, status=202
    )
