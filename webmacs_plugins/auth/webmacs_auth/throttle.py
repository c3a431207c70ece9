"""Login throttling per account and per client address (sliding window, in memory)."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque


class LoginThrottle:
    """Counts failed logins; once a key reached its limit within the window, it must wait.

    Only failures count, so a user who types the right password is never locked out by
    their own earlier success; a success clears the account's failures.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._clock = time.monotonic

    def _prune(self, key: str, now: float) -> deque[float]:
        entries = self._failures[key]
        while entries and now - entries[0] >= self.window:
            entries.popleft()
        if not entries:
            del self._failures[key]
            return deque()
        return entries

    def retry_after(self, key: str, limit: int) -> int | None:
        """Seconds to wait if ``key`` is over ``limit``; ``None`` if it may try now."""
        now = self._clock()
        entries = self._prune(key, now) if key in self._failures else deque()
        if len(entries) < limit:
            return None
        return max(1, math.ceil(self.window - (now - entries[-limit])))

    def fail(self, key: str) -> None:
        self._failures[key].append(self._clock())

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)
