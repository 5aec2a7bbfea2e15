"""The widget's limits on their own: read from the environment with safe defaults, and memory bounded
(limiters go once they no longer matter, connection counts once their address has none open)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bot.channels.web.limits import WidgetLimits
from bot.config import ConfigError, Settings
from bot.gateway.settings import GatewaySettings


def test_the_limits_come_from_the_environment_with_safe_defaults():
    defaults = GatewaySettings.from_env({})
    assert (defaults.rate_limit_messages, defaults.widget_address_messages) == (8, 40)
    assert (defaults.widget_frames_per_minute, defaults.widget_address_frames_per_minute) == (120, 1200)
    assert (defaults.widget_conversations_per_hour, defaults.widget_address_conversations_per_hour) == (10, 100)
    assert (defaults.widget_connections_per_address, defaults.widget_max_connections) == (20, 1000)
    assert defaults.widget_idle_seconds == 600
    chosen = GatewaySettings.from_env(
        {"WIDGET_CONNECTIONS_PER_ADDRESS": "3", "WIDGET_IDLE_SECONDS": "120", "WIDGET_CONVERSATIONS_PER_HOUR": "4"}
    )
    assert (chosen.widget_connections_per_address, chosen.widget_idle_seconds) == (3, 120)
    assert chosen.widget_conversations_per_hour == 4
    with pytest.raises(ConfigError, match="WIDGET_MAX_CONNECTIONS"):
        GatewaySettings.from_env({"WIDGET_MAX_CONNECTIONS": "0"})
    with pytest.raises(ConfigError, match="WIDGET_IDLE_SECONDS"):
        GatewaySettings.from_env({"WIDGET_IDLE_SECONDS": "soon"})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_limits_stay_bounded_over_10000_visitors_from_10000_addresses():
    clock = Clock()
    settings = replace(GatewaySettings(base=Settings.from_env({})), widget_connections_per_address=1)
    limits = WidgetLimits(settings, clock)
    largest: dict[str, int] = {}
    for number in range(10_000):
        clock.now += 10  # a new visitor every ten seconds, each from an address of its own
        visitor, address = f"visitor-{number}", f"10.{number // 256 // 256}.{number // 256 % 256}.{number % 256}"
        assert limits.open_connection(address) is None
        assert limits.allow_frame(visitor, address)  # the hello
        assert limits.allow_new_conversation(visitor, address)
        for _ in range(3):
            assert limits.allow_frame(visitor, address) and limits.allow_message(visitor, address)
        largest = {name: max(size, largest.get(name, 0)) for name, size in limits.sizes().items()}
        limits.close_connection(address)
    assert largest["addresses with connections"] == 1 and limits.sizes()["addresses with connections"] == 0
    # One new conversation refills in 6 minutes (10 an hour): about 36 visitors and 36 addresses matter
    # at once; a sweep runs when a map has doubled, so each map stays within twice that, or the floor.
    assert largest["conversations"] <= 2 * 2 * 40
    assert largest["frames"] <= 2 * 64 and largest["messages"] <= 2 * 64


def test_a_visitor_limited_for_new_conversations_stays_limited_through_sweeps():
    clock = Clock()
    settings = replace(GatewaySettings(base=Settings.from_env({})), widget_conversations_per_hour=2)
    limits = WidgetLimits(settings, clock)
    assert limits.allow_new_conversation("visitor-a", "192.0.2.1")
    assert limits.allow_new_conversation("visitor-a", "192.0.2.1")
    for number in range(500):  # many others, so sweeps run
        clock.now += 1
        limits.allow_new_conversation(f"visitor-{number}", f"198.51.100.{number % 200}")
    assert not limits.allow_new_conversation("visitor-a", "192.0.2.1")
    clock.now += 3600
    assert limits.allow_new_conversation("visitor-a", "192.0.2.1")
