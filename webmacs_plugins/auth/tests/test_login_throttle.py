"""The login throttle holds under concurrency, and is no lever to lock an owner out of their account."""

import asyncio

from webmacs_auth.throttle import LoginThrottle, ThrottlePolicy
from webmacs_sdk.testing.pytest_plugin import BASE_ENV

EMAIL, PASSWORD = BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"], BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"]
#: Behind a trusted proxy (the test client's loopback address), X-Forwarded-For names the client.
BEHIND_PROXY = {"WEBMACS_TRUSTED_PROXIES": "127.0.0.1"}


async def attempt(client, password: str, address: str | None = None, email: str = EMAIL):
    headers = {"X-Forwarded-For": address} if address else {}
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)


async def test_concurrent_wrong_passwords_get_429_once_the_limit_is_reached(make_client):
    client = await make_client("users", "auth")
    answers = await asyncio.gather(*(attempt(client, "wrong") for _ in range(100)))
    statuses = sorted(resp.status for resp in answers)
    assert statuses == [401] * 5 + [429] * 95
    limited = next(resp for resp in answers if resp.status == 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert await limited.json() == {"detail": "Too many login attempts. Please try again later."}


async def test_an_attack_from_elsewhere_does_not_lock_the_owner_out(make_client):
    env = {**BEHIND_PROXY, "WEBMACS_LOGIN_MAX_FAILURES_PER_ACCOUNT": "10"}
    client = await make_client("users", "auth", env=env)
    assert (await attempt(client, PASSWORD, "192.0.2.10")).status == 200  # the owner's usual address
    # Two attacking addresses spend their free failures; each is then delayed on its own.
    for address in ("203.0.113.1", "203.0.113.2"):
        assert [(await attempt(client, "guess", address)).status for _ in range(5)] == [401] * 5
        assert (await attempt(client, "guess", address)).status == 429
    # The account took 10 failures: strangers now get 429, even with the right password...
    assert (await attempt(client, PASSWORD, "198.51.100.7")).status == 429
    # ...but the owner, from an address that signed in before, still gets in.
    assert (await attempt(client, PASSWORD, "192.0.2.10")).status == 200
    # Other accounts are not affected by the attack on this one.
    other = await attempt(client, "whatever", "198.51.100.7", email="nobody@example.com")
    assert other.status == 401


def test_delays_grow_with_each_failure_and_a_success_clears_them():
    now = [1000.0]
    throttle = LoginThrottle(ThrottlePolicy(free_failures=3, base_delay=2, max_delay=60, per_address=1000,
                                            per_account=1000, window=300), clock=lambda: now[0])

    def waits_after_failing() -> int:
        assert not isinstance(throttle.reserve("a@example.com", "10.0.0.1"), int)
        wait = throttle.reserve("a@example.com", "10.0.0.1")
        assert isinstance(wait, int)
        now[0] += wait
        return wait

    for _ in range(3):
        assert not isinstance(throttle.reserve("a@example.com", "10.0.0.1"), int)
    now[0] += 2
    assert [waits_after_failing() for _ in range(6)] == [4, 8, 16, 32, 60, 60]
    # Another address of the same account starts with its own free attempts.
    assert not isinstance(throttle.reserve("a@example.com", "10.0.0.2"), int)
    reservation = throttle.reserve("a@example.com", "10.0.0.1")
    assert not isinstance(reservation, int)
    throttle.succeeded(reservation)
    assert throttle.is_known("a@example.com", "10.0.0.1")
    for _ in range(3):
        assert not isinstance(throttle.reserve("a@example.com", "10.0.0.1"), int)
