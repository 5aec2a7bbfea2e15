"""A staff session over real HTTP and the real socket: when it idles out, and what ends it."""
from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from bot.console.accounts import set_password
from bot.store.models import utcnow
from tests.console.support import PASSWORD, Clock, Gateway, login_token, sign_in


def moved_clock(gateway: Gateway) -> Clock:
    """The sessions' clock, from now on moved by the test."""
    clock = Clock(utcnow())
    gateway.app.state.console.sessions.clock = clock
    return clock


async def test_pings_from_an_open_console_do_not_keep_the_session_alive(gateway):
    anna = await sign_in(gateway.url, "anna")
    idle = gateway.app.state.console.settings.session_idle_minutes
    clock = moved_clock(gateway)
    async with anna.socket() as live:
        clock.advance(minutes=idle - 1)
        await live.send(type="ping")
        await live.next("pong")
        clock.advance(minutes=2)  # nobody typed or clicked for longer than the idle limit; only pings came
        await live.send(type="ping")
        with pytest.raises(ConnectionClosed) as closed:
            await live.next("pong")
        assert closed.value.rcvd.code == 4401
    assert (await anna.api("GET", "/staff/api/queue")).status_code == 401


async def test_activity_in_the_console_keeps_the_session_alive(gateway):
    anna = await sign_in(gateway.url, "anna")
    idle = gateway.app.state.console.settings.session_idle_minutes
    clock = moved_clock(gateway)
    async with anna.socket() as live:
        for _ in range(3):
            clock.advance(minutes=idle - 1)
            await live.send(type="activity")
            await live.send(type="ping")  # answered after the activity was handled: the socket takes them in turn
            await live.next("pong")
    clock.advance(minutes=idle - 1)
    assert (await anna.api("GET", "/staff/api/queue")).status_code == 200  # a request she made counts too
    clock.advance(minutes=idle - 1)
    assert (await anna.api("GET", "/staff/api/queue")).status_code == 200


async def test_the_consoles_background_refreshes_do_not_count_as_activity(gateway):
    anna = await sign_in(gateway.url, "anna")
    idle = gateway.app.state.console.settings.session_idle_minutes
    clock = moved_clock(gateway)
    background = {"x-console-background": "1"}
    clock.advance(minutes=idle - 1)
    assert (await anna.client.get("/staff/api/queue", headers=background)).status_code == 200
    clock.advance(minutes=2)
    assert (await anna.client.get("/staff/api/queue", headers=background)).status_code == 401


async def test_logging_in_again_in_the_same_browser_ends_the_earlier_session(gateway):
    browser = await sign_in(gateway.url, "anna")
    earlier = browser.session_cookie
    async with httpx.AsyncClient(base_url=gateway.url) as other_tab:  # a login form left open from before
        form = await other_tab.get("/staff/login")
    browser.client.cookies.set("bh_staff_login", form.cookies["bh_staff_login"], path="/staff/login")
    again = await browser.client.post(
        "/staff/login", data={"username": "bo", "password": PASSWORD, "csrf_token": login_token(form.text)}
    )
    assert again.status_code == 303
    assert browser.session_cookie and browser.session_cookie != earlier
    assert (await browser.client.get("/staff/api/queue")).status_code == 200
    assert (await browser.client.get("/staff/api/queue", cookies={"bh_staff": earlier})).status_code == 401


async def test_logout_closes_the_sessions_open_sockets_at_once(gateway):
    anna = await sign_in(gateway.url, "anna")
    other_browser = await sign_in(gateway.url, "anna")
    async with anna.socket() as live, other_browser.socket() as other:
        assert (await anna.form("/staff/logout")).status_code == 303
        with pytest.raises(ConnectionClosed) as closed:  # nothing sent: the gateway closes it by itself
            await live.next("pong")
        assert closed.value.rcvd.code == 4401
        await other.send(type="ping")  # her other browser's session is its own and stays
        await other.next("pong")


async def test_every_socket_message_rechecks_the_session(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with anna.socket() as live:
        set_password(gateway.db, "anna", "et-helt-nyt-kodeord")  # from the command line: no event is sent
        await live.send(type="typing", conversation_id="0" * 32, on=True)
        with pytest.raises(ConnectionClosed) as closed:
            await live.next("pong")
        assert closed.value.rcvd.code == 4401
