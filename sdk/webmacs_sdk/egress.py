"""The egress guard: every outbound HTTP request of the server (webhooks, OTA downloads, OIDC) goes
through it, so an admin-supplied URL cannot reach the server's own network (SSRF).

Three layers, each sufficient on its own for what it covers:

1. :func:`parse_target` reads the URL the way a browser would *and* the way the C library would:
   only ``http``/``https``; no user-info; no control characters or whitespace; IDNA host names
   (``127。0。0。1`` is ``127.0.0.1``); trailing dots removed; every legacy numeric IPv4 form
   (``2130706433``, ``0x7f000001``, ``017700000001``, ``127.1``) decoded to the address it means.
2. :meth:`EgressPolicy.check_address` refuses loopback, private, link-local, CGNAT, multicast,
   unspecified, reserved, documentation and cloud-metadata addresses, and IPv6 forms that embed an
   IPv4 address (mapped, NAT64, 6to4) are judged by the address they embed; Teredo is refused.
   The operator's allow-list (``WEBMACS_EGRESS_ALLOW``: CIDR networks and/or host names) wins.
3. :class:`EgressClient` connects through an aiohttp connector whose resolver resolves the name,
   checks **every** address and hands the connector only those checked addresses: the address
   that was vetted is the address connected to, so DNS rebinding between check and connect is
   impossible. Redirects are never followed, proxies from the environment are ignored, and
   timeouts and a response-size cap apply to every request.

>>> policy = EgressPolicy.from_setting(["127.0.0.1/32"])
>>> async with EgressClient(policy) as client:
...     response = await client.post("http://127.0.0.1:9000/webhook", data=b"{}")
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from webmacs_sdk.errors import WebmacsError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: ``resolve(host, port) -> [address, ...]``; tests inject a stub, production uses getaddrinfo.
HostResolver = Callable[[str, int], Awaitable[Sequence[str]]]

ALLOWED_SCHEMES = frozenset({"http", "https"})

#: Cloud metadata endpoints, named explicitly so the refusal reason says what they are.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
     ipaddress.ip_address("100.100.100.200")}
)

#: Ranges refused although some Python versions call them "global".
_EXTRA_BLOCKED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("0.0.0.0/8", "an unspecified (\"this network\") address"),
        ("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
        ("192.0.0.0/24", "an IETF protocol address"),
        ("192.0.2.0/24", "a documentation address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("240.0.0.0/4", "a reserved address"),
        ("100::/64", "a discard-only address"),
        ("2001:db8::/32", "a documentation address"),
        ("fec0::/10", "a site-local address"),
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_CONTROL = re.compile(r"[\x00-\x20\x7f\\]")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class EgressDenied(WebmacsError):
    """An outbound request was refused before any connection was opened; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@attrs.frozen
class Target:
    """A parsed, normalised outbound URL. ``address`` is set when the host is an IP literal."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress | None


def _ipv4_from_numeric(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a numeric host means to the C library (``127.1``, ``0x7f000001``...).

    WHATWG URL rule: a host whose last label is numeric is an IPv4 address; if it does not
    parse as one, the URL is invalid rather than a name to look up.
    """
    labels = host.split(".")
    if not _NUMERIC_LABEL.match(labels[-1]):
        return None
    try:
        packed = socket.inet_aton(host)
    except OSError:
        raise EgressDenied(f"'{host}' is not a valid IPv4 address.") from None
    return ipaddress.IPv4Address(packed)


def parse_target(url: str) -> Target:
    """Parse and normalise ``url``; refuse anything that is not a plain http(s) URL.

    :raises EgressDenied: bad scheme, user-info, control characters, no host, bad port.
    """
    if not isinstance(url, str) or not url:
        raise EgressDenied("URL is empty.")
    if _CONTROL.search(url):
        raise EgressDenied("URL contains whitespace, control characters or backslashes.")
    try:
        parts = urlsplit(url)
        port_value = parts.port
    except ValueError as exc:
        raise EgressDenied(f"URL cannot be parsed: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise EgressDenied(f"Scheme '{scheme or '(none)'}' is not allowed; use http or https.")
    netloc = parts.netloc
    if "@" in netloc or parts.username is not None or parts.password is not None:
        raise EgressDenied("URLs with user information (user@host) are not allowed.")
    raw_host = parts.hostname
    if not raw_host:
        raise EgressDenied("URL has no host.")
    port = port_value if port_value is not None else (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise EgressDenied(f"Port {port} is not valid.")
    if netloc.startswith("["):
        if "%" in raw_host:
            raise EgressDenied("IPv6 zone identifiers are not allowed.")
        try:
            address: IPAddress | None = ipaddress.IPv6Address(raw_host)
        except ValueError:
            raise EgressDenied(f"'{raw_host}' is not a valid IPv6 address.") from None
        return Target(url, scheme, str(address), port, address)
    try:
        host = raw_host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise EgressDenied(f"Host '{raw_host}' is not a valid host name.") from None
    host = host.rstrip(".")
    if not host or ".." in host:
        raise EgressDenied(f"Host '{raw_host}' is not a valid host name.")
    address = _ipv4_from_numeric(host)
    return Target(url, scheme, str(address) if address else host, port, address)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, IPv4-compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))  # deprecated IPv4-compatible ::a.b.c.d
    return None


def classify(address: IPAddress) -> str | None:
    """Why ``address`` must not be contacted (``"a loopback address"``), or None if it is public."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo is not None:
            return "a Teredo tunnel address"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = classify(embedded)
            return f"an IPv6 form of {embedded}, {inner}" if inner else None
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
    )
    for hit, why in checks:
        if hit:
            return why
    for network, why in _EXTRA_BLOCKED:
        if address.version == network.version and address in network:
            return why
    if not address.is_global:
        return "a non-public address"
    return None


@attrs.frozen
class EgressPolicy:
    """Which destinations outbound requests may reach.

    Public addresses are allowed; internal ones only when an allow-list entry covers them:
    a CIDR network (``127.0.0.1/32``, ``10.0.0.0/8``) or a host name (``hooks.internal``),
    which then may resolve anywhere.
    """

    allow_networks: tuple[IPNetwork, ...] = ()
    allow_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_setting(cls, entries: Iterable[str] | str | None) -> EgressPolicy:
        """Build from ``WEBMACS_EGRESS_ALLOW`` entries (a list or a comma-separated string).

        :raises ValueError: an entry is neither a network nor a host name.
        """
        if entries is None:
            return cls()
        if isinstance(entries, str):
            entries = [part for part in entries.split(",")]
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            if not re.fullmatch(r"[a-z0-9.-]+", name):
                raise ValueError(f"egress allow-list entry {entry!r} is neither a network nor a host name")
            hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allow_hosts

    def check_address(self, address: IPAddress | str, *, host: str | None = None) -> None:
        """Refuse ``address`` unless it is public or allow-listed.

        :raises EgressDenied: naming the host, the address and its class.
        """
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if host is not None and self.host_allowed(host):
            return
        if any(ip.version == net.version and ip in net for net in self.allow_networks):
            return
        why = classify(ip)
        if why is not None:
            subject = f"{host} resolves to {ip}" if host and host != str(ip) else str(ip)
            raise EgressDenied(f"{subject}, which is {why}.")

    def check_target(self, target: Target) -> None:
        """Refuse an IP-literal target; host names are checked after resolution."""
        if target.address is not None:
            self.check_address(target.address)
        elif (target.host == "localhost" or target.host.endswith(".localhost")) and not self.host_allowed(
            target.host
        ):
            raise EgressDenied(f"{target.host} is a loopback host name.")


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (both families), via the system resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            seen[str(sockaddr[0]).split("%", 1)[0]] = None
    return list(seen)


async def vet(url: str, policy: EgressPolicy, *, resolver: HostResolver | None = None,
              require_resolution: bool = True) -> list[IPAddress]:
    """Parse ``url``, resolve its host and check every address it resolves to.

    ``require_resolution=False`` (used when a URL is configured, not called) lets a name that
    does not resolve *now* pass; it is checked again, for real, when a request is made.

    :returns: the vetted addresses (empty when resolution was skipped).
    :raises EgressDenied: the URL or any of its addresses is refused.
    """
    target = parse_target(url)
    policy.check_target(target)
    if target.address is not None:
        return [target.address]
    try:
        found = await (resolver or system_resolve)(target.host, target.port)
    except OSError as exc:
        if require_resolution:
            raise EgressDenied(f"{target.host} cannot be resolved: {exc.strerror or exc}.") from None
        return []
    if not found:
        if require_resolution:
            raise EgressDenied(f"{target.host} has no addresses.")
        return []
    addresses = [ipaddress.ip_address(a) for a in found]
    for address in addresses:
        policy.check_address(address, host=target.host)
    return addresses


class _Refused(OSError):
    """Carries an :class:`EgressDenied` through aiohttp's connector, which wraps OSErrors."""

    def __init__(self, denied: EgressDenied) -> None:
        super().__init__(denied.reason)
        self.denied = denied


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that returns only addresses the policy allows, all of them checked.

    The connector connects to exactly what this returns, so the check and the connection see
    the same addresses (no second lookup an attacker's DNS could answer differently).
    """

    def __init__(self, policy: EgressPolicy, resolver: HostResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or system_resolve

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_UNSPEC) -> list[ResolveResult]:
        try:
            target = parse_target(f"http://{host}:{port or 80}/") if ":" not in host else None
            if target is not None:
                self._policy.check_target(target)
                if target.address is not None:
                    addresses: list[IPAddress] = [target.address]
                else:
                    addresses = [ipaddress.ip_address(a) for a in await self._resolver(target.host, port)]
            else:
                addresses = [ipaddress.ip_address(host)]
            if not addresses:
                raise EgressDenied(f"{host} has no addresses.")
            for address in addresses:
                self._policy.check_address(address, host=host)
        except EgressDenied as denied:
            raise _Refused(denied) from None
        results: list[ResolveResult] = []
        for address in addresses:
            if family not in (socket.AF_UNSPEC, _family(address)):
                continue
            results.append({"hostname": host, "host": str(address), "port": port,
                            "family": _family(address), "proto": 0, "flags": socket.AI_NUMERICHOST})
        if not results:
            raise _Refused(EgressDenied(f"{host} has no address of the requested family."))
        return results

    async def close(self) -> None:
        return None


def _family(address: IPAddress) -> int:
    return socket.AF_INET if address.version == 4 else socket.AF_INET6


@attrs.frozen
class EgressResponse:
    """What came back: status, headers, at most ``max_response_bytes`` of body, and timing."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    truncated: bool
    elapsed: float


class DownloadTooLarge(WebmacsError):
    """A download was longer than its cap; nothing of it was kept."""


@attrs.frozen
class Download:
    """A finished download: the final status, bytes written and their SHA-256 (hex)."""

    status: int
    size: int
    sha256: str



@contextlib.contextmanager
def _refusals_as_denied() -> Iterator[None]:
    """A connection the policy's resolver refused, or a URL aiohttp cannot parse, as :class:`EgressDenied`."""
    try:
        yield
    except aiohttp.ClientConnectorError as exc:
        cause: Any = exc.__cause__ or getattr(exc, "os_error", None)
        if isinstance(cause, _Refused):
            raise cause.denied from None
        raise
    except aiohttp.InvalidURL as exc:
        raise EgressDenied(f"URL is not valid: {exc}.") from None


async def _stream_to(response: aiohttp.ClientResponse, target: Path, max_bytes: int) -> Download:
    digest = hashlib.sha256()
    size = 0
    try:
        with target.open("wb") as out:
            async for chunk in response.content.iter_chunked(256 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadTooLarge(f"download is larger than {max_bytes} bytes.")
                digest.update(chunk)
                await asyncio.to_thread(out.write, chunk)
    except BaseException:
        await asyncio.to_thread(target.unlink, True)
        raise
    return Download(200, size, digest.hexdigest())


class EgressClient:
    """An HTTP client that only reaches what the :class:`EgressPolicy` allows.

    Use as an async context manager (one connection pool per client). ``timeout`` is the
    default whole-request limit in seconds (``time_limit`` overrides it per request);
    ``max_response_bytes`` caps how much of a body is read.
    """

    def __init__(self, policy: EgressPolicy, *, resolver: HostResolver | None = None, timeout: float = 10.0,
                 max_response_bytes: int = 65_536, limit: int = 100, limit_per_host: int = 0) -> None:
        self.policy = policy
        self._resolver = resolver
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EgressClient:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.policy, self._resolver),
                use_dns_cache=False,  # every new connection is resolved and checked again
                limit=self._limit,
                limit_per_host=self._limit_per_host,
            )
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False, auto_decompress=False)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, url: str, *, data: bytes | None = None,
                      headers: Mapping[str, str] | None = None, time_limit: float | None = None
                      ) -> EgressResponse:
        """Send one request; never follows redirects (a 3xx is returned as it is).

        :raises EgressDenied: the URL or any address of its host is refused; nothing was sent.
        :raises asyncio.TimeoutError: the request took longer than the timeout.
        :raises aiohttp.ClientError: the transport failed.
        """
        target = parse_target(url)
        self.policy.check_target(target)
        self._check_client_view(url)
        await self.open()
        assert self._session is not None
        started = time.monotonic()
        limit = aiohttp.ClientTimeout(total=time_limit if time_limit is not None else self.timeout)
        with _refusals_as_denied():
            async with self._session.request(method, url, data=data, headers=headers, allow_redirects=False,
                                             timeout=limit) as response:
                body = await response.content.read(self.max_response_bytes + 1)
                truncated = len(body) > self.max_response_bytes
                return EgressResponse(response.status, dict(response.headers),
                                      body[: self.max_response_bytes], truncated, time.monotonic() - started)

    async def download(self, url: str, target: Path, *, max_bytes: int, time_limit: float | None = None,
                       max_redirects: int = 5) -> Download:
        """Stream a GET into ``target``, following at most ``max_redirects`` redirects, each hop
        checked by the policy like the first. At most ``max_bytes`` are ever written.

        A non-200 final answer writes nothing and is returned as it is (``size`` 0).

        :raises EgressDenied: a hop is refused, or a redirect has no usable ``Location``.
        :raises DownloadTooLarge: the body is longer than ``max_bytes`` (``target`` is removed).
        :raises asyncio.TimeoutError: the whole download took longer than the time limit.
        :raises aiohttp.ClientError: the transport failed.
        """
        limit = aiohttp.ClientTimeout(total=time_limit if time_limit is not None else self.timeout)
        await self.open()
        assert self._session is not None
        for _ in range(max_redirects + 1):
            target_url = parse_target(url)
            self.policy.check_target(target_url)
            self._check_client_view(url)
            with _refusals_as_denied():
                async with self._session.get(url, allow_redirects=False, timeout=limit) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location")
                        if not location:
                            raise EgressDenied(f"redirect {response.status} without a Location header.")
                        url = str(response.url.join(yarl.URL(location)))
                        continue
                    if response.status != 200:
                        return Download(response.status, 0, "")
                    return await _stream_to(response, target, max_bytes)
        raise EgressDenied(f"more than {max_redirects} redirects.")

    def _check_client_view(self, url: str) -> None:
        # aiohttp connects to IP literals without asking the resolver; make sure its own reading
        # of the URL (yarl) names no address the policy refuses, whatever urlsplit thought.
        try:
            host = yarl.URL(url).raw_host or ""
        except ValueError as exc:
            raise EgressDenied(f"URL is not valid: {exc}.") from None
        try:
            address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        except ValueError:
            return
        self.policy.check_address(address)

    async def post(self, url: str, *, data: bytes | None = None, headers: Mapping[str, str] | None = None,
                   time_limit: float | None = None) -> EgressResponse:
        return await self.request("POST", url, data=data, headers=headers, time_limit=time_limit)

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None,
                  time_limit: float | None = None) -> EgressResponse:
        return await self.request("GET", url, headers=headers, time_limit=time_limit)


__all__ = [
    "ALLOWED_SCHEMES",
    "METADATA_ADDRESSES",
    "Download",
    "DownloadTooLarge",
    "EgressClient",
    "EgressDenied",
    "EgressPolicy",
    "EgressResponse",
    "GuardedResolver",
    "HostResolver",
    "Target",
    "classify",
    "parse_target",
    "system_resolve",
    "vet",
]
