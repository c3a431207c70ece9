"""``/api/v1/experiments`` (contract §2.6.6), with the BEAT fixes: 409 on a duplicate name, at most
one running experiment (409, also enforced by a partial unique index), and an idempotent stop."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy import exc as sa_exc

from webmacs_experiments import store, tagging
from webmacs_experiments.schemas import ExperimentCreate, ExperimentUpdate
from webmacs_experiments.tables import RUNNING_INDEX, experiments
from webmacs_sdk.db import fetch_page, is_unique_violation, new_public_id, row_or_404
from webmacs_sdk.errors import Conflict, NotFound
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import DomainEvent
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.web import json_response, page_params, paginated, parse_body, principal, status_response

routes = RouteTable("/api/v1/experiments")

DUPLICATE = "Experiment already exists."
ALREADY_RUNNING = "An experiment is already running."


def _not_found(public_id: str) -> NotFound:
    return NotFound.entity("Experiment", public_id)


def _conflict(exc: sa_exc.IntegrityError) -> Conflict:
    return Conflict(ALREADY_RUNNING if RUNNING_INDEX in str(exc.orig) else DUPLICATE)


@routes.get("", policy=Policy.AUTHENTICATED)
async def list_experiments(request: web.Request) -> web.Response:
    params = page_params(request)
    async with request.app[DATABASE].connect() as conn:
        query = sa.select(experiments).order_by(experiments.c.id)
        total, rows = await fetch_page(conn, query, params.page, params.page_size)
    return paginated(params.page, params.page_size, total, [store.to_response(r) for r in rows])


@routes.post("", policy=Policy.OPERATOR)
async def create_experiment(request: web.Request) -> web.Response:
    body = await parse_body(request, ExperimentCreate)
    caller = principal(request)
    public_id = new_public_id()
    try:
        async with request.app[DATABASE].transaction() as tx:
            if await store.name_taken(tx.conn, body.name):
                raise Conflict(DUPLICATE)
            if await store.running(tx.conn) is not None:
                raise Conflict(ALREADY_RUNNING)
            await tx.conn.execute(sa.insert(experiments).values(
                public_id=public_id, name=body.name, started_on=utcnow(), user_public_id=caller.public_id,
            ))
            await request.app[HOST].emit(tx, DomainEvent(
                "experiment.started", {"experiment": body.name, "experiment_id": public_id}, actor=caller,
            ))
            tx.after_commit(tagging.invalidate)
    except sa_exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise _conflict(exc) from None
        raise
    return status_response("Experiment successfully created.", status=201)


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED)
async def get_experiment(request: web.Request) -> web.Response:
    row = await row_or_404(request.app[DATABASE], store.by_public_id, request.match_info["public_id"], "Experiment")
    return json_response(store.to_response(row))


@routes.put("/{public_id}/stop", policy=Policy.OPERATOR)
async def stop_experiment(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].transaction() as tx:
        row = await store.by_public_id(tx.conn, public_id)
        if row is None:
            raise _not_found(public_id)
        # Only the first stop records the time and tells the world; later stops change nothing.
        result = await tx.conn.execute(
            sa.update(experiments)
            .where(experiments.c.id == row.id, experiments.c.stopped_on.is_(None))
            .values(stopped_on=utcnow())
        )
        if result.rowcount:
            await request.app[HOST].emit(tx, DomainEvent(
                "experiment.stopped", {"experiment": row.name, "experiment_id": row.public_id},
                actor=principal(request),
            ))
            tx.after_commit(tagging.invalidate)
    return status_response("Experiment successfully stopped.")


@routes.put("/{public_id}", policy=Policy.OPERATOR)
async def update_experiment(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    body = await parse_body(request, ExperimentUpdate)
    try:
        async with request.app[DATABASE].transaction() as tx:
            row = await store.by_public_id(tx.conn, public_id)
            if row is None:
                raise _not_found(public_id)
            if body.name is not None:
                if await store.name_taken(tx.conn, body.name, exclude_id=row.id):
                    raise Conflict(DUPLICATE)
                await tx.conn.execute(
                    sa.update(experiments).where(experiments.c.id == row.id).values(name=body.name)
                )
    except sa_exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise _conflict(exc) from None
        raise
    return status_response("Experiment successfully updated.")


@routes.delete("/{public_id}", policy=Policy.OPERATOR)
async def delete_experiment(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].transaction() as tx:
        # Its datapoints go with it (their foreign key cascades), as the contract requires.
        result = await tx.conn.execute(sa.delete(experiments).where(experiments.c.public_id == public_id))
        if not result.rowcount:
            raise _not_found(public_id)
        tagging.invalidate()
        tx.after_commit(tagging.invalidate)
    return status_response("Experiment successfully deleted.")
