"""Web UI figures, in Debian's Chromium against a real server on SQLite with the simulated device:

* first live value after sign-in (the click on "Sign in" to the first value on the overview, and to
  the first value the stream delivered), target <= 1 s on the demo;
* bytes the overview page transfers, compressed, on a first visit (HTML, scripts, styles), target
  <= 200 KB;
* frames per second the overview keeps while its chart shows 20 series updated 10 times a second.

    .venv/bin/python bench/bench_ui.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("WEBMACS_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMAIL, PASSWORD = "bench-admin@example.com", "bench-admin-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"null")


def start_server(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench-ui.db'}",
        "WEBMACS_HOST": "127.0.0.1",
        "WEBMACS_PORT": str(port),
        "WEBMACS_SECRET_KEY": "bench-ui-secret-key-0123456789abcdef",
        "WEBMACS_INITIAL_ADMIN_EMAIL": EMAIL,
        "WEBMACS_INITIAL_ADMIN_PASSWORD": PASSWORD,
        "WEBMACS_PLUGIN_DIR": str(workdir / "plugins"),
    }
    log = (workdir / "server.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "webmacs_core", "serve"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )


def wait_healthy(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def start_controller(workdir: Path, port: int, token: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WEBMACS_SERVER_URL": "http://127.0.0.1",
        "WEBMACS_SERVER_PORT": str(port),
        "WEBMACS_API_TOKEN": token,
        "WEBMACS_AUTO_SEED": "false",
        "WEBMACS_SPOOL_PATH": str(workdir / "spool.db"),
    }
    log = (workdir / "controller.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "webmacs_controller"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )


def first_live_value(browser: Any, base: str) -> tuple[float, float, float]:
    page = browser.new_page()
    page.goto(f"{base}/signin")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    started = time.perf_counter()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/session")):
        page.click("button[type=submit]")
    signed_in = time.perf_counter() - started
    page.wait_for_function(
        "() => [...document.querySelectorAll('.value-card output')].some(o => o.textContent !== '\u2013')",
        timeout=30000,
    )
    shown = time.perf_counter() - started
    page.wait_for_function("() => Number(document.getElementById('chart')?.dataset.points || 0) >= 1", timeout=30000)
    streamed = time.perf_counter() - started
    page.close()
    return signed_in, shown, streamed


def overview_bytes(browser: Any, base: str, storage: Any) -> tuple[int, int]:
    context = browser.new_context(storage_state=storage)  # signed in, empty cache: a first visit
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.goto(f"{base}/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # the page's API calls (events, latest, plugins)
    context.close()
    return sum(sizes.values()), len(sizes)


def chart_fps(browser: Any, base: str, storage: Any, api: Api, seconds: float) -> tuple[float, int]:
    events: list[str] = []
    for i in range(3):
        api.call("POST", "/api/v1/plugins", {"plugin_id": "simulated", "instance_name": f"fps-{i}"})
    instances = api.call("GET", "/api/v1/plugins?page_size=100")["data"]
    for inst in instances:
        events += [
            m["event_public_id"] for m in inst["channel_mappings"] if m["direction"] == "input" and m["event_public_id"]
        ]
    events = events[:20]
    if len(events) < 20:
        raise SystemExit(f"only {len(events)} input channels to chart")
    context = browser.new_context(storage_state=storage, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/")
    page.wait_for_function("() => document.getElementById('conn').textContent === 'live'", timeout=30000)
    stop = threading.Event()

    def feed() -> None:
        tick = 0
        while not stop.is_set():
            now = time.time()
            points = [
                {
                    "event_public_id": e,
                    "value": 50 + 40 * math.sin(tick / 10 + i),
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z",
                }
                for i, e in enumerate(events)
            ]
            api.call("POST", "/api/v1/datapoints/batch", {"datapoints": points})
            tick += 1
            time.sleep(max(0.0, 0.1 - (time.time() - now)))

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    page.wait_for_timeout(2000)
    before = int(page.locator("#chart").get_attribute("data-points") or 0)
    frames = page.evaluate(
        """(ms) => new Promise((done) => {
        let frames = 0; const end = performance.now() + ms;
        const step = (t) => { frames += 1; if (t < end) requestAnimationFrame(step); else done(frames); };
        requestAnimationFrame(step);
    })""",
        int(seconds * 1000),
    )
    grown = int(page.locator("#chart").get_attribute("data-points") or 0) - before
    stop.set()
    feeder.join()
    context.close()
    return frames / seconds, grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the fps measurement runs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(workdir, port)
    controller = None
    try:
        wait_healthy(base)
        api = Api(base)
        api.token = api.call("POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})["access_token"]
        api.call("POST", "/api/v1/plugins", {"plugin_id": "simulated", "instance_name": "demo"})
        controller = start_controller(workdir, port, api.call("POST", "/api/v1/tokens", {"name": "bench"})["token"])
        time.sleep(4)  # the controller syncs its instance and starts sending
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            context = browser.new_context()
            signed_in, shown, streamed = first_live_value(context, base)
            storage = context.storage_state()
            print(
                f"first live value after sign-in: {shown * 1000:.0f} ms on the page, "
                f"{streamed * 1000:.0f} ms from the stream (target <= 1000 ms); of these, the sign-in "
                f"request (bcrypt) took {signed_in * 1000:.0f} ms"
            )
            transferred, requests = overview_bytes(browser, base, storage)
            print(
                f"overview page, first visit: {transferred / 1024:.1f} KB transferred compressed in "
                f"{requests} responses (target <= 200 KB)"
            )
            controller.terminate()
            controller.wait()
            controller = None
            fps, grown = chart_fps(browser, base, storage, api, args.seconds)
            print(
                f"overview chart, 20 series x 10 updates/s: {fps:.1f} frames/s over {args.seconds:.0f} s "
                f"({grown} new x-values drawn)"
            )
            browser.close()
    finally:
        if controller is not None:
            controller.terminate()
        server.terminate()
        server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
