"""Rules: the contract's CRUD and validation messages, and the engine's behaviour on real
ingestion: cooldown, crossings inside one batch, hysteresis, minimum duration, persisted state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules", "logs")


def rule_body(event_id: str, **extra):  # type: ignore[no-untyped-def]
    body = {
        "name": "High Temp",
        "event_public_id": event_id,
        "operator": "gt",
        "threshold": 100.0,
        "threshold_high": None,
        "action_type": "log",
        "webhook_event_type": None,
        "enabled": True,
        "cooldown_seconds": 0,
    }
    body.update(extra)
    return body


async def _rule(client, headers, name="High Temp"):  # type: ignore[no-untyped-def]
    listing = await (await client.get("/api/v1/rules?page_size=100", headers=headers)).json()
    return next(r for r in listing["data"] if r["name"] == name)


async def _log_lines(client, headers):  # type: ignore[no-untyped-def]
    page = await (await client.get("/api/v1/logging?page_size=100", headers=headers)).json()
    return sorted(e["content"] for e in page["data"] if e["content"].startswith("Rule '"))


async def test_crud_and_contract_messages(make_client, auth_headers, make_event) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS)
    op = await auth_headers(client, "operator")
    viewer = await auth_headers(client, "viewer")
    event_id = await make_event(client, op)
    assert (await client.get("/api/v1/rules", headers=viewer)).status == 403

    created = await client.post("/api/v1/rules", json=rule_body(event_id, cooldown_seconds=60), headers=op)
    assert created.status == 201
    assert await created.json() == {"status": "success", "message": "Rule successfully created."}
    dup = await client.post("/api/v1/rules", json=rule_body(event_id), headers=op)
    assert (dup.status, await dup.json()) == (409, {"detail": "Rule already exists."})
    missing_event = await client.post("/api/v1/rules", json=rule_body("nope", name="x"), headers=op)
    assert (missing_event.status, await missing_event.json()) == (404, {"detail": "Event not found."})

    rule = await _rule(client, op)
    assert list(rule)[:13] == [
        "public_id",
        "name",
        "event_public_id",
        "operator",
        "threshold",
        "threshold_high",
        "action_type",
        "webhook_event_type",
        "enabled",
        "cooldown_seconds",
        "last_triggered_at",
        "created_on",
        "user_public_id",
    ]
    assert rule["cooldown_seconds"] == 60 and rule["last_triggered_at"] is None and rule["state"] == "armed"

    # between/not_between on create: Pydantic-style list
    no_high = await client.post(
        "/api/v1/rules", json=rule_body(event_id, name="b", operator="between"), headers=op
    )
    detail = (await no_high.json())["detail"]
    assert no_high.status == 422 and detail[0]["loc"] == ["body"] and detail[0]["type"] == "value_error"
    assert detail[0]["msg"] == "Value error, threshold_high is required for between/not_between operators"
    low_high = await client.post(
        "/api/v1/rules",
        json=rule_body(event_id, name="b", operator="not_between", threshold_high=50),
        headers=op,
    )
    assert (await low_high.json())["detail"][0]["msg"] == "Value error, threshold_high must be >= threshold"
    bad_op = await client.post(
        "/api/v1/rules", json=rule_body(event_id, name="b", operator="approx"), headers=op
    )
    assert bad_op.status == 422 and (await bad_op.json())["detail"][0]["loc"] == ["body", "operator"]
    bad_action = await client.post(
        "/api/v1/rules", json=rule_body(event_id, name="b", action_type="email"), headers=op
    )
    assert bad_action.status == 422
    negative = await client.post(
        "/api/v1/rules", json=rule_body(event_id, name="b", cooldown_seconds=-1), headers=op
    )
    assert negative.status == 422

    # update: merged row re-validated, string details
    url = f"/api/v1/rules/{rule['public_id']}"
    resp = await client.put(url, json={"operator": "between"}, headers=op)
    assert (resp.status, await resp.json()) == (
        422,
        {"detail": "threshold_high required for between/not_between operators"},
    )
    resp = await client.put(url, json={"operator": "between", "threshold_high": 10}, headers=op)
    assert (resp.status, await resp.json()) == (422, {"detail": "threshold_high must be >= threshold"})
    resp = await client.put(
        url, json={"operator": "between", "threshold_high": 200, "cooldown_seconds": 5}, headers=op
    )
    assert await resp.json() == {"status": "success", "message": "Rule successfully updated."}
    got = await (await client.get(url, headers=op)).json()
    assert (got["operator"], got["threshold_high"], got["cooldown_seconds"]) == ("between", 200.0, 5)

    # rename onto an existing name → 409, unknown event → 404
    await client.post("/api/v1/rules", json=rule_body(event_id, name="Other"), headers=op)
    resp = await client.put(url, json={"name": "Other"}, headers=op)
    assert (resp.status, await resp.json()) == (409, {"detail": "Rule already exists."})
    resp = await client.put(url, json={"event_public_id": "nope"}, headers=op)
    assert (resp.status, await resp.json()) == (404, {"detail": "Event not found."})
    assert (await (await client.get("/api/v1/rules/nope", headers=op)).json()) == {
        "detail": "Rule 'nope' not found."
    }

    deleted = await client.delete(url, headers=op)
    assert await deleted.json() == {"status": "success", "message": "Rule successfully deleted."}
    assert (await client.get(url, headers=op)).status == 404


@pytest.mark.parametrize(
    ("operator", "threshold", "high", "values", "expected"),
    [
        ("gt", 10, None, [10, 10.5], [10.5]),
        ("lt", 10, None, [10, 9.5], [9.5]),
        ("gte", 10, None, [9.9, 10], [10]),
        ("lte", 10, None, [10.1, 10], [10]),
        ("eq", 10, None, [10.001, 10.0], [10]),
        ("between", 10, 20, [9.9, 10, 20, 20.1], [10, 20]),
        ("not_between", 10, 20, [10, 20, 9.9, 20.1], [9.9, 20.1]),
    ],
)
async def test_operators_fire_on_the_right_values(  # type: ignore[no-untyped-def]
    make_client, auth_headers, make_event, ingest, probe, operator, threshold, high, values, expected
) -> None:
    client = await make_client(*PLUGINS, probe)
    op = await auth_headers(client, "operator")
    admin = await auth_headers(client, "admin")
    event_id = await make_event(client, op, name="Chan")
    body = rule_body(event_id, name="R", operator=operator, threshold=threshold, threshold_high=high)
    assert (await client.post("/api/v1/rules", json=body, headers=op)).status == 201
    for value in values:  # one batch per value: every reading that matches fires (cooldown 0)
        await ingest(client, op, event_id, [value])
    await probe.wait(len(values))
    lines = await _log_lines(client, admin)
    assert len(lines) == len(expected), lines


async def test_log_action_writes_a_visible_log_entry(
    make_client, auth_headers, make_event, ingest, probe
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS, probe)
    op = await auth_headers(client, "operator")
    admin = await auth_headers(client, "admin")
    event_id = await make_event(client, op, name="Boiler")
    await client.post("/api/v1/rules", json=rule_body(event_id, threshold=200), headers=op)
    await ingest(client, op, event_id, [215.3])
    await probe.wait(1)
    page = await (await client.get("/api/v1/logging", headers=admin)).json()
    entry = next(e for e in page["data"] if e["content"].startswith("Rule"))
    assert entry["content"] == "Rule 'High Temp' triggered: Boiler = 215.3 (> 200)"
    assert entry["logging_type"] == "warning"
    rule = await _rule(client, op)
    assert rule["last_triggered_at"] is not None and rule["state"] == "firing"


async def test_cooldown_fires_once_and_crossings_inside_a_batch_count(  # type: ignore[no-untyped-def]
    make_client, auth_headers, make_event, ingest, probe
) -> None:
    client = await make_client(*PLUGINS, probe)
    op = await auth_headers(client, "operator")
    admin = await auth_headers(client, "admin")
    hot = await make_event(client, op, name="Hot")
    spiky = await make_event(client, op, name="Spiky")
    await client.post("/api/v1/rules", json=rule_body(hot, name="Cooled", cooldown_seconds=3600), headers=op)
    await client.post("/api/v1/rules", json=rule_body(spiky, name="Spike", hysteresis=0.0), headers=op)
    for _ in range(3):
        await ingest(client, op, hot, [150, 50, 150])
    # one batch with two separate crossings: upstream looked at the last value only and saw none
    await ingest(client, op, spiky, [50, 150, 50, 150, 50])
    await probe.wait(4)
    lines = await _log_lines(client, admin)
    assert sum(line.startswith("Rule 'Cooled'") for line in lines) == 1
    assert sum(line.startswith("Rule 'Spike'") for line in lines) == 2


async def test_hysteresis_and_minimum_duration_tame_a_flapping_sensor(  # type: ignore[no-untyped-def]
    make_client, auth_headers, make_event, ingest, probe
) -> None:
    client = await make_client(*PLUGINS, probe)
    op = await auth_headers(client, "operator")
    admin = await auth_headers(client, "admin")
    flappy = await make_event(client, op, name="Flappy")
    slow = await make_event(client, op, name="Slow")
    await client.post("/api/v1/rules", json=rule_body(flappy, name="Hyst", hysteresis=5.0), headers=op)
    await client.post(
        "/api/v1/rules",
        json=rule_body(slow, name="Dwell", hysteresis=0.0, min_duration_seconds=5),
        headers=op,
    )
    flapping = [99, 101, 99.5, 100.5, 98, 101, 97, 102, 99]
    await ingest(client, op, flappy, flapping)
    await probe.wait(1)
    assert sum(line.startswith("Rule 'Hyst'") for line in await _log_lines(client, admin)) == 1
    await ingest(client, op, flappy, [94, 101])  # back below 100 - 5: re-armed, then a new crossing
    await probe.wait(2)
    assert sum(line.startswith("Rule 'Hyst'") for line in await _log_lines(client, admin)) == 2

    start = datetime.now(UTC) - timedelta(seconds=60)
    await ingest(client, op, slow, [101, 101, 101, 99, 101, 101], start=start, step=1.0)  # never 5 s in a row
    await probe.wait(3)
    assert not any(line.startswith("Rule 'Dwell'") for line in await _log_lines(client, admin))
    assert (await _rule(client, op, "Dwell"))["state"] == "pending"
    await ingest(client, op, slow, [101, 101, 101, 101], start=start + timedelta(seconds=6), step=1.0)
    await probe.wait(4)
    dwell = [line for line in await _log_lines(client, admin) if line.startswith("Rule 'Dwell'")]
    assert dwell == ["Rule 'Dwell' triggered: Slow = 101 (> 100)"]


async def test_state_survives_a_restart(make_client, auth_headers, make_event, ingest, probe) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS, probe)
    op = await auth_headers(client, "operator")
    event_id = await make_event(client, op, name="Kept")
    await client.post("/api/v1/rules", json=rule_body(event_id, name="Edge", hysteresis=2.0), headers=op)
    await ingest(client, op, event_id, [150])
    await probe.wait(1)
    assert (await _rule(client, op, "Edge"))["state"] == "firing"
    await client.close()

    second_probe = type(probe)()
    restarted = await make_client(*PLUGINS, second_probe)
    op2 = await auth_headers(restarted, "operator")
    admin2 = await auth_headers(restarted, "admin")
    await ingest(restarted, op2, event_id, [150, 151])  # still above: an edge rule must not fire again
    await second_probe.wait(1)
    assert sum(line.startswith("Rule 'Edge'") for line in await _log_lines(restarted, admin2)) == 1
    await ingest(restarted, op2, event_id, [90, 150])
    await second_probe.wait(2)
    assert sum(line.startswith("Rule 'Edge'") for line in await _log_lines(restarted, admin2)) == 2


async def test_disabled_and_deleted_rules_stop_firing(
    make_client, auth_headers, make_event, ingest, probe
) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS, probe)
    op = await auth_headers(client, "operator")
    admin = await auth_headers(client, "admin")
    event_id = await make_event(client, op)
    await client.post("/api/v1/rules", json=rule_body(event_id), headers=op)
    rule = await _rule(client, op)
    await client.put(f"/api/v1/rules/{rule['public_id']}", json={"enabled": False}, headers=op)
    await ingest(client, op, event_id, [150])
    await probe.wait(1)
    assert await _log_lines(client, admin) == []
    await client.put(f"/api/v1/rules/{rule['public_id']}", json={"enabled": True}, headers=op)
    await ingest(client, op, event_id, [151])
    await probe.wait(2)
    assert len(await _log_lines(client, admin)) == 1
    await client.delete(f"/api/v1/rules/{rule['public_id']}", headers=op)
    await ingest(client, op, event_id, [152])
    await probe.wait(3)
    assert len(await _log_lines(client, admin)) == 1
