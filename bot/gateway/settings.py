"""The gateway's own settings, from environment variables, on top of the shared `bot.config.Settings`."""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import DEFAULT_REDIS_KEY_PREFIX, ConfigError, Settings, redis_key_prefix
from bot.config import env_number as _number
from bot.gateway.security import parse_networks
from bot.privacy.deletion import DEFAULT_AUDIT_RETENTION_DAYS, audit_retention_days_from_env

# Request bodies: what the log-in form and the console's JSON calls need, with room to spare. The
# larger overall limit covers the console's other forms and Telegram's updates.
LOGIN_BODY_LIMIT = 4 * 1024
STAFF_API_BODY_LIMIT = 32 * 1024
DEFAULT_BODY_LIMIT = 256 * 1024


@dataclass(frozen=True)
class GatewaySettings:
    base: Settings
    max_message_length: int = 1000
    rate_limit_messages: int = 8  # per widget visitor or Telegram chat, within rate_limit_seconds
    rate_limit_seconds: float = 10.0
    # The widget's socket, per gateway process (each replica counts its own). A visitor is the widget's
    # random id in one browser; an address is the client's, so many citizens behind one router share it.
    widget_address_messages: int = 40  # from one address, within rate_limit_seconds
    widget_frames_per_minute: int = 120  # frames of every kind from one visitor; more closes the socket
    widget_address_frames_per_minute: int = 1200
    widget_conversations_per_hour: int = 10  # new conversations one visitor may open
    widget_address_conversations_per_hour: int = 100
    widget_connections_per_address: int = 20  # open at once
    widget_max_connections: int = 1000  # open at once, from everyone
    widget_idle_seconds: float = 600.0  # closed after the hello when the client sends nothing this long
    rasa_timeout: float = 30.0
    retry_interval: float = 5.0  # how often messages kept while Rasa was down are tried again
    redis_url: str = ""  # set: delivery across gateway replicas through Redis pub/sub
    redis_key_prefix: str = DEFAULT_REDIS_KEY_PREFIX
    hello_timeout: float = 10.0
    purge_interval: float = 86400.0  # the retention purge runs this often (seconds) ...
    purge_first_delay: float = 60.0  # ... the first time this long after the start
    audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS  # the purge deletes older audit log entries
    max_body_bytes: int = DEFAULT_BODY_LIMIT  # no request body may be larger; some routes allow less
    hsts_max_age: int = 31536000  # Strict-Transport-Security on HTTPS answers; 0: not sent
    # Only these addresses may reach /staff; empty: any address.
    staff_allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        env = os.environ if env is None else env
        return cls(
            base=Settings.from_env(env),
            max_message_length=int(_number(env, "MAX_MESSAGE_LENGTH", 1000, 1)),
            rate_limit_messages=int(_number(env, "RATE_LIMIT_MESSAGES", 8, 1)),
            rate_limit_seconds=_number(env, "RATE_LIMIT_SECONDS", 10.0, 0.1),
            widget_address_messages=int(_number(env, "WIDGET_ADDRESS_MESSAGES", 40, 1)),
            widget_frames_per_minute=int(_number(env, "WIDGET_FRAMES_PER_MINUTE", 120, 10)),
            widget_address_frames_per_minute=int(_number(env, "WIDGET_ADDRESS_FRAMES_PER_MINUTE", 1200, 10)),
            widget_conversations_per_hour=int(_number(env, "WIDGET_CONVERSATIONS_PER_HOUR", 10, 1)),
            widget_address_conversations_per_hour=int(_number(env, "WIDGET_ADDRESS_CONVERSATIONS_PER_HOUR", 100, 1)),
            widget_connections_per_address=int(_number(env, "WIDGET_CONNECTIONS_PER_ADDRESS", 20, 1)),
            widget_max_connections=int(_number(env, "WIDGET_MAX_CONNECTIONS", 1000, 1)),
            widget_idle_seconds=_number(env, "WIDGET_IDLE_SECONDS", 600.0, 1.0),
            rasa_timeout=_number(env, "RASA_TIMEOUT", 30.0, 0.1),
            retry_interval=_number(env, "RETRY_INTERVAL", 5.0, 0.05),
            redis_url=env.get("REDIS_URL", ""),
            redis_key_prefix=redis_key_prefix(env),
            purge_interval=_number(env, "PURGE_INTERVAL_SECONDS", 86400.0, 0.05),
            purge_first_delay=_number(env, "PURGE_FIRST_DELAY_SECONDS", 60.0, 0.0),
            audit_retention_days=audit_retention_days_from_env(env),
            max_body_bytes=int(_number(env, "MAX_BODY_BYTES", DEFAULT_BODY_LIMIT, LOGIN_BODY_LIMIT)),
            hsts_max_age=int(_number(env, "HSTS_MAX_AGE", 31536000, 0)),
            staff_allowed_networks=_networks(env, "STAFF_ALLOWED_ADDRESSES"),
        )

    @property
    def body_limits(self) -> tuple[tuple[str, int], ...]:
        return (("/staff/login", LOGIN_BODY_LIMIT), ("/staff/api", STAFF_API_BODY_LIMIT))

    @property
    def action_server_health_url(self) -> str:
        url = self.base.action_server_url.rstrip("/")
        if url.endswith("/webhook"):
            url = url[: -len("/webhook")]
        return url + "/health"


def _networks(env: Mapping[str, str], name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return parse_networks(env.get(name, ""))
    except ValueError as error:
        raise ConfigError(f"environment: {name} must be addresses or networks separated by commas ({error})") from None
