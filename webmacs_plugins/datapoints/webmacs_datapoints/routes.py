"""``/api/v1/datapoints`` (contract §2.6.7)."""

from __future__ import annotations

from aiohttp import web

from webmacs_datapoints import ids, queries
from webmacs_datapoints.ingest import Columns, ingest
from webmacs_datapoints.schemas import BatchIn, DatapointIn, DatapointResponse, ListFilter, SeriesIn, SeriesResponse
from webmacs_datapoints.settings import DatapointsSettings
from webmacs_sdk.errors import Conflict, NotFound
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import RejectReason
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.web import (
    Page,
    StatusResponse,
    json_response,
    paginated,
    parse_body,
    parse_query,
    principal,
    status_response,
)

routes = RouteTable("/api/v1/datapoints")


def _columns(items: list[DatapointIn]) -> Columns:
    now = utcnow()
    columns = Columns()
    for item in items:
        columns.event_public_ids.append(item.event_public_id)
        columns.values.append(item.value)
        columns.timestamps.append(item.timestamp or now)
    return columns


@routes.get("", policy=Policy.AUTHENTICATED, query=ListFilter, response=Page[DatapointResponse])
async def list_datapoints(request: web.Request) -> web.Response:
    params = parse_query(request, ListFilter)
    selection = queries.Selection(params.event_public_id, params.from_, params.to)
    async with request.app[DATABASE].connect() as conn:
        total, rows = await queries.page(conn, params.page, params.page_size, selection)
    return paginated(params.page, params.page_size, total, [queries.to_response(r) for r in rows])


@routes.post("", policy=Policy.OPERATOR, body=DatapointIn, response=StatusResponse, status=201)
async def create_datapoint(request: web.Request) -> web.Response:
    body = await parse_body(request, DatapointIn)
    result = await ingest(request.app, _columns([body]), principal=principal(request))
    if result.accepted:
        return status_response("1 datapoint successfully created.", status=201)
    reasons = {r.reason for r in result.rejected}
    if RejectReason.UNKNOWN_EVENT in reasons:
        raise NotFound("Event not found.")
    if RejectReason.EVENT_DISABLED in reasons:
        raise Conflict("Event is not linked to an enabled plugin instance.")
    raise Conflict("Datapoint rejected: " + ", ".join(sorted(r.value for r in reasons)))


@routes.post("/batch", policy=Policy.OPERATOR, body=BatchIn, response=StatusResponse, status=201)
async def create_batch(request: web.Request) -> web.Response:
    body = await parse_body(request, BatchIn)
    caller = principal(request)
    accepted = 0
    if body.datapoints:
        idempotent = body.controller_id is not None and body.seq is not None
        result = await ingest(
            request.app, _columns(body.datapoints), principal=caller,
            source_id=f"{caller.public_id}:{body.controller_id}" if idempotent else None,
            sequence=body.seq if idempotent else None,
        )
        accepted = result.accepted
    return status_response(f"{accepted} datapoints successfully created.", status=201)


@routes.post("/series", policy=Policy.AUTHENTICATED, body=SeriesIn, response=SeriesResponse)
async def series(request: web.Request) -> web.Response:
    body = await parse_body(request, SeriesIn)
    async with request.app[DATABASE].connect() as conn:
        result = await queries.series(
            conn, body.event_public_ids, body.minutes, body.max_points,
            grid_seconds=request.app[HOST].section(DatapointsSettings).chunk_seconds,
        )
    return json_response(result)


@routes.get("/latest", policy=Policy.AUTHENTICATED, response=list[DatapointResponse])
async def latest(request: web.Request) -> web.Response:
    async with request.app[DATABASE].connect() as conn:
        rows = await queries.latest(conn)
    return json_response([queries.to_response(r) for r in rows])


@routes.get("/{public_id}", policy=Policy.AUTHENTICATED, response=DatapointResponse)
async def get_datapoint(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    row_id = ids.row_id(public_id)
    row = None
    if row_id is not None:
        async with request.app[DATABASE].connect() as conn:
            row = await queries.by_id(conn, row_id)
    if row is None:
        raise NotFound.entity("Datapoint", public_id)
    return json_response(queries.to_response(row))


@routes.delete("/{public_id}", policy=Policy.OPERATOR, response=StatusResponse)
async def delete_datapoint(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    row_id = ids.row_id(public_id)
    if row_id is None or not await queries.delete(request.app[DATABASE], row_id):
        raise NotFound.entity("Datapoint", public_id)
    return status_response("Datapoint successfully deleted.")


