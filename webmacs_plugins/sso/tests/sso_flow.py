"""The steps of a browser-less sign-in against a test app, each returning what a test checks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from idp_support import FRONTEND_URL, callback_path, query_of, sign_in_at_provider

from webmacs_sdk import DATABASE

PREFIX = "/api/v1/auth/sso"


async def authorize(client: Any) -> str:
    """``GET /authorize`` → the IdP URL the browser is sent to."""
    resp = await client.get(f"{PREFIX}/authorize", allow_redirects=False)
    assert resp.status == 307, await resp.text()
    return resp.headers["Location"]


async def to_callback(client: Any, login: str) -> str:
    """Authorize, then sign in at the certified provider as ``login``: the callback path it returns to."""
    return callback_path(await sign_in_at_provider(await authorize(client), login))


async def callback(client: Any, path: str) -> Any:
    return await client.get(path, allow_redirects=False)


def one_time_code(resp: Any) -> str:
    """The one-time code of a successful callback's redirect to the frontend."""
    location = resp.headers["Location"]
    assert location.startswith(f"{FRONTEND_URL}/sso-callback?code="), location
    return query_of(location)["code"]


async def exchange(client: Any, code: str) -> Any:
    return await client.post(f"{PREFIX}/exchange", json={"code": code})


async def me(client: Any, token: str) -> dict[str, Any]:
    resp = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def sign_in(client: Any, login: str) -> dict[str, Any]:
    """The whole flow as ``login``; returns ``/auth/me`` of the signed-in user."""
    resp = await callback(client, await to_callback(client, login))
    assert resp.status == 307, await resp.text()
    token = (await (await exchange(client, one_time_code(resp))).json())["access_token"]
    return await me(client, token)


async def refused(resp: Any, status: int, detail: str) -> None:
    """A refusal: the status and message, and no one-time code anywhere."""
    assert resp.status == status, await resp.text()
    assert (await resp.json())["detail"] == detail
    assert "Location" not in resp.headers


async def emails(client: Any) -> set[str]:
    async with client.app[DATABASE].connect() as conn:
        return set((await conn.execute(sa.text("SELECT email FROM users"))).scalars())


async def outstanding_codes(client: Any) -> int:
    async with client.app[DATABASE].connect() as conn:
        return int((await conn.execute(sa.text("SELECT count(*) FROM sso_codes"))).scalar_one())
