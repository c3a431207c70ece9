"""The login throttle (in memory, per server process): a guess is rationed before the password is
checked, and one stranger's guesses cannot lock the owner out.

Three limits, each checked and reserved in one synchronous step before bcrypt runs, so concurrent
attempts cannot all slip past a check that a slow password hash would only record afterwards:

* **account and address**: the first ``free_failures`` failures of one account from one client
  address cost nothing; after that each further attempt must wait a delay that doubles with every
  failure (``base_delay``, ``2 * base_delay``, ... up to ``max_delay``). A success clears it.
* **address**: ``per_address`` failures from one address within ``window`` (any accounts) block
  that address until the oldest one leaves the window: guessing across many accounts is slow too.
* **account**: ``per_account`` failures of one account within ``window`` (any addresses) block the
  account, except from addresses that signed in to it successfully before: an attack from
  elsewhere cannot keep the owner out of their account.

Every attempt counts as a failure from the moment it is reserved; a correct password takes the
reservation back.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

import attrs

from webmacs_sdk.ratelimit import WindowCounts

#: Addresses remembered per account, and accounts remembered at all (least recently used go first).
KNOWN_ADDRESSES_PER_ACCOUNT = 16
KNOWN_ACCOUNTS = 10_000
#: Every this many reservations, entries nobody asked about again are dropped (guesses at random
#: emails would otherwise accumulate).
SWEEP_EVERY = 1024


@attrs.frozen
class ThrottlePolicy:
    """The limits of :class:`LoginThrottle` (from the auth plugin's settings)."""

    free_failures: int = 5
    base_delay: float = 2.0
    max_delay: float = 900.0
    per_address: int = 20
    per_account: int = 50
    window: float = 300.0


@attrs.define
class _Pair:
    failures: int = 0
    last: float = 0.0


@attrs.frozen
class Reservation:
    """One attempt in flight: a failure unless :meth:`LoginThrottle.succeeded` takes it back."""

    account: str
    address: str
    at: float


class LoginThrottle:
    """Counts login attempts per account and address, per address and per account; see the module."""

    def __init__(self, policy: ThrottlePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self._by_address = WindowCounts(policy.window, clock)
        self._by_account = WindowCounts(policy.window, clock)
        self._known: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()
        self._reserved = 0

    def delay_after(self, failures: int) -> float:
        """How long an account and address with this many failures must wait before the next attempt."""
        extra = failures - self.policy.free_failures
        if extra < 0:
            return 0.0
        return float(min(self.policy.max_delay, self.policy.base_delay * 2 ** min(extra, 40)))

    def reserve(self, account: str, address: str) -> Reservation | int:
        """Reserve an attempt, or the seconds to wait (for a 429's ``Retry-After``) if it may not run now."""
        now = self._clock()
        waits = [self._pair_wait(account, address, now), self._by_address.wait(address, self.policy.per_address, now)]
        if not self.is_known(account, address):
            waits.append(self._by_account.wait(account, self.policy.per_account, now))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        self._reserved += 1
        if self._reserved % SWEEP_EVERY == 0:
            self._sweep(now)
        pair = self._pairs.setdefault((account, address), _Pair())
        pair.failures += 1
        pair.last = now
        self._by_address.add(address, now)
        self._by_account.add(account, now)
        return Reservation(account, address, now)

    def succeeded(self, reservation: Reservation) -> None:
        """The password was right: the attempt was no failure, and the address becomes known."""
        self._pairs.pop((reservation.account, reservation.address), None)
        self._by_address.discard(reservation.address, reservation.at)
        self._by_account.discard(reservation.account, reservation.at)
        addresses = self._known.pop(reservation.account, OrderedDict())
        addresses.pop(reservation.address, None)
        addresses[reservation.address] = None
        while len(addresses) > KNOWN_ADDRESSES_PER_ACCOUNT:
            addresses.popitem(last=False)
        self._known[reservation.account] = addresses
        while len(self._known) > KNOWN_ACCOUNTS:
            self._known.popitem(last=False)

    def is_known(self, account: str, address: str) -> bool:
        """True if ``address`` signed in to ``account`` successfully before (in this process)."""
        return address in self._known.get(account, ())

    def _sweep(self, now: float) -> None:
        for account, address in list(self._pairs):
            self._pair_wait(account, address, now)
        self._by_address.sweep(now)
        self._by_account.sweep(now)

    def _pair_wait(self, account: str, address: str, now: float) -> float:
        pair = self._pairs.get((account, address))
        if pair is None:
            return 0.0
        elapsed = now - pair.last
        delay = self.delay_after(pair.failures)
        if elapsed >= max(delay, self.policy.window):
            # Quiet for the window (and past any delay): forgotten.
            del self._pairs[(account, address)]
            return 0.0
        return max(0.0, delay - elapsed)
