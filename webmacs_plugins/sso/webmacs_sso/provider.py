"""The identity provider as the server sees it: discovery, keys, token and userinfo endpoints.

Every request goes through the SDK's egress guard, so the IdP's address must be public or
allow-listed (``WEBMACS_OIDC_EGRESS_ALLOW``), redirects are never followed and answers are
size-capped. The discovery document and the JWKS are cached with an expiry; a signing key id
the cached JWKS does not know makes one early refetch (the IdP rotated its keys).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import attrs
import orjson
from joserfc.jwk import KeySet

from webmacs_sdk.egress import EgressClient, EgressDenied, EgressPolicy, EgressResponse, HostResolver
from webmacs_sso import messages
from webmacs_sso.settings import SsoSettings

log = logging.getLogger(__name__)

#: Discovery documents and key sets are small; anything bigger is not an IdP's answer.
MAX_RESPONSE_BYTES = 512 * 1024


@attrs.frozen
class ProviderMetadata:
    """The fields of the discovery document the flow uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_endpoint_auth_methods: tuple[str, ...]
    id_token_algorithms: tuple[str, ...]
    #: RP-initiated logout; absent when the IdP does not offer it.
    end_session_endpoint: str | None = None

    @classmethod
    def parse(cls, document: Mapping[str, Any], expected_issuer: str) -> ProviderMetadata:
        """Read a discovery document; its ``issuer`` must be the configured one (OIDC Discovery §4.3).

        :raises ValueError: a required field is missing or the issuer differs.
        """
        issuer = document.get("issuer")
        if not isinstance(issuer, str) or _normalise(issuer) != _normalise(expected_issuer):
            raise ValueError(f"discovery issuer {issuer!r} is not the configured {expected_issuer!r}")
        required = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"discovery document has no {name}")
            required[name] = value
        userinfo = document.get("userinfo_endpoint")
        end_session = document.get("end_session_endpoint")
        return cls(
            issuer=issuer,
            userinfo_endpoint=userinfo if isinstance(userinfo, str) and userinfo else None,
            end_session_endpoint=end_session if isinstance(end_session, str) and end_session else None,
            token_endpoint_auth_methods=_strings(document.get("token_endpoint_auth_methods_supported"),
                                                 ("client_secret_basic",)),
            id_token_algorithms=_strings(document.get("id_token_signing_alg_values_supported"), ("RS256",)),
            **required,
        )


def _normalise(url: str) -> str:
    return url.rstrip("/")


def _strings(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return default


class IdentityProvider:
    """One configured IdP: cached metadata and keys, and the calls the callback makes.

    Created once per app (``runtime.provider``); ``close()`` at shutdown.
    """

    def __init__(self, settings: SsoSettings, *, resolver: HostResolver | None = None) -> None:
        self.settings = settings
        self.issuer_url = settings.oidc_issuer_url
        self._client = EgressClient(EgressPolicy.from_setting(settings.oidc_egress_allow), resolver=resolver,
                                    timeout=settings.oidc_http_timeout_seconds,
                                    max_response_bytes=MAX_RESPONSE_BYTES)
        self._metadata_lock = asyncio.Lock()
        self._keys_lock = asyncio.Lock()
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def close(self) -> None:
        await self._client.close()

    async def _fetch(self, method: str, url: str, *, data: bytes | None = None,
                     headers: Mapping[str, str] | None = None) -> EgressResponse:
        """One request; the guard's refusal becomes the 500 that names the setting."""
        try:
            return await self._client.request(method, url, data=data, headers=headers)
        except EgressDenied as exc:
            raise messages.egress_refused(exc.reason) from None

    async def _get_json(self, url: str) -> Any:
        """GET ``url`` as JSON; ``None`` when the IdP is unreachable or answers anything but 200 JSON."""
        try:
            response = await self._fetch("GET", url, headers={"Accept": "application/json"})
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("identity provider request to %s failed: %s", url, exc)
            return None
        if response.status != 200 or response.truncated:
            log.warning("identity provider answered %s from %s", response.status, url)
            return None
        try:
            return orjson.loads(response.body)
        except orjson.JSONDecodeError:
            log.warning("identity provider answered no JSON from %s", url)
            return None

    async def metadata(self) -> ProviderMetadata:
        """The discovery document, from the cache while it is younger than the configured age.

        :raises ApiError: 502 when it cannot be fetched or is not a usable document.
        """
        ttl = self.settings.oidc_discovery_cache_seconds
        if self._metadata is not None and time.monotonic() - self._metadata_at < ttl:
            return self._metadata
        async with self._metadata_lock:
            if self._metadata is not None and time.monotonic() - self._metadata_at < ttl:
                return self._metadata
            url = _normalise(self.issuer_url) + "/.well-known/openid-configuration"
            document = await self._get_json(url)
            if not isinstance(document, dict):
                raise messages.bad_gateway(messages.DISCOVERY_FAILED)
            try:
                self._metadata = ProviderMetadata.parse(document, self.issuer_url)
            except ValueError as exc:
                log.warning("unusable discovery document at %s: %s", url, exc)
                raise messages.bad_gateway(messages.DISCOVERY_FAILED) from None
            self._metadata_at = time.monotonic()
            return self._metadata

    async def keys(self, kid: str | None) -> KeySet:
        """The IdP's signing keys; refetched when expired, or early when ``kid`` is not among them.

        An unknown key id refetches at most once per ``oidc_jwks_refresh_seconds``, so tokens
        with made-up key ids cannot make the server hammer the IdP.

        :raises ApiError: 502 when the key set cannot be fetched.
        """
        jwks_uri = (await self.metadata()).jwks_uri
        async with self._keys_lock:
            age = time.monotonic() - self._keys_at
            stale = self._keys is None or age >= self.settings.oidc_discovery_cache_seconds
            unknown = self._keys is not None and kid is not None and not _has_kid(self._keys, kid)
            if stale or (unknown and age >= self.settings.oidc_jwks_refresh_seconds):
                self._keys = await self._load_keys(jwks_uri)
                self._keys_at = time.monotonic()
            assert self._keys is not None
            return self._keys

    async def _load_keys(self, jwks_uri: str) -> KeySet:
        document = await self._get_json(jwks_uri)
        try:
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            # Keys of kinds joserfc does not know are skipped rather than failing the whole set.
            usable = {"keys": [k for k in document.get("keys", []) if isinstance(k, dict)
                               and k.get("kty") in {"RSA", "EC", "OKP"} and k.get("use", "sig") == "sig"]}
            return KeySet.import_key_set(usable)  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            log.warning("unusable JWKS at %s: %s", jwks_uri, exc)
            raise messages.bad_gateway(messages.DISCOVERY_FAILED) from None

    async def redeem_code(self, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        """Exchange the authorization code (with the PKCE verifier) at the token endpoint.

        :returns: the token response (``access_token`` and ``id_token`` present).
        :raises ApiError: 502 with the contract's message on any failure.
        """
        metadata = await self.metadata()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": code_verifier}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        secret = self.settings.oidc_client_secret
        client_id = self.settings.oidc_client_id
        if secret and "client_secret_basic" in metadata.token_endpoint_auth_methods:
            # RFC 6749 §2.3.1: each part form-encoded before base64.
            pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form["client_id"] = client_id
            if secret:
                form["client_secret"] = secret
        try:
            response = await self._fetch("POST", metadata.token_endpoint, data=urlencode(form).encode(),
                                         headers=headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("token request failed: %s", exc)
            raise messages.bad_gateway(messages.EXCHANGE_FAILED) from None
        try:
            body = orjson.loads(response.body) if response.status == 200 and not response.truncated else None
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            log.warning("token endpoint answered %s: %s", response.status, response.body[:300])
            raise messages.bad_gateway(messages.EXCHANGE_FAILED)
        return body

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """The userinfo endpoint's claims for ``access_token``.

        :raises ApiError: 502 with the contract's messages.
        """
        metadata = await self.metadata()
        if metadata.userinfo_endpoint is None:
            raise messages.bad_gateway(messages.NO_USERINFO_ENDPOINT)
        try:
            response = await self._fetch("GET", metadata.userinfo_endpoint,
                                         headers={"Authorization": f"Bearer {access_token}",
                                                  "Accept": "application/json"})
            claims = orjson.loads(response.body) if response.status == 200 and not response.truncated else None
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            log.warning("userinfo request failed: %s", exc)
            claims = None
        if not isinstance(claims, dict):
            raise messages.bad_gateway(messages.USERINFO_FAILED)
        return claims


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)
