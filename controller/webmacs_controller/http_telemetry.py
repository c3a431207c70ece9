"""Drains the spool through ``POST /api/v1/datapoints/batch`` (``WEBMACS_TELEMETRY_MODE=http``).

The upstream transport, kept for servers without the acknowledged WebSocket protocol. Batches leave the
spool in sequence order, one request at a time, and only a 2xx answer removes one. Each item carries its
device ``timestamp``; the body also names ``controller_id`` and ``seq``, which servers that know them use to
store a resent batch once and others ignore. Failures never drop data: a 429 waits for ``Retry-After``,
5xx / transport errors / timeouts back off 0.5 s doubling to 30 s, a 401 logs in again. Only a batch the
server refuses as invalid (400, 404, 409, 413, 422) is dropped, and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from .httpclient import ConnectionFailed, HttpClient
from .spool import Spool, SpooledBatch

log = logging.getLogger("webmacs.controller.telemetry")

#: Statuses that say "this body will never be stored", so resending it would block the spool forever.
_UNSTORABLE = {400, 404, 409, 413, 422}
_MAX_DELAY = 30.0


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a numeric ``Retry-After`` header; None when absent or not a number."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return min(max(seconds, 0.0), 300.0)


class HttpTelemetry:
    """Same duties as :class:`~webmacs_controller.telemetry.TelemetryStreamer`, over REST."""

    def __init__(
        self,
        api_base: str,
        spool: Spool,
        session: HttpClient,
        *,
        token: Callable[[], str],
        relogin: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._url = f"{api_base}/datapoints/batch"
        self._spool = spool
        self._session = session
        self._token = token
        self._relogin = relogin
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        self._delay = 0.0
        #: Monotonic time of the last answer from the server (any status).
        self.last_contact = 0.0
        self.connected = False
        self.acked_batches = 0
        self.rejected_batches = 0
        self.requests = 0

    def notify(self) -> None:
        """Tell the sender new batches are in the spool."""
        self._wakeup.set()

    def stop(self) -> None:
        """Make :meth:`run` return."""
        self._stop.set()
        self._wakeup.set()

    async def wait_drained(self, within: float) -> bool:
        """Wait up to ``within`` seconds until the spool is empty; True on success."""
        deadline = time.monotonic() + within
        while self._spool.pending_count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return not self._spool.pending_count

    async def run(self) -> None:
        """Send the oldest pending batch until the spool is empty, then wait for more; until stopped."""
        while not self._stop.is_set():
            batches = self._spool.pending(0, 1)
            if not batches:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            pause = await self._send(batches[0])
            if pause:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), pause)

    def _backoff(self) -> float:
        self._delay = min(self._delay * 2, _MAX_DELAY) if self._delay else 0.5
        return self._delay

    async def _send(self, batch: SpooledBatch) -> float:
        """One attempt; returns how long to wait before the next one (0: go on at once)."""
        body = b'{"controller_id":"%s","seq":%d,"datapoints":%s}' % (
            self._spool.controller_id.encode(),
            batch.seq,
            batch.payload,
        )
        headers = {"Authorization": f"Bearer {self._token()}", "Content-Type": "application/json"}
        self.requests += 1
        try:
            resp = await self._session.request("POST", self._url, data=body, headers=headers)
            self.last_contact = time.monotonic()
            self.connected = True
            status = resp.status
            text = "" if status < 400 else resp.text()[:200]
            retry_after = retry_after_seconds(resp.headers.get("retry-after"))
        except ConnectionFailed as exc:
            self.connected = False
            delay = self._backoff()
            log.warning("Telemetry batch %d not sent (%s); retrying in %.1fs", batch.seq, exc, delay)
            return delay
        if status < 300:
            self._delay = 0.0
            if self._spool.ack(batch.seq):
                self.acked_batches += 1
            return 0.0
        if status == 429:
            delay = retry_after if retry_after is not None else self._backoff()
            log.warning("Server rate-limits telemetry; batch %d resent in %.1fs", batch.seq, delay)
            return delay
        if status == 401 and self._relogin is not None:
            log.info("Token rejected on telemetry; logging in again")
            try:
                await self._relogin()
            except Exception as exc:
                log.warning("Re-login failed: %s", exc)
                return self._backoff()
            return 0.0
        if status in _UNSTORABLE:
            count = self._spool.reject(batch.seq)
            self.rejected_batches += 1
            log.error(
                "Batch %d (%d datapoints) can never be stored: HTTP %d %s", batch.seq, count, status, text
            )
            return 0.0
        # 5xx (503 while the database is down), 401 with a static token, 403: keep the data and retry.
        delay = retry_after if status == 503 and retry_after is not None else self._backoff()
        delay = min(delay, _MAX_DELAY)
        log.warning("Telemetry batch %d: HTTP %d %s; retrying in %.1fs", batch.seq, status, text, delay)
        return delay
