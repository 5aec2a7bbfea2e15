"""The staff console's settings, from environment variables."""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.booking.handoff import DEFAULT_PRESENCE_TIMEOUT, presence_timeout_from_env
from bot.config import ConfigError
from bot.config import env_number as _number


@dataclass(frozen=True)
class ConsoleSettings:
    handoff_timeout: float = 300.0  # seconds a citizen waits for staff before a booking is offered instead
    tick_seconds: float = 5.0  # how often waiting conversations and staff presence are checked
    # An "online" staff member whose console went quiet this long is away; the handoff decision in the
    # action server uses the same limit (bot.booking.handoff).
    presence_timeout: float = DEFAULT_PRESENCE_TIMEOUT
    session_hours: float = 12.0  # a login lasts at most this long
    session_idle_minutes: float = 120.0  # and ends sooner when the browser shows no sign of life
    secure_cookies: bool | None = None  # None: Secure when the request came over HTTPS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if env is None else env
        secure = env.get("STAFF_COOKIE_SECURE", "").strip().lower()
        if secure not in ("", "auto", "0", "1", "true", "false"):
            raise ConfigError(f"environment: STAFF_COOKIE_SECURE must be 1, 0 or auto, got {secure!r}")
        return cls(
            handoff_timeout=_number(env, "HANDOFF_TIMEOUT_SECONDS", 300.0, 1.0),
            tick_seconds=_number(env, "CONSOLE_TICK_SECONDS", 5.0, 0.05),
            presence_timeout=presence_timeout_from_env(env),
            session_hours=_number(env, "STAFF_SESSION_HOURS", 12.0, 0.1),
            session_idle_minutes=_number(env, "STAFF_SESSION_IDLE_MINUTES", 120.0, 1.0),
            secure_cookies=_secure_cookies(secure, env.get("GATEWAY_HOST", "127.0.0.1")),
        )


def on_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _secure_cookies(configured: str, gateway_host: str) -> bool | None:
    """Unset: always Secure when the gateway listens beyond loopback (its traffic may cross a network,
    so it must come through TLS); on loopback, Secure when the request came over HTTPS."""
    if configured in ("", "auto"):
        return None if on_loopback(gateway_host) else True
    return configured in ("1", "true")
