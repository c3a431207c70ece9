"""Identity providers for the SSO tests, both on loopback, and a browser-less user agent.

* :class:`CertifiedProvider` runs ``oidc-provider`` (a certified OpenID provider, from npm, pinned by
  ``package-lock.json`` beside this file) with node; its own login and consent pages are filled in
  by :func:`sign_in_at_provider` as a person would.
* :class:`HandmadeProvider` is a small provider of our own making (aiohttp, joserfc) that signs ID
  tokens as a test tells it to: wrong audience, wrong issuer, foreign key, expired, wrong nonce,
  rotated keys. It checks PKCE like a real one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import select
import shutil
import subprocess
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import aiohttp
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

HERE = Path(__file__).parent
CLIENT_ID = "webmacs-tests"
CLIENT_SECRET = "webmacs-tests-client-secret"
#: Where the IdP sends the browser back; the tests replay that request against the test server.
REDIRECT_URI = "http://webmacs.test/api/v1/auth/sso/callback"
FRONTEND_URL = "http://frontend.test"

#: Accounts of the certified provider: login name → claims.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "newcomer": {"email": "newcomer@example.com", "email_verified": True, "preferred_username": "new.comer",
                 "name": "New Comer"},
    "linked": {"email": "linked@example.com", "email_verified": True, "preferred_username": "linked"},
    "local": {"email": "local@example.com", "email_verified": True, "preferred_username": "local-idp-name"},
    "unverified": {"email": "unverified@example.com", "email_verified": False},
    "unverified-local": {"email": "unverified-local@example.com", "email_verified": False},
    "admin": {"email": "admin@example.com", "email_verified": True, "preferred_username": "admin-at-idp"},
    "boss": {"email": "boss@example.com", "email_verified": True, "groups": ["staff", "wm-admins"]},
    "worker": {"email": "worker@example.com", "email_verified": True, "groups": ["staff", "wm-ops"]},
}


def ensure_node_modules() -> None:
    """``npm ci`` once, when the pinned provider is not installed yet."""
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the test OpenID provider")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True, timeout=600)


class CertifiedProvider:
    """``oidc-provider`` in a node process on 127.0.0.1 (a free port); ``issuer`` once started."""

    def __init__(self, redirect_uri: str = REDIRECT_URI) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.issuer = ""
        self.redirect_uri = redirect_uri

    def start(self) -> CertifiedProvider:
        ensure_node_modules()
        config = {
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [self.redirect_uri],
                         "post_logout_redirect_uris": [signin_url(self.redirect_uri)],
                         "grant_types": ["authorization_code"], "response_types": ["code"]}],
            "accounts": ACCOUNTS,
        }
        self.process = subprocess.Popen(
            ["node", str(HERE / "oidc_provider.mjs"), json.dumps(config)], cwd=HERE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 60)  # printed once the port is bound
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"the test OpenID provider did not start: {line!r}")
        self.issuer = line.split()[1]
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


class _Forms(HTMLParser):
    """The forms of a page: action and the named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append((found.get("action") or "", {}))
        elif tag == "input" and self.forms and found.get("name"):
            self.forms[-1][1][found["name"] or ""] = found.get("value") or ""


async def sign_in_at_provider(authorize_url: str, login: str, password: str = "any password") -> str:
    """Follow ``authorize_url`` through the provider's pages as a browser would, filling in the
    login form and accepting the consent form; returns the URL the provider sends the browser
    back to (``REDIRECT_URI?code=…&state=…``)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        url, method, form = authorize_url, "GET", None
        for _ in range(12):
            async with session.request(method, url, data=form, allow_redirects=False) as resp:
                if resp.status in (302, 303, 307):
                    target = urljoin(url, resp.headers["Location"])
                    if target.startswith(REDIRECT_URI):
                        return target
                    url, method, form = target, "GET", None
                    continue
                page = await resp.text()
                assert resp.status == 200, (resp.status, page[:500])
            parser = _Forms()
            parser.feed(page)
            assert parser.forms, page[:500]
            action, fields = parser.forms[0]
            if "login" in fields:
                fields.update(login=login, password=password)
            url, method, form = urljoin(url, action), "POST", fields
    raise AssertionError("the provider never sent the browser back")


def signin_url(redirect_uri: str) -> str:
    """The sign-in page on the redirect URI's site: where the IdP sends the browser after its sign-out."""
    parts = urlsplit(redirect_uri)
    return f"{parts.scheme}://{parts.netloc}/signin"


async def sign_out_at_provider(end_session_url: str, back_to: str = "") -> str:
    """Follow ``end_session_url`` through the provider's sign-out confirmation as a person would
    ("Yes, sign me out"); returns the URL the provider sends the browser back to."""
    back_to = back_to or signin_url(REDIRECT_URI)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        url, method, form = end_session_url, "GET", None
        for _ in range(6):
            async with session.request(method, url, data=form, allow_redirects=False) as resp:
                if resp.status in (302, 303, 307):
                    target = urljoin(url, resp.headers["Location"])
                    if target.startswith(back_to):
                        return target
                    url, method, form = target, "GET", None
                    continue
                page = await resp.text()
                assert resp.status == 200, (resp.status, page[:500])
            parser = _Forms()
            parser.feed(page)
            assert parser.forms, page[:500]
            action, fields = parser.forms[0]
            url, method, form = urljoin(url, action), "POST", {**fields, "logout": "yes"}
    raise AssertionError("the provider never sent the browser back")


def callback_path(redirect_url: str) -> str:
    """The path and query of where the IdP sent the browser, to replay against the test server."""
    parts = urlsplit(redirect_url)
    return f"{parts.path}?{parts.query}"


def sso_env(issuer: str, **extra: str) -> dict[str, str]:
    """Settings of an app whose SSO points at ``issuer`` (on loopback, so it is allow-listed)."""
    return {
        "WEBMACS_OIDC_ENABLED": "true",
        "WEBMACS_OIDC_PROVIDER_NAME": "Test IdP",
        "WEBMACS_OIDC_ISSUER_URL": issuer,
        "WEBMACS_OIDC_CLIENT_ID": CLIENT_ID,
        "WEBMACS_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "WEBMACS_OIDC_REDIRECT_URI": REDIRECT_URI,
        "WEBMACS_OIDC_FRONTEND_URL": FRONTEND_URL,
        "WEBMACS_OIDC_EGRESS_ALLOW": "127.0.0.1/32",
        **extra,
    }


def _b64url_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


class HandmadeProvider:
    """An OpenID provider that approves every request at once and mints the ID token a test asks for.

    Set :attr:`token_claims` (overrides of the ID token's claims; ``None`` removes one),
    :attr:`sign_with` (``"current"``, or ``"stranger"`` for a key the JWKS never shows) and
    :attr:`userinfo` before a sign-in; :meth:`rotate` replaces the signing key.
    """

    def __init__(self) -> None:
        self.issuer = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self.reset()

    def reset(self) -> None:
        self.token_claims: dict[str, Any] = {}
        self.sign_with = "current"
        self.userinfo: dict[str, Any] = {"email": "handmade@example.com", "email_verified": True,
                                         "preferred_username": "handmade"}
        self.subject = "handmade-subject"
        self._requests: dict[str, dict[str, str]] = {}

    def rotate(self) -> None:
        number = int(str(self.key.kid).rsplit("-", 1)[1]) + 1
        self.key = RSAKey.generate_key(2048, parameters={"kid": f"key-{number}", "use": "sig", "alg": "RS256"})

    # -- the provider's endpoints ---------------------------------------------------------------

    async def _discovery(self, request: web.Request) -> web.Response:
        self.discovery_fetches += 1
        return web.json_response({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo", "response_types_supported": ["code"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        })

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response({"keys": [self.key.as_dict(private=False)]})

    async def _authorize(self, request: web.Request) -> web.Response:
        code = secrets.token_urlsafe(16)
        self._requests[code] = dict(request.query)
        state = request.query["state"]
        raise web.HTTPFound(f"{request.query['redirect_uri']}?code={code}&state={state}")

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        asked = self._requests.pop(str(form.get("code")), None)
        if (asked is None or form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET
                or _b64url_sha256(str(form.get("code_verifier"))) != asked["code_challenge"]
                or form.get("redirect_uri") != asked["redirect_uri"]):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": self.subject, "aud": CLIENT_ID, "iat": now,
                                  "exp": now + 300, "nonce": asked.get("nonce")}
        for name, value in self.token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self.key if self.sign_with == "current" else self.stranger
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        return web.json_response({"access_token": "at-" + secrets.token_urlsafe(8), "token_type": "Bearer",
                                  "id_token": id_token, "expires_in": 300})

    async def _userinfo(self, request: web.Request) -> web.Response:
        if not request.headers.get("Authorization", "").startswith("Bearer at-"):
            return web.json_response({"error": "invalid_token"}, status=401)
        return web.json_response({"sub": self.subject, **self.userinfo})

    # -- lifetime: its own loop in a thread, so it outlives the tests' per-test loops --------------

    def start(self) -> HandmadeProvider:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_get("/.well-known/openid-configuration", self._discovery)
            app.router.add_get("/jwks", self._jwks)
            app.router.add_get("/authorize", self._authorize)
            app.router.add_post("/token", self._token)
            app.router.add_get("/userinfo", self._userinfo)
            self._runner = web.AppRunner(app)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            port = self._runner.addresses[0][1]
            self.issuer = f"http://127.0.0.1:{port}"
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="handmade-idp", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
