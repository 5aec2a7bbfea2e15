""""Vis mere": which rest action_show_more shows ("Hjalp det?" keeping the button: tests/booking/test_handoff.py).

Real rasa_sdk Trackers built from real Rasa events, with the domain in domain/ (tests/booking/helpers.py).
"""
from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, SessionStarted

from actions.show_more import ActionShowMore
from tests.booking.helpers import answered, domain_dict, render, responses, run, session, user

def show_more(*before) -> tuple[list, list]:
    return run(ActionShowMore(), session(*before, user("/show_more", "show_more")))


def test_the_rest_of_the_last_answer_the_citizen_asked_for():
    messages, result = show_more(*answered("ny telefon", "mitid_new_phone"))
    assert responses(messages) == ["utter_mitid_new_phone_more"] and result == []
    assert '"Kopier fra en anden MitID app"' in render(messages[0])


def test_the_latest_question_counts_not_an_earlier_long_one():
    before = [*answered("ny telefon", "mitid_new_phone"), *answered("glemt pinkode", "mitid_forgot_pin")]
    assert responses(show_more(*before)[0]) == ["utter_mitid_forgot_pin_more"]


def test_small_talk_after_the_answer_does_not_change_the_topic():
    before = [*answered("breve på papir", "digitalpost_exemption"), user("tak", "thank"), ActionExecuted("utter_thank")]
    assert responses(show_more(*before)[0]) == ["utter_digitalpost_exemption_more"]


def test_a_whole_answer_has_no_rest_and_says_so():
    messages, result = show_more(*answered("hvornår er i åbne", "contact_borgerservice"))
    assert responses(messages) == ["utter_no_more"] and result == []


def test_before_any_answer_it_offers_the_topics_and_waits_instead_of_asking_hjalp_det():
    messages, result = show_more(user("hej", "greet"), ActionExecuted("utter_greet"))
    assert responses(messages) == ["utter_nothing_to_show"]
    assert result == [{"event": "followup", "name": "action_listen", "timestamp": None}]


def test_an_answer_from_the_last_visit_is_not_continued():
    before = [*answered("ny telefon", "mitid_new_phone"), ActionExecuted("action_session_start"), SessionStarted()]
    assert responses(show_more(*before)[0]) == ["utter_nothing_to_show"]


def test_every_rest_is_in_the_domain_for_the_answers_that_offer_one():
    names = domain_dict()["responses"]
    offering = [n for n, v in names.items() if any(b.get("payload") == "/show_more" for b in v[0].get("buttons") or [])]
    assert offering and all(f"{name}_more" in names for name in offering)
