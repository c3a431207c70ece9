"""The one rule for email addresses, applied wherever an account is created, changed or signed in
to (the users API, the first admin from ``WEBMACS_INITIAL_ADMIN_EMAIL``, ``webmacs create-admin``,
SSO, login): an address that can be stored can also be used to log in.

Syntax is checked, deliverability is not (no DNS). The domain is normalised (lower case, IDNA);
the local part keeps its case, and accounts are unique regardless of case. Addresses on the
reserved ``.test`` domain are accepted, for lab and test installations; other special-use names
(``.local``, ``localhost``, ``.invalid``, ``.onion``, ``.arpa``) are refused, with the reason.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

#: Longest address accepted (RFC 5321 allows 254; the column holds 255).
MAX_EMAIL_LENGTH = 254


def normalize_email(value: str) -> str:
    """The normalised address; ``ValueError`` with a one-line reason if it is not a usable one."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address: {exc}") from None
    return str(result.normalized)


#: A request-model field holding an email address, validated and normalised by :func:`normalize_email`.
EmailAddress = Annotated[str, Field(max_length=MAX_EMAIL_LENGTH), AfterValidator(normalize_email)]

__all__ = ["MAX_EMAIL_LENGTH", "EmailAddress", "normalize_email"]
