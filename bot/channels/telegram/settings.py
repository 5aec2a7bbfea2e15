"""Telegram's settings, from environment variables; without a bot token the channel is off."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config import ConfigError, env_number

WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK, POLLING = "webhook", "polling"
# What Telegram accepts as a webhook secret token.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


def _public_or_loopback(url: str) -> bool:
    # Telegram posts only to https; plain http is for a Bot API server on this machine (and tests).
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    mode: str = POLLING
    webhook_url: str = ""  # the public https address Telegram posts updates to
    webhook_secret: str = ""
    api_url: str = "https://api.telegram.org"  # another for a self-hosted Bot API server (or tests)
    max_backoff: float = 30.0  # the longest pause between two tries of a failed send
    give_up_after: float = 3600.0  # a message not through this long after it was queued is given up
    poll_timeout: int = 30  # seconds one getUpdates call waits for news (polling mode)

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @property
    def webhook_path(self) -> str:
        path = urlsplit(self.webhook_url).path.rstrip("/")
        return path or WEBHOOK_PATH

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings:
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            return cls()
        webhook_url = env.get("TELEGRAM_WEBHOOK_URL", "").strip()
        if webhook_url and not urlsplit(webhook_url).path.strip("/"):
            webhook_url = webhook_url.rstrip("/") + WEBHOOK_PATH
        mode = env.get("TELEGRAM_MODE", "").strip().lower() or (WEBHOOK if webhook_url else POLLING)
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
        if mode not in (WEBHOOK, POLLING):
            raise ConfigError(f"environment: TELEGRAM_MODE must be {WEBHOOK} or {POLLING}, got {mode!r}")
        if mode == WEBHOOK:
            if not _public_or_loopback(webhook_url):
                raise ConfigError("environment: TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL, an https:// address")
            if not _SECRET.match(secret):
                raise ConfigError(
                    "environment: TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET, 16 to 256 characters "
                    "of A-Z, a-z, 0-9, _ and -"
                )
        return cls(
            token=token,
            mode=mode,
            webhook_url=webhook_url,
            webhook_secret=secret,
            api_url=(env.get("TELEGRAM_API_URL", "").strip() or cls.api_url).rstrip("/"),
            max_backoff=env_number(env, "TELEGRAM_MAX_BACKOFF", 30.0, 0.1),
            give_up_after=env_number(env, "TELEGRAM_GIVE_UP_AFTER", 3600.0, 1.0),
        )

    def status_line(self) -> str:
        """One line for `python -m bot run`: whether citizens can write on Telegram, and how."""
        if not self.enabled:
            return "Telegram: off (set TELEGRAM_BOT_TOKEN to turn it on)."
        if self.mode == WEBHOOK:
            return f"Telegram: on, Telegram posts updates to {self.webhook_url}"
        return "Telegram: on, polling Telegram for updates (no public address needed)"
