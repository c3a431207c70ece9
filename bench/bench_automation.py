"""Automation benchmarks: rule-to-webhook latency, and data-plane ingest with rules and webhooks active.

    .venv/bin/python bench/bench_automation.py [--quick] [--samples N] [--duration S] [--controllers N]

Starts a PostgreSQL-backed server in a subprocess with the data-plane plugins plus ``rules`` and
``webhooks``, and two local webhook receivers in this process (allow-listed through
``WEBMACS_EGRESS_ALLOW=127.0.0.1/32``). Then:

1. latency: one reading above a threshold is posted (REST), the rule fires, the webhook outbox row
   commits with the firing, the dispatcher signs and POSTs it; the time from sending the reading to
   the receiver getting the request is measured, one reading at a time;
2. ingest: the data-plane WebSocket ingest run of ``bench/run.py`` (acknowledged controllers,
   500-datapoint batches), alternately with the 100 rules disabled and enabled (98 that never fire,
   2 that fire every second, on the ingested events), 2 webhook endpoints subscribed;
3. lag: right after the loaded run, one more reading is sent and its webhook timed, which shows
   whether rule evaluation kept up with ingestion.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
from aiohttp import web

ADMIN_DSN = os.environ.get("WEBMACS_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PORT = 8766
EMAIL, PASSWORD = "admin@example.com", "bench-password-1"
PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules", "webhooks")


def serve() -> None:
    """The server process: the data-plane plugins plus rules and webhooks."""
    import importlib

    from webmacs_core.app import create_app
    from webmacs_core.plugins import build_plugin_manager
    from webmacs_core.settings import Settings

    plugins = [(name, importlib.import_module(f"webmacs_{name}")) for name in PLUGINS]
    pm = build_plugin_manager(plugins=plugins, entrypoints=False, strict=True)
    settings = Settings.load(dict(os.environ))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    web.run_app(
        create_app(settings, pm=pm), host="127.0.0.1", port=settings.port, print=None, access_log=None
    )


def _data_plane() -> Any:
    """``bench/run.py`` of the data plane, for its ingest loop (one definition of the workload)."""
    spec = importlib.util.spec_from_file_location("bench_run", Path(__file__).with_name("run.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def line(name: str, value: str, target: str) -> None:
    print(f"{name:<56} {value:>22}   target {target}")


class Receivers:
    """Two local webhook endpoints; ``waiters`` resolve when a reading's value arrives."""

    def __init__(self) -> None:
        self.counts = [0, 0]
        self.waiters: dict[float, asyncio.Future[float]] = {}
        self.urls: list[str] = []
        self._runners: list[web.AppRunner] = []

    async def start(self) -> None:
        for index in range(2):
            app = web.Application()
            app.router.add_post("/webhook", self._handler(index))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            self.urls.append(f"http://127.0.0.1:{port}/webhook")
            self._runners.append(runner)

    def _handler(self, index: int) -> Any:
        async def receive(request: web.Request) -> web.Response:
            arrived = time.perf_counter()
            payload = orjson.loads(await request.read())
            self.counts[index] += 1
            waiter = self.waiters.pop(payload.get("value"), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(arrived)
            return web.json_response({"ok": True})

        return receive

    async def close(self) -> None:
        for runner in self._runners:
            await runner.cleanup()


async def _json(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Any:
    async with session.request(method, url, **kwargs) as response:
        if response.status >= 300:
            raise RuntimeError(f"{method} {url}: {response.status} {await response.text()}")
        return await response.json()


async def _one_webhook(
    session: aiohttp.ClientSession,
    base: str,
    headers: dict[str, str],
    receivers: Receivers,
    event_id: str,
    value: float,
) -> float:
    waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    receivers.waiters[value] = waiter
    start = time.perf_counter()
    await _json(
        session,
        "POST",
        f"{base}/api/v1/datapoints",
        json={"event_public_id": event_id, "value": value},
        headers=headers,
    )
    return await asyncio.wait_for(waiter, 60) - start


class Site:
    """A fresh database and server process with the benchmark's events, webhooks and rules."""

    def __init__(self, args: argparse.Namespace, receivers: Receivers, *, rules: bool) -> None:
        self.args = args
        self.receivers = receivers
        self.rules = rules
        self.db = f"webmacs_bench_auto_{uuid.uuid4().hex[:8]}"
        self.dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{self.db}"
        self.base = f"http://127.0.0.1:{PORT}"
        self.server: subprocess.Popen[bytes] | None = None
        self.token = ""
        self.headers: dict[str, str] = {}
        self.events: list[str] = []
        self.probe = ""

    async def __aenter__(self) -> Site:
        admin = await asyncpg.connect(ADMIN_DSN)
        try:
            await admin.execute(f'CREATE DATABASE "{self.db}"')
        finally:
            await admin.close()
        env = {
            **os.environ,
            "WEBMACS_DATABASE_URL": self.dsn.replace("postgresql://", "postgresql+asyncpg://"),
            "WEBMACS_PORT": str(PORT),
            "WEBMACS_SECRET_KEY": "bench-secret-key-long-enough-for-hs256-xx",
            "WEBMACS_INITIAL_ADMIN_EMAIL": EMAIL,
            "WEBMACS_INITIAL_ADMIN_USERNAME": "admin",
            "WEBMACS_INITIAL_ADMIN_PASSWORD": PASSWORD,
            "WEBMACS_BCRYPT_ROUNDS": "4",
            "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32",
        }
        self.server = subprocess.Popen([sys.executable, __file__, "--serve"], env=env)  # noqa: ASYNC220 (before measuring)
        await self._setup()
        return self

    async def _setup(self) -> None:
        async with aiohttp.ClientSession() as session:
            await _data_plane().wait_up(session, self.base)
            login = await _json(
                session, "POST", f"{self.base}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
            )
            self.token = login["access_token"]
            self.headers = {"Authorization": f"Bearer {self.token}"}
            post = self.post
            body: dict[str, Any]
            for url in self.receivers.urls:
                body = {"url": url, "events": ["sensor.threshold_exceeded"], "secret": "bench-secret"}
                await post(session, "/api/v1/webhooks", body)
            for i in range(self.args.events):
                body = {
                    "name": f"sensor-{i}",
                    "min_value": 0,
                    "max_value": 1000,
                    "unit": "V",
                    "type": "sensor",
                }
                await post(session, "/api/v1/events", body)
            await post(
                session,
                "/api/v1/events",
                {"name": "probe", "min_value": 0, "max_value": 1e9, "unit": "V", "type": "sensor"},
            )
            listing = await _json(
                session, "GET", f"{self.base}/api/v1/events", params={"page_size": 100}, headers=self.headers
            )
            by_name = {e["name"]: e["public_id"] for e in listing["data"]}
            self.probe = by_name.pop("probe")
            self.events = list(by_name.values())
            await post(
                session,
                "/api/v1/rules",
                {
                    "name": "probe",
                    "event_public_id": self.probe,
                    "operator": "gt",
                    "threshold": 0,
                    "action_type": "webhook",
                    "cooldown_seconds": 0,
                },
            )
            if self.rules:
                for i in range(100):
                    firing = i < 2  # 98 rules that never fire, 2 that fire every second
                    body = {
                        "name": f"rule-{i}",
                        "event_public_id": self.events[i % len(self.events)],
                        "operator": "gt",
                        "threshold": 50 if firing else 1e9,
                        "action_type": "webhook",
                        "cooldown_seconds": 1 if firing else 60,
                    }
                    await post(session, "/api/v1/rules", body)

    async def post(self, session: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> Any:
        return await _json(session, "POST", f"{self.base}{path}", json=body, headers=self.headers)

    async def webhook_latency(self, session: aiohttp.ClientSession, value: float) -> float:
        return await _one_webhook(session, self.base, self.headers, self.receivers, self.probe, value)

    async def __aexit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(10)
        admin = await asyncpg.connect(ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        finally:
            await admin.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def main(args: argparse.Namespace) -> None:
    run = _data_plane()
    receivers = Receivers()
    await receivers.start()
    print(f"# {os.cpu_count()} CPUs; server, PostgreSQL, receivers and load generator on this box")
    try:
        # Ingest: each side on a fresh server and database (consecutive runs in one server drift
        # downwards whatever they do, which would bias any comparison inside one server).
        rates: dict[bool, list[float]] = {False: [], True: []}
        ack_times: dict[bool, list[float]] = {False: [], True: []}
        lag, fired = 0.0, 0
        stats: list[Any] = []
        for with_rules in (False, True, True, False):  # ABBA: whatever favours a position evens out
            async with Site(args, receivers, rules=with_rules) as site:
                before = sum(receivers.counts)
                done, acks = await run.ingest_ws(
                    site.base, site.token, site.events, args.controllers, args.duration
                )
                rates[with_rules].append(done / args.duration)
                ack_times[with_rules].extend(acks)
                if with_rules and not stats:
                    async with aiohttp.ClientSession() as session:
                        lag = await site.webhook_latency(session, 2e6)
                    await asyncio.sleep(1.0)
                    fired = sum(receivers.counts) - before - 1
                    conn = await asyncpg.connect(site.dsn)
                    try:
                        stats = await conn.fetch(
                            "SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY 1 ORDER BY 1"
                        )
                    finally:
                        await conn.close()
        base_rate, rate = statistics.mean(rates[False]), statistics.mean(rates[True])
        base_acks, acks = ack_times[False], ack_times[True]
        order = (rates[False][0], *rates[True], rates[False][1])
        print("# ingest runs off, on, on, off:", ", ".join(f"{r:,.0f}" for r in order), "dp/s")
        line(
            f"WS ingest, {args.controllers} controllers, no rules (mean of 2)",
            f"{base_rate:,.0f} dp/s",
            ">= 100,000 dp/s",
        )
        line(
            f"WS ingest, {args.controllers} controllers, 100 rules + 2 webhooks (mean of 2)",
            f"{rate:,.0f} dp/s",
            ">= 100,000 dp/s",
        )
        line("  with rules / without", f"{rate / base_rate:.2f}x", ">= 0.9x")
        line(
            "  ack latency p50 / p99 without -> with rules",
            f"{_pct(base_acks, 0.5) * 1e3:.0f}/{_pct(base_acks, 0.99) * 1e3:.0f} -> "
            f"{_pct(acks, 0.5) * 1e3:.0f}/{_pct(acks, 0.99) * 1e3:.0f} ms",
            "-",
        )
        line("  reading -> webhook right after the loaded run", f"{lag * 1e3:.0f} ms", "evaluation keeps up")
        line(
            "  webhooks received during the first loaded run",
            f"{fired:,}",
            f"~{2 * 2 * args.duration:.0f} (2 rules x 2 endpoints x 1/s)",
        )
        line("  deliveries by status", ", ".join(f"{r['status']} {r['n']}" for r in stats), "all delivered")

        # Latency on an idle server: one reading at a time, threshold crossed -> signed POST received.
        async with Site(args, receivers, rules=False) as site, aiohttp.ClientSession() as session:
            for i in range(5):  # warm-up: connections, caches
                await site.webhook_latency(session, 1e6 + i)
            latencies = [await site.webhook_latency(session, 1.0 + i) for i in range(args.samples)]
        line(
            f"rule -> signed webhook received, {args.samples} readings, p50 / p99",
            f"{_pct(latencies, 0.5) * 1e3:.1f} / {_pct(latencies, 0.99) * 1e3:.1f} ms",
            "-",
        )
    finally:
        await receivers.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="200 latency samples, 5 s ingest runs")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds per ingest run")
    parser.add_argument("--controllers", type=int, default=4)
    parser.add_argument("--events", type=int, default=50)
    ns = parser.parse_args()
    if ns.serve:
        serve()
    else:
        ns.samples = ns.samples or (200 if ns.quick else 1000)
        ns.duration = ns.duration or (5.0 if ns.quick else 30.0)
        asyncio.run(main(ns))
