"""A WebSocket client connection: asyncio streams and the ``wsproto`` protocol library.

Enough for the telemetry protocol: text frames both ways, pings answered, a heartbeat that notices a
dead peer, and the close code and reason the server gave (1008 carries the authentication failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from .httpclient import ConnectionFailed, Origin, open_stream

_CHUNK = 65536
#: Close code when the connection ended without a close frame (RFC 6455 §7.1.5).
ABNORMAL_CLOSURE = 1006


class WebSocketRejected(ConnectionFailed):
    """The server answered the upgrade request with an HTTP status instead of switching protocols."""

    def __init__(self, status: int) -> None:
        super().__init__(f"WebSocket upgrade refused with HTTP {status}")
        self.status = status


class WebSocket:
    """One open connection; use :func:`connect`."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol: WSConnection, heartbeat: float
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._ws = protocol
        self._events: deque[Event] = deque()
        self._text: list[str] = []
        self._last_received = time.monotonic()
        self.close_code: int | None = None
        self.close_reason = ""
        self._heartbeat = asyncio.create_task(self._beat(heartbeat)) if heartbeat > 0 else None

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    async def send_text(self, text: str) -> None:
        """Send one text frame (waits while the socket's buffer is full)."""
        if self.closed:
            raise ConnectionFailed("WebSocket is closed")
        try:
            self._writer.write(self._ws.send(TextMessage(data=text)))
            await self._writer.drain()
        except (OSError, LocalProtocolError) as exc:
            self._gone(ABNORMAL_CLOSURE, str(exc))
            raise ConnectionFailed(f"WebSocket send failed: {exc}") from exc

    async def receive(self) -> str | None:
        """The next text message; ``None`` once the connection is closed (see :attr:`close_code`)."""
        while not self.closed:
            while self._events:
                text = self._handle(self._events.popleft())
                if text is not None:
                    return text
            if self.closed:
                break
            try:
                data = await self._reader.read(_CHUNK)
            except OSError as exc:
                self._gone(ABNORMAL_CLOSURE, str(exc))
                break
            if not data:
                self._gone(ABNORMAL_CLOSURE, "connection lost")
                break
            self._last_received = time.monotonic()
            try:
                self._ws.receive_data(data)
                self._events.extend(self._ws.events())
            except RemoteProtocolError as exc:
                self._gone(ABNORMAL_CLOSURE, f"protocol error: {exc}")
        return None

    def _handle(self, event: Event) -> str | None:
        if isinstance(event, TextMessage):
            self._text.append(event.data)
            if event.message_finished:
                text, self._text = "".join(self._text), []
                return text
        elif isinstance(event, Ping):
            self._write(self._ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            if self._ws.state is ConnectionState.REMOTE_CLOSING:
                self._write(self._ws.send(event.response()))
            self._gone(event.code, event.reason or "")
        return None

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self._writer.write(data)

    async def close(self, code: int = 1000) -> None:
        """Say goodbye (when still open) and close the socket."""
        if not self.closed and self._ws.state is ConnectionState.OPEN:
            with contextlib.suppress(LocalProtocolError):
                self._write(self._ws.send(CloseConnection(code=code)))
            with contextlib.suppress(OSError):
                await asyncio.wait_for(self._writer.drain(), 1.0)
        self._gone(code, self.close_reason)

    def _gone(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        if self._heartbeat is not None and self._heartbeat is not asyncio.current_task():
            self._heartbeat.cancel()
        self._writer.close()

    async def _beat(self, interval: float) -> None:
        """Ping every ``interval``; a peer silent for two intervals is taken as gone."""
        while not self.closed:
            await asyncio.sleep(interval)
            if time.monotonic() - self._last_received > 2 * interval:
                self._gone(ABNORMAL_CLOSURE, "no answer to pings")
                self._reader.feed_eof()
                return
            with contextlib.suppress(LocalProtocolError):
                self._write(self._ws.send(Ping()))


async def connect(url: str, *, handshake_timeout: float = 30.0, heartbeat: float = 20.0) -> WebSocket:
    """Open a WebSocket to ``url`` (``ws://`` or ``wss://``).

    :raises WebSocketRejected: the server answered with an HTTP status (401, 404, ...).
    :raises ConnectionFailed: no connection, or no complete handshake within ``handshake_timeout`` seconds.
    """
    origin, target = Origin.of(url)
    try:
        async with asyncio.timeout(handshake_timeout):
            reader, writer = await open_stream(origin)
            try:
                return await _handshake(reader, writer, origin, target, heartbeat)
            except BaseException:
                writer.close()
                raise
    except TimeoutError:
        raise ConnectionFailed(f"WebSocket handshake with {origin.host}:{origin.port} timed out") from None


async def _handshake(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, origin: Origin, target: str, heartbeat: float
) -> WebSocket:
    ws = WSConnection(ConnectionType.CLIENT)
    writer.write(ws.send(Request(host=origin.host_header, target=target)))
    await writer.drain()
    while True:
        data = await reader.read(_CHUNK)
        if not data:
            raise ConnectionFailed("the server closed the connection during the WebSocket handshake")
        try:
            ws.receive_data(data)
        except RemoteProtocolError as exc:
            raise ConnectionFailed(f"bad WebSocket handshake: {exc}") from exc
        for event in ws.events():
            if isinstance(event, RejectConnection):
                raise WebSocketRejected(event.status_code)
            if isinstance(event, AcceptConnection):
                socket = WebSocket(reader, writer, ws, heartbeat)
                socket._events.extend(ws.events())  # frames that arrived with the handshake
                return socket
