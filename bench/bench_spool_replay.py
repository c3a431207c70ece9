"""Spool replay throughput: fill a disk spool, replay it to a local WebSocket sink that acks every batch.

    python bench/bench_spool_replay.py [--datapoints 1000000] [--batch 500] [--window 8]

Prints datapoints per second next to the target (>= 50,000/s).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from webmacs_controller.spool import Spool
from webmacs_controller.telemetry import TelemetryStreamer

TARGET = 50_000


async def sink(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT:
            frame = orjson.loads(msg.data)
            await ws.send_str(
                orjson.dumps(
                    {"type": "ack", "seq": frame["seq"], "accepted": len(frame["datapoints"]), "rejected": 0}
                ).decode()
            )
            request.app["stats"]["received"] += len(frame["datapoints"])
    return ws


def fill(spool: Spool, total: int, batch: int) -> None:
    base = time.time()
    for start in range(0, total, batch):
        spool.append(
            [
                {
                    "value": float(i),
                    "event_public_id": f"00000000-0000-0000-0000-{i % 64:012d}",
                    "timestamp": f"2026-11-23T12:00:{(base + i) % 60:09.6f}+00:00",
                }
                for i in range(start, min(start + batch, total))
            ]
        )


async def main(total: int, batch: int, window: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spool = Spool(Path(tmp) / "spool.db", max_bytes=2**40)
        t0 = time.perf_counter()
        fill(spool, total, batch)
        fill_s = time.perf_counter() - t0

        app = web.Application()
        app["stats"] = {"received": 0}
        app.router.add_get("/ws/controller/telemetry", sink)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        streamer = TelemetryStreamer(
            f"ws://127.0.0.1:{port}/ws/controller/telemetry", spool, token=lambda: "bench", window=window
        )
        t1 = time.perf_counter()
        task = asyncio.create_task(streamer.run())
        drained = await streamer.wait_drained(within=600)
        replay_s = time.perf_counter() - t1
        streamer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()
        spool.close()

    rate = total / replay_s
    print(f"spool fill:   {total:,} datapoints in {fill_s:.2f}s ({total / fill_s:,.0f} datapoints/s)")
    print(
        f"spool replay: {app['stats']['received']:,} datapoints acked in {replay_s:.2f}s, drained={drained}"
    )
    print(
        f"replay rate:  {rate:,.0f} datapoints/s (target >= {TARGET:,}/s)",
        "OK" if rate >= TARGET else "BELOW TARGET",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datapoints", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--window", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.datapoints, args.batch, args.window))
