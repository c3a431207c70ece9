"""REST client for the WebMACS server: authentication, retries and the few calls the controller makes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from .httpclient import ConnectionFailed, HttpClient
from .settings import ControllerSettings

log = logging.getLogger("webmacs.controller.api")

_ATTEMPTS = 3


class ApiError(Exception):
    """A request failed for good (non-retryable status or retries exhausted)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ApiError):
    """Login failed or the credentials were rejected."""


class ApiClient:
    """Talks to ``/api/v1`` with the upstream retry policy.

    Up to three attempts per call: a 401 triggers a re-login (password credentials only), a 429 waits for
    ``Retry-After``, 5xx and transport errors back off 1 s then 2 s, other 4xx fail at once.
    """

    def __init__(self, settings: ControllerSettings, session: HttpClient) -> None:
        self._settings = settings
        self._session = session
        self._token = settings.api_token
        self._login_lock = asyncio.Lock()
        #: Monotonic time of the last response from the server (any status), for the safe-state watchdog.
        self.last_contact = 0.0

    @property
    def token(self) -> str:
        """The current bearer token (API token or JWT)."""
        return self._token

    @property
    def uses_api_token(self) -> bool:
        """True when a static API token is configured (no login, no re-login)."""
        return bool(self._settings.api_token)

    async def login(self) -> None:
        """Obtain a JWT with the configured email and password; with an API token, check that the
        server takes it."""
        if self.uses_api_token:
            await self._check_token()
            return
        async with self._login_lock:
            url = f"{self._settings.api_base}/auth/login"
            body = {"email": self._settings.admin_email, "password": self._settings.admin_password}
            try:
                resp = await self._session.request("POST", url, json=body)
            except ConnectionFailed as exc:
                raise ApiError(f"Login request failed: {exc}") from exc
            self.last_contact = time.monotonic()
            if resp.status in (400, 401, 403, 422):
                raise AuthError(
                    f"{url} refused the login of {self._settings.admin_email!r}: wrong email or password "
                    f"(HTTP {resp.status})",
                    resp.status,
                )
            if resp.status != 200:
                raise ApiError(f"Login failed with HTTP {resp.status}", resp.status)
            try:
                self._token = str(resp.json()["access_token"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ApiError(f"Login answer without an access token (HTTP {resp.status})") from exc
            log.info("Logged in as %s", self._settings.admin_email)

    async def _check_token(self) -> None:
        url = f"{self._settings.api_base}/plugins"
        try:
            resp = await self._session.request(
                "GET", url, params={"page": 1, "page_size": 1}, headers={"Authorization": f"Bearer {self._token}"}
            )
        except ConnectionFailed as exc:
            raise ApiError(f"Server request failed: {exc}") from exc
        self.last_contact = time.monotonic()
        if resp.status in (401, 403):
            raise AuthError(f"{url} refused the API token (HTTP {resp.status})", resp.status)
        if resp.status != 200:
            raise ApiError(f"GET {url} -> HTTP {resp.status}", resp.status)

    async def login_with_retry(self, stop: asyncio.Event, within: float | None = None) -> None:
        """Log in, retrying an unreachable server with back-off for at most ``within`` seconds.

        :raises AuthError: the server refused the credentials (retrying cannot help).
        :raises ApiError: the server was not reachable within ``within`` seconds.
        """
        delay = 1.0
        deadline = None if within is None else time.monotonic() + within
        while not stop.is_set():
            try:
                await self.login()
                return
            except AuthError:
                raise
            except ApiError as exc:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise ApiError(
                        f"Server {self._settings.server_url}:{self._settings.server_port} not reachable "
                        f"after {within:.0f} s ({exc})"
                    ) from exc
                log.warning("Server not reachable for login (%s); retrying in %.0fs", exc, delay)
                await _sleep_or_stop(stop, delay if left is None else min(delay, left))
                delay = min(delay * 2, 30.0)

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the decoded JSON body (``None`` for empty bodies)."""
        url = f"{self._settings.api_base}{path}"
        last_error = "no attempt"
        for attempt in range(1, _ATTEMPTS + 1):
            headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
            try:
                resp = await self._session.request(method, url, headers=headers, **kwargs)
            except ConnectionFailed as exc:
                last_error = str(exc)
            else:
                self.last_contact = time.monotonic()
                if resp.status == 401 and attempt < _ATTEMPTS and not self.uses_api_token:
                    log.info("Token rejected on %s %s; logging in again", method, path)
                    await self.login()
                    continue
                if resp.status == 429:
                    retry_after = resp.headers.get("retry-after", "")
                    delay = float(retry_after) if retry_after.isdigit() else float(attempt)
                    last_error = "HTTP 429"
                    await asyncio.sleep(delay)
                    continue
                if resp.status >= 500:
                    last_error = f"HTTP {resp.status}"
                elif resp.status >= 400:
                    raise ApiError(f"{method} {path} -> HTTP {resp.status}: {resp.text()[:200]}", resp.status)
                else:
                    try:
                        return resp.json()
                    except ValueError as exc:
                        raise ApiError(f"{method} {path} -> HTTP {resp.status}: not JSON") from exc
            if attempt < _ATTEMPTS:
                await asyncio.sleep(float(attempt))
        raise ApiError(f"{method} {path} failed after {_ATTEMPTS} attempts: {last_error}")

    async def download(self, path: str, target: Path, max_bytes: int | None = None) -> str:
        """Save a ``GET`` of ``path`` to ``target``; returns the SHA-256 (hex) of the bytes received.

        :raises ApiError: also when more than ``max_bytes`` arrive (the download is abandoned).
        """
        url = f"{self._settings.api_base}{path}"
        for attempt in (1, 2):
            sink = _HashingFile(target, max_bytes)
            headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
            try:
                resp = await self._session.request("GET", url, headers=headers, sink=sink.write)
            except ConnectionFailed as exc:
                raise ApiError(f"GET {path} failed: {exc}") from exc
            finally:
                sink.close()
            self.last_contact = time.monotonic()
            if resp.status == 401 and attempt == 1 and not self.uses_api_token:
                await self.login()
                continue
            if resp.status != 200:
                raise ApiError(f"GET {path} -> HTTP {resp.status}: {resp.text()[:200]}", resp.status)
            return sink.digest.hexdigest()
        raise ApiError(f"GET {path}: authentication refused", 401)

    async def get_all_pages(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paginated collection (pages of 100 until ``total`` is reached)."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            body = await self.request("GET", path, params={"page": page, "page_size": 100})
            data = list(body.get("data", []))
            items.extend(data)
            if not data or len(items) >= int(body.get("total", len(items))):
                return items
            page += 1

    async def list_plugin_instances(self) -> list[dict[str, Any]]:
        """All plugin instances (every page)."""
        return await self.get_all_pages("/plugins")

    async def list_events(self) -> list[dict[str, Any]]:
        """All events (every page)."""
        return await self.get_all_pages("/events")

    async def channel_mappings(self, instance_id: str) -> list[dict[str, Any]]:
        """Channel mappings of one plugin instance."""
        return list(await self.request("GET", f"/plugins/{instance_id}/channels") or [])

    async def latest_datapoints(self) -> list[dict[str, Any]]:
        """Latest datapoint per event."""
        return list(await self.request("GET", "/datapoints/latest") or [])

    async def create_plugin_instance(self, body: dict[str, Any]) -> None:
        """Create a plugin instance (admin)."""
        await self.request("POST", "/plugins", json=body)

    async def post_log(self, content: str, logging_type: str = "info") -> None:
        """Write a log entry on the server; failures are logged, never raised."""
        try:
            await self.request("POST", "/logging", json={"content": content, "logging_type": logging_type})
        except ApiError as exc:
            log.warning("Could not post log entry %r: %s", content, exc)


async def _sleep_or_stop(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)


class _HashingFile:
    """A file being downloaded and the SHA-256 of what was written to it, at most ``max_bytes`` long."""

    def __init__(self, path: Path, max_bytes: int | None = None) -> None:
        self.digest = hashlib.sha256()
        self._file = path.open("wb")
        self._left = max_bytes

    def write(self, chunk: bytes) -> None:
        if self._left is not None:
            self._left -= len(chunk)
            if self._left < 0:
                raise ApiError("the download is larger than announced; abandoned")
        self.digest.update(chunk)
        self._file.write(chunk)

    def close(self) -> None:
        self._file.close()
