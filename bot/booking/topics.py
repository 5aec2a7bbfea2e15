"""A booking's topic: read from what the citizen typed, and what to bring to a meeting about it.

Topic keys and their labels are in bot/danish.py.
"""
from __future__ import annotations


def topic_group(topic: str | None) -> str:
    if topic and topic.startswith("mitid"):
        return "mitid"
    if topic and topic.startswith("digitalpost"):
        return "digitalpost"
    return "other"


def what_to_bring(topic: str | None) -> str:
    """The response that says what to bring to a meeting in borgerservice about this topic."""
    if topic == "digitalpost_exemption":
        return "utter_booking_bring_fritagelse"
    if topic_group(topic) == "mitid":
        return "utter_booking_bring_mitid"
    return "utter_booking_bring_general"


def topic_from_text(text: str) -> str:
    """The topic a citizen typed or clicked when asked what the time is about."""
    folded = (text or "").lower().replace(" ", "").replace("-", "")
    if any(word in folded for word in ("mitid", "nemid", "pinkode", "brugerid", "kodeviser")):
        return "mitid"
    if "fritag" in folded:
        return "digitalpost_exemption"
    if any(word in folded for word in ("digitalpost", "eboks", "mit.dk", "mitdk", "post")):
        return "digitalpost"
    return "other"
