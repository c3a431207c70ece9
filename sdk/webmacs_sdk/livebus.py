"""The in-process live bus (the core's default, `WEBMACS_LIVE_BUS=memory`): bounded per-subscriber queues,
slow subscribers cut off, never waited for. In the SDK so a plugin's tests can publish and subscribe too."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

log = logging.getLogger(__name__)

#: Takes a message at publish time; False means "not now" (the consumer is backed up).
Sink = Callable[[bytes], bool]


class MemorySubscription:
    """One consumer's queue of a topic. Iteration ends when the bus cut it off for being slow."""

    def __init__(self, bus: MemoryLiveBus, topic: str, maxsize: int) -> None:
        self._bus = bus
        self._topic = topic
        # One slot more than the bound, so the end marker always fits.
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize + 1)
        self._maxsize = maxsize
        self._sink: Sink | None = None
        self.overflowed = False
        self.closed = False

    def deliver_directly(self, sink: Sink | None) -> None:
        """Hand each message to ``sink`` during ``publish`` while nothing is queued.

        Waking one consumer task per subscriber and message costs more than the write itself
        once there are many subscribers; a consumer that can take a message without waiting
        (a socket whose buffer has room) takes it here. A refused message is queued, and so is
        everything after it until the consumer has emptied the queue, so order is kept and
        the bound still cuts off a consumer that falls behind.
        """
        self._sink = sink

    def offer(self, message: bytes) -> None:
        if self.closed:
            return
        sink = self._sink
        if sink is not None and self._queue.empty():
            try:
                if sink(message):
                    return
            except Exception:
                # One broken consumer must not cost the other subscribers this message.
                log.exception("live-bus sink failed; the message goes through the queue")
                self._sink = None
        if self._queue.qsize() >= self._maxsize:
            # A consumer this far behind would only ever show stale data; cut it loose.
            self.overflowed = True
            self._end()
            return
        self._queue.put_nowait(message)

    def _end(self) -> None:
        self.closed = True
        self._sink = None
        self._bus._remove(self._topic, self)
        self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._queue.get()
            if message is None:
                return
            yield message

    def drain(self) -> list[bytes]:
        """Everything queued right now, without waiting (coalescing consumers merge these)."""
        items: list[bytes] = []
        while not self._queue.empty():
            message = self._queue.get_nowait()
            if message is None:
                self._queue.put_nowait(None)
                break
            items.append(message)
        return items

    def pending(self) -> int:
        return self._queue.qsize()

    async def close(self) -> None:
        if not self.closed:
            self._end()


class MemoryLiveBus:
    """Publishing is a synchronous fan-out into bounded queues: it never waits for a consumer."""

    def __init__(self, queue_size: int = 500) -> None:
        self.queue_size = queue_size
        self._topics: dict[str, set[MemorySubscription]] = defaultdict(set)

    async def publish(self, topic: str, message: bytes) -> None:
        for subscription in tuple(self._topics.get(topic, ())):
            subscription.offer(message)

    def subscribe(self, topic: str) -> MemorySubscription:
        subscription = MemorySubscription(self, topic, self.queue_size)
        self._topics[topic].add(subscription)
        return subscription

    def subscriber_count(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def _remove(self, topic: str, subscription: MemorySubscription) -> None:
        self._topics.get(topic, set()).discard(subscription)
