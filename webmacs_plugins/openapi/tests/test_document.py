"""The OpenAPI document covers every HTTP route of every loaded plugin, with its policy as a security
requirement, its request models and the error shapes; the reference page and ``webmacs openapi``."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import orjson
import pydantic
from aiohttp import web

from webmacs_core.app import route_table
from webmacs_openapi import write_document
from webmacs_sdk import hookimpl
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import Page, RequestModel, StatusResponse, json_response


class Gadget(RequestModel):
    name: str = pydantic.Field(min_length=1, max_length=20)
    size: int = pydantic.Field(ge=0, le=10)


def _third_party_plugin() -> types.SimpleNamespace:
    routes = RouteTable("/api/v1/gadgets")

    @routes.post("", policy=Policy.OPERATOR, body=Gadget, status=201)
    async def make_gadget(request: web.Request) -> web.Response:
        """Make a gadget."""
        return json_response({}, status=201)

    @hookimpl
    def webmacs_register_routes() -> list[Any]:
        return list(routes)

    return types.SimpleNamespace(webmacs_register_routes=webmacs_register_routes)


async def test_every_route_is_an_operation_with_its_policy_models_and_errors(make_client: Any) -> None:
    client = await make_client("users", "auth", "tokens", "events", "openapi", _third_party_plugin())
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    document = await resp.json()
    assert document["openapi"].startswith("3.1")

    expected = {(r.method.lower(), r.path) for r in route_table(client.app).values()
                if not r.websocket}
    found = {(method, path) for path, item in document["paths"].items() for method in item}
    assert found == expected

    gadget = document["paths"]["/api/v1/gadgets"]["post"]
    assert gadget["summary"] == "Make a gadget."
    assert gadget["security"] == [{"bearerJWT": []}, {"apiToken": []}]
    assert gadget["x-webmacs-policy"] == "operator" and "operator or admin" in gadget["description"]
    body = gadget["requestBody"]["content"]["application/json"]["schema"]
    assert document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]["size"]["maximum"] == 10
    assert {"201", "401", "403", "422", "4XX"} <= set(gadget["responses"])
    assert gadget["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ValidationError")
    assert gadget["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")

    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert login["security"] == [] and login["x-webmacs-policy"] == "public"
    event = document["paths"]["/api/v1/events/{public_id}"]["get"]
    assert event["parameters"][0] == {"name": "public_id", "in": "path", "required": True,
                                      "schema": {"type": "string"}}
    listing = document["paths"]["/api/v1/events"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"page", "page_size"}

    page = await client.get("/api/v1/docs")
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    assert "/api/v1/gadgets" in text and "Make a gadget." in text and "<script" not in text


def test_webmacs_openapi_writes_the_document_and_its_markdown(tmp_path: Path) -> None:
    from webmacs_core.app import plugin_manager_for
    from webmacs_core.settings import Settings

    settings = Settings.load()
    pm = plugin_manager_for(settings)
    out = tmp_path / "openapi.json"
    assert write_document(types.SimpleNamespace(output=out, markdown=False), settings, pm) == 0
    document = orjson.loads(out.read_bytes())
    assert "/api/v1/openapi.json" in document["paths"] and "/api/v1/events" in document["paths"]
    md = tmp_path / "api.md"
    assert write_document(types.SimpleNamespace(output=md, markdown=True), settings, pm) == 0
    assert "| POST | `/api/v1/events` | operator |" in md.read_text()


async def test_writes_and_lists_document_the_shapes_they_answer(make_client: Any, auth_headers: Any) -> None:
    """Success answers carry their schema, so a client (or schemathesis) can check a body against it."""
    client = await make_client("users", "auth", "events", "openapi")
    document = await (await client.get("/api/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    op = await auth_headers(client, "operator")

    def documented(method: str, path: str, status: int) -> str:
        schema = document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
        return str(schema["$ref"].rsplit("/", 1)[1])

    event = {"name": "Flow", "min_value": 0, "max_value": 10, "unit": "l/min", "type": "sensor"}
    created = await client.post("/api/v1/events", json=event, headers=op)
    assert created.status == 201 and documented("post", "/api/v1/events", 201) == "StatusResponse"
    StatusResponse.model_validate(await created.json())
    assert schemas["StatusResponse"]["additionalProperties"] is False

    listing = await client.get("/api/v1/events", headers=op)
    assert listing.status == 200 and documented("get", "/api/v1/events", 200) == "Page_EventResponse"
    assert Page.model_validate(await listing.json()).total == 1
    public_id = (await listing.json())["data"][0]["public_id"]
    deleted = await client.delete(f"/api/v1/events/{public_id}", headers=op)
    assert deleted.status == 200 and documented("delete", "/api/v1/events/{public_id}", 200) == "StatusResponse"
    StatusResponse.model_validate(await deleted.json())
