"""The citizen's channel comes from the gateway's metadata: to Rasa every message is a REST message."""
from rasa_sdk import Tracker

from actions.context import citizen_channel


def tracker_with(latest_message: dict, events: list | None = None) -> Tracker:
    return Tracker("citizen", {}, latest_message, events or [], False, None, {}, "action_listen")


def test_channel_from_the_gateways_metadata():
    latest = {"text": "hej", "intent": {"name": "greet"}, "metadata": {"channel": "telegram"}}
    events = [{"event": "user", "text": "hej", "input_channel": "rest"}]
    assert citizen_channel(tracker_with(latest, events)) == "telegram"


def test_without_metadata_the_input_channel_is_used():
    events = [{"event": "user", "text": "hej", "input_channel": "rest"}]
    assert citizen_channel(tracker_with({"text": "hej"}, events)) == "rest"
