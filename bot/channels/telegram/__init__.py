"""Citizens on Telegram: the same conversations as the web widget, in Telegram's shapes.

`telegram_channel(settings, service, gateway_settings)` gives the channel (None without a bot token);
the gateway mounts its `routes` and calls `start()` and `stop()` with its own lifespan.
"""
from bot.channels.telegram.channel import SECRET_HEADER, TelegramChannel, telegram_channel
from bot.channels.telegram.settings import POLLING, WEBHOOK, TelegramSettings

__all__ = ["POLLING", "SECRET_HEADER", "WEBHOOK", "TelegramChannel", "TelegramSettings", "telegram_channel"]
