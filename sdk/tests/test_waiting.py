"""``eventually``: the SDK's one way for tests to wait for something that happens elsewhere."""

import pytest

from webmacs_sdk.testing import eventually


async def test_returns_the_first_true_result_of_a_plain_or_async_check() -> None:
    calls = iter([0, 0, "done"])
    assert await eventually(lambda: next(calls), within=5, every=0) == "done"

    async def ready() -> dict[str, int]:
        return {"rows": 3}

    assert await eventually(ready, within=5) == {"rows": 3}


async def test_a_timeout_names_what_was_awaited_and_its_context() -> None:
    with pytest.raises(AssertionError, match=r"spool drained: not within 0.1 s\nlast log line"):
        await eventually(lambda: False, 0.1, "spool drained", context=lambda: "last log line")
