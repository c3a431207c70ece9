"""The OpenAPI 3.1 document of a set of routes: paths from the route table, request shapes from the
pydantic models each route declares (``RouteTable`` keywords ``body=``, ``query=``, ``response=``),
the route's policy as a security requirement, and the error shapes every route can answer.

It is built from :class:`~webmacs_sdk.specs.Route` objects alone, so a plugin's routes appear as soon
as the plugin is loaded, and nothing here knows any feature.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import Any, get_args, get_origin

import pydantic

from webmacs_sdk.specs import Policy, Route

OPENAPI_VERSION = "3.1.0"
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")
_REF = "#/components/schemas/{model}"
_COMPONENT_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_ROLE = {
    Policy.PUBLIC: "anyone, signed in or not",
    Policy.AUTHENTICATED: "any signed-in user (viewer, operator or admin)",
    Policy.OPERATOR: "operator or admin",
    Policy.ADMIN: "admin",
}
_SECURITY: list[dict[str, list[str]]] = [{"bearerJWT": []}, {"apiToken": []}]

ERROR_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "Every error answer: `detail` says what went wrong.",
        "properties": {"detail": {}},
        "required": ["detail"],
        "additionalProperties": False,
    },
    "ValidationErrorItem": {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
            "msg": {"type": "string"},
            "input": {},
            "ctx": {"type": "object"},
        },
        "required": ["type", "loc", "msg"],
    },
    "ValidationError": {
        "type": "object",
        "description": "422: the list of what failed validation, or one sentence.",
        "properties": {
            "detail": {
                "anyOf": [
                    {"type": "array", "items": {"$ref": "#/components/schemas/ValidationErrorItem"}},
                    {"type": "string"},
                ]
            }
        },
        "required": ["detail"],
        "additionalProperties": False,
    },
}


def build(routes: Iterable[Route], *, title: str = "WebMACS API", version: str = "1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` (WebSocket routes are listed under ``x-websockets``)."""
    schemas: dict[str, Any] = dict(ERROR_SCHEMAS)
    paths: dict[str, dict[str, Any]] = {}
    websockets: list[dict[str, Any]] = []
    operation_ids: set[str] = set()
    for route in routes:
        if route.websocket:
            websockets.append({"path": route.path, "x-webmacs-policy": route.policy.value,
                               "description": f"WebSocket; ?token= authenticates. Who: {_ROLE[route.policy]}."})
            continue
        path, path_params = _path(route.path)
        operation = _operation(route, path_params, schemas, operation_ids)
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "Generated from the server's route table: every route of every loaded plugin.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerJWT": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                              "description": "The access token from POST /api/v1/auth/login."},
                "apiToken": {"type": "http", "scheme": "bearer",
                             "description": "An API token made with POST /api/v1/tokens, sent the same way."},
            },
        },
        "x-websockets": websockets,
    }


def _path(raw: str) -> tuple[str, list[dict[str, Any]]]:
    params: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        name, pattern = match.group(1), match.group(2)
        schema: dict[str, Any] = {"type": "string"}
        if pattern:
            schema["pattern"] = f"^(?:{pattern})$"
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _PATH_PARAM.sub(replace, raw), params


def _operation(route: Route, path_params: list[dict[str, Any]], schemas: dict[str, Any],
               operation_ids: set[str]) -> dict[str, Any]:
    doc = route.doc
    summary = (doc.summary if doc and doc.summary else "") or _first_line(route.handler)
    operation: dict[str, Any] = {
        "operationId": _operation_id(route, operation_ids),
        "summary": summary,
        "description": f"Who may call it: {_ROLE[route.policy]}.",
        "tags": [_tag(route)],
        "security": [] if route.policy is Policy.PUBLIC else _SECURITY,
        "x-webmacs-policy": route.policy.value,
    }
    parameters = list(path_params)
    if doc and doc.query is not None:
        parameters += _query_parameters(doc.query, schemas)
    if parameters:
        operation["parameters"] = parameters
    if doc and doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(doc.body, schemas)}},
        }
    elif doc and doc.files:
        operation["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": {
                "type": "object",
                "properties": {name: {"type": "string", "contentMediaType": "application/octet-stream"}
                               for name in doc.files},
                "required": list(doc.files),
            }}},
        }
    operation["responses"] = _responses(route, bool(parameters or operation.get("requestBody")), schemas)
    return operation


def _responses(route: Route, validated: bool, schemas: dict[str, Any]) -> dict[str, Any]:
    doc = route.doc
    status = str(doc.status) if doc else "2XX"
    if doc and doc.response is not None:
        success: dict[str, Any] = {"description": "Success.",
                                   "content": {"application/json": {"schema": _schema(doc.response, schemas)}}}
    else:
        success = {"description": "Success.", "content": {"*/*": {"schema": {}}}}
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses: dict[str, Any] = {status: success}
    if status != "2XX":
        # Routes that answer 200 or 201 depending on what happened, or 204 after a delete.
        responses["2XX"] = {"description": "Success (other status).", "content": {"*/*": {"schema": {}}}}
    if route.policy is not Policy.PUBLIC:
        responses["401"] = {"description": "No valid credential.", **error}
    if route.policy in (Policy.OPERATOR, Policy.ADMIN):
        responses["403"] = {"description": f"The caller is not {_ROLE[route.policy]}.", **error}
    if validated:
        responses["422"] = {"description": "The request failed validation.", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}}
    responses["4XX"] = {"description": "Any other refusal (400, 404, 405, 408, 409, 413, 429, ...).", **error}
    responses["503"] = {"description": "The database is unavailable; retry after Retry-After.", **error}
    return responses


def _query_parameters(model: type[Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF)
    schemas.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _schema(shape: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema for a model, ``list[Model]`` or a ready JSON schema dict; models go to components."""
    if isinstance(shape, dict):
        return shape
    if get_origin(shape) is list:
        return {"type": "array", "items": _schema(get_args(shape)[0], schemas)}
    if inspect.isclass(shape) and issubclass(shape, pydantic.BaseModel):
        schema = shape.model_json_schema(ref_template=_REF)
        schemas.update(schema.pop("$defs", {}))
        # A generic model's name (``Page[EventResponse]``) is no valid component name: ``Page_EventResponse``.
        name = _COMPONENT_NAME.sub("_", shape.__name__).strip("_")
        if name in schemas and schemas[name] != schema:
            name = f"{shape.__module__.split('.')[0]}_{name}"
        schemas[name] = schema
        return {"$ref": _REF.format(model=name)}
    raise TypeError(f"cannot describe {shape!r} in the API document")


def _operation_id(route: Route, taken: set[str]) -> str:
    base = f"{route.method.lower()}_{_tag(route)}_{route.name or 'route'}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _tag(route: Route) -> str:
    module = getattr(route.handler, "__module__", "") or ""
    return module.split(".")[0].removeprefix("webmacs_") or "core"


def _first_line(handler: Any) -> str:
    doc = inspect.getdoc(handler) or ""
    return doc.strip().splitlines()[0] if doc.strip() else (getattr(handler, "__name__", "") or "").replace("_", " ")
