"""Request bodies and answers of the users API (contract §2.6.4, §2.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import pydantic
from pydantic import Field

from webmacs_sdk.emails import EmailAddress
from webmacs_sdk.models import Role
from webmacs_sdk.web import RequestModel, ResponseModel
from webmacs_users.passwords import MAX_PASSWORD_BYTES, too_long


def _password_fits_bcrypt(value: str) -> str:
    if too_long(value):
        raise ValueError(f"Password must be at most {MAX_PASSWORD_BYTES} bytes (UTF-8)")
    return value


Password = Annotated[str, Field(min_length=8), pydantic.AfterValidator(_password_fits_bcrypt)]


class UserCreate(RequestModel):
    email: EmailAddress
    username: str = Field(min_length=2, max_length=50)
    password: Password
    role: Role = Role.VIEWER


class UserUpdate(RequestModel):
    email: EmailAddress | None = None
    username: str | None = Field(default=None, min_length=2, max_length=50)
    password: Password | None = None
    role: Role | None = None


class UserResponse(ResponseModel):
    """UserResponse of contract §2.5 (``store.to_response``): ``admin`` is true iff the role is admin."""

    public_id: str
    email: str
    username: str
    role: Role
    admin: bool
    registered_on: datetime
    sso_provider: str | None
