"""One asyncio lock per conversation, kept only while someone holds it or waits for it.

A lock per conversation id kept for ever would grow with every conversation the gateway has seen;
here the last one out removes it, so the map holds only conversations with work in flight.
"""
from __future__ import annotations

import asyncio
from typing import Any


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def hold(self, key: str) -> _Held:
        """`async with locks.hold(key):` runs alone among the holders of the same key."""
        return _Held(self, key)

    def _enter(self, key: str) -> asyncio.Lock:
        self._users[key] = self._users.get(key, 0) + 1
        return self._locks.setdefault(key, asyncio.Lock())

    def _leave(self, key: str) -> None:
        self._users[key] -= 1
        if not self._users[key]:
            del self._users[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class _Held:
    # A plain context manager, not a generator: a task cancelled or dropped while waiting still leaves.
    def __init__(self, locks: KeyedLocks, key: str) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        lock = self._locks._enter(self._key)
        try:
            await lock.acquire()
        except BaseException:
            self._locks._leave(self._key)
            raise

    async def __aexit__(self, *exc: Any) -> None:
        self._locks._locks[self._key].release()
        self._locks._leave(self._key)
