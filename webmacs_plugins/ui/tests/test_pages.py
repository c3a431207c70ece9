"""Every page of every installed plugin renders for each role, and offers only what the role may do."""

import importlib.metadata
import re


def installed_plugin_names():
    return sorted({ep.name for ep in importlib.metadata.entry_points(group="webmacs.plugins")})

ROLES = {"viewer": "viewer@example.com", "operator": "operator@example.com", "admin": "admin@example.com"}


async def session_for(client, auth_headers, role):
    await auth_headers(client, role)  # creates the user (password "<role>-password-1")
    email, password = ROLES[role], f"{role}-password-1"
    client.session.cookie_jar.clear()
    resp = await client.post("/api/v1/auth/session", json={"email": email, "password": password})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["csrf_token"]


async def test_every_menu_page_renders_and_hides_forbidden_actions(make_client, auth_headers, tmp_path):
    client = await make_client(*installed_plugin_names(), env={"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")})
    pages = {}
    for role in ("admin", "operator", "viewer"):
        await session_for(client, auth_headers, role)
        menu = await (await client.get("/api/v1/ui/menu")).json()
        for item in menu:
            if not item["href"].startswith("/") or item["href"].startswith("/api") or item["href"] == "/health":
                continue
            resp = await client.get(item["href"])
            html = await resp.text()
            assert resp.status == 200, (role, item, html[:2000])
            assert re.search(r"<h1>[^<]+</h1>", html)
            pages[(role, item["href"])] = html
    for href in ("/", "/events", "/experiments", "/datapoints", "/history", "/dashboards", "/logs", "/plugins",
                 "/tokens", "/account", "/status"):
        assert ("viewer", href) in pages, href
    admin_only = {"/webhooks", "/users"}
    assert admin_only <= {href for role, href in pages if role == "admin"}
    assert not admin_only & {href for role, href in pages if role != "admin"}
    assert "/rules" not in {href for role, href in pages if role == "viewer"}
    assert 'data-api="POST /api/v1/events"' in pages[("admin", "/events")]
    assert "data-api=" not in pages[("viewer", "/events")]
    assert 'data-api="POST /api/v1/plugins"' not in pages[("operator", "/plugins")]
    assert "experiment-start" in pages[("operator", "/experiments")]
    assert "experiment-start" not in pages[("viewer", "/experiments")]
    blocked = await client.get("/webhooks", headers={"Accept": "text/html"})
    assert blocked.status == 403


async def test_logs_page_filters_by_type_and_text_and_pages(make_client, auth_headers):
    client = await make_client("users", "auth", "logs", "ui")
    headers = await auth_headers(client, "operator")
    for i in range(30):
        kind = "error" if i % 3 == 0 else "info"
        body = {"content": f"{kind} entry number {i}", "logging_type": kind}
        assert (await client.post("/api/v1/logging", json=body, headers=headers)).status == 201
    await session_for(client, auth_headers, "viewer")
    errors = await (await client.get("/logs?type=error&page_size=5")).text()
    assert errors.count("error entry number") == 5 and "info entry" not in errors
    assert "Page 1 of 2 (10 in all)" in errors and "type=error" in errors.split('rel="next"')[0]
    found = await (await client.get("/logs?q=number%2017")).text()
    assert "info entry number 17" in found and "number 16" not in found
    none = await (await client.get("/logs?q=%25")).text()  # a LIKE wildcard is searched for, not obeyed
    assert "No log entries match the filter." in none


async def test_webhook_and_event_edit_forms_carry_the_current_values(make_client, auth_headers):
    client = await make_client("users", "auth", "events", "webhooks", "ui",
                               env={"WEBMACS_EGRESS_ALLOW": "127.0.0.1/32"})
    admin = await auth_headers(client, "admin")
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["experiment.started"]}
    assert (await client.post("/api/v1/webhooks", json=hook, headers=admin)).status == 201
    event = {"name": "Valve", "min_value": 0, "max_value": 1, "unit": "-", "type": "actuator"}
    assert (await client.post("/api/v1/events", json=event, headers=admin)).status == 201
    await session_for(client, auth_headers, "admin")
    hooks = await (await client.get("/webhooks")).text()
    assert 'value="experiment.started" data-list checked' in hooks and 'value="http://127.0.0.1:9/hook"' in hooks
    events = await (await client.get("/events")).text()
    assert '<option value="actuator" selected>' in events


async def test_datapoints_page_filters_by_event_and_time_and_keeps_them_across_pages(make_client, auth_headers):
    client = await make_client("users", "auth", "events", "experiments", "datapoints", "ui")
    headers = await auth_headers(client, "operator")
    for name in ("Pressure", "Flow"):
        body = {"name": name, "min_value": 0, "max_value": 100, "unit": "-", "type": "sensor"}
        assert (await client.post("/api/v1/events", json=body, headers=headers)).status == 201
    listed = (await (await client.get("/api/v1/events", headers=headers)).json())["data"]
    ids = {e["name"]: e["public_id"] for e in listed}
    points = [{"value": 10 + i, "event_public_id": ids[("Pressure", "Flow")[i % 2]],
               "timestamp": f"2026-03-01T10:{i:02d}:00Z"} for i in range(20)]
    assert (await client.post("/api/v1/datapoints/batch", json={"datapoints": points}, headers=headers)).status == 201
    await session_for(client, auth_headers, "viewer")
    page = await (await client.get("/datapoints", params={
        "event_public_id": ids["Flow"], "from": "2026-03-01T10:05", "to": "2026-03-01T10:15", "page_size": 2,
    })).text()
    assert "Page 1 of 3 (6 in all)" in page and "Pressure</td>" not in page
    assert "<td>25.0</td>" in page and "<td>23.0</td>" in page and "<td>27.0</td>" not in page
    assert f'<option value="{ids["Flow"]}" selected>' in page and 'value="2026-03-01T10:05"' in page
    following = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = await (await client.get(following)).text()
    assert "Page 2 of 3 (6 in all)" in second
    assert "<td>19.0</td>" in second and "<td>23.0</td>" not in second
    nothing = await (await client.get("/datapoints", params={"from": "2027-01-01T00:00"})).text()
    assert "No datapoints match the filter." in nothing
