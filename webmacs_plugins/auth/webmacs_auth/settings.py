"""Settings of the auth plugin (``WEBMACS_*`` variables)."""

import attrs


@attrs.frozen
class AuthSettings:
    """Token lifetime and algorithm, and the login throttle."""

    access_token_expire_minutes: int = 1440
    #: Pinned: tokens signed with any other algorithm (``none`` included) are rejected.
    jwt_algorithm: str = "HS256"
    #: Failed logins per account within the window before further attempts get 429.
    login_max_failures_per_account: int = 5
    #: Failed logins per client address within the window before further attempts get 429.
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 300
    #: How often expired revocations are purged.
    blacklist_cleanup_seconds: int = 3600
