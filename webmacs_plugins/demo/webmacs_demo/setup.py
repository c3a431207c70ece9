"""What the demo asks of the running server through its REST API (admin login, the simulated instance,
an API token for the controller). Plain ``urllib``: a handful of calls at start and stop."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

INSTANCE_NAME = "Simulated Device"


class DemoSetupError(Exception):
    """The server answered something the demo cannot work with."""


class ServerApi:
    """A tiny JSON client of ``/api/v1`` for one base URL."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``(status, decoded JSON or None)``; HTTP errors are returned, transport errors raised."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL is the demo's own loopback server)
            f"{self.base_url}{path}", data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def healthy(self) -> bool:
        """True once ``/health`` answers 200."""
        try:
            status, _ = self.call("GET", "/health")
        except OSError:
            return False
        return status == 200

    def wait_healthy(self, within: float, alive: Any) -> bool:
        """Poll ``/health`` until it answers, ``alive()`` turns false, or ``within`` seconds pass."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and alive():
            if self.healthy():
                return True
            time.sleep(0.2)
        return False

    def login(self, email: str, password: str) -> None:
        """Keep the admin's access token for the following calls."""
        status, body = self.call("POST", "/api/v1/auth/login", {"email": email, "password": password})
        if status != 200 or not isinstance(body, dict):
            raise DemoSetupError(
                f"cannot log in as {email} (HTTP {status}). The database already has this admin with "
                "another password (changed since the demo wrote it to webmacs-demo-admin.txt?): set "
                "WEBMACS_INITIAL_ADMIN_PASSWORD to it, or run the demo in an empty directory."
            )
        self.token = str(body["access_token"])

    def ensure_simulated_instance(self) -> str:
        """The public id of an enabled ``simulated`` instance, created (with its events) if none exists."""
        instances = self._all("/api/v1/plugins")
        for record in instances:
            if record.get("plugin_id") == "simulated" and record.get("enabled"):
                return str(record["public_id"])
        for record in instances:
            if record.get("plugin_id") == "simulated":
                self._expect(
                    self.call("PUT", f"/api/v1/plugins/{record['public_id']}", {"enabled": True}),
                    200,
                    "enable the simulated instance",
                )
                return str(record["public_id"])
        name = INSTANCE_NAME
        taken = {str(r.get("instance_name")) for r in instances}
        suffix = 2
        while name in taken:
            name, suffix = f"{INSTANCE_NAME} {suffix}", suffix + 1
        body = {"plugin_id": "simulated", "instance_name": name, "demo_mode": True, "enabled": True}
        self._expect(self.call("POST", "/api/v1/plugins", body), 201, "create the simulated instance")
        for record in self._all("/api/v1/plugins"):
            if record.get("instance_name") == name:
                return str(record["public_id"])
        raise DemoSetupError("the simulated instance was created but is not listed")

    def create_token(self, name: str) -> tuple[str, str]:
        """A new API token: ``(public_id, secret)``."""
        body = self._expect(self.call("POST", "/api/v1/tokens", {"name": name}), 201, "create an API token")
        return str(body["public_id"]), str(body["token"])

    def delete_token(self, public_id: str) -> None:
        """Revoke a token the demo created (best effort)."""
        self.call("DELETE", f"/api/v1/tokens/{public_id}")

    def _all(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._expect(self.call("GET", f"{path}?page={page}&page_size=100"), 200, f"list {path}")
            data = list(body.get("data", []))
            items.extend(data)
            if not data or len(items) >= int(body.get("total", 0)):
                return items
            page += 1

    @staticmethod
    def _expect(result: tuple[int, Any], status: int, what: str) -> Any:
        code, body = result
        if code != status:
            detail = body.get("detail") if isinstance(body, dict) else body
            raise DemoSetupError(f"could not {what}: HTTP {code} {detail}")
        return body
