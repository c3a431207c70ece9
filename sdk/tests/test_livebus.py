"""The in-process live bus never waits for a consumer and cuts off one that falls behind."""

import asyncio

from webmacs_sdk.livebus import MemoryLiveBus


async def test_fast_consumer_gets_everything_in_order():
    bus = MemoryLiveBus(queue_size=10)
    sub = bus.subscribe("t")
    for i in range(5):
        await bus.publish("t", str(i).encode())
    assert sub.drain() == [b"0", b"1", b"2", b"3", b"4"]


async def test_slow_consumer_is_cut_off_without_blocking_the_publisher_or_others():
    bus = MemoryLiveBus(queue_size=3)
    slow, fast = bus.subscribe("t"), bus.subscribe("t")
    received = []

    async def consume():
        async for message in fast:
            received.append(message)

    task = asyncio.create_task(consume())
    for i in range(10):
        await asyncio.wait_for(bus.publish("t", str(i).encode()), timeout=0.1)
        await asyncio.sleep(0)
    assert slow.overflowed and bus.subscriber_count("t") == 1
    assert [m async for m in slow] == [b"0", b"1", b"2"]
    await fast.close()
    await task
    assert received == [str(i).encode() for i in range(10)]


async def test_direct_delivery_keeps_order_and_the_bound_once_the_consumer_backs_up():
    bus = MemoryLiveBus(queue_size=3)
    sub = bus.subscribe("t")
    taken: list[bytes] = []
    room = True

    def sink(message: bytes) -> bool:
        if room:
            taken.append(message)
        return room

    sub.deliver_directly(sink)
    await bus.publish("t", b"0")
    await bus.publish("t", b"1")
    room = False
    await bus.publish("t", b"2")
    room = True
    # Something is queued: later messages queue behind it even though the sink has room again.
    await bus.publish("t", b"3")
    assert taken == [b"0", b"1"] and sub.drain() == [b"2", b"3"]
    await bus.publish("t", b"4")
    assert taken == [b"0", b"1", b"4"]

    room = False
    for i in range(5, 9):
        await bus.publish("t", str(i).encode())
    assert sub.overflowed and bus.subscriber_count("t") == 0
    assert [m async for m in sub] == [b"5", b"6", b"7"]


async def test_a_failing_sink_loses_nothing():
    bus = MemoryLiveBus(queue_size=10)
    sub = bus.subscribe("t")

    def sink(message: bytes) -> bool:
        raise RuntimeError("broken")

    sub.deliver_directly(sink)
    await bus.publish("t", b"0")
    await bus.publish("t", b"1")
    assert sub.drain() == [b"0", b"1"]
