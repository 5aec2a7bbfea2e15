"""The widget socket's limits, shared by every connection of one gateway process.

A visitor is the widget's random id in one browser; an address is the client's as uvicorn gives it
(behind a trusted proxy, the one in X-Forwarded-For). A visitor can make up a new id at will, so
everything a visitor is limited in, its address is limited in too, with more room: many citizens
may share one address (a library, a workplace, a phone network).

Memory stays bounded: a limiter goes once its bucket is full again (`RateLimits`), a connection
count once its address has no connection open.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from bot.gateway.security import RateLimits
from bot.gateway.settings import GatewaySettings

MINUTE = 60.0
HOUR = 3600.0


class ConnectionRefusal(str, Enum):
    TOO_MANY_FROM_ADDRESS = "too_many_connections"
    GATEWAY_FULL = "busy"


class WidgetLimits:
    def __init__(self, settings: GatewaySettings, clock: Callable[[], float] = time.monotonic) -> None:
        def per(capacity: int, seconds: float) -> RateLimits:
            return RateLimits(capacity, seconds, clock)

        self._frames = (
            per(settings.widget_frames_per_minute, MINUTE),
            per(settings.widget_address_frames_per_minute, MINUTE),
        )
        self._messages = (
            per(settings.rate_limit_messages, settings.rate_limit_seconds),
            per(settings.widget_address_messages, settings.rate_limit_seconds),
        )
        self._conversations = (
            per(settings.widget_conversations_per_hour, HOUR),
            per(settings.widget_address_conversations_per_hour, HOUR),
        )
        self._per_address = settings.widget_connections_per_address
        self._in_all = settings.widget_max_connections
        self._open: dict[str, int] = {}
        self._open_in_all = 0

    def open_connection(self, address: str) -> ConnectionRefusal | None:
        """Counts a new connection from `address` in, or says why it may not stay."""
        if self._open_in_all >= self._in_all:
            return ConnectionRefusal.GATEWAY_FULL
        if self._open.get(address, 0) >= self._per_address:
            return ConnectionRefusal.TOO_MANY_FROM_ADDRESS
        self._open[address] = self._open.get(address, 0) + 1
        self._open_in_all += 1
        return None

    def close_connection(self, address: str) -> None:
        """Counts a connection that `open_connection` let in out again."""
        self._open_in_all -= 1
        self._open[address] -= 1
        if not self._open[address]:
            del self._open[address]

    def allow_frame(self, visitor_id: str | None, address: str) -> bool:
        """Any frame at all; before the hello the visitor is not known yet (None)."""
        return _allow(self._frames, visitor_id, address)

    def allow_message(self, visitor_id: str, address: str) -> bool:
        return _allow(self._messages, visitor_id, address)

    def allow_new_conversation(self, visitor_id: str, address: str) -> bool:
        return _allow(self._conversations, visitor_id, address)

    def sizes(self) -> dict[str, int]:
        """How many entries each map keeps now."""
        return {
            "frames": sum(len(limits) for limits in self._frames),
            "messages": sum(len(limits) for limits in self._messages),
            "conversations": sum(len(limits) for limits in self._conversations),
            "addresses with connections": len(self._open),
        }


def _allow(limits: tuple[RateLimits, RateLimits], visitor_id: str | None, address: str) -> bool:
    by_visitor, by_address = limits
    # The address first: a visitor id made up for one frame then costs no limiter when the address is over.
    return by_address.allow(address) and (visitor_id is None or by_visitor.allow(visitor_id))
