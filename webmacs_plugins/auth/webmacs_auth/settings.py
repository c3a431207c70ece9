"""Settings of the auth plugin (``WEBMACS_*`` variables)."""

import attrs

from webmacs_auth.throttle import ThrottlePolicy


@attrs.frozen
class AuthSettings:
    """Token lifetime and algorithm, and the login throttle (policy: the auth plugin's README)."""

    access_token_expire_minutes: int = 1440
    #: Pinned: tokens signed with any other algorithm (``none`` included) are rejected.
    jwt_algorithm: str = "HS256"
    #: Failed logins of one account from one client address that cost no delay.
    login_free_failures: int = 5
    #: The delay after the first failure beyond the free ones; it doubles with each further failure.
    login_delay_seconds: float = 2.0
    #: The longest such delay.
    login_max_delay_seconds: float = 900.0
    #: Failed logins from one client address (any accounts) within the window before that address gets 429.
    login_max_failures_per_address: int = 20
    #: Failed logins of one account (from any addresses) within the window before the account gets 429,
    #: except from addresses that signed in to it successfully before.
    login_max_failures_per_account: int = 50
    login_window_seconds: int = 300
    #: How often expired revocations are purged.
    blacklist_cleanup_seconds: int = 3600

    def throttle_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=self.login_free_failures, base_delay=self.login_delay_seconds,
            max_delay=self.login_max_delay_seconds, per_address=self.login_max_failures_per_address,
            per_account=self.login_max_failures_per_account, window=float(self.login_window_seconds),
        )
