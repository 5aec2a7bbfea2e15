"""What the actions need from outside: the municipality's configuration, loaded once per process.

rasa_sdk builds action objects itself, without arguments, so the configuration is looked up here
(its file from MUNICIPALITY_CONFIG, else municipality.yml) instead of being passed to constructors.
"""
from __future__ import annotations

from functools import lru_cache

from bot.config import Municipality, load_municipality


@lru_cache(maxsize=1)
def municipality() -> Municipality:
    return load_municipality()


def citizen_channel(tracker) -> str | None:
    """The citizen's own channel ("web", "telegram"): the gateway sends it as message metadata,
    since to Rasa every message arrives through the REST channel."""
    metadata = tracker.latest_message.get("metadata") or {}
    return metadata.get("channel") or tracker.get_latest_input_channel()
