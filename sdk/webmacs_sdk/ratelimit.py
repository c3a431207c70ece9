"""Per-key sliding-window limits (in memory, per server process): the login throttle's per-address
and per-account limits, and any public endpoint that must not be hammered from one address.

A key (a client address, an account) may take ``limit`` places within ``window`` seconds; the next
must wait until the oldest place leaves the window. Checking and taking a place is one synchronous
step, so concurrent requests cannot all slip past the check.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from webmacs_sdk.errors import ApiError


class WindowCounts:
    """Times of recent events per key, forgotten once older than ``window`` seconds."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._times: dict[str, deque[float]] = {}

    def wait(self, key: str, limit: int, now: float | None = None) -> float:
        """Seconds until ``key`` is under ``limit`` events in the window again (0: it is now)."""
        now = self.clock() if now is None else now
        entries = self._times.get(key)
        if entries is None:
            return 0.0
        while entries and now - entries[0] >= self.window:
            entries.popleft()
        if not entries:
            del self._times[key]
            return 0.0
        if len(entries) < limit:
            return 0.0
        return self.window - (now - entries[-limit])

    def add(self, key: str, now: float | None = None) -> float:
        """Count an event of ``key``; returns its time (to :meth:`discard` it later)."""
        at = self.clock() if now is None else now
        self._times.setdefault(key, deque()).append(at)
        return at

    def discard(self, key: str, at: float) -> None:
        """Take back the event of ``key`` counted at ``at`` (it turned out not to count)."""
        entries = self._times.get(key)
        if entries is not None and at in entries:
            entries.remove(at)

    def sweep(self, now: float | None = None) -> None:
        """Forget every key without an event in the window (keys nobody asks about again)."""
        now = self.clock() if now is None else now
        for key in list(self._times):
            self.wait(key, 1, now)

    def take(self, key: str, limit: int) -> int | None:
        """Count an event of ``key`` if it is under ``limit``; otherwise the whole seconds to wait."""
        now = self.clock()
        wait = self.wait(key, limit, now)
        if wait > 0:
            return max(1, math.ceil(wait))
        self.add(key, now)
        return None


def too_many_requests(detail: str, retry_after: int) -> ApiError:
    """A 429 answer with a numeric ``Retry-After`` (seconds) and the JSON ``{"detail": …}`` body."""
    return ApiError(detail, status=429, headers={"Retry-After": str(retry_after)})
