"""The two-stage fallback on real rasa_sdk trackers: "Mente du ...?", then a person."""
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from actions.fallback import ActionHandleFallback
from tests.booking.helpers import buttons, responses, run, session

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.4},
    {"name": "mitid_forgot_pin", "confidence": 0.35},
    {"name": "greet", "confidence": 0.2},
    {"name": "mitid_blocked", "confidence": 0.3},
    {"name": "digitalpost_read", "confidence": 0.1},
]


def miss(text="noget uklart", ranking=RANKING):
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.4}, "intent_ranking": ranking, "text": text}
    return [UserUttered(text, parse["intent"], parse_data=parse), ActionExecuted("action_handle_fallback"),
            BotUttered("Mente du ...?"), ActionExecuted("action_listen")]


def said(intent, text="noget"):
    return [UserUttered(text, {"name": intent, "confidence": 0.9}), BotUttered("svar"), ActionExecuted("action_listen")]


def latest_miss(ranking=RANKING):
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.4}, "intent_ranking": ranking, "text": "hvad"}
    return [UserUttered("hvad", parse["intent"], parse_data=parse)]


def test_first_miss_offers_the_two_likeliest_topics_and_something_else(context):
    messages, _ = run(ActionHandleFallback(context), session(*said("greet"), *latest_miss()))
    assert responses(messages) == ["utter_fallback_did_you_mean"]
    assert [b["payload"] for b in buttons(messages[0])] == ["/mitid_forgot_pin", "/mitid_blocked", "/ask_something_else"]
    assert buttons(messages[0])[-1]["title"] == "Noget andet"


def test_second_miss_in_a_row_finds_a_person_and_records_why(context):
    messages, events = run(ActionHandleFallback(context), session(*miss(), *latest_miss()))
    assert "utter_handoff_intro_not_understood" in responses(messages)
    assert any(e.get("name") == "handoff_reason" and e.get("value") == "repeated_fallback" for e in events), events


def test_something_else_between_misses_still_counts_as_in_a_row(context):
    events = session(*miss(), *said("ask_something_else"), *latest_miss())
    messages, _ = run(ActionHandleFallback(context), events)
    assert "utter_handoff_intro_not_understood" in responses(messages)


def test_an_understood_question_in_between_starts_the_count_again(context):
    messages, _ = run(ActionHandleFallback(context), session(*miss(), *said("mitid_get"), *latest_miss()))
    assert responses(messages) == ["utter_fallback_did_you_mean"]


def test_without_any_likely_topic_it_offers_the_menu_and_a_person(context):
    only_fallback = [{"name": "nlu_fallback", "confidence": 0.4}]
    messages, _ = run(ActionHandleFallback(context), session(*latest_miss(only_fallback)))
    assert responses(messages) == ["utter_fallback_offer_person"]
