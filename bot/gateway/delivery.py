"""Delivery of conversation events to whoever holds a connection: widget sockets, the staff console.

Topics are plain strings (see `conversation_topic`, `STAFF_TOPIC`); events are JSON-able dicts.
One gateway process uses `InProcessDelivery`. Several replicas use `RedisDelivery`, which sends every
event through Redis pub/sub so a staff reply reaches a socket held by another replica; which one
runs is configuration (`REDIS_URL`), the callers do not change.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

from bot.config import DEFAULT_REDIS_KEY_PREFIX

logger = logging.getLogger(__name__)

Event = dict[str, Any]
STAFF_TOPIC = "staff"  # queue-level news for the staff console: states, handoffs, deletions
_QUEUE_SIZE = 1000


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Subscription:
    """Events on one topic, in order, from the moment of subscribing until the block ends."""

    def __init__(self, queue: asyncio.Queue[Event]) -> None:
        self._queue = queue

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        return await self._queue.get()

    async def get(self, timeout: float | None = None) -> Event:
        return await asyncio.wait_for(self._queue.get(), timeout)


class Delivery(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, topic: str, event: Event) -> None: ...

    def subscribe(self, topic: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...


class InProcessDelivery:
    """Subscribers in this process only."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._queues.clear()

    async def publish(self, topic: str, event: Event) -> None:
        self.dispatch(topic, event)

    def dispatch(self, topic: str, event: Event) -> None:
        for queue in list(self._queues.get(topic, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A subscriber this far behind is gone in all but name; it re-reads history on reconnect.
                logger.warning("Dropping a live event for a stalled subscriber on %s", topic)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        queue: asyncio.Queue[Event] = asyncio.Queue(_QUEUE_SIZE)
        self._queues[topic].add(queue)
        try:
            yield Subscription(queue)
        finally:
            subscribers = self._queues.get(topic)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._queues[topic]


class RedisDelivery:
    """Every replica publishes to Redis and hands what Redis sends back to its own subscribers."""

    def __init__(self, url: str, prefix: str = DEFAULT_REDIS_KEY_PREFIX) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._prefix = prefix + ":"  # channels "<prefix>:<topic>", beside Rasa's "<prefix>:lock:<id>"
        self._local = InProcessDelivery()
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="redis-delivery")
        await asyncio.wait_for(self._ready.wait(), 10)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.close()
        await self._local.close()

    async def publish(self, topic: str, event: Event) -> None:
        await self._redis.publish(self._prefix + topic, json.dumps(event, default=str))

    def subscribe(self, topic: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._local.subscribe(topic)

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(self._prefix + "*")
                    self._ready.set()
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        channel = message["channel"].decode()
                        self._local.dispatch(channel[len(self._prefix) :], json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Lost the Redis delivery connection; reconnecting in %.1f s", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 15)


def make_delivery(redis_url: str = "", prefix: str = DEFAULT_REDIS_KEY_PREFIX) -> Delivery:
    return RedisDelivery(redis_url, prefix) if redis_url else InProcessDelivery()
