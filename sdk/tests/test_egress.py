"""The egress guard refuses internal destinations in every spelling and never opens a connection
to them; allowed destinations work, redirects are not followed, responses are capped."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterator

import pytest
from aiohttp import web

from webmacs_sdk.egress import EgressClient, EgressDenied, EgressPolicy, classify, parse_target, vet

#: Test DNS: names an attacker controls, pointing inside.
ZONE: dict[str, list[str]] = {
    "internal.test": ["10.1.2.3"],
    "mixed.test": ["93.184.216.34", "192.168.0.10"],
    "meta.test": ["169.254.169.254"],
    "v6loop.test": ["::1"],
    "cgnat.test": ["100.64.1.1"],
    "public.test": ["93.184.216.34"],
}


async def stub_resolve(host: str, port: int) -> list[str]:
    if host in ZONE:
        return ZONE[host]
    if host == "localhost":
        return ["127.0.0.1", "::1"]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8000/api",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://sub.localhost/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[::127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://[::]/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    "http://240.0.0.1/",
    "http://user@127.0.0.1/",
    "http://good.example@127.0.0.1/",
    "http://user:pass@public.test/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/",
    "ftp://public.test/",
    "dict://127.0.0.1:11211/",
    "javascript:alert(1)",
    "http://127.0.0.1\t/",
    "http://public.test/\r\nX-Injected: 1",
    "http://public.test\n.evil/",
    "http://127。0。0。1/",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # full-width digits
    "http://127.0.0.1./",
    "http://internal.test/",
    "http://internal.test./",
    "http://INTERNAL.TEST/",
    "http://mixed.test/",
    "http://meta.test/",
    "http://v6loop.test/",
    "http://cgnat.test/",
    "http://999.1.1.1/",
    "http://[fe80::1%25eth0]/",
    "http://public.test\\@127.0.0.1/",
    "http://",
    "",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_refused_at_check_time(url: str) -> None:
    with pytest.raises(EgressDenied) as info:
        await vet(url, EgressPolicy(), resolver=stub_resolve)
    assert info.value.reason  # a reason a human can read


def test_vector_count_meets_the_bar() -> None:
    assert len(REFUSED_URLS) >= 40


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
     ("017700000001", "127.0.0.1"), ("10.1", "10.0.0.1"), ("127。0。0。1", "127.0.0.1")],
)
def test_numeric_host_forms_mean_what_the_c_library_means(host: str, expected: str) -> None:
    assert str(parse_target(f"http://{host}/").address) == expected


def test_reasons_name_the_address_class() -> None:
    assert classify(ipaddress.ip_address("169.254.169.254")) == "a cloud metadata address"
    assert classify(ipaddress.ip_address("127.0.0.1")) == "a loopback address"
    assert "127.0.0.1" in (classify(ipaddress.ip_address("::ffff:127.0.0.1")) or "")
    assert classify(ipaddress.ip_address("100.64.0.1")) == "a carrier-grade NAT (shared) address"
    assert classify(ipaddress.ip_address("93.184.216.34")) is None
    assert classify(ipaddress.ip_address("2606:4700::1111")) is None


async def test_public_destinations_pass() -> None:
    assert await vet("https://public.test/hook", EgressPolicy(), resolver=stub_resolve) == [
        ipaddress.ip_address("93.184.216.34")
    ]
    assert await vet("http://93.184.216.34:8080/x", EgressPolicy()) == [ipaddress.ip_address("93.184.216.34")]


async def test_allow_list_networks_and_host_names() -> None:
    policy = EgressPolicy.from_setting("127.0.0.1/32, hooks.internal")
    await vet("http://127.0.0.1:9/", policy)
    await vet("http://hooks.internal/", policy, resolver=lambda h, p: _const(["10.9.9.9"]))
    with pytest.raises(EgressDenied):
        await vet("http://127.0.0.2/", policy)
    with pytest.raises(ValueError, match="neither a network nor a host name"):
        EgressPolicy.from_setting(["not a host!"])


async def _const(value: list[str]) -> list[str]:
    return value


async def test_unresolvable_name_may_be_configured_but_not_called() -> None:
    found = await vet("http://nowhere.test/", EgressPolicy(), resolver=stub_resolve, require_resolution=False)
    assert found == []
    with pytest.raises(EgressDenied, match="cannot be resolved"):
        await vet("http://nowhere.test/", EgressPolicy(), resolver=stub_resolve)


# ---- the client: connections are only opened to vetted addresses ----------------------------


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Records every socket connect; anything but loopback fails the test loudly."""
    seen: list[object] = []
    original = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        seen.append(address)
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1"):
            raise AssertionError(f"connect() to non-loopback address {address!r}")
        return original(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield seen


async def _server(aiohttp_server, handler):  # type: ignore[no-untyped-def]
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return await aiohttp_server(app, host="127.0.0.1")


async def test_client_refuses_loopback_without_connecting(aiohttp_server, connects) -> None:  # type: ignore[no-untyped-def]
    hits: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="ok")

    server = await _server(aiohttp_server, handler)
    async with EgressClient(EgressPolicy(), resolver=stub_resolve) as client:
        for url in (f"http://127.0.0.1:{server.port}/", f"http://localhost:{server.port}/",
                    f"http://2130706433:{server.port}/", f"http://[::ffff:127.0.0.1]:{server.port}/"):
            with pytest.raises(EgressDenied):
                await client.post(url, data=b"{}")
    assert hits == []
    assert connects == []


async def test_client_reaches_allow_listed_receiver(aiohttp_server, connects) -> None:  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"got": (await request.read()).decode()})

    server = await _server(aiohttp_server, handler)
    async with EgressClient(EgressPolicy.from_setting(["127.0.0.1/32"])) as client:
        response = await client.post(f"http://127.0.0.1:{server.port}/hook", data=b"hello")
    assert response.status == 200
    assert b"hello" in response.body
    assert connects and all(addr[0] == "127.0.0.1" for addr in connects)  # type: ignore[index]


async def test_dns_rebinding_connects_only_to_the_checked_address(aiohttp_server, connects) -> None:  # type: ignore[no-untyped-def]
    """First lookup answers the allow-listed receiver, the second the metadata address."""
    server = await _server(aiohttp_server, lambda request: _ok())
    answers = [["127.0.0.1"], ["169.254.169.254"]]

    async def rebinding(host: str, port: int) -> list[str]:
        return answers.pop(0) if answers else ["169.254.169.254"]

    policy = EgressPolicy.from_setting(["127.0.0.1/32"])
    async with EgressClient(policy, resolver=rebinding) as client:
        first = await client.post(f"http://rebind.test:{server.port}/", data=b"1",
                                  headers={"Connection": "close"})
        assert first.status == 200
        with pytest.raises(EgressDenied, match="cloud metadata"):
            await client.post(f"http://rebind.test:{server.port}/", data=b"2")
    assert all(addr[0] == "127.0.0.1" for addr in connects)  # type: ignore[index]


async def _ok() -> web.Response:
    return web.Response(text="ok")


async def test_mixed_records_are_refused_entirely(connects) -> None:  # type: ignore[no-untyped-def]
    async with EgressClient(EgressPolicy(), resolver=stub_resolve) as client:
        with pytest.raises(EgressDenied, match=r"192\.168\.0\.10"):
            await client.post("http://mixed.test/", data=b"{}")
    assert connects == []


async def test_redirects_are_not_followed(aiohttp_server, connects) -> None:  # type: ignore[no-untyped-def]
    followed: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        if request.path == "/admin":
            followed.append(request.path)
            return web.Response(text="secret")
        raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/admin")

    server = await _server(aiohttp_server, handler)
    async with EgressClient(EgressPolicy.from_setting("127.0.0.1/32")) as client:
        response = await client.post(f"http://127.0.0.1:{server.port}/hook", data=b"{}")
    assert response.status == 302
    assert followed == []


async def test_response_size_is_capped_and_timeouts_apply(aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        if request.path == "/slow":
            await asyncio.sleep(2)
        return web.Response(body=b"x" * 100_000)

    server = await _server(aiohttp_server, handler)
    async with EgressClient(EgressPolicy.from_setting("127.0.0.1/32"), max_response_bytes=1000) as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/big")
        assert len(response.body) == 1000
        assert response.truncated
        with pytest.raises(asyncio.TimeoutError):
            await client.get(f"http://127.0.0.1:{server.port}/slow", time_limit=0.2)
