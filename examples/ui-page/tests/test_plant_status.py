"""The example page: listed in the navigation, rendered in the layout with the health fields."""

import webmacs_plant_status


async def test_signed_in_user_sees_the_page_with_health_fields(make_client):
    client = await make_client("users", "auth", "events", "experiments", "datapoints", "health", "ui",
                              webmacs_plant_status)
    login = {"email": "admin@example.com", "password": "admin-password-1"}
    assert (await client.post("/api/v1/auth/session", json=login)).status == 200
    overview = await (await client.get("/")).text()
    assert 'href="/plant-status"' in overview
    page = await client.get("/plant-status")
    html = await page.text()
    assert page.status == 200 and "<h1>Plant status</h1>" in html
    assert 'id="field-last_datapoint"' in html or 'id="field-datapoints"' in html, html


async def test_page_is_gone_when_the_ui_is_blocked(make_client):
    client = await make_client("users", "auth", "events", "experiments", "datapoints", webmacs_plant_status)
    assert (await client.get("/plant-status")).status == 404
