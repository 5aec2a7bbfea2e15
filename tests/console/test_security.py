"""Every staff page, form, API and socket refuses strangers; state changes need the CSRF token.

The routes are read from the application's router, so a route added later is covered without
touching these tests; only the login form and the console's static files are public, by name.
"""
from __future__ import annotations

import re

import httpx
import pytest
import websockets
from starlette.routing import Mount, Route, WebSocketRoute
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

from bot.console import PUBLIC_PATHS
from tests.console.support import TIMEOUT, citizen, sign_in

PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def staff_routes(app) -> list[tuple[str, str, str]]:
    """(kind, method, path template) for every route under /staff that is not public by design."""
    found = []

    def walk(routes, prefix=""):
        for route in routes:
            path = prefix + getattr(route, "path", "")
            if isinstance(route, Mount):
                if route.routes:
                    walk(route.routes, path)
                elif path.startswith("/staff") and path not in PUBLIC_PATHS:
                    found.append(("mount", "GET", path + "/anything"))
                continue
            if not path.startswith("/staff") or path in PUBLIC_PATHS:
                continue
            if isinstance(route, WebSocketRoute):
                found.append(("socket", "GET", path))
            elif isinstance(route, Route):
                for method in sorted(route.methods - {"HEAD"}):
                    found.append(("api" if path.startswith("/staff/api/") else "page", method, path))

    walk(app.routes)
    return found


def concrete(path: str, conversation_id: str) -> str:
    return PARAMETER.sub(lambda m: "1" if m.group(2) == "int" else conversation_id, path)


def test_the_router_has_the_console(gateway):
    kinds = {kind for kind, _, _ in staff_routes(gateway.app)}
    assert kinds == {"page", "api", "socket"}
    assert len(staff_routes(gateway.app)) >= 25


async def test_every_staff_route_refuses_an_unauthenticated_request(gateway):
    async with citizen(gateway.url) as person:
        conversation_id = person.conversation_id
    async with httpx.AsyncClient(base_url=gateway.url, follow_redirects=False, timeout=TIMEOUT) as stranger:
        for kind, method, template in staff_routes(gateway.app):
            path = concrete(template, conversation_id)
            if kind == "socket":
                with pytest.raises(InvalidStatusCode) as refused:
                    async with websockets.connect(gateway.url.replace("http", "ws") + path, origin=gateway.url):
                        pass
                assert refused.value.status_code == 403, path
                continue
            response = await stranger.request(method, path, data={"csrf_token": "x"} if method == "POST" else None)
            if kind == "api":
                assert response.status_code == 401, (method, path, response.status_code)
                assert "Anna" not in response.text
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/staff/login"), (method, path)


async def test_every_state_change_needs_the_csrf_token(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with citizen(gateway.url) as person:
        conversation_id = person.conversation_id
    for kind, method, template in staff_routes(gateway.app):
        if method != "POST":
            continue
        path = concrete(template, conversation_id)
        missing = await anna.client.post(path, data={"status": "online"})
        wrong = await anna.client.post(path, data={"csrf_token": "forged"}, headers={"x-csrf-token": "forged"})
        assert missing.status_code == 403, (path, missing.status_code)
        assert wrong.status_code == 403, (path, wrong.status_code)
    # And the token is no good from another site's page.
    foreign = await anna.client.post(
        "/staff/api/presence", json={"status": "online"}, headers={"x-csrf-token": anna.csrf, "origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert (await anna.api("GET", "/staff/api/presence")).json() == {"status": "away"}


async def test_admin_pages_are_for_admins_only(gateway):
    bo = await sign_in(gateway.url, "bo")
    for path in ("/staff/audit", "/staff/availability"):
        response = await bo.client.get(path)
        assert response.status_code == 403 and "Kun administratorer" in response.text
    refused = await bo.form("/staff/availability/rules", {"kind": "callback", "weekday": "0", "start": "10:00", "end": "11:00", "slot_minutes": "15"})
    assert refused.status_code == 403
    anna = await sign_in(gateway.url, "anna")
    assert (await anna.client.get("/staff/audit")).status_code == 200


async def test_the_socket_wants_our_origin_and_the_csrf_token(gateway):
    anna = await sign_in(gateway.url, "anna")
    cookie = {"Cookie": f"bh_staff={anna.session_cookie}"}
    ws_url = gateway.url.replace("http", "ws") + "/staff/ws"
    with pytest.raises(InvalidStatusCode):
        async with websockets.connect(ws_url, origin="https://evil.example", extra_headers=cookie):
            pass
    async with websockets.connect(ws_url, origin=gateway.url, extra_headers=cookie) as socket:
        await socket.send('{"type": "hello", "csrf": "forged"}')
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd.code == 1008
    async with anna.socket() as live:  # the real token works
        await live.send(type="ping")
        await live.next("pong")


async def test_a_cookie_cannot_be_replayed_after_logout(gateway):
    anna = await sign_in(gateway.url, "anna")
    stolen, csrf = anna.session_cookie, anna.csrf
    assert (await anna.form("/staff/logout")).status_code == 303
    async with httpx.AsyncClient(base_url=gateway.url, follow_redirects=False, cookies={"bh_staff": stolen}) as replay:
        assert (await replay.get("/staff")).status_code == 303
        assert (await replay.get("/staff/api/queue")).status_code == 401
        assert (await replay.post("/staff/api/presence", json={"status": "online"}, headers={"x-csrf-token": csrf})).status_code == 401
    with pytest.raises(InvalidStatusCode):
        async with websockets.connect(
            gateway.url.replace("http", "ws") + "/staff/ws", origin=gateway.url, extra_headers={"Cookie": f"bh_staff={stolen}"}
        ):
            pass


async def test_session_cookie_flags(gateway):
    async with httpx.AsyncClient(base_url=gateway.url, follow_redirects=False) as client:
        form = await client.get("/staff/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        response = await client.post(
            "/staff/login", data={"username": "anna", "password": "korrekt-hest-batteri", "csrf_token": token}
        )
        cookie = next(value for name, value in response.headers.multi_items() if name == "set-cookie" and value.startswith("bh_staff="))
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert "httponly" in flags and "samesite=strict" in flags and "path=/staff" in flags
        assert "secure" not in flags  # plain http on loopback; see the HTTPS test below


async def test_cookies_are_secure_behind_https(gateway):
    # uvicorn trusts X-Forwarded-Proto from loopback, as from a TLS-terminating proxy in front of it.
    async with httpx.AsyncClient(base_url=gateway.url, follow_redirects=False, headers={"x-forwarded-proto": "https"}) as client:
        form = await client.get("/staff/login")
        login_cookie = form.headers["set-cookie"].lower()
        assert "secure" in login_cookie and "httponly" in login_cookie


async def test_login_needs_its_own_csrf_cookie(gateway):
    async with httpx.AsyncClient(base_url=gateway.url, follow_redirects=False) as client:
        response = await client.post(
            "/staff/login", data={"username": "anna", "password": "korrekt-hest-batteri", "csrf_token": "guess"}
        )
        assert response.status_code == 403 and "bh_staff=" not in response.headers.get("set-cookie", "")


async def test_login_never_redirects_to_another_site(gateway):
    async with httpx.AsyncClient(base_url=gateway.url, follow_redirects=False) as client:
        form = await client.get("/staff/login", params={"next": "https://evil.example/staff"})
        assert 'value="/staff"' in form.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        response = await client.post(
            "/staff/login",
            data={"username": "anna", "password": "korrekt-hest-batteri", "csrf_token": token, "next": "//evil.example/x"},
        )
        assert response.headers["location"] == "/staff"


async def test_pages_carry_the_strict_content_security_policy(gateway):
    anna = await sign_in(gateway.url, "anna")
    for path in ("/staff/login", "/staff", "/staff/bookings", "/staff/canned", "/staff/audit", "/staff/availability"):
        response = await anna.client.get(path, follow_redirects=True)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        assert response.headers["cache-control"] == "no-store"
    api = await anna.api("GET", "/staff/api/queue")
    assert api.headers["cache-control"] == "no-store"


async def test_citizen_text_is_escaped_in_server_side_pages(gateway):
    """Audit and bookings are rendered on the server; notes and messages go through the API as JSON."""
    anna = await sign_in(gateway.url, "anna")
    evil = '<script>alert(1)</script>'
    await anna.form("/staff/canned", {"title": evil, "text": '<img src=x onerror="alert(2)">'})
    page = (await anna.client.get("/staff/canned")).text
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    response = await anna.client.get("/staff/audit", params={"samtale": '"><script>x</script>'})
    assert "<script>x" not in response.text
