"""HTTP helpers for plugin handlers: JSON in and out, validation, pagination, the contract envelopes."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar

import orjson
import pydantic
from aiohttp import web

from webmacs_sdk.errors import NotFound, Unauthorized, ValidationFailed
from webmacs_sdk.fields import INT32_MAX
from webmacs_sdk.keys import PRINCIPAL
from webmacs_sdk.models import Principal

M = TypeVar("M", bound=pydantic.BaseModel)
#: The item model of a :class:`Page` (``Page[EventResponse]``).
ItemT = TypeVar("ItemT")

_JSON = "application/json"


def dumps(data: Any) -> bytes:
    """Strict JSON bytes (no NaN/Infinity) for responses and live frames."""
    return orjson.dumps(data, default=str)


def json_response(data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(data), status=status, content_type=_JSON, headers=headers)


def status_response(message: str, *, status: int = 200) -> web.Response:
    """The contract's StatusResponse ``{"status": "success", "message": ...}``."""
    return json_response({"status": "success", "message": message}, status=status)


def paginated(page: int, page_size: int, total: int, data: Sequence[Any]) -> web.Response:
    """The contract's page envelope, keys in this order: page, page_size, total, data."""
    return json_response({"page": page, "page_size": page_size, "total": total, "data": list(data)})


def _jsonable(value: Any) -> Any:
    try:
        orjson.dumps(value)
    except TypeError:
        return str(value)
    return value


def validation_errors(exc: pydantic.ValidationError, location: str) -> list[dict[str, Any]]:
    """pydantic errors in the contract's 422 list shape, ``loc`` starting with ``location``."""
    errors = []
    for err in exc.errors(include_url=False):
        entry: dict[str, Any] = {
            "type": err["type"],
            "loc": [location, *err["loc"]],
            "msg": err["msg"],
            "input": _jsonable(err.get("input")),
        }
        if "ctx" in err:
            entry["ctx"] = {k: _jsonable(v) if not isinstance(v, Exception) else str(v) for k, v in err["ctx"].items()}
        errors.append(entry)
    return errors


async def read_json(request: web.Request) -> Any:
    """The parsed JSON body; malformed JSON is a 422 ``json_invalid``, as the contract shows."""
    raw = await request.read()
    if not raw.strip():
        raise ValidationFailed([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(
            [{"type": "json_invalid", "loc": ["body", exc.pos], "msg": "JSON decode error",
              "input": {}, "ctx": {"error": exc.msg}}]
        ) from None


async def parse_body(request: web.Request, model: type[M]) -> M:
    """Read and validate the JSON body against ``model``; errors become a 422 list."""
    data = await read_json(request)
    return validate(model, data, "body")


#: No database text column can hold U+0000 (PostgreSQL refuses it outright), and no name or id
#: needs it: it is refused at the boundary, before any handler or query sees it.
NUL = "\x00"
_NUL_MESSAGE = "String must not contain the NUL character (\\u0000)"


def nul_errors(data: Any, loc: Sequence[str | int]) -> list[dict[str, Any]]:
    """422 entries for every string (value or key) holding a NUL character, anywhere in ``data``.

    Walks with its own stack: JSON nests deeper than Python's recursion limit allows."""
    errors: list[dict[str, Any]] = []
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(data, tuple(loc))]
    while pending:
        value, where = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                errors.append({"type": "string_nul", "loc": list(where), "msg": _NUL_MESSAGE, "input": value})
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                pending.append((item, (*where, key)))
                if isinstance(key, str) and NUL in key:
                    pending.append((key, (*where, key)))
        elif isinstance(value, list):
            pending.extend((item, (*where, index)) for index, item in reversed(list(enumerate(value))))
    return errors


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def refuse_nul(handler: Handler) -> Handler:
    """Wrap a route handler: a NUL in a path parameter is a 404 (no resource has such an id), in a
    query parameter a 422; bodies are checked by :func:`validate`. The core wraps every route."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if any(NUL in value for value in request.match_info.values()):
            raise NotFound("Not Found")
        refused = [entry for key, value in request.query.items() for entry in nul_errors({key: value}, ["query"])]
        if refused:
            raise ValidationFailed(refused)
        return await handler(request)

    return guarded


def validate(model: type[M], data: Any, location: str = "body") -> M:
    """``data`` as ``model``; a NUL character in any string, or a pydantic error, is a 422 list."""
    refused = nul_errors(data, [location])
    if refused:
        raise ValidationFailed(refused)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(validation_errors(exc, location)) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    """Validate query parameters (unknown ones such as ``_t`` are ignored)."""
    return validate(model, dict(request.query), "query")


class RequestModel(pydantic.BaseModel):
    """Base of request bodies and query models: unknown fields are ignored, as the contract requires.

    Number and date fields use the bounded types of :mod:`webmacs_sdk.fields`."""

    model_config = pydantic.ConfigDict(extra="ignore")


class PageParams(RequestModel):
    """``page`` 1 to 2^31-1 (default 1) and ``page_size`` 1 to 100 (default 25), contract §2.3."""

    page: int = pydantic.Field(default=1, ge=1, le=INT32_MAX)
    page_size: int = pydantic.Field(default=25, ge=1, le=100)


class ResponseModel(pydantic.BaseModel):
    """Base of the models that describe an answer (a route's ``response=``) for the API document.

    Exact: no other key may appear (``additionalProperties: false``), and an optional field is
    declared ``X | None`` without a default, since the contract always sends it, ``null`` when empty.
    """

    model_config = pydantic.ConfigDict(extra="forbid")


class StatusResponse(ResponseModel):
    """The answer of most writes (:func:`status_response`), for a route's ``response=``."""

    status: Literal["success"]
    message: str


class Page(ResponseModel, Generic[ItemT]):
    """The page envelope of every list (:func:`paginated`), for a route's ``response=``.

    Name the item model so the document describes the items too: ``response=Page[EventResponse]``
    (bare ``Page`` leaves them untyped).
    """

    page: int = pydantic.Field(ge=1)
    page_size: int = pydantic.Field(ge=1, le=100)
    total: int = pydantic.Field(ge=0)
    data: list[ItemT]


def page_params(request: web.Request) -> PageParams:
    return parse_query(request, PageParams)


def fields_set(model: pydantic.BaseModel) -> dict[str, Any]:
    """The fields the client actually sent: PUT has partial semantics."""
    return {name: getattr(model, name) for name in model.model_fields_set}


def principal(request: web.Request) -> Principal:
    """The caller of a route whose policy required authentication (the core put it there)."""
    found = request.get(PRINCIPAL)
    if found is None:
        raise Unauthorized()
    return found


def optional_principal(request: web.Request) -> Principal | None:
    """The caller of a public route, if it sent a valid credential."""
    return request.get(PRINCIPAL)


def client_address(request: web.Request, trusted_proxies: Sequence[str] = ()) -> str:
    """The client's address. ``X-Forwarded-For`` is believed only when the peer is a trusted
    proxy, and then the right-most hop that is not itself a trusted proxy is the client, so a
    forged header cannot pick the address."""
    peer = request.remote or ""
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def is_https(request: web.Request, trusted_proxies: Sequence[str] = ()) -> bool:
    """Whether the client reached us over https: directly, or through a trusted proxy that says so
    in ``X-Forwarded-Proto`` (a TLS-terminating reverse proxy); an untrusted peer cannot claim it."""
    if request.secure:
        return True
    if not trusted_proxies or not _is_trusted(request.remote or "", trusted_proxies):
        return False
    return request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"


def _is_trusted(address: str, trusted_proxies: Sequence[str]) -> bool:
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted_proxies:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


async def handler_json(handler: Any, request: web.Request) -> Any:
    """The decoded JSON one of the plugin's own API handlers answers to ``request``.

    A web UI page uses it to show exactly what the API returns for the same caller and query
    (filters, paging and role checks included). Errors propagate as the API's errors.
    """
    response = await handler(request)
    return orjson.loads(response.body)
