"""A staff session over real HTTP and the real socket: when it idles out, and what ends it."""
from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from bot.store.models import utcnow
from tests.console.support import Clock, Gateway, sign_in


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
