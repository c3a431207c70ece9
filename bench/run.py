"""Data-plane benchmarks: prints each figure next to its target.

    .venv/bin/python bench/run.py [--quick] [--duration SECONDS] [--controllers N]

Starts PostgreSQL-backed server in a subprocess (this box's 2 cores are shared by server,
PostgreSQL and the load generator), then measures WebSocket ingest (with acks), raw binary
COPY into the same table, stored bytes per datapoint, /series over the stored rows and CSV export.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import orjson

ADMIN_DSN = os.environ.get("WEBMACS_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PORT = int(os.environ.get("WEBMACS_BENCH_PORT", "8765"))
EMAIL, PASSWORD = "admin@example.com", "bench-password-1"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on the box, backends that exited excepted."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().split(" ", 2)[1] == "(postgres)":
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, IndexError):
            continue
    return total


def pct(sorted_values: list[float], p: float) -> str:
    return f"{sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))] * 1e3:.1f}"


def line(name: str, value: str, target: str) -> None:
    print(f"{name:<48} {value:>18}   target {target}")


async def wait_up(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(200):
        try:
            async with session.post(
                f"{base}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
            ) as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def ingest_ws(
    base: str,
    token: str,
    events: list[str],
    controllers: int,
    duration: float,
    batch: int = 500,
    window: int = 8,
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    total = 0
    end = time.perf_counter() + duration

    async def controller(n: int) -> None:
        nonlocal total
        query = f"token={token}&ack=1&controller_id=bench-{n}"
        url = f"{base.replace('http', 'ws')}/ws/controller/telemetry?{query}"
        async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as ws:
            sent: dict[int, float] = {}
            seq = 0
            while time.perf_counter() < end or sent:
                while len(sent) < window and time.perf_counter() < end:
                    seq += 1
                    items = [
                        {"value": float(i), "event_public_id": events[(seq + i) % len(events)]}
                        for i in range(batch)
                    ]
                    await ws.send_str(orjson.dumps({"seq": seq, "datapoints": items}).decode())
                    sent[seq] = time.perf_counter()
                msg = await ws.receive()
                frame = orjson.loads(msg.data)
                latencies.append(time.perf_counter() - sent.pop(frame["seq"]))
                total += frame.get("accepted", 0)

    await asyncio.gather(*(controller(n) for n in range(controllers)))
    return total, latencies


_VALUE = re.compile(rb'"value":([-0-9.e+]+)')
_KEY = b'"value":'


def _value_at(data: bytes, key_at: int) -> int:
    start = key_at + len(_KEY)
    return int(float(data[start : data.index(b",", start)]))


class DashboardSocket(asyncio.Protocol):
    """A ``/ws/datapoints/stream`` client that timestamps each frame as the loop reads it.

    aiohttp's client costs a parse, a queue and a task wake-up per message; with 100 sockets in
    one process taking 10,000 frames/s that made the load generator the bottleneck, and the
    receipt time was taken only when the reading task got its turn. Here the frame is cut out
    of the stream in ``data_received`` and its receipt time is that call's clock reading.
    """

    def __init__(self, on_frame: Callable[[float, bytes], None]) -> None:
        self.on_frame = on_frame
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.upgraded = asyncio.get_running_loop().create_future()
        self.first_frame = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buffer
        buf += data
        if not self.upgraded.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(RuntimeError(f"no WebSocket upgrade: {status!r}"))
                return
            self.upgraded.set_result(None)
        while len(buf) >= 2:
            size, at = buf[1] & 0x7F, 2
            if size == 126:
                size, at = int.from_bytes(buf[2:4]), 4
            elif size == 127:
                size, at = int.from_bytes(buf[2:10]), 10
            if len(buf) < at + size:
                return
            opcode, payload = buf[0] & 0x0F, bytes(buf[at : at + size])
            del buf[: at + size]
            if opcode == 0x1:
                if self.first_frame.done():
                    self.on_frame(now, payload)
                else:
                    self.first_frame.set_result(payload)
            elif opcode == 0x9:
                self.send(0xA, payload)

    def send(self, opcode: int, payload: bytes) -> None:
        # Client frames are masked (RFC 6455 5.3); only pongs and the close are sent.
        assert self.transport is not None and len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)

    @classmethod
    async def open(cls, host: str, port: int, path: str, on_frame: Callable[[float, bytes], None]) -> DashboardSocket:
        _, protocol = await asyncio.get_running_loop().create_connection(lambda: cls(on_frame), host, port)
        assert protocol.transport is not None
        key = base64.b64encode(os.urandom(16)).decode()
        protocol.transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await protocol.upgraded
        return protocol

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send(0x8, (1000).to_bytes(2))
            self.transport.close()


async def live_latency(
    base: str, token: str, events: list[str], rate: int, dashboards: int, batch: int, duration: float
) -> tuple[list[float], int]:
    """Controller send -> dashboard receipt over the real sockets, one clock (CLOCK_MONOTONIC).

    One controller sends ``rate`` datapoints/s over ``/ws/controller/telemetry`` in ``batch``-sized
    frames on a fixed schedule; every value of a frame is its tick number, and the controller keeps
    each tick's send time. ``dashboards`` sockets on ``/ws/datapoints/stream`` take the receipt time
    of each frame (a frame may merge several batches) and count it for every tick it carries. The
    first second is warm-up. Returns the latencies and the number of ticks measured.
    """
    ws_base = base.replace("http", "ws")
    host, port = base.rsplit("/", 1)[1].split(":")
    warm_until = 1.0
    latencies: list[float] = []
    sent_at: list[float] = []
    first_measured = -1

    def ticks_of(data: bytes) -> Iterable[int]:
        # Parsing 100 values per frame and dashboard (10,000 frames/s) would make the load
        # generator the bottleneck. The bus delivers batches in order, so a frame normally carries
        # a contiguous run of whole batches: the first and last values and the item count prove it.
        first, last = data.find(_KEY), data.rfind(_KEY)
        if first < 0:
            return ()
        low, high = _value_at(data, first), _value_at(data, last)
        if high >= low and data.count(_KEY) == (high - low + 1) * batch:
            return range(low, high + 1)
        return {int(float(v)) for v in _VALUE.findall(data)}

    def received(now: float, data: bytes) -> None:
        for tick in ticks_of(data):
            if tick >= first_measured >= 0:
                latencies.append(now - sent_at[tick])

    sockets = [
        await DashboardSocket.open(host, int(port), f"/ws/datapoints/stream?token={token}", received)
        for _ in range(dashboards)
    ]
    for dashboard in sockets:
        assert orjson.loads(await dashboard.first_frame)["type"] == "connected"
    # The load generator's own full collections would show up as server latency.
    gc.collect()
    gc.freeze()
    async with aiohttp.ClientSession() as session:
        url = f"{ws_base}/ws/controller/telemetry?token={token}"
        async with session.ws_connect(url) as controller:
            interval = batch / rate
            t0 = time.monotonic()
            tick = 0
            while (sent := time.monotonic()) - t0 < duration + warm_until:
                if first_measured < 0 and sent - t0 >= warm_until:
                    first_measured = tick
                items = [
                    {"value": float(tick), "event_public_id": events[(tick + i) % len(events)]}
                    for i in range(batch)
                ]
                sent_at.append(sent)
                await controller.send_str(orjson.dumps({"datapoints": items}).decode())
                tick += 1
                await asyncio.sleep(max(0.0, tick * interval - (time.monotonic() - t0)))
            await asyncio.sleep(0.5)
    for dashboard in sockets:
        dashboard.close()
    gc.unfreeze()
    return latencies, tick - first_measured


async def raw_copy(dsn: str, event_ids: list[int], duration: float, batch: int = 500) -> int:
    conn = await asyncpg.connect(dsn)
    rows = 0
    end = time.perf_counter() + duration
    try:
        while time.perf_counter() < end:
            now = datetime.now(UTC)
            records = [(now, float(i), event_ids[i % len(event_ids)], None) for i in range(batch)]
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "datapoints", records=records, columns=("timestamp", "value", "event_id", "experiment_id")
                )
            rows += batch
    finally:
        await conn.close()
    return rows


async def bulk_fill(dsn: str, event_ids: list[int], experiment_id: int, rows: int, pieces: int = 20) -> float:
    """``rows`` datapoints of one experiment over 9 days (ending an hour ago), inserted in
    ``pieces`` in time order,
    each moved into chunks by the server's compaction job before the next (as in steady
    operation, where plain rows never pile up); returns the seconds compaction took."""
    conn = await asyncpg.connect(dsn)
    waited = 0.0
    try:
        end = datetime.now(UTC) - timedelta(hours=1)
        step = timedelta(days=9) / rows
        for piece in range(pieces):
            first, last = rows * piece // pieces, rows * (piece + 1) // pieces
            await conn.execute(
                """INSERT INTO datapoints ("timestamp", value, event_id, experiment_id)
                   SELECT $1::timestamptz + g * $2::interval, random() * 100, ($3::int[])[1 + g % $4], $7
                   FROM generate_series($5::int8, $6::int8 - 1) g""",
                end - timedelta(days=9), step, event_ids, len(event_ids), first, last, experiment_id,
            )
            start = time.perf_counter()
            while await conn.fetchval("SELECT EXISTS (SELECT FROM datapoints)"):  # noqa: ASYNC110 (another process's work)
                await asyncio.sleep(0.05)
            waited += time.perf_counter() - start
            # What autovacuum does between compactions in steady operation (its naptime is
            # longer than one piece here): the emptied pages become free for the next rows.
            await conn.execute("VACUUM datapoints")
        await conn.execute("VACUUM ANALYZE datapoints")
        await conn.execute("VACUUM ANALYZE datapoint_chunks")
    finally:
        await conn.close()
    return waited


async def main(args: argparse.Namespace) -> None:
    db = f"webmacs_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{db}"')
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{db}"
    env = {
        **os.environ,
        "WEBMACS_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "WEBMACS_PORT": str(PORT),
        "WEBMACS_SECRET_KEY": "bench-secret-key-long-enough-for-hs256-xx",
        "WEBMACS_INITIAL_ADMIN_EMAIL": EMAIL,
        "WEBMACS_INITIAL_ADMIN_USERNAME": "admin",
        "WEBMACS_INITIAL_ADMIN_PASSWORD": PASSWORD,
        "WEBMACS_BCRYPT_ROUNDS": "4",
    }
    # Compaction every second (instead of every 30 s) so the storage figures need not wait.
    env.setdefault("WEBMACS_COMPACT_INTERVAL_SECONDS", "1")
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("server.py"))], env=env)  # noqa: ASYNC220 (started once, before measuring)
    base = f"http://127.0.0.1:{PORT}"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_up(session, base)
            async with session.post(
                f"{base}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
            ) as r:
                token = (await r.json())["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for i in range(args.events):
                body = {
                    "name": f"sensor-{i}",
                    "min_value": 0,
                    "max_value": 100,
                    "unit": "V",
                    "type": "sensor",
                }
                await session.post(f"{base}/api/v1/events", json=body, headers=headers)
            async with session.get(f"{base}/api/v1/events", params={"page_size": 100}, headers=headers) as r:
                events = [e["public_id"] for e in (await r.json())["data"]]
            conn = await asyncpg.connect(dsn)
            event_ids = [r["id"] for r in await conn.fetch("SELECT id FROM events ORDER BY id")]

            print(f"# {os.cpu_count()} CPUs; server, PostgreSQL and load generator on this box")
            print(f"# server event loop: {'uvloop' if importlib.util.find_spec('uvloop') else 'asyncio'}")
            if "ingest" in args.only:
                before = cpu_seconds(server.pid), cpu_seconds(os.getpid()), postgres_cpu_seconds()
                total, lat = await ingest_ws(base, token, events, args.controllers, args.duration)
                used = [
                    (after - start) / args.duration
                    for after, start in zip(
                        (cpu_seconds(server.pid), cpu_seconds(os.getpid()), postgres_cpu_seconds()), before, strict=True
                    )
                ]
                rate = total / args.duration
                line(
                    f"WS ingest, {args.controllers} controllers, 500-dp batches",
                    f"{rate:,.0f} dp/s",
                    ">= 100,000 dp/s",
                )
                lat.sort()
                line(
                    "  ack latency p50 / p99",
                    f"{lat[len(lat) // 2] * 1e3:.1f} / {lat[int(len(lat) * 0.99)] * 1e3:.1f} ms",
                    "-",
                )
                line(
                    "  CPU: server / load generator / PostgreSQL",
                    " / ".join(f"{u * 100:.0f} %" for u in used),
                    "of one core each",
                )
                copied = await raw_copy(dsn, event_ids, args.duration)
                raw_rate = copied / args.duration
                line("raw asyncpg binary COPY, same table, 500 rows", f"{raw_rate:,.0f} rows/s", "reference")
                line("  WS ingest / raw COPY", f"{rate / raw_rate:.2f}x", ">= 0.5x")

            if "live" in args.only:
                # The ingest group's rows would reach the compaction job during this run.
                await conn.execute("TRUNCATE datapoints")
                cpu_before = cpu_seconds(server.pid), cpu_seconds(os.getpid())
                wall_before = time.monotonic()
                lat, measured = await live_latency(
                    base, token, events, args.live_rate, args.dashboards, args.live_batch, args.duration
                )
                wall = time.monotonic() - wall_before
                server_cpu, client_cpu = (
                    (cpu_seconds(pid) - before) / wall
                    for pid, before in zip((server.pid, os.getpid()), cpu_before, strict=True)
                )
                lat.sort()
                line(
                    f"send -> dashboard, {args.live_rate:,} dp/s, {args.dashboards} dashboards",
                    f"{pct(lat, 50)} / {pct(lat, 99)} / {lat[-1] * 1e3:.1f} ms",
                    "p99 <= 20 ms",
                )
                line(
                    f"  (p50 / p99 / max; {args.live_batch}-dp batches, {measured:,} measured)",
                    f"{len(lat) / max(measured, 1) / args.dashboards:.3f}",
                    "1.000 received/sent",
                )
                line(
                    "  CPU during the live run: server / load generator",
                    f"{server_cpu * 100:.0f} % / {client_cpu * 100:.0f} %",
                    "of one core each",
                )

            if "storage" in args.only:
                await conn.execute("TRUNCATE datapoints")
                exp_id = await conn.fetchval(
                    "INSERT INTO experiments (public_id, name, started_on, stopped_on, user_public_id) "
                    "SELECT $1, 'bench', now(), now(), public_id FROM users LIMIT 1 RETURNING id",
                    str(uuid.uuid4()),
                )
                exp_public = await conn.fetchval("SELECT public_id FROM experiments WHERE id = $1", exp_id)
                moving = await bulk_fill(dsn, event_ids, exp_id, args.rows)
                line("  compaction of those rows into chunks", f"{args.rows / moving:,.0f} dp/s", "-")
                sizes = [
                    await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", table)
                    for table in ("datapoints", "datapoint_chunks")
                ]
                line(
                    f"stored bytes per datapoint ({args.rows:,} rows)", f"{sum(sizes) / args.rows:.1f} B", "<= 80 B"
                )
                line(
                    "  (chunks / plain-row table and its indexes, emptied by compaction)",
                    f"{sizes[1] / args.rows:.1f} B / {sizes[0] / 1e6:.1f} MB",
                    "-",
                )

                body = {"event_public_ids": [events[0]], "minutes": 14400, "max_points": 1000}
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    async with session.post(
                        f"{base}/api/v1/datapoints/series", json=body, headers=headers
                    ) as r:
                        points = len((await r.json())[events[0]])
                    times.append(time.perf_counter() - start)
                line(
                    f"/series {points} buckets of {args.rows // len(events):,} rows (median)",
                    f"{statistics.median(times) * 1e3:.1f} ms",
                    "<= 20 ms",
                )

                runs = []
                for _ in range(args.exports):
                    cpu_before = cpu_seconds(server.pid), cpu_seconds(os.getpid()), postgres_cpu_seconds()
                    start = time.perf_counter()
                    size = 0
                    url = f"{base}/api/v1/experiments/{exp_public}/export/csv"
                    async with session.get(url, headers=headers) as r:
                        async for chunk in r.content.iter_chunked(1 << 20):
                            size += len(chunk)
                    elapsed = time.perf_counter() - start
                    cpu_after = cpu_seconds(server.pid), cpu_seconds(os.getpid()), postgres_cpu_seconds()
                    cpu = [(after - before) / elapsed for after, before in zip(cpu_after, cpu_before, strict=True)]
                    runs.append((args.rows / elapsed, cpu))
                median_rate, cpu_used = sorted(runs)[len(runs) // 2]
                line(
                    f"CSV export over HTTP ({args.rows:,} rows, {size / 1e6:.0f} MB; median of {len(runs)})",
                    f"{median_rate:,.0f} rows/s",
                    ">= 1,500,000 rows/s",
                )
                line(
                    "  (each export, in order)",
                    " / ".join(f"{rate / 1e6:.2f}" for rate, _ in runs) + " M rows/s",
                    "-",
                )
                line(
                    "  CPU during the median export: server / load generator / PostgreSQL",
                    " / ".join(f"{u * 100:.0f} %" for u in cpu_used),
                    "of one core each",
                )
            await conn.close()
    finally:
        server.terminate()
        server.wait(10)
        if args.keep_db:
            print(f"# database kept: {db}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database for inspection")
    parser.add_argument("--quick", action="store_true", help="small sizes (1M rows, 5 s runs; full: 10M rows, 60 s)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per ingest run")
    parser.add_argument("--controllers", type=int, default=4)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--rows", type=int, default=None, help="rows for the storage/series/CSV figures")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--exports", type=int, default=3, help="CSV exports of the stored rows (median reported)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("ingest", "live", "storage"),
        default=("ingest", "live", "storage"),
        help="figures to measure (storage = bytes per datapoint, /series, CSV export)",
    )
    parser.add_argument("--dashboards", type=int, default=100, help="live-stream sockets")
    parser.add_argument("--live-rate", type=int, default=10_000, help="datapoints/s for the live figure")
    parser.add_argument("--live-batch", type=int, default=100, help="datapoints per controller frame")
    ns = parser.parse_args()
    ns.duration = ns.duration or (5.0 if ns.quick else 60.0)
    ns.rows = ns.rows or (1_000_000 if ns.quick else 10_000_000)
    asyncio.run(main(ns))
