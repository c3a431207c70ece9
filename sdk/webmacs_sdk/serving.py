"""Running an aiohttp application as a server: bounded request reads, JSON protocol errors, and a
quick shutdown that closes WebSockets with 1001.

``serve()`` is what ``webmacs serve`` (and anything else that serves the app) runs. Compared to
``web.run_app`` it

* closes a connection whose request headers are not complete ``header_timeout`` seconds after its
  first byte (slow-header attacks) and fails a request whose body has not arrived ``body_timeout``
  seconds after its headers (slow-body attacks) with a 408;
* answers a request line or header over aiohttp's limits, and any other malformed request, with
  ``{"detail": ...}`` JSON (414, 431, 400) like every other error, instead of text/plain;
* calls ``ready(url)`` only once the socket listens, and raises ``OSError`` (a busy port) before that;
* on SIGTERM or SIGINT stops listening, closes every WebSocket opened through
  :func:`prepare_websocket` with 1001, gives running handlers ``grace`` seconds, then runs the
  app's cleanup; a handler still running then is cancelled.

:func:`new_event_loop` is the loop to serve on, and :func:`port_number` the ``--port`` argument type
of every command that serves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import weakref
from collections.abc import Callable
from typing import Any

import attrs
import orjson
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler

from webmacs_sdk.keys import HOST

_REQUEST_LINE = re.compile(rb"^[A-Za-z]+ ")
_OPEN_WEBSOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("webmacs.sdk.websockets")


@attrs.frozen
class ServeLimits:
    """How long a client may take to send a request, and how long shutdown may take."""

    #: Seconds from a request's first byte to the end of its headers.
    header_timeout: float = 10.0
    #: Seconds from the end of a request's headers to the end of its body.
    body_timeout: float = 60.0
    #: Seconds an idle keep-alive connection stays open.
    keepalive_timeout: float = 75.0
    #: Seconds running handlers get after SIGTERM before they are cancelled.
    grace: float = 0.5


class ListenError(OSError):
    """The server could not listen on its address (``host`` and ``port`` say which)."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.host = host
        self.port = port


def _json_error(status: int, detail: str) -> web.Response:
    response = web.Response(status=status, body=orjson.dumps({"detail": detail}), content_type="application/json")
    response.force_close()
    return response


class _GuardedHandler(RequestHandler):
    """aiohttp's connection protocol with deadlines on reading a request, and JSON protocol errors."""

    header_timeout: float = 10.0
    body_timeout: float = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._body: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_too_slow)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        queued = len(self._messages)
        super().data_received(data)
        if len(self._messages) > queued:
            # Headers of a new request are complete; its body, if any, now has its own deadline.
            self._disarm()
            _, payload = self._messages[-1]
            if not payload.is_eof():
                self._body = payload
                self._arm(self.body_timeout, self._body_too_slow)
        elif self._body is not None:
            if self._body.is_eof():
                self._body = None
                self._disarm()
        elif self._deadline is None and data and not self._upgraded:
            # The first bytes of the next request on a kept-alive connection.
            self._arm(self.header_timeout, self._headers_too_slow)

    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self._loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        self._deadline = None
        if self.transport is not None and not self._upgraded and not self._messages:
            body = orjson.dumps({"detail": "Request headers not received in time."})
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
        self.force_close()
        if self.transport is not None:
            self.transport.close()

    def _body_too_slow(self) -> None:
        self._deadline = None
        payload, self._body = self._body, None
        if payload is not None and not payload.is_eof():
            # The handler reading the body gets a 408, which the app's error handling answers as JSON.
            payload.set_exception(web.HTTPRequestTimeout(text="Request body not received in time."))
            # After that answer the connection closes, without waiting for the rest of the body.
            self._lingering_time = 0.0
            self._keepalive = False

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if isinstance(exc, LineTooLong):
            first = exc.args[0] if exc.args else b""
            line = bytes(first) if isinstance(first, bytes | bytearray) else str(first).encode()
            if _REQUEST_LINE.match(line) or line.startswith((b"/", b"http:", b"https:")):
                return _json_error(414, "Request line too long.")
            return _json_error(431, "Request header field too large.")
        if isinstance(exc, BadHttpMessage):
            if "Too many headers" in exc.message:
                return _json_error(431, "Too many request header fields.")
            return _json_error(400, f"Malformed HTTP request: {exc.message}"[:200])
        response = super().handle_error(request, status, exc, message)
        if status >= 500:
            return _json_error(status, "Internal Server Error")
        return response


class _GuardedServer(web.Server):
    limits: ServeLimits

    def __call__(self) -> RequestHandler:
        handler = _GuardedHandler(self, loop=self._loop, **self._kwargs)
        handler.header_timeout = self.limits.header_timeout
        handler.body_timeout = self.limits.body_timeout
        return handler


class _GuardedRunner(web.AppRunner):
    """``web.AppRunner`` whose server speaks through :class:`_GuardedHandler`.

    aiohttp (3.11 to 3.14) offers no public way to bound how long a client may take to send a
    request: its server options (``keepalive_timeout``, ``lingering_time``, ``max_line_size``,
    ``max_field_size``, ``max_headers``, ``read_bufsize``, ``timeout_ceil_threshold``,
    ``handler_cancellation``) limit sizes, idle keep-alive and handler cancellation, never the time
    to read headers or a body; and neither ``AppRunner`` nor ``web.Server`` takes a request-handler
    class. ``_make_server`` is the step ``BaseRunner`` declares for its subclasses to build the
    server (``AppRunner`` starts the app there); the override keeps aiohttp's server and only
    makes it create guarded connection handlers. The hardening tests of slow headers and bodies
    (``tests/live/test_http_limits.py``) fail if a new aiohttp changes this step.
    """

    def __init__(self, app: web.Application, limits: ServeLimits, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=limits.keepalive_timeout, **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _GuardedServer
        assert isinstance(server, _GuardedServer)
        server.limits = self.limits
        return server


async def prepare_websocket(request: web.Request, ws: web.WebSocketResponse) -> web.WebSocketResponse:
    """``await ws.prepare(request)``, remembering ``ws`` so that shutdown closes it with 1001."""
    await ws.prepare(request)
    request.app[HOST].state(_OPEN_WEBSOCKETS, weakref.WeakSet).add(ws)
    return ws


async def close_websockets(app: web.Application, within: float, message: bytes = b"Server shutting down") -> None:
    """Close every WebSocket opened through :func:`prepare_websocket` with 1001 (going away)."""
    registry: weakref.WeakSet[web.WebSocketResponse] = app[HOST].state(_OPEN_WEBSOCKETS, weakref.WeakSet)
    sockets = [ws for ws in list(registry) if not ws.closed]
    if not sockets:
        return
    closing = [asyncio.ensure_future(ws.close(code=1001, message=message)) for ws in sockets]
    _, pending = await asyncio.wait(closing, timeout=within)
    for task in pending:
        task.cancel()


async def serve(
    app: web.Application,
    host: str,
    port: int,
    *,
    limits: ServeLimits | None = None,
    ready: Callable[[str], None] = lambda url: None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve ``app`` on ``host:port`` until SIGTERM/SIGINT (or ``stop`` is set), then shut down.

    :raises ListenError: the address cannot be listened on (the app's cleanup has run by then).
    """
    limits = limits or ServeLimits()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    # aiohttp waits up to ``shutdown_timeout`` for a running handler, then cancels it and waits up to
    # ``shutdown_timeout`` again: half the grace each keeps the whole wait within ``grace``.
    runner = _GuardedRunner(app, limits, access_log=None, handle_signals=False, shutdown_timeout=limits.grace / 2)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise ListenError(host, port, exc) from exc
        bound = runner.addresses[0]
        ready(f"http://{host}:{bound[1]}")
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        # Stop accepting first, then say goodbye to WebSocket clients so their handlers return.
        for listening in runner.sites:
            server = getattr(listening, "_server", None)
            if server is not None:
                server.close()
        await close_websockets(app, within=limits.grace)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        await runner.cleanup()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop where it is installed (a dependency on Linux and macOS: cheaper socket I/O
    for the live fan-out and the telemetry sockets), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def port_number(text: str) -> int:
    """A TCP port number, 0 (any free port) to 65535: an ``argparse`` argument type."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (0 to 65535)")
    return port
