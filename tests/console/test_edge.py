"""The gateway's edge, over real HTTP on loopback: request body limits, the console's address
allow-list, HSTS, and Secure cookies by default beyond loopback."""
from __future__ import annotations

import asyncio
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatusCode

from bot.console import ConsoleSettings
from bot.gateway.security import parse_networks
from bot.gateway.settings import LOGIN_BODY_LIMIT, GatewaySettings
from tests.console.support import running_gateway, sign_in


def raw_request(url: str, head: str, body_parts: list[bytes], timeout: float = 10) -> tuple[bytes, float]:
    """Send a request by hand (so a declared size need not be sent) and read the answer's status line.

    Returns the status line and the seconds it took."""
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as connection:
        connection.sendall(head.encode("latin-1"))
        try:
            for part in body_parts:
                connection.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway answered and closed before the whole body was sent
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0], time.monotonic() - started


def test_a_huge_declared_login_body_is_refused_before_it_is_read(gateway):
    head = (
        "POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {48 * 1024 * 1024}\r\n\r\n"
    )
    status, seconds = raw_request(gateway.url, head, [b"username=anna&password=" + b"x" * 1000])
    assert status.startswith(b"HTTP/1.1 413") and seconds < 2


def test_a_chunked_body_is_refused_once_it_passes_the_limit(gateway):
    head = (
        "POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"a" * 2048
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(400)] + [b"0\r\n\r\n"]
    status, _ = raw_request(gateway.url, head, chunks)
    assert status.startswith(b"HTTP/1.1 413")


async def test_every_route_has_an_overall_limit_and_ordinary_requests_pass(gateway):
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        assert (await client.post("/health", content=b"x" * (gateway_settings().max_body_bytes + 1))).status_code == 413
        too_big = await client.post("/staff/login", data={"username": "anna", "password": "x" * LOGIN_BODY_LIMIT})
        assert too_big.status_code == 413 and "for stor" in too_big.text
    anna = await sign_in(gateway.url, "anna")  # a real log-in fits
    assert (await anna.api("POST", "/staff/api/presence", {"status": "online"})).status_code == 200
    assert (await anna.api("POST", "/staff/api/presence", {"status": "x" * 40_000})).status_code == 413


def gateway_settings() -> GatewaySettings:
    return GatewaySettings.from_env({})


@pytest.fixture
def allow_listed(tmp_path):
    """A gateway whose console only the documentation network 192.0.2.0/24 may use."""
    settings = ConsoleSettings(tick_seconds=0.1)
    with running_gateway(tmp_path, settings, staff_allowed_networks=parse_networks("192.0.2.0/24, 2001:db8::/32")) as running:
        yield running


async def test_only_allowed_addresses_reach_the_console(allow_listed):
    url = allow_listed.url
    async with httpx.AsyncClient(base_url=url, follow_redirects=False) as client:
        refused = await client.get("/staff/login")
        assert refused.status_code == 403 and "kommunens eget net" in refused.text
        assert (await client.get("/staff/api/queue")).status_code == 403
        assert (await client.get("/")).status_code == 200  # the widget is for everyone
        # Through a proxy uvicorn trusts (loopback), the citizen's address is the forwarded one.
        allowed = await client.get("/staff/login", headers={"x-forwarded-for": "192.0.2.44"})
        assert allowed.status_code == 200
        assert (await client.get("/staff/login", headers={"x-forwarded-for": "198.51.100.1"})).status_code == 403
    with pytest.raises(InvalidStatusCode) as refused_socket:
        async with websockets.connect(url.replace("http", "ws") + "/staff/ws", origin=url):
            pass
    assert refused_socket.value.status_code == 403


def test_the_allow_list_is_read_from_the_environment():
    settings = GatewaySettings.from_env({"STAFF_ALLOWED_ADDRESSES": "10.0.0.0/8, 192.0.2.7"})
    assert [str(n) for n in settings.staff_allowed_networks] == ["10.0.0.0/8", "192.0.2.7/32"]
    assert GatewaySettings.from_env({}).staff_allowed_networks == ()
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="STAFF_ALLOWED_ADDRESSES"):
        GatewaySettings.from_env({"STAFF_ALLOWED_ADDRESSES": "kontoret"})


async def test_hsts_is_sent_over_https_only_and_can_be_turned_off(gateway, tmp_path):
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        over_https = await client.get("/staff/login", headers={"x-forwarded-proto": "https"})
        assert over_https.headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in (await client.get("/staff/login")).headers
    with running_gateway(tmp_path / "off", ConsoleSettings(tick_seconds=0.1), hsts_max_age=0) as off:
        async with httpx.AsyncClient(base_url=off.url) as client:
            response = await client.get("/staff/login", headers={"x-forwarded-proto": "https"})
            assert "strict-transport-security" not in response.headers
    assert GatewaySettings.from_env({"HSTS_MAX_AGE": "600"}).hsts_max_age == 600


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({}, None),  # loopback: Secure when the request came over HTTPS
        ({"GATEWAY_HOST": "::1"}, None),
        ({"GATEWAY_HOST": "localhost"}, None),
        ({"GATEWAY_HOST": "0.0.0.0"}, True),
        ({"GATEWAY_HOST": "10.1.2.3"}, True),
        ({"GATEWAY_HOST": "0.0.0.0", "STAFF_COOKIE_SECURE": "0"}, False),
        ({"GATEWAY_HOST": "127.0.0.1", "STAFF_COOKIE_SECURE": "1"}, True),
    ],
)
def test_cookies_are_secure_by_default_beyond_loopback(env, secure):
    assert ConsoleSettings.from_env(env).secure_cookies is secure
