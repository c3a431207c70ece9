"""``/api/v1/experiments`` (contract §2.6.6), with the BEAT fixes: 409 on a duplicate name, at most
one running experiment (enforced by a partial unique index), and an idempotent stop.

Starting an experiment while another runs stops the running one first, in the same transaction
(logged, ``experiment.stopped`` emitted, its webhooks fire), then answers 201: WebMACS's web app
starts a new run without stopping the previous one itself."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy import exc as sa_exc

from webmacs_experiments import store, tagging
from webmacs_experiments.schemas import ExperimentCreate, ExperimentResponse, ExperimentUpdate
from webmacs_experiments.tables import RUNNING_INDEX, experiments
from webmacs_sdk.db import is_unique_violation, list_page, new_public_id, row_or_404
from webmacs_sdk.errors import Conflict, NotFound
from webmacs_sdk.events import ExperimentStarted, ExperimentStopped
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import Principal, Transaction
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.web import Page, PageParams, StatusResponse, json_response, parse_body, principal, status_response

routes = RouteTable("/api/v1/experiments")

DUPLICATE = "Experiment already exists."
ALREADY_RUNNING = "An experiment is already running."
#: Starts queue on this PostgreSQL advisory lock (SQLite writers queue anyway), so each one sees the
#: run the previous start left and stops it.
START_LOCK_KEY = 0x45585053
#: Should a start still lose a race for the running slot, it stops the winner's run on a new attempt.
START_ATTEMPTS = 3


def _not_found(public_id: str) -> NotFound:
    return NotFound.entity("Experiment", public_id)


def _conflict(exc: sa_exc.IntegrityError) -> Conflict:
    return Conflict(ALREADY_RUNNING if RUNNING_INDEX in str(exc.orig) else DUPLICATE)


@routes.get("", policy=Policy.AUTHENTICATED, query=PageParams, response=Page[ExperimentResponse])
async def list_experiments(request: web.Request) -> web.Response:
    return await list_page(request, sa.select(experiments).order_by(experiments.c.id), store.to_response)


async def _stop(app: web.Application, tx: Transaction, row: sa.Row[Any], actor: Principal) -> bool:
    """Stop ``row`` if it still runs, telling the world; False if it had already stopped."""
    result = await tx.conn.execute(
        sa.update(experiments)
        .where(experiments.c.id == row.id, experiments.c.stopped_on.is_(None))
        .values(stopped_on=utcnow())
    )
    if not result.rowcount:
        return False
    await app[HOST].emit(tx, ExperimentStopped(experiment=row.name, experiment_id=row.public_id, actor=actor))
    tx.after_commit(lambda: tagging.invalidate(app))
    return True


async def _start(app: web.Application, name: str, caller: Principal) -> None:
    """One attempt: stop whatever runs, then insert and announce the new run, in one transaction."""
    public_id = new_public_id()
    async with app[DATABASE].transaction() as tx:
        if app[DATABASE].is_postgres:
            await tx.conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": START_LOCK_KEY})
        if await store.name_taken(tx.conn, name):
            raise Conflict(DUPLICATE)
        running = await store.running(tx.conn)
        if running is not None:
            await _stop(app, tx, running, caller)
        await tx.conn.execute(sa.insert(experiments).values(
            public_id=public_id, name=name, started_on=utcnow(), user_public_id=caller.public_id,
        ))
        await app[HOST].emit(tx, ExperimentStarted(experiment=name, experiment_id=public_id, actor=caller))
        tx.after_commit(lambda: tagging.invalidate(app))


@routes.post("", policy=Policy.OPERATOR, body=ExperimentCreate, response=StatusResponse, status=201)
async def create_experiment(request: web.Request) -> web.Response:
    body = await parse_body(request, ExperimentCreate)
    caller = principal(request)
    for attempt in range(START_ATTEMPTS):
        try:
            await _start(request.app, body.name, caller)
            break
        except sa_exc.IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
            lost_race_for_running = RUNNING_INDEX in str(exc.orig) and attempt < START_ATTEMPTS - 1
            if not lost_race_for_running:
                raise _conflict(exc) from None
    return status_response("Experiment successfully created.", status=201)


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED, response=ExperimentResponse)
async def get_experiment(request: web.Request) -> web.Response:
    row = await row_or_404(request.app[DATABASE], store.by_public_id, request.match_info["public_id"], "Experiment")
    return json_response(store.to_response(row))


@routes.put("/{public_id}/stop", policy=Policy.OPERATOR, response=StatusResponse)
async def stop_experiment(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].transaction() as tx:
        row = await store.by_public_id(tx.conn, public_id)
        if row is None:
            raise _not_found(public_id)
        # Only the first stop records the time and tells the world; later stops change nothing.
        await _stop(request.app, tx, row, principal(request))
    return status_response("Experiment successfully stopped.")


@routes.put("/{public_id}", policy=Policy.OPERATOR, body=ExperimentUpdate, response=StatusResponse)
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


@routes.delete("/{public_id}", policy=Policy.OPERATOR, response=StatusResponse)
async def delete_experiment(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].transaction() as tx:
        # Its datapoints go with it, as the contract requires.
        if not await store.delete(request.app, tx.conn, public_id):
            raise _not_found(public_id)
        tagging.invalidate(request.app)
        tx.after_commit(lambda: tagging.invalidate(request.app))
    return status_response("Experiment successfully deleted.")
