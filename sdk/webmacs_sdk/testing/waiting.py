"""Waiting in tests for something that happens in another task, thread or process."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def eventually(check: Callable[[], Any], within: float = 20.0, what: str = "condition", *,
                     every: float = 0.05, context: Callable[[], str] | None = None) -> Any:
    """Poll ``check`` (plain or async) until it returns something true, and return that.

    A deadline, not a count of polls, so a slow machine only makes the wait longer. On timeout the
    test fails with ``what`` and, if given, ``context()`` (a server's log tail, say).
    """
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            detail = f"\n{context()}" if context is not None else ""
            raise AssertionError(f"{what}: not within {within:g} s{detail}")
        await asyncio.sleep(every)
