"""Which language the citizen asked for with `change_language`, and the slot before the request."""
from rasa_sdk import Tracker

from actions.language import ActionChangeLanguage, conversation_language, requested_language
from rasa_sdk.executor import CollectingDispatcher


def tracker(text: str, events_before: list[dict] | None = None, entities: list[dict] | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": "change_language"}, "entities": entities or []}
    events = [*(events_before or []), {"event": "user", **latest}]
    slots = {"language": next((e["value"] for e in reversed(events) if e.get("name") == "language"), None)}
    for entity in latest["entities"]:
        slots["language"] = entity["value"]
    return Tracker("someone", slots, latest, events, False, None, None, "action_listen")


EN = {"event": "slot", "name": "language", "value": "en"}
DETECTED_EN = {"entity": "language", "value": "en", "extractor": "LanguageDetector"}
DETECTED_DA = {"entity": "language", "value": "da", "extractor": "LanguageDetector"}


def test_the_button_says_which_language():
    assert requested_language(tracker('/change_language{"language":"en"}', entities=[{"entity": "language", "value": "en"}])) == "en"
    assert requested_language(tracker('/change_language{"language":"da"}', [EN], [{"entity": "language", "value": "da"}])) == "da"


def test_a_language_named_in_the_message():
    assert requested_language(tracker("kan du tale engelsk", entities=[DETECTED_DA])) == "en"
    # Written in English, asking for Danish: the request counts, not the language it is written in.
    assert requested_language(tracker("can you answer in Danish", [EN], [DETECTED_EN])) == "da"
    assert requested_language(tracker("kan du skrive på dansk", [EN])) == "da"


def test_the_language_not_wanted():
    assert requested_language(tracker("I don't speak Danish", entities=[DETECTED_EN])) == "en"
    assert requested_language(tracker("jeg kan ikke engelsk", [EN], [DETECTED_DA])) == "da"


def test_no_language_named_switches_to_the_other_one():
    assert requested_language(tracker("skift sprog")) == "en"
    assert requested_language(tracker("change language", [EN])) == "da"
    # The detector set the slot to English from this very message; the switch reads the slot before it.
    assert requested_language(tracker("can I change the language please", entities=[DETECTED_EN])) == "en"
    assert requested_language(tracker("can I change the language please", [EN], [DETECTED_EN])) == "da"


async def test_the_action_sets_the_slot():
    events = await ActionChangeLanguage().run(CollectingDispatcher(), tracker("på engelsk tak"), {})
    assert events == [{"event": "slot", "timestamp": None, "name": "language", "value": "en"}]


def test_an_unset_or_unknown_slot_is_danish():
    assert conversation_language(tracker("hej")) == "da"
    assert conversation_language(tracker("hello there, I need help", [EN])) == "en"
