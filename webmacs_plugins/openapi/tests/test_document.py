"""The OpenAPI document covers every HTTP route of every loaded plugin, with its policy as a security
requirement, its request models and the error shapes; the reference page and ``webmacs openapi``."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import jsonschema_rs
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


def _check_answer(document: dict[str, Any], method: str, path: str, body: Any, status: int = 200) -> None:
    """``body`` validates against the schema the document gives ``method path`` for ``status``."""
    schema = document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    assert schema, f"{method} {path} has no response schema"
    validator = jsonschema_rs.validator_for({**schema, "components": document["components"]}, validate_formats=True)
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], f"{method} {path}: {errors}"


async def test_resource_answers_validate_against_their_documented_schemas(make_client: Any,
                                                                         auth_headers: Any) -> None:
    """Real answers of typed routes match the document exactly (no missing, extra or mistyped field)."""
    client = await make_client("users", "auth", "events", "experiments", "datapoints", "openapi")
    document = await (await client.get("/api/v1/openapi.json")).json()
    op = await auth_headers(client, "operator")

    def check(method: str, path: str, body: Any) -> None:
        _check_answer(document, method, path, body)

    event = {"name": "Flow", "min_value": 0, "max_value": 10, "unit": "l/min", "type": "sensor"}
    assert (await client.post("/api/v1/events", json=event, headers=op)).status == 201
    assert (await client.post("/api/v1/experiments", json={"name": "Run 1"}, headers=op)).status == 201
    events = await (await client.get("/api/v1/events", headers=op)).json()
    check("get", "/api/v1/events", events)
    event_id = events["data"][0]["public_id"]
    check("get", "/api/v1/events/{public_id}",
          await (await client.get(f"/api/v1/events/{event_id}", headers=op)).json())
    experiments = await (await client.get("/api/v1/experiments", headers=op)).json()
    check("get", "/api/v1/experiments", experiments)
    experiment_id = experiments["data"][0]["public_id"]
    check("get", "/api/v1/experiments/{public_id}",
          await (await client.get(f"/api/v1/experiments/{experiment_id}", headers=op)).json())

    point = {"value": 2.5, "event_public_id": event_id}
    assert (await client.post("/api/v1/datapoints", json=point, headers=op)).status == 201
    points = await (await client.get("/api/v1/datapoints", headers=op)).json()
    assert points["total"] == 1 and points["data"][0]["experiment_public_id"] == experiment_id
    check("get", "/api/v1/datapoints", points)
    point_id = points["data"][0]["public_id"]
    check("get", "/api/v1/datapoints/{public_id}",
          await (await client.get(f"/api/v1/datapoints/{point_id}", headers=op)).json())
    check("get", "/api/v1/datapoints/latest", await (await client.get("/api/v1/datapoints/latest", headers=op)).json())
    series = await client.post("/api/v1/datapoints/series", json={"event_public_ids": [event_id]}, headers=op)
    check("post", "/api/v1/datapoints/series", await series.json())

    # A model that says something else than the handler fails: one field fewer in the event's schema.
    wrong = {**document["components"]["schemas"]["EventResponse"]}
    wrong["properties"] = {k: v for k, v in wrong["properties"].items() if k != "unit"}
    wrong["required"] = [k for k in wrong["required"] if k != "unit"]
    document["components"]["schemas"]["EventResponse"] = wrong
    try:
        check("get", "/api/v1/events", events)
    except AssertionError:
        pass
    else:
        raise AssertionError("an answer with a field the model does not declare passed")


async def test_rule_and_webhook_answers_validate_against_their_documented_schemas(make_client: Any,
                                                                                 auth_headers: Any) -> None:
    client = await make_client("users", "auth", "events", "webhooks", "rules", "openapi",
                               env={"WEBMACS_EGRESS_ALLOW": "127.0.0.1/32"})
    document = await (await client.get("/api/v1/openapi.json")).json()
    admin = await auth_headers(client, "admin")

    async def answer(method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        resp = await client.request(method, url, headers=admin, **kwargs)
        assert resp.status == status, await resp.text()
        return await resp.json()

    event = {"name": "Flow", "min_value": 0, "max_value": 10, "unit": "l/min", "type": "sensor"}
    await answer("POST", "/api/v1/events", 201, json=event)
    event_id = (await answer("GET", "/api/v1/events"))["data"][0]["public_id"]
    rule = {"name": "High flow", "event_public_id": event_id, "operator": "gt", "threshold": 8, "action_type": "log"}
    await answer("POST", "/api/v1/rules", 201, json=rule)
    rules = await answer("GET", "/api/v1/rules")
    _check_answer(document, "get", "/api/v1/rules", rules)
    rule_id = rules["data"][0]["public_id"]
    _check_answer(document, "get", "/api/v1/rules/{public_id}", await answer("GET", f"/api/v1/rules/{rule_id}"))

    hook = {"url": "http://127.0.0.1:9/hook", "events": ["sensor.reading"]}
    await answer("POST", "/api/v1/webhooks", 201, json=hook)
    hooks = await answer("GET", "/api/v1/webhooks")
    _check_answer(document, "get", "/api/v1/webhooks", hooks)
    hook_id = hooks["data"][0]["public_id"]
    _check_answer(document, "get", "/api/v1/webhooks/{public_id}", await answer("GET", f"/api/v1/webhooks/{hook_id}"))
    queued = await answer("POST", f"/api/v1/webhooks/{hook_id}/test", 202)
    _check_answer(document, "post", "/api/v1/webhooks/{public_id}/test", queued, 202)
    deliveries = await answer("GET", f"/api/v1/webhooks/{hook_id}/deliveries")
    assert deliveries["total"] == 1
    _check_answer(document, "get", "/api/v1/webhooks/{public_id}/deliveries", deliveries)
    attempts = await answer("GET", f"/api/v1/webhooks/{hook_id}/deliveries/{queued['delivery_id']}/attempts")
    _check_answer(document, "get", "/api/v1/webhooks/{public_id}/deliveries/{delivery_id}/attempts", attempts)


async def test_account_log_token_and_dashboard_answers_validate_against_their_documented_schemas(
    make_client: Any, auth_headers: Any
) -> None:
    client = await make_client("users", "auth", "tokens", "logs", "events", "dashboards", "openapi")
    document = await (await client.get("/api/v1/openapi.json")).json()
    admin = await auth_headers(client, "admin")

    async def answer(method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        resp = await client.request(method, url, headers=admin, **kwargs)
        assert resp.status == status, await resp.text()
        return await resp.json()

    me = await answer("GET", "/api/v1/auth/me")
    _check_answer(document, "get", "/api/v1/auth/me", me)
    _check_answer(document, "get", "/api/v1/users", await answer("GET", "/api/v1/users"))
    _check_answer(document, "get", "/api/v1/users/{public_id}", await answer("GET", f"/api/v1/users/{me['public_id']}"))
    account = {"email": "ada@example.com", "username": "ada", "password": "correct horse battery"}
    await answer("POST", "/api/v1/users", 201, json=account)
    login = await client.post("/api/v1/auth/login", json={"email": account["email"], "password": account["password"]})
    assert login.status == 200
    _check_answer(document, "post", "/api/v1/auth/login", await login.json())

    await answer("POST", "/api/v1/logging", 201, json={"content": "Valve serviced", "logging_type": "warning"})
    logs = await answer("GET", "/api/v1/logging")
    _check_answer(document, "get", "/api/v1/logging", logs)
    entry = logs["data"][0]["public_id"]
    _check_answer(document, "get", "/api/v1/logging/{public_id}", await answer("GET", f"/api/v1/logging/{entry}"))

    made = await answer("POST", "/api/v1/tokens", 201, json={"name": "controller"})
    _check_answer(document, "post", "/api/v1/tokens", made, 201)
    await answer("POST", "/api/v1/tokens", 201, json={"name": "expiring", "expires_at": "2099-01-01T00:00:00Z"})
    _check_answer(document, "get", "/api/v1/tokens", await answer("GET", "/api/v1/tokens"))

    event = {"name": "Flow", "min_value": 0, "max_value": 10, "unit": "l/min", "type": "sensor"}
    await answer("POST", "/api/v1/events", 201, json=event)
    event_id = (await answer("GET", "/api/v1/events"))["data"][0]["public_id"]
    board = await answer("POST", "/api/v1/dashboards", 201, json={"name": "Plant"})
    _check_answer(document, "post", "/api/v1/dashboards", board, 201)
    widget = {"widget_type": "gauge", "title": "Flow", "event_public_id": event_id, "config_json": "{}"}
    made_widget = await answer("POST", f"/api/v1/dashboards/{board['public_id']}/widgets", 201, json=widget)
    _check_answer(document, "post", "/api/v1/dashboards/{public_id}/widgets", made_widget, 201)
    await answer("POST", f"/api/v1/dashboards/{board['public_id']}/widgets", 201,
                 json={"widget_type": "stat_card", "title": "Count"})
    _check_answer(document, "get", "/api/v1/dashboards", await answer("GET", "/api/v1/dashboards"))
    one = await answer("GET", f"/api/v1/dashboards/{board['public_id']}")
    assert len(one["widgets"]) == 2
    _check_answer(document, "get", "/api/v1/dashboards/{public_id}", one)


async def test_ota_record_answers_validate_against_their_documented_schemas(make_client: Any,
                                                                           auth_headers: Any) -> None:
    client = await make_client("users", "auth", "ota", "openapi")
    document = await (await client.get("/api/v1/openapi.json")).json()
    admin = await auth_headers(client, "admin")
    made = await client.post("/api/v1/ota", json={"version": "1.2.3", "changelog": None}, headers=admin)
    assert made.status == 201, await made.text()
    listing = await (await client.get("/api/v1/ota", headers=admin)).json()
    _check_answer(document, "get", "/api/v1/ota", listing)
    record = await client.get(f"/api/v1/ota/{listing['data'][0]['public_id']}", headers=admin)
    _check_answer(document, "get", "/api/v1/ota/{public_id}", await record.json())


async def test_plugin_instance_and_package_answers_validate_against_their_documented_schemas(
    make_client: Any, auth_headers: Any, tmp_path: Path
) -> None:
    client = await make_client("users", "auth", "events", "simulated", "plugins", "openapi",
                               env={"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")})
    document = await (await client.get("/api/v1/openapi.json")).json()
    admin = await auth_headers(client, "admin")
    made = await client.post("/api/v1/plugins", json={"plugin_id": "simulated", "instance_name": "Lab"}, headers=admin)
    assert made.status == 201, await made.text()
    listing = await (await client.get("/api/v1/plugins", headers=admin)).json()
    _check_answer(document, "get", "/api/v1/plugins", listing)
    instance = listing["data"][0]
    assert instance["channel_mappings"], "the simulated driver's channels are mapped"
    one = await client.get(f"/api/v1/plugins/{instance['public_id']}", headers=admin)
    _check_answer(document, "get", "/api/v1/plugins/{public_id}", await one.json())
    channels = await client.get(f"/api/v1/plugins/{instance['public_id']}/channels", headers=admin)
    _check_answer(document, "get", "/api/v1/plugins/{public_id}/channels", await channels.json())
    packages = await client.get("/api/v1/plugins/packages", headers=admin)
    _check_answer(document, "get", "/api/v1/plugins/packages", await packages.json())


async def test_health_sso_config_and_logout_answers_validate_against_their_documented_schemas(
    make_client: Any, auth_headers: Any
) -> None:
    client = await make_client("users", "auth", "events", "experiments", "datapoints", "health", "sso", "openapi")
    document = await (await client.get("/api/v1/openapi.json")).json()
    health = await (await client.get("/health")).json()
    assert "last_datapoint" in health
    _check_answer(document, "get", "/health", health)
    sso = await (await client.get("/api/v1/auth/sso/config")).json()
    _check_answer(document, "get", "/api/v1/auth/sso/config", sso)
    logout = await client.post("/api/v1/auth/logout", headers=await auth_headers(client, "viewer"))
    _check_answer(document, "post", "/api/v1/auth/logout", await logout.json())
