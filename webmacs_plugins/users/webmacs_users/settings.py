"""Settings of the users plugin (``WEBMACS_*`` variables)."""

from typing import Any

import attrs

from webmacs_sdk.emails import normalize_email
from webmacs_sdk.settings import SettingsError
from webmacs_users.passwords import password_problem


def _usable_email(_instance: Any, _attribute: Any, value: str) -> None:
    # The login form applies the same rule: an admin created with an address it refuses could
    # never sign in.
    try:
        normalize_email(value)
    except ValueError as exc:
        raise SettingsError(f"WEBMACS_INITIAL_ADMIN_EMAIL: {exc}") from None


def _valid_password(_instance: Any, _attribute: Any, value: str) -> None:
    # The rule of the users API and create-admin; empty means "generate one".
    problem = password_problem(value) if value else None
    if problem:
        raise SettingsError(f"WEBMACS_INITIAL_ADMIN_PASSWORD: {problem}")


@attrs.frozen
class UsersSettings:
    """Password hashing cost and the first admin, created when the user table is empty."""

    #: bcrypt cost factor (12 takes ~250 ms per hash; tests lower it).
    bcrypt_rounds: int = 12
    initial_admin_email: str = attrs.field(default="admin@webmacs.io", validator=_usable_email)
    initial_admin_username: str = "admin"
    #: Empty: a random password is generated and printed once on the first start.
    initial_admin_password: str = attrs.field(default="", repr=False, validator=_valid_password)
