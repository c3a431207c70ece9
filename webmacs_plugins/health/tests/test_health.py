"""GET /health per contract, plus readiness and health-change events."""

from webmacs_sdk import DomainEvent, hookimpl


async def test_health_shape(make_client):
    client = await make_client("health")
    resp = await client.get("/health", params={"_t": "123"})
    assert resp.status == 200
    body = await resp.json()
    assert list(body) == ["status", "version", "database", "last_datapoint", "uptime_seconds"]
    assert body["status"] == "ok" and body["version"] == "2.0.0" and body["database"] == "ok"
    assert isinstance(body["uptime_seconds"], float)
    assert (await client.get("/health/")).status == 200
    assert (await client.get("/health/ready")).status == 200
    assert resp.headers["X-Request-ID"]


class Contributor:
    name = "contributor"
    seen: list[DomainEvent] = []

    @hookimpl(optionalhook=True)
    def webmacs_health(self, app):
        return {"last_datapoint": "2025-01-15T14:30:00Z", "controllers": 2}

    @hookimpl
    async def webmacs_on_event(self, app, tx, event):
        self.seen.append(event)


async def test_plugins_contribute_fields(make_client):
    client = await make_client("health", Contributor())
    body = await (await client.get("/health")).json()
    assert body["last_datapoint"] == "2025-01-15T14:30:00Z" and body["controllers"] == 2


async def test_database_loss_is_degraded_but_200_and_recovery_emits_events(make_client):
    from webmacs_health.monitor import observe

    Contributor.seen = []
    client = await make_client("health", Contributor())
    app = client.app
    await observe(app, True)
    await observe(app, False)
    assert Contributor.seen == []  # cannot be stored while the database is down
    await observe(app, True)
    assert [e.payload["status"] for e in Contributor.seen] == ["degraded", "ok"]
