"""ID tokens the certified provider would never mint, from a provider of our own making:
every one is refused with no session, and a rotated signing key is picked up."""

import time

import pytest
from idp_support import sso_env
from sso_flow import authorize, callback, emails, exchange, me, one_time_code, outstanding_codes, refused

from webmacs_sso import messages

PLUGINS = ("users", "auth", "sso")


async def _through_handmade(client):
    """Authorize and let the handmade provider approve at once: the callback's response."""
    to_idp = await authorize(client)
    resp = await client.session.get(to_idp, allow_redirects=False)  # approves and redirects back
    location = resp.headers["Location"]
    return await callback(client, location[location.index("/api/"):])


@pytest.fixture
async def client(make_client, handmade_idp):
    return await make_client(*PLUGINS, env=sso_env(handmade_idp.issuer, WEBMACS_OIDC_JWKS_REFRESH_SECONDS="0"))


#: ID tokens that must not sign anyone in: (claims changed, key that signs, reason in the message).
BAD_TOKENS = [
    ({"aud": "another-client"}, "current", "wrong audience"),
    ({"aud": ["webmacs-tests", "another-client"]}, "current", "wrong authorized party"),
    ({"iss": "http://127.0.0.1:1"}, "current", "wrong issuer"),
    ({}, "stranger", "bad signature"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "current", "expired"),
    ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "current", "issued in the future"),
    ({"nonce": "not-the-nonce-of-this-sign-in"}, "current", "wrong nonce"),
    ({"nonce": None}, "current", "missing nonce"),
]


async def test_a_bad_id_token_is_refused_without_a_session(client, handmade_idp):
    # One app for all of them: a refusal changes nothing, which is what each step checks.
    for claims, sign_with, reason in BAD_TOKENS:
        handmade_idp.token_claims = claims
        handmade_idp.sign_with = sign_with
        await refused(await _through_handmade(client), 502, f"Invalid ID token from identity provider: {reason}.")
        assert await emails(client) == {"admin@example.com"}, reason
        assert await outstanding_codes(client) == 0, reason


async def test_a_rotated_signing_key_is_fetched_once_and_accepted(client, handmade_idp):
    first = await _through_handmade(client)
    token = (await (await exchange(client, one_time_code(first))).json())["access_token"]
    assert (await me(client, token))["username"] == "handmade"
    fetched = handmade_idp.jwks_fetches
    handmade_idp.rotate()
    second = await _through_handmade(client)
    assert second.status == 307, await second.text()
    assert handmade_idp.jwks_fetches == fetched + 1


async def test_userinfo_of_another_subject_is_not_used(client, handmade_idp):
    handmade_idp.token_claims = {"sub": "someone-else"}
    await refused(await _through_handmade(client), 502, messages.USERINFO_FAILED)
    assert await emails(client) == {"admin@example.com"}
