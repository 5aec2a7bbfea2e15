"""Telegram's configuration from the environment, and the one line `python -m bot run` prints about it."""
from __future__ import annotations

import pytest

from bot.channels.telegram import POLLING, WEBHOOK, TelegramSettings
from bot.config import ConfigError

SECRET = "a-long-enough_secret-0123456789"


def test_without_a_token_the_channel_is_off_and_says_so_in_one_line():
    settings = TelegramSettings.from_env({"TELEGRAM_MODE": "webhook"})
    assert not settings.enabled
    assert settings.status_line() == "Telegram: off (set TELEGRAM_BOT_TOKEN to turn it on)."


def test_polling_is_the_default_without_a_public_address():
    settings = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc"})
    assert (settings.enabled, settings.mode, settings.api_url) == (True, POLLING, "https://api.telegram.org")
    assert settings.status_line().startswith("Telegram: on, polling")


def test_how_long_a_message_is_tried_before_it_is_given_up():
    assert TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc"}).give_up_after == 3600
    assert TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_GIVE_UP_AFTER": "600"}).give_up_after == 600


def test_a_webhook_address_chooses_webhook_mode_and_its_path_is_the_route():
    settings = TelegramSettings.from_env(
        {"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_WEBHOOK_URL": "https://chat.kommune.dk", "TELEGRAM_WEBHOOK_SECRET": SECRET}
    )
    assert settings.mode == WEBHOOK
    assert settings.webhook_url == "https://chat.kommune.dk/telegram/webhook"
    assert settings.webhook_path == "/telegram/webhook"
    assert settings.status_line() == "Telegram: on, Telegram posts updates to https://chat.kommune.dk/telegram/webhook"
    behind_a_proxy = TelegramSettings.from_env(
        {"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_WEBHOOK_URL": "https://kommune.dk/chat/tg", "TELEGRAM_WEBHOOK_SECRET": SECRET}
    )
    assert behind_a_proxy.webhook_path == "/chat/tg"


@pytest.mark.parametrize(
    "env, complaint",
    [
        ({"TELEGRAM_MODE": "push"}, "TELEGRAM_MODE"),
        ({"TELEGRAM_MODE": "webhook"}, "TELEGRAM_WEBHOOK_URL"),
        ({"TELEGRAM_WEBHOOK_URL": "http://chat.kommune.dk/tg", "TELEGRAM_WEBHOOK_SECRET": SECRET}, "https"),
        ({"TELEGRAM_WEBHOOK_URL": "https://chat.kommune.dk/tg"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_WEBHOOK_URL": "https://chat.kommune.dk/tg", "TELEGRAM_WEBHOOK_SECRET": "kort"}, "16 to 256"),
        ({"TELEGRAM_WEBHOOK_URL": "https://chat.kommune.dk/tg", "TELEGRAM_WEBHOOK_SECRET": SECRET + "!"}, "A-Z"),
        ({"TELEGRAM_MAX_BACKOFF": "lidt"}, "TELEGRAM_MAX_BACKOFF"),
        ({"TELEGRAM_MAX_BACKOFF": "-5"}, "TELEGRAM_MAX_BACKOFF must be at least"),
        ({"TELEGRAM_GIVE_UP_AFTER": "0"}, "TELEGRAM_GIVE_UP_AFTER must be at least"),
    ],
)
def test_a_wrong_setting_is_named(env, complaint):
    with pytest.raises(ConfigError, match=complaint):
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc", **env})
