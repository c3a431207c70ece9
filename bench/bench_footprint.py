"""Controller footprint: memory and CPU of ``webmacs-controller`` beside the server's idle memory.

    .venv/bin/python bench/bench_footprint.py                 # full: 10 minutes of the simulated driver
    .venv/bin/python bench/bench_footprint.py --minutes 1 --cpu-seconds 20   # quick

Starts a server (SQLite in a temporary directory) and measures, for the controller as a separate
process:

1. the simulated driver (one instance, 0.5 s poll): RSS once its readings arrive, RSS after
   ``--minutes`` (and the highest sample), CPU per 1,000 channel readings per second;
2. a driver with 100 simulated channels polled at 10 Hz (1,000 readings/s): CPU in % of one core
   over ``--cpu-seconds``, and RSS.

Readings per second are counted on the server (stored datapoints), so a controller that polls but
does not deliver is not credited. The server's RSS is taken once it is up and idle.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EMAIL, PASSWORD = "bench@example.com", "bench-password-1"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The server as a child process, and the few admin calls the benchmark makes."""

    def __init__(self, workdir: Path, site: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.token = ""
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(site), str(HERE)]),
            "WEBMACS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
            "WEBMACS_HOST": "127.0.0.1",
            "WEBMACS_PORT": str(self.port),
            "WEBMACS_SECRET_KEY": "footprint-bench-secret-key-0123456789",
            "WEBMACS_INITIAL_ADMIN_EMAIL": EMAIL,
            "WEBMACS_INITIAL_ADMIN_PASSWORD": PASSWORD,
            "WEBMACS_LOG_LEVEL": "WARNING",
        }
        self.log = (workdir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "webmacs_core", "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("server exited; see server.log")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.token = self.call("POST", "/auth/login", {"email": EMAIL, "password": PASSWORD})["access_token"]

    def stored(self) -> int:
        return int(self.call("GET", "/datapoints?page=1&page_size=1")["total"])

    def instance_id(self, name: str) -> str:
        for record in self.call("GET", "/plugins?page_size=100")["data"]:
            if record["instance_name"] == name:
                return str(record["public_id"])
        raise LookupError(name)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


class Controller:
    """``webmacs-controller`` as a child process."""

    def __init__(self, server: Server, workdir: Path, site: Path, name: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(site), str(HERE)]),
            "WEBMACS_SERVER_URL": "http://127.0.0.1",
            "WEBMACS_SERVER_PORT": str(server.port),
            "WEBMACS_ADMIN_EMAIL": EMAIL,
            "WEBMACS_ADMIN_PASSWORD": PASSWORD,
            "WEBMACS_POLL_INTERVAL": "0.5",
            "WEBMACS_AUTO_SEED": "false",
            "WEBMACS_SPOOL_PATH": str(workdir / f"spool-{name}.db"),
        }
        self.log = (workdir / f"controller-{name}.log").open("wb")
        controller = Path(sys.executable).with_name("webmacs-controller")
        self.proc = subprocess.Popen([str(controller)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.log.close()


def wait_for_readings(server: Server, controller: Controller, within: float = 30.0) -> None:
    start = server.stored()
    deadline = time.monotonic() + within
    while server.stored() == start:
        if controller.proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the controller delivered no readings; see its log")
        time.sleep(0.2)


def measure_cpu(server: Server, pid: int, seconds: float) -> tuple[float, float]:
    """(% of one core, stored readings per second) over ``seconds``."""
    stored, cpu, started = server.stored(), cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    return 100 * (cpu_seconds(pid) - cpu) / elapsed, (server.stored() - stored) / elapsed


def driver_distribution(root: Path) -> Path:
    """A directory that, on ``PYTHONPATH``, installs ``footprint_driver`` as the ``bench_wide`` driver."""
    info = root / "webmacs_bench_wide-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: webmacs-bench-wide\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[webmacs.plugins]\nbench_wide = footprint_driver\n\n[webmacs.drivers]\nbench_wide = footprint_driver\n"
    )
    return root


def line(name: str, value: str, target: str = "") -> None:
    print(f"{name:<58} {value:>12}   {target}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated-driver run (default 10)")
    parser.add_argument("--cpu-seconds", type=float, default=60.0, help="100-channel CPU window (default 60)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="webmacs-footprint-") as tmp:
        workdir = Path(tmp)
        site = driver_distribution(workdir / "site")
        server = Server(workdir, site)
        try:
            server.wait_up()
            time.sleep(3)
            server_idle = rss_mb(server.proc.pid)

            server.call("POST", "/plugins", {
                "plugin_id": "simulated", "instance_name": "Simulated", "demo_mode": True,
                "config_json": json.dumps({"poll_interval_ms": 500}),
            })
            controller = Controller(server, workdir, site, "simulated")
            wait_for_readings(server, controller)
            time.sleep(2)
            rss_start = rss_mb(controller.pid)
            print(f"simulated driver, 0.5 s poll, {args.minutes:g} min ...", flush=True)
            samples = [rss_start]
            stored, cpu, started = server.stored(), cpu_seconds(controller.pid), time.monotonic()
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(min(10.0, max(0.0, args.minutes * 60 - (time.monotonic() - started))))
                samples.append(rss_mb(controller.pid))
            elapsed = time.monotonic() - started
            sim_cpu = 100 * (cpu_seconds(controller.pid) - cpu) / elapsed
            sim_rate = (server.stored() - stored) / elapsed
            rss_end = samples[-1]
            controller.stop()

            server.call("PUT", f"/plugins/{server.instance_id('Simulated')}", {"enabled": False})
            server.call("POST", "/plugins", {
                "plugin_id": "bench_wide", "instance_name": "Wide", "demo_mode": True,
                "config_json": json.dumps({"channels": 100, "poll_interval_ms": 100}),
            })
            controller = Controller(server, workdir, site, "wide")
            wait_for_readings(server, controller)
            time.sleep(5)
            print(f"100 channels at 10 Hz, {args.cpu_seconds:g} s ...", flush=True)
            wide_cpu, wide_rate = measure_cpu(server, controller.pid, args.cpu_seconds)
            wide_rss = rss_mb(controller.pid)
            controller.stop()
        finally:
            server.stop()

    print()
    line("controller RSS after start (simulated driver)", f"{rss_start:.1f} MB", "target <= 40 MB")
    line(f"controller RSS after {args.minutes:g} min (highest sample)",
         f"{rss_end:.1f} MB ({max(samples):.1f})", "target <= 45 MB")
    # At ~14 readings/s the simulated run's CPU is the controller's fixed cost (ticks, REST polls);
    # the per-reading cost comes from the 100-channel run.
    line("simulated driver: readings/s stored, CPU (% of one core)", f"{sim_rate:.1f}/s, {sim_cpu:.2f} %")
    line("100 channels at 10 Hz: readings/s stored", f"{wide_rate:.0f}/s", "1,000/s")
    line("100 channels at 10 Hz: CPU (% of one core)", f"{wide_cpu:.1f} %", "target <= 10 %")
    line("CPU per 1,000 channel readings/s (100 channels)",
         f"{wide_cpu / wide_rate * 1000 if wide_rate else float('nan'):.1f} %")
    line("100 channels at 10 Hz: controller RSS", f"{wide_rss:.1f} MB")
    line("server RSS, idle (all bundled plugins, SQLite)", f"{server_idle:.1f} MB")


if __name__ == "__main__":
    main()
