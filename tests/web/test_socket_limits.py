"""The widget socket's limits over real sockets on loopback: frames, messages and new conversations per
visitor and per address across connections, connections per address and in all, and idle sockets.

Every test client comes from 127.0.0.1, so the per-address limits see them all as one address.
"""
from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from bot.app import create_app
from bot.gateway.sockets import POLICY_VIOLATION, TRY_AGAIN_LATER
from tests.support.rasa_tables import set_language_slot
from tests.support.servers import serve_in_thread
from tests.web.support import connected, widget


@pytest.fixture
def serve(with_settings, municipality):
    """A gateway on loopback with some settings changed: `with serve(widget_idle_seconds=1) as url:`."""

    @contextlib.contextmanager
    def serving(**changes):
        with serve_in_thread(create_app(with_settings(**changes), municipality=municipality)) as url:
            yield url

    return serving


async def send_messages(client, first: int, count: int) -> None:
    for number in range(first, first + count):
        await client.send(type="message", client_id=f"cid-{number:08d}", text=f"besked {number}")


# --- messages ------------------------------------------------------------------------------------


async def test_the_message_limit_follows_the_visitor_across_connections(gateway):
    # The settings allow 5 messages per visitor in 10 s.
    async with widget(gateway) as client:
        await send_messages(client, 1, 5)
        conversation_id = (await client.next("conversation"))["conversation_id"]
        await client.messages_until(lambda m: m["client_message_id"] == "cid-00000005")
        visitor = client.visitor_id
    async with widget(gateway, conversation_id, visitor_id=visitor) as again:  # reconnecting resets nothing
        await send_messages(again, 6, 1)
        error = await again.next("error")
        assert error["code"] == "rate_limited" and error["client_id"] == "cid-00000006"
        assert "Vent et øjeblik" in error["text"]
    async with widget(gateway) as other:  # another visitor has an allowance of its own
        await send_messages(other, 7, 1)
        await other.next("conversation")


async def test_the_message_limit_per_address_counts_every_visitor(serve):
    with serve(widget_address_messages=6) as url:
        async with widget(url) as first:
            await send_messages(first, 1, 4)
            await first.messages_until(lambda m: m["client_message_id"] == "cid-00000004")
        async with widget(url) as second:
            await send_messages(second, 5, 3)
            error = await second.next("error")
            assert error["code"] == "rate_limited" and error["client_id"] == "cid-00000007"


async def test_a_limited_english_conversation_is_told_in_english(gateway, database):
    async with widget(gateway) as client:
        await send_messages(client, 1, 1)
        conversation_id = (await client.next("conversation"))["conversation_id"]
        await client.messages_until(lambda m: m["sender"] == "bot")
        set_language_slot(database, conversation_id, "en")
        await send_messages(client, 2, 5)
        error = await client.next("error")
        assert error["code"] == "rate_limited" and "Wait a moment" in error["text"]


# --- every frame ---------------------------------------------------------------------------------


async def pings_answered(client, count: int) -> int:
    """Sends `count` pings and counts the pongs until the last one or until the gateway closes the socket."""
    for _ in range(count):
        await client.send(type="ping")
    answered = 0
    with contextlib.suppress(Exception):
        while answered < count:
            if (await client.next(timeout=5))["type"] == "pong":
                answered += 1
            else:
                break
    return answered


async def test_a_flood_of_frames_is_told_and_closed_also_after_reconnecting(serve):
    with serve(widget_frames_per_minute=20) as url:
        async with widget(url) as client:  # the hello is the first of the 20
            assert await pings_answered(client, 15) == 15
            visitor = client.visitor_id
        async with widget(url, visitor_id=visitor) as again:
            for _ in range(10):
                await again.send(type="typing", on=True)
            events, code, _ = await again.until_closed()
        assert code == POLICY_VIOLATION
        assert events[-1]["type"] == "error" and events[-1]["code"] == "rate_limited"
        assert "Vent et øjeblik" in events[-1]["text"]


async def test_frames_per_address_count_every_visitor(serve):
    with serve(widget_address_frames_per_minute=30) as url:
        for _ in range(2):
            async with widget(url) as client:
                assert await pings_answered(client, 10) == 10
        async with widget(url) as last:
            assert await pings_answered(last, 10) < 10
            _, code, _ = await last.until_closed()
        assert code == POLICY_VIOLATION


# --- new conversations ---------------------------------------------------------------------------


async def start_and_delete(client) -> dict:
    """Starts a conversation and deletes it again; the gateway's answer to the start."""
    await client.send(type="start")
    answer = await client.next()
    while answer["type"] not in ("conversation", "error"):
        answer = await client.next()
    if answer["type"] == "conversation":
        await client.messages_until(lambda m: m["sender"] == "bot")
        await client.send(type="delete")
        await client.next("deleted")
    return answer


async def test_a_start_and_delete_loop_is_limited_per_visitor(serve, fake_rasa):
    fake, _ = fake_rasa
    with serve(widget_conversations_per_hour=3) as url:
        async with widget(url) as client:
            answers = [await start_and_delete(client) for _ in range(4)]
            visitor = client.visitor_id
        assert [a["type"] for a in answers] == ["conversation"] * 3 + ["error"]
        assert answers[-1]["code"] == "too_many_conversations" and "ny samtale" in answers[-1]["text"]
        async with widget(url, visitor_id=visitor) as again:  # also after reconnecting, and when typing
            await send_messages(again, 1, 1)
            error = await again.next("error")
            assert error["code"] == "too_many_conversations" and error["client_id"] == "cid-00000001"
    assert [text for _, text, _ in fake.received].count("/greet") == 3


async def test_new_conversations_per_address_count_every_visitor(serve):
    with serve(widget_address_conversations_per_hour=3) as url:
        answers = []
        for _ in range(4):
            async with widget(url) as client:
                answers.append(await start_and_delete(client))
        assert [a["type"] for a in answers] == ["conversation"] * 3 + ["error"]
        assert answers[-1]["code"] == "too_many_conversations"


# --- connections ---------------------------------------------------------------------------------


async def test_connections_per_address_are_capped(serve):
    with serve(widget_connections_per_address=2) as url:
        async with widget(url), widget(url) as second:
            async with connected(url) as third:
                events, code, _ = await third.until_closed()
            assert code == POLICY_VIOLATION
            assert [e["code"] for e in events] == ["too_many_connections"] and "for mange" in events[0]["text"]
            await second.send(type="ping")
            assert (await second.next())["type"] == "pong"  # those already open are not disturbed
        async with widget(url) as later:  # once they have closed, there is room again
            assert later.welcome["type"] == "welcome"


async def test_connections_in_all_are_capped(serve):
    with serve(widget_max_connections=2, widget_connections_per_address=10) as url:
        async with widget(url), widget(url):
            async with connected(url) as third:
                events, code, _ = await third.until_closed()
        assert code == TRY_AGAIN_LATER
        assert [e["code"] for e in events] == ["busy"] and "Borgerservice" in events[0]["text"]
        async with widget(url) as later:
            assert later.welcome["type"] == "welcome"


# --- idle sockets --------------------------------------------------------------------------------


async def test_an_idle_socket_is_closed_after_the_hello_and_one_in_use_is_not(serve):
    with serve(widget_idle_seconds=0.5) as url:
        async with widget(url) as idle:
            events, code, reason = await idle.until_closed(timeout=5)
        assert (code, reason, events) == (1000, "idle", [])
        async with widget(url) as busy:
            for _ in range(6):  # 1.2 s in all, more than twice the idle time, never 0.5 s without a frame
                await asyncio.sleep(0.2)
                await busy.send(type="ping")
                assert (await busy.next())["type"] == "pong"


async def test_a_socket_that_never_says_hello_is_closed(serve):
    with serve(hello_timeout=0.3) as url:
        async with connected(url, visitor_id=uuid.uuid4().hex) as silent:
            _, code, _ = await silent.until_closed(timeout=5)
    assert code == POLICY_VIOLATION
