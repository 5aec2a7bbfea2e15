"""Per-chat state kept in memory: a rate limit and a lock for each chat, only while they matter.

A bot may hear from many thousands of chats over its life; keeping a limiter and a lock for every
chat ever seen would grow without end. A lock lives while someone holds it or waits for it. A
limiter lives until its bucket has filled up again, when a new one would behave the same; idle
ones are swept out whenever the map has doubled since the last sweep, so the map stays within
twice the chats that wrote within one rate-limit window.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from bot.gateway.security import RateLimiter

# Below this many limiters a sweep is not worth its time.
_SWEEP_FLOOR = 64


class ChatGuards:
    def __init__(
        self, rate_limit_messages: int, rate_limit_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = (rate_limit_messages, rate_limit_seconds)
        self._clock = clock
        self._limiters: dict[int, RateLimiter] = {}
        self._sweep_at = _SWEEP_FLOOR
        self._locks: dict[int, asyncio.Lock] = {}
        self._lock_users: dict[int, int] = {}

    def allow(self, chat_id: int) -> bool:
        """Whether this chat may send one more message now."""
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            limiter = self._limiters[chat_id] = RateLimiter(*self._limit, clock=self._clock)
            if len(self._limiters) >= self._sweep_at:
                self.forget_idle()
        return limiter.allow()

    def forget_idle(self) -> None:
        """Drop the limiters whose bucket is full again: a new one would decide the same."""
        for chat_id in [chat_id for chat_id, limiter in self._limiters.items() if limiter.is_full()]:
            del self._limiters[chat_id]
        self._sweep_at = max(_SWEEP_FLOOR, 2 * len(self._limiters))

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
