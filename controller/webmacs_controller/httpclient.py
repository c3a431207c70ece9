"""A small HTTP/1.1 client for the controller: asyncio streams and the ``h11`` protocol library.

The controller makes a handful of JSON calls a second to one server; a full client framework costs an
edge device more memory than everything else the controller runs. Connections are kept alive and
reused (a few per server, since loops call concurrently); TLS is used for ``https`` URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import h11
import orjson

#: Idle connections kept per server.
MAX_IDLE = 4
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 65536


class ConnectionFailed(OSError):
    """The server could not be reached, closed the connection, answered garbage or too late."""


@dataclass(frozen=True)
class Origin:
    """Scheme, host and port of a URL: what a connection is opened to."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> tuple[Origin, str]:
        """The origin of ``url`` and its request target (path and query)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
            raise ValueError(f"not an http(s) or ws(s) URL: {url!r}")
        secure = parts.scheme in ("https", "wss")
        port = parts.port or (443 if secure else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.scheme, parts.hostname, port), target

    @property
    def secure(self) -> bool:
        return self.scheme in ("https", "wss")

    @property
    def host_header(self) -> str:
        default = 443 if self.secure else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


async def open_stream(origin: Origin) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP (or TLS) connection to ``origin``; failures become :class:`ConnectionFailed`."""
    context = ssl.create_default_context() if origin.secure else None
    try:
        return await asyncio.open_connection(origin.host, origin.port, ssl=context, limit=_CHUNK)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionFailed(f"cannot connect to {origin.host}:{origin.port}: {exc}") from exc


@dataclass
class Response:
    """A complete response: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The decoded JSON body (``None`` when empty)."""
        return orjson.loads(self.body) if self.body else None

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    protocol: h11.Connection = field(default_factory=lambda: h11.Connection(h11.CLIENT))

    def close(self) -> None:
        self.writer.close()


class HttpClient:
    """Requests with a total ``timeout`` each, over kept-alive connections."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._idle: dict[Origin, list[_Connection]] = {}

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        sink: Callable[[bytes], None] | None = None,
    ) -> Response:
        """Send one request and read the whole response.

        With ``sink``, the body is passed to it chunk by chunk (a download to a file) and not kept.

        :raises ConnectionFailed: nothing usable came back (refused, reset, timed out, malformed).
        """
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        body = orjson.dumps(json) if json is not None else data or b""
        extra = list((headers or {}).items())
        if json is not None:
            extra.append(("Content-Type", "application/json"))
        # Redirects are followed (a proxy moving http to https, a trailing slash), as WebMACS's own
        # controller does; 303, and 301/302 after a POST, continue as a GET without the body.
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._send(method, url, body, extra, sink)
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or not location:
                return response
            url = urljoin(url, location)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", b""
                extra = [(k, v) for k, v in extra if k.lower() != "content-type"]
        raise ConnectionFailed(f"more than {MAX_REDIRECTS} redirects, the last to {url}")

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: list[tuple[str, str]],
        sink: Callable[[bytes], None] | None,
    ) -> Response:
        origin, target = Origin.of(url)
        fields = [("Host", origin.host_header), ("Accept", "application/json"), ("User-Agent", "webmacs-controller")]
        fields += headers
        fields.append(("Content-Length", str(len(body))))
        request = h11.Request(method=method, target=target, headers=fields)
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    conn, reused = await self._connection(origin)
                    try:
                        return await self._exchange(origin, conn, request, body, sink)
                    except _StaleConnection:
                        # The server closed a kept-alive connection before reading the request.
                        if not reused:
                            raise ConnectionFailed(f"{origin.host}:{origin.port} closed the connection") from None
        except TimeoutError:
            raise ConnectionFailed(f"no answer from {origin.host}:{origin.port} within {self.timeout:g}s") from None

    async def _connection(self, origin: Origin) -> tuple[_Connection, bool]:
        idle = self._idle.get(origin)
        if idle:
            return idle.pop(), True
        reader, writer = await open_stream(origin)
        return _Connection(reader, writer), False

    async def _exchange(
        self,
        origin: Origin,
        conn: _Connection,
        request: h11.Request,
        body: bytes,
        sink: Callable[[bytes], None] | None,
    ) -> Response:
        proto = conn.protocol
        received_any = False
        try:
            payload = proto.send(request) or b""
            payload += proto.send(h11.Data(data=body)) if body else b""
            payload += proto.send(h11.EndOfMessage()) or b""
            conn.writer.write(payload)
            await conn.writer.drain()
            status, headers, chunks = 0, {}, []
            while True:
                event = proto.next_event()
                if event is h11.NEED_DATA:
                    data = await conn.reader.read(_CHUNK)
                    if not data and not received_any:
                        raise _StaleConnection
                    received_any = True
                    proto.receive_data(data)
                elif isinstance(event, h11.Response):
                    status = event.status_code
                    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
                elif isinstance(event, h11.Data):
                    if sink is not None and 200 <= status < 300:
                        sink(bytes(event.data))
                    else:
                        chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise ConnectionFailed(f"{origin.host}:{origin.port} closed the connection mid-response")
        except _StaleConnection:
            conn.close()
            raise
        except (OSError, h11.ProtocolError) as exc:
            conn.close()
            if isinstance(exc, ConnectionResetError | BrokenPipeError) and not received_any:
                raise _StaleConnection from None
            raise ConnectionFailed(f"{origin.host}:{origin.port}: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            conn.close()  # cancelled or timed out mid-exchange: the connection is in an unknown state
            raise
        self._release(origin, conn)
        return Response(status, headers, b"".join(chunks))

    def _release(self, origin: Origin, conn: _Connection) -> None:
        proto = conn.protocol
        if proto.our_state is h11.DONE and proto.their_state is h11.DONE:
            proto.start_next_cycle()
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE:
                idle.append(conn)
                return
        conn.close()

    async def close(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
                with contextlib.suppress(OSError):
                    await conn.writer.wait_closed()
        self._idle.clear()


class _StaleConnection(Exception):
    """A reused connection was found closed before any byte of the response."""
