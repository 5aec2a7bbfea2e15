"""Struggle signals and the staff summary, on the event dictionaries a rasa_sdk Tracker holds."""
from __future__ import annotations

from bot.booking.config import StruggleThresholds
from bot.booking.struggle import Reason, latest_question, read_signals, struggle_reason
from bot.booking.summary import summarise


def user(intent: str, text: str = "...") -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def asked(intent: str, text: str = "...") -> list[dict]:
    return [user(intent, text), action(f"utter_{intent}"), action("action_did_that_help"), action("action_listen")]


THRESHOLDS = StruggleThresholds()


def test_nothing_wrong():
    assert struggle_reason(asked("mitid_get"), THRESHOLDS) is None


def test_fallbacks_in_a_row_with_something_else_between():
    events = [user("nlu_fallback"), action("action_handle_fallback"), user("ask_something_else"), action("utter_ask_something_else"), user("nlu_fallback")]
    assert read_signals(events).fallbacks_in_a_row == 2
    assert struggle_reason(events, THRESHOLDS) is Reason.NOT_UNDERSTOOD
    understood = [user("nlu_fallback"), action("action_handle_fallback"), user("mitid_get"), action("utter_mitid_get"), user("nlu_fallback")]
    assert struggle_reason(understood, THRESHOLDS) is None


def test_thresholds_come_from_config():
    events = [*asked("mitid_get"), user("deny")]
    assert struggle_reason(events, THRESHOLDS) is None
    assert struggle_reason(events, StruggleThresholds(not_helped=1)) is Reason.NOT_HELPED
    three = [*asked("mitid_get"), *asked("mitid_get")]
    assert struggle_reason(three, StruggleThresholds(same_question=2)) is Reason.SAME_QUESTION


def test_a_new_session_starts_counting_again():
    events = [*asked("mitid_get"), user("deny"), *asked("mitid_get"), {"event": "session_started"}, *asked("mitid_get"), user("deny")]
    assert read_signals(events).not_helped == 1
    assert latest_question([*asked("mitid_get"), {"event": "session_started"}, user("greet")]) is None


def test_same_question_counts_only_the_latest_question():
    events = [*asked("mitid_get"), *asked("mitid_get"), *asked("mitid_blocked")]
    assert read_signals(events).same_question == 1


def test_summary_for_staff():
    events = [
        *asked("mitid_forgot_pin", "har glemt min pinkode"), user("deny", "nej"), action("action_check_struggle"),
        *asked("mitid_forgot_pin", "jeg kan stadig ikke huske min pinkode og appen er låst " + "x" * 200),
        user("deny", "/deny"),
    ]
    text = summarise(events, Reason.NOT_HELPED, "mitid_forgot_pin")
    lines = text.splitlines()
    assert lines[0] == "Hvorfor: Borgeren svarede flere gange, at svaret ikke hjalp."
    assert lines[1] == "Emne: MitID: glemt PIN-kode eller adgangskode."
    assert lines[2] == "Spurgt om: MitID: glemt PIN-kode eller adgangskode (2 gange)."
    assert lines[3] == "Svar givet: MitID: glemt PIN-kode eller adgangskode."
    assert lines[4] == "Svarede \"Nej\" til \"Hjalp det?\": 2 gange."
    assert lines[5].startswith("Borgerens seneste beskeder: \"har glemt min pinkode\" | \"nej\" | \"jeg kan stadig")
    assert "/deny" not in text and len(text) < 800


def test_summary_without_questions():
    assert summarise([user("request_human", "menneske")], Reason.ASKED_FOR_PERSON, None).splitlines()[:3] == [
        "Hvorfor: Borgeren bad om at tale med en medarbejder.",
        "Emne: Andet.",
        "Svar givet: ingen endnu.",
    ]


def test_form_answers_are_not_quoted():
    events = [
        user("book_helper", "jeg vil have en tid"), action("booking_form"), {"event": "active_loop", "name": "booking_form"},
        user("inform", "Mette"), action("booking_form"), user("inform", "20 30 40 50"), action("booking_form"),
        {"event": "active_loop", "name": None}, action("action_booking_confirmation"), user("express_difficulty", "det er svært"),
    ]
    text = summarise(events, Reason.DIFFICULTY, None)
    assert "Mette" not in text and "20 30 40 50" not in text
    assert "\"jeg vil have en tid\" | \"det er svært\"" in text


def test_summary_tells_staff_when_the_citizen_got_english():
    events = [{"event": "slot", "name": "language", "value": "en"}, user("request_human", "I want to talk to a person")]
    lines = summarise(events, Reason.ASKED_FOR_PERSON, None).splitlines()
    assert lines[1:3] == ["Emne: Andet.", "Sprog: engelsk. Borgeren har fået svar på engelsk."]
    assert "Sprog" not in summarise(events[1:], Reason.ASKED_FOR_PERSON, None)
