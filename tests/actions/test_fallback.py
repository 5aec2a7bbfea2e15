"""The two-stage fallback, on real rasa_sdk trackers."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionHandleFallback, consecutive_misses

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.4},
    {"name": "mitid_forgot_pin", "confidence": 0.35},
    {"name": "greet", "confidence": 0.2},
    {"name": "mitid_blocked", "confidence": 0.3},
    {"name": "digitalpost_read", "confidence": 0.1},
]


def user(intent, text="noget", ranking=None):
    parse = {"intent": {"name": intent, "confidence": 0.4}, "intent_ranking": ranking or [], "text": text}
    return {"event": "user", "text": text, "parse_data": parse}


def bot(text="svar"):
    return {"event": "bot", "text": text}


def tracker(events):
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker("citizen", {}, latest, events, False, None, {}, "action_listen")


def run(events):
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandleFallback().run(dispatcher, tracker(events), {}))
    return dispatcher.messages


def test_first_miss_offers_the_two_likeliest_topics_and_something_else():
    [message] = run([user("greet"), bot(), user("nlu_fallback", ranking=RANKING)])
    assert message["response"] == "utter_fallback_did_you_mean"
    assert [b["payload"] for b in message["buttons"]] == ["/mitid_forgot_pin", "/mitid_blocked", "/ask_something_else"]
    assert message["buttons"][-1]["title"] == "Noget andet"
    assert all(b["title"] and not b["title"].startswith("/") for b in message["buttons"])


def test_second_miss_in_a_row_offers_a_person():
    events = [user("nlu_fallback", ranking=RANKING), bot(), user("nlu_fallback", ranking=RANKING)]
    [message] = run(events)
    assert message["response"] == "utter_fallback_offer_person"


def test_something_else_between_misses_does_not_reset_the_count():
    events = [user("nlu_fallback", ranking=RANKING), bot(), user("ask_something_else"), bot(), user("nlu_fallback", ranking=RANKING)]
    assert consecutive_misses(tracker(events)) == 2


def test_an_understood_message_resets_the_count():
    events = [user("nlu_fallback", ranking=RANKING), bot(), user("mitid_get"), bot(), user("nlu_fallback", ranking=RANKING)]
    assert consecutive_misses(tracker(events)) == 1
    assert run(events)[0]["response"] == "utter_fallback_did_you_mean"


def test_without_any_likely_topic_it_offers_the_menu_and_a_person():
    [message] = run([user("nlu_fallback", ranking=[{"name": "nlu_fallback", "confidence": 0.4}])])
    assert message["response"] == "utter_fallback_offer_person"
