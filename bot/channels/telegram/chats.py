"""Per-chat state kept in memory: a rate limit and a lock for each chat, only while they matter.

A bot may hear from many thousands of chats over its life; keeping a limiter and a lock for every
chat ever seen would grow without end. A lock lives while someone holds it or waits for it; the
limiters are a `RateLimits`, which lets each go once its bucket has filled up again.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from bot.gateway.security import RateLimits


class ChatGuards:
    def __init__(
        self, rate_limit_messages: int, rate_limit_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limiters = RateLimits(rate_limit_messages, rate_limit_seconds, clock)
        self._locks: dict[int, asyncio.Lock] = {}
        self._lock_users: dict[int, int] = {}

    def allow(self, chat_id: int) -> bool:
        """Whether this chat may send one more message now."""
        return self._limiters.allow(chat_id)

    def forget_idle(self) -> None:
        """Drop the limiters whose bucket is full again: a new one would decide the same."""
        self._limiters.forget_idle()

    @contextlib.asynccontextmanager
    async def lock(self, chat_id: int) -> AsyncIterator[None]:
        """One chat's updates one at a time; the lock is gone again once nobody holds or awaits it."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._lock_users[chat_id] = self._lock_users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[chat_id] -= 1
            if not self._lock_users[chat_id]:
                del self._lock_users[chat_id]
                del self._locks[chat_id]

    def sizes(self) -> tuple[int, int]:
        """How many limiters and locks are kept now."""
        return len(self._limiters), len(self._locks)
