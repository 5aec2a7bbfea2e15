"""The channel's per-chat memory stays bounded: limiters and locks go once they no longer matter."""
from __future__ import annotations

import asyncio

from bot.channels.telegram.chats import ChatGuards
from tests.telegram.conftest import start_gateway
from tests.telegram.support import eventually, serving
from tests.telegram.test_channel import CHAT


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_limiters_and_locks_stay_bounded_over_10000_conversations():
    clock = Clock()
    guards = ChatGuards(rate_limit_messages=8, rate_limit_seconds=10, clock=clock)
    largest = (0, 0)
    for chat_id in range(10_000):
        clock.now += 1  # one new chat a second, each writing three messages
        for _ in range(3):
            assert guards.allow(chat_id)
            async with guards.lock(chat_id):
                await asyncio.sleep(0)
        largest = max(largest, guards.sizes())
    limiters, locks = largest
    assert locks <= 1
    # A limiter refills in 10 s here, so about ten chats matter at once; the sweep keeps a margin.
    assert limiters <= 128


async def test_a_limiter_that_is_dropped_decided_as_a_new_one_would():
    clock = Clock()
    guards = ChatGuards(rate_limit_messages=2, rate_limit_seconds=10, clock=clock)
    assert guards.allow(1) and guards.allow(1)
    for chat_id in range(2, 200):  # many other chats, so sweeps run
        guards.allow(chat_id)
    assert not guards.allow(1), "a chat still within its window keeps its limit through a sweep"
    clock.now += 10
    guards.forget_idle()
    assert guards.sizes()[0] == 0
    assert guards.allow(1) and guards.allow(1) and not guards.allow(1)


async def test_a_chat_waiting_for_its_lock_keeps_it_until_done():
    guards = ChatGuards(rate_limit_messages=8, rate_limit_seconds=10)
    order: list[str] = []

    async def hold(name: str) -> None:
        async with guards.lock(CHAT):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(hold("a"), hold("b"))
    assert order == ["a in", "a out", "b in", "b out"]
    assert guards.sizes()[1] == 0


async def test_the_channel_keeps_no_lock_after_a_message(gateway):
    await gateway.fake.wait_for(lambda: gateway.fake.webhook_url, 15, "setWebhook")
    citizen = gateway.citizen(CHAT)
    await citizen.send("Hvordan får jeg MitID?")
    await citizen.expect("MitID")
    assert gateway.channel.citizens.chats.sizes()[1] == 0


async def test_the_retention_purge_also_lets_go_of_quiet_chats(fake_api, fake_rasa, database, with_settings):
    settings = with_settings(purge_first_delay=0.0, purge_interval=0.2, rate_limit_seconds=0.5)
    gateway, port = await start_gateway(fake_api, fake_rasa, database, settings)
    async with serving(gateway.app, port):
        await gateway.fake.wait_for(lambda: gateway.fake.webhook_url, 15, "setWebhook")
        citizen = gateway.citizen(CHAT)
        await citizen.send("Hvordan får jeg MitID?")
        await citizen.expect("MitID")
        chats = gateway.channel.citizens.chats
        await eventually(lambda: chats.sizes() == (0, 0), what="the quiet chat's limiter let go by the purge")
