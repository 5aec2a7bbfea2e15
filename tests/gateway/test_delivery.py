"""Delivery: in one process, and across gateway replicas through Redis pub/sub."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.config import ConfigError
from bot.gateway.delivery import InProcessDelivery, RedisDelivery, conversation_topic, make_delivery
from bot.gateway.settings import GatewaySettings
from tests.support.services import REDIS_URL, require_redis

async def test_in_process_delivers_in_order_to_every_subscriber_of_the_topic():
    delivery = InProcessDelivery()
    async with delivery.subscribe("conversation:a") as first, delivery.subscribe("conversation:a") as second:
        async with delivery.subscribe("conversation:b") as other:
            for number in range(3):
                await delivery.publish("conversation:a", {"n": number})
            assert [(await first.get(1))["n"] for _ in range(3)] == [0, 1, 2]
            assert [(await second.get(1))["n"] for _ in range(3)] == [0, 1, 2]
            with pytest.raises(asyncio.TimeoutError):
                await other.get(0.1)


def test_configuration_chooses_the_delivery():
    assert isinstance(make_delivery(""), InProcessDelivery)


async def test_redis_delivery_reaches_a_subscriber_on_another_replica_and_not_another_installation():
    require_redis()
    prefix, other_prefix = f"test{uuid.uuid4().hex}", f"test{uuid.uuid4().hex}"
    replica_a, replica_b = RedisDelivery(REDIS_URL, prefix), RedisDelivery(REDIS_URL, prefix)
    other_installation = RedisDelivery(REDIS_URL, other_prefix)
    for delivery in (replica_a, replica_b, other_installation):
        await delivery.start()
    try:
        topic = conversation_topic("abc")
        async with replica_b.subscribe(topic) as events, other_installation.subscribe(topic) as elsewhere:
            await replica_a.publish(topic, {"type": "message", "message": {"id": 7, "text": "Hej fra en medarbejder"}})
            event = await events.get(5)
            # Redis delivers one publication to all its subscribers at once: had the other
            # installation's pattern matched, its copy would be queued by now.
            await other_installation.publish(topic, {"type": "message", "message": {"id": 1, "text": "Til den anden"}})
            own = await elsewhere.get(5)
        assert event["message"]["text"] == "Hej fra en medarbejder"
        assert own["message"]["text"] == "Til den anden"  # its own event came first and alone
    finally:
        for delivery in (replica_a, replica_b, other_installation):
            await delivery.close()


def test_the_redis_key_prefix_is_one_per_installation_and_checked():
    assert GatewaySettings.from_env({}).redis_key_prefix == "borgerhjaelp"
    assert GatewaySettings.from_env({"REDIS_KEY_PREFIX": "kommune2"}).redis_key_prefix == "kommune2"
    with pytest.raises(ConfigError, match="REDIS_KEY_PREFIX must be letters and digits"):
        GatewaySettings.from_env({"REDIS_KEY_PREFIX": "kommune-2"})
