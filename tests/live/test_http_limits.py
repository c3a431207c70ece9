"""Slow clients are cut off, and every protocol-level error is JSON ``{"detail": ...}`` (raw sockets
against a real server process)."""

from __future__ import annotations

import asyncio
import json
import time

from server_process import ServerProcess


async def _exchange(port: int, data: bytes, wait: float = 5.0) -> tuple[bytes, float]:
    """Send ``data``, read until the server closes; returns what came back and how long it took."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(data)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(), wait)
    finally:
        writer.close()
    return answer, time.monotonic() - started


def _status_and_json(answer: bytes) -> tuple[int, dict[str, object], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body), head.lower()


async def test_fifty_slow_header_and_slow_body_connections_are_closed(live_server: ServerProcess) -> None:
    slow_headers = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n"
    slow_body = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200\r\n\r\n{\"email\": \"a"
    )
    results = await asyncio.gather(
        *(_exchange(live_server.port, slow_headers) for _ in range(50)),
        *(_exchange(live_server.port, slow_body) for _ in range(10)),
    )
    for answer, took in results:
        assert took < 4.0
        status, body, head = _status_and_json(answer)
        assert status == 408 and b"application/json" in head
        assert isinstance(body["detail"], str)
    # The server still serves everyone else.
    answer, _ = await _exchange(live_server.port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert _status_and_json(answer)[0] == 200


async def test_oversize_and_malformed_requests_answer_json(live_server: ServerProcess) -> None:
    cases = [
        (b"GET /api/v1/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n", 431),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
    ]
    for request, expected in cases:
        answer, _ = await _exchange(live_server.port, request)
        status, body, head = _status_and_json(answer)
        assert (status, b"content-type: application/json" in head) == (expected, True), answer[:200]
        assert list(body) == ["detail"] and isinstance(body["detail"], str)
