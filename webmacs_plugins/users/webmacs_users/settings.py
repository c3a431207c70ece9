"""Settings of the users plugin (``WEBMACS_*`` variables)."""

import attrs


@attrs.frozen
class UsersSettings:
    """Password hashing cost and the first admin, created when the user table is empty."""

    #: bcrypt cost factor (12 takes ~250 ms per hash; tests lower it).
    bcrypt_rounds: int = 12
    initial_admin_email: str = "admin@webmacs.io"
    initial_admin_username: str = "admin"
    #: Empty: a random password is generated and printed once on the first start.
    initial_admin_password: str = attrs.field(default="", repr=False)
