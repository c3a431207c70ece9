"""``/api/v1/rules`` (contract §2.6.10, all operator+). Operators, actions and webhook event types
are whatever the loaded plugins registered; the validation messages are the contract's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web

import webmacs_events as events_api
import webmacs_webhooks as webhooks_api
from webmacs_rules import store
from webmacs_rules.engine import engine
from webmacs_rules.registry import registry
from webmacs_rules.schemas import RuleCreate, RuleResponse, RuleUpdate
from webmacs_rules.tables import ARMED, rules
from webmacs_sdk.db import conflict_on_duplicate, list_page, new_public_id, row_or_404
from webmacs_sdk.errors import Conflict, NotFound, ValidationFailed
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.web import (
    Page,
    PageParams,
    StatusResponse,
    fields_set,
    json_response,
    parse_body,
    principal,
    status_response,
)

routes = RouteTable("/api/v1/rules")

HIGH_REQUIRED = "threshold_high required for between/not_between operators"
HIGH_ORDER = "threshold_high must be >= threshold"
#: The create endpoint words the first check as Pydantic did upstream.
CREATE_MESSAGES = {
    HIGH_REQUIRED: "threshold_high is required for between/not_between operators",
    HIGH_ORDER: HIGH_ORDER,
}


def _not_found(public_id: str) -> NotFound:
    return NotFound.entity("Rule", public_id)


def _enum_error(field: str, value: Any, allowed: list[str]) -> dict[str, Any]:
    if not allowed:
        expected, message = "", f"No {field} is available: no loaded plugin provides one"
    else:
        quoted = [f"'{a}'" for a in allowed]
        expected = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
        message = f"Input should be {expected}"
    return {
        "type": "enum",
        "loc": ["body", field],
        "msg": message,
        "input": value,
        "ctx": {"expected": expected},
    }


def _check_names(request: web.Request, values: dict[str, Any]) -> None:
    """Operator, action and webhook event type must be registered by a loaded plugin (422 list)."""
    errors = []
    checks = (
        ("operator", list(registry(request.app).operators)),
        ("action_type", list(registry(request.app).actions)),
        ("webhook_event_type", [spec.name for spec in webhooks_api.event_types(request.app)]),
    )
    for field, allowed in checks:
        value = values.get(field)
        if value is not None and value not in allowed:
            errors.append(_enum_error(field, value, allowed))
    if errors:
        raise ValidationFailed(errors)


def _cross_field_problem(
    request: web.Request, operator: str, threshold: float, high: float | None
) -> str | None:
    spec = registry(request.app).operators.get(operator)
    if spec is None or not spec.needs_high:
        return None
    if high is None:
        return HIGH_REQUIRED
    if high < threshold:
        return HIGH_ORDER
    return None


async def _require_event(conn: Any, event_public_id: str) -> None:
    if await events_api.by_public_id(conn, event_public_id) is None:
        raise NotFound("Event not found.")


@routes.get("", policy=Policy.OPERATOR, query=PageParams, response=Page[RuleResponse])
async def list_rules(request: web.Request) -> web.Response:
    return await list_page(request, sa.select(rules).order_by(rules.c.id), store.to_response)


@routes.post("", policy=Policy.OPERATOR, body=RuleCreate, response=StatusResponse, status=201)
async def create_rule(request: web.Request) -> web.Response:
    body = await parse_body(request, RuleCreate)
    _check_names(request, body.model_dump())
    problem = _cross_field_problem(request, body.operator, body.threshold, body.threshold_high)
    if problem is not None:
        message = CREATE_MESSAGES[problem]
        raise ValidationFailed(
            [
                {
                    "type": "value_error",
                    "loc": ["body"],
                    "msg": f"Value error, {message}",
                    "input": body.model_dump(),
                    "ctx": {"error": message},
                }
            ]
        )
    caller = principal(request)
    rule_engine = engine(request.app)
    with conflict_on_duplicate(store.DUPLICATE):
        async with request.app[DATABASE].transaction() as tx:
            await _require_event(tx.conn, body.event_public_id)
            if await store.name_taken(tx.conn, body.name):
                raise Conflict(store.DUPLICATE)
            await tx.conn.execute(
                sa.insert(rules).values(
                    public_id=new_public_id(),
                    created_on=utcnow(),
                    user_public_id=caller.public_id,
                    state=ARMED,
                    **body.model_dump(),
                )
            )
            tx.after_commit(rule_engine.invalidate)
    return status_response("Rule successfully created.", status=201)


@routes.get("/{public_id}", policy=Policy.OPERATOR, response=RuleResponse)
async def get_rule(request: web.Request) -> web.Response:
    row = await row_or_404(request.app[DATABASE], store.by_public_id, request.match_info["public_id"], "Rule")
    return json_response(store.to_response(row))


#: Fields that may be cleared with an explicit null; the others ignore null (NOT NULL columns).
NULLABLE = frozenset({"threshold_high", "webhook_event_type", "hysteresis"})


@routes.put("/{public_id}", policy=Policy.OPERATOR, body=RuleUpdate, response=StatusResponse)
async def update_rule(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    body = await parse_body(request, RuleUpdate)
    values = {k: v for k, v in fields_set(body).items() if v is not None or k in NULLABLE}
    _check_names(request, values)
    rule_engine = engine(request.app)
    with conflict_on_duplicate(store.DUPLICATE):
        async with request.app[DATABASE].transaction() as tx:
            row = await store.by_public_id(tx.conn, public_id)
            if row is None:
                raise _not_found(public_id)
            merged = {**row._mapping, **values}
            problem = _cross_field_problem(
                request, merged["operator"], merged["threshold"], merged["threshold_high"]
            )
            if problem is not None:
                raise ValidationFailed(problem)
            if "event_public_id" in values and values["event_public_id"] != row.event_public_id:
                await _require_event(tx.conn, values["event_public_id"])
            if "name" in values and await store.name_taken(tx.conn, values["name"], exclude_id=row.id):
                raise Conflict(store.DUPLICATE)
            condition_changed = any(
                k in values and values[k] != getattr(row, k)
                for k in (
                    "event_public_id",
                    "operator",
                    "threshold",
                    "threshold_high",
                    "hysteresis",
                    "enabled",
                )
            )
            if condition_changed:
                # A new condition starts from scratch: the old state described another comparison.
                values.update(state=ARMED, state_since=None)
            if values:
                await tx.conn.execute(sa.update(rules).where(rules.c.id == row.id).values(**values))
            tx.after_commit(rule_engine.invalidate)
    return status_response("Rule successfully updated.")


@routes.delete("/{public_id}", policy=Policy.OPERATOR, response=StatusResponse)
async def delete_rule(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    rule_engine = engine(request.app)
    async with request.app[DATABASE].transaction() as tx:
        row = await store.by_public_id(tx.conn, public_id)
        if row is None:
            raise _not_found(public_id)
        await tx.conn.execute(sa.delete(rules).where(rules.c.id == row.id))
        tx.after_commit(rule_engine.invalidate)
    return status_response("Rule successfully deleted.")
