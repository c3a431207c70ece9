"""Streams spooled batches over the telemetry WebSocket with acknowledgements.

Protocol (``?ack=1``): the client sends ``{"seq": N, "datapoints": [...]}``; the server answers
``{"type": "ack", "seq": N, ...}`` after commit, or ``{"type": "error", "seq": N, "retryable": bool}``. Up to
``window`` batches are in flight; on reconnect every unacknowledged batch is sent again in order (the server
stores a replayed seq once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import orjson

from .httpclient import ConnectionFailed
from .spool import Spool
from .wsclient import WebSocket, connect

log = logging.getLogger("webmacs.controller.telemetry")

_POLICY_VIOLATION = 1008
_NONE = 2**63
_HEARTBEAT = 20.0


class TelemetryStreamer:
    """Keeps one telemetry connection open and drains the spool through it."""

    def __init__(
        self,
        url: str,
        spool: Spool,
        *,
        token: Callable[[], str],
        relogin: Callable[[], Awaitable[None]] | None = None,
        window: int = 8,
        connect_timeout: float = 30.0,
    ) -> None:
        self._url = url
        self._spool = spool
        self._connect_timeout = connect_timeout
        self._token = token
        self._relogin = relogin
        self._window = window
        self._wakeup = asyncio.Event()
        self._stop = asyncio.Event()
        self._inflight: set[int] = set()
        self._sent_upto = 0
        self._resend_from = _NONE
        self._resume_at = 0.0
        self._retry_delay = 0.0
        #: Monotonic time of the last sign of life from the server (connect or frame received).
        self.last_contact = 0.0
        self.connected = False
        self.connections = 0
        self.acked_batches = 0
        self.rejected_batches = 0

    def notify(self) -> None:
        """Tell the streamer new batches are in the spool."""
        self._wakeup.set()

    def stop(self) -> None:
        """Make :meth:`run` return."""
        self._stop.set()
        self._wakeup.set()

    async def run(self) -> None:
        """Connect, stream, reconnect with back-off (1 s doubling to 30 s) until stopped."""
        delay = 1.0
        while not self._stop.is_set():
            try:
                auth_failed = await self._session_once()
                # A connection that worked and then dropped is retried at once; failures back off.
                delay = 0.1
                if auth_failed:
                    delay = 1.0
                    if self._relogin is not None:
                        await self._relogin()
            except (ConnectionFailed, OSError) as exc:
                log.warning("Telemetry connection failed: %s; retrying in %.1fs", exc, delay)
            except Exception:
                log.exception("Telemetry session crashed; retrying in %.1fs", delay)
            finally:
                self.connected = False
            if self._stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, 30.0)

    async def wait_drained(self, within: float) -> bool:
        """Wait up to ``within`` seconds until the spool is empty; True on success."""
        deadline = time.monotonic() + within
        # Acks arrive on another task and the spool has no change notification, so poll briefly.
        while self._spool.pending_count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return not self._spool.pending_count

    def _connect_url(self) -> str:
        query = urlencode({"token": self._token(), "ack": "1", "controller_id": self._spool.controller_id})
        return f"{self._url}?{query}"

    async def _session_once(self) -> bool:
        """One connection's life; returns True when the server closed it for an auth failure."""
        ws = await connect(self._connect_url(), handshake_timeout=self._connect_timeout, heartbeat=_HEARTBEAT)
        try:
            self.connected = True
            self.connections += 1
            self.last_contact = time.monotonic()
            self._inflight.clear()
            self._sent_upto = 0  # resend everything still in the spool, in order
            self._resend_from = _NONE
            log.info("Telemetry connected (%d batches waiting)", self._spool.pending_count)
            sender = asyncio.create_task(self._send_loop(ws))
            try:
                await self._receive_loop(ws)
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sender
        finally:
            await ws.close()
        if ws.close_code == _POLICY_VIOLATION:
            log.error("Telemetry rejected by the server: %s", ws.close_reason or "authentication failed")
            return True
        log.warning("Telemetry connection closed (code %s)", ws.close_code)
        return False

    async def _send_loop(self, ws: WebSocket) -> None:
        while not ws.closed and not self._stop.is_set():
            pause = self._resume_at - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if self._resend_from != _NONE:
                self._sent_upto = min(self._sent_upto, self._resend_from - 1)
                self._resend_from = _NONE
            room = self._window - len(self._inflight)
            batches = self._spool.pending(self._sent_upto, room) if room > 0 else []
            if not batches:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            for batch in batches:
                await ws.send_text(batch.frame().decode())
                self._inflight.add(batch.seq)
                self._sent_upto = batch.seq

    async def _receive_loop(self, ws: WebSocket) -> None:
        while (text := await ws.receive()) is not None:
            self.last_contact = time.monotonic()
            try:
                frame = orjson.loads(text)
            except orjson.JSONDecodeError:
                log.warning("Ignoring a non-JSON frame from the server")
                continue
            if not isinstance(frame, dict):
                continue
            await self._handle(frame)

    async def _handle(self, frame: dict[str, object]) -> None:
        kind = frame.get("type")
        seq = frame.get("seq")
        if not isinstance(seq, int):
            if kind == "error":
                log.error("Server reported: %s", frame.get("message"))
            return
        if kind == "ack":
            self._inflight.discard(seq)
            self._retry_delay = 0.0
            if self._spool.ack(seq):
                self.acked_batches += 1
            if frame.get("rejected"):
                log.warning("Server rejected %s datapoints of batch %d", frame.get("rejected"), seq)
        elif kind == "error" and frame.get("retryable"):
            # Storage is down on the server: keep the batch, pause, then resend from the oldest failed one
            # so the server still receives batches in sequence order.
            self._inflight.discard(seq)
            if self._resume_at <= time.monotonic():
                self._retry_delay = min(self._retry_delay * 2, 30.0) if self._retry_delay else 0.5
                self._resume_at = time.monotonic() + self._retry_delay
                log.warning(
                    "Batch %d not stored (%s); resending in %.1fs",
                    seq,
                    frame.get("message"),
                    self._retry_delay,
                )
            self._resend_from = min(self._resend_from, seq)
        elif kind == "error":
            self._inflight.discard(seq)
            count = self._spool.reject(seq)
            self.rejected_batches += 1
            log.error("Batch %d (%d datapoints) can never be stored: %s", seq, count, frame.get("message"))
        self._wakeup.set()
