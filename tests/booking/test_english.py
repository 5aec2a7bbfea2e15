"""The booking form, its confirmation and "Mente du ...?" for a newcomer: the slot `language` is "en"."""
from __future__ import annotations

from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.events import SlotSet

from actions.booking import ActionAskBookingConfirmed, ActionAskBookingTime, ActionBookingConfirmation, ValidateBookingForm
from actions.fallback import ActionHandleFallback

from .helpers import FACTS, domain, form_turn, in_form, responses, run, session, slots_of, user, with_next_slot
from .test_booking_form import FORM, iso

ENGLISH = SlotSet("language", "en")


def render_english(message: dict) -> str:
    """The English variation of the response, filled in like Rasa's NLG does for language = "en"."""
    [variant] = [v for v in domain().responses[message["response"]] if v.get("condition")]
    assert variant["condition"] == [{"type": "slot", "name": "language", "value": "en"}]
    values = {**FACTS, **{k: v for k, v in message.items() if k not in ("response", "buttons")}}
    result = interpolate_text(variant["text"], values).strip()
    assert "{" not in result, result
    return result


def english_form(requested: str, **filled) -> list:
    slots = {"booking_kind": "callback", "booking_topic": "mitid_forgot_pin", **filled}
    return session(ENGLISH, *in_form(FORM, requested, *[SlotSet(k, v) for k, v in slots.items()]))


def test_time_buttons_show_english_times_and_send_the_danish_label(context):
    [message], _ = run(ActionAskBookingTime(context), english_form("booking_time"))
    assert [b["title"] for b in message["buttons"]] == [
        "Monday 23 Nov at 10:00",
        "Monday 23 Nov at 10:20",
        "Monday 23 Nov at 10:40",
        "Monday 23 Nov at 11:00",
        "Other times",
    ]
    # The time parser reads the Danish label back, whatever the button shows.
    assert [b["payload"] for b in message["buttons"]][:2] == ["mandag 23. nov. kl. 10.00", "mandag 23. nov. kl. 10.20"]
    assert render_english(message).startswith("When may we call you?")


def test_a_typed_english_time_and_name_are_understood(context):
    before = english_form("booking_time")
    events = form_turn(FORM, before, "tomorrow at 10", "inform", "booking_time", "tomorrow at 10")
    messages, result = run(ValidateBookingForm(context), events)
    assert messages == [] and slots_of(result)["booking_time"] == iso(24, 10)
    asking = english_form("booking_name", booking_time=iso(24, 10))
    events = form_turn(FORM, asking, "My name is anna", "inform", "booking_name", "My name is anna")
    _, result = run(ValidateBookingForm(context), events)
    assert with_next_slot(FORM, events, slots_of(result))["booking_name"] == "Anna"


def test_an_english_time_that_cannot_be_booked_is_explained_in_english(context):
    before = english_form("booking_time")
    events = form_turn(FORM, before, "Saturday at 10", "inform", "booking_time", "Saturday at 10")
    messages, _ = run(ValidateBookingForm(context), events)
    assert [render_english(m) for m in messages] == ["We have no times on Saturday 28 Nov. Choose another day."]


def test_summary_and_confirmation_in_english_with_the_booking_number(context):
    ready = english_form("booking_confirmed", booking_time=iso(24, 10), booking_name="Anna", booking_phone="20304050")
    [summary], _ = run(ActionAskBookingConfirmed(context), ready)
    assert render_english(summary) == (
        "Is this right?\n- Citizen Service (Borgerservice) calls Anna on 20 30 40 50\n- Tuesday 24 Nov at 10:00\n"
        "- Topic: MitID: forgot PIN code or password"
    )
    done = [*ready, SlotSet("booking_confirmed", True), SlotSet("booking_reference", "K7M-4PX")]
    messages, _ = run(ActionBookingConfirmation(context), done)
    assert responses(messages) == ["utter_booking_confirmed_callback", "utter_booking_how_to_cancel"]
    text = "\n".join(render_english(m) for m in messages)
    assert "We will call you Tuesday 24 Nov at 10:00 on 20 30 40 50." in text
    assert "Your booking number is K7M-4PX." in text


def test_did_you_mean_offers_english_topics(context):
    events = session(ENGLISH, user("my mitid thing is weird", "nlu_fallback"))
    events[-1].parse_data["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "mitid_blocked", "confidence": 0.3},
        {"name": "mitid_forgot_pin", "confidence": 0.2},
    ]
    [message], _ = run(ActionHandleFallback(context), events)
    assert [b["title"] for b in message["buttons"]] == ["MitID is blocked", "MitID: forgot PIN code or password", "Something else"]
    assert render_english(message) == "I am not sure I understood you. Did you mean one of these?"


def test_every_answer_in_these_files_has_an_english_variation_with_the_same_intents_behind_its_buttons():
    import yaml

    from .helpers import ROOT

    def intents(variant: dict) -> list[str]:
        # Buttons that send words ("Noget andet" / "Something else") are read like typed text.
        return [b["payload"] for b in variant.get("buttons", []) if b["payload"].startswith("/")]

    for name in ("dialogue", "handoff", "booking", "language"):
        answers = yaml.safe_load((ROOT / "domain" / "responses" / f"{name}.yml").read_text(encoding="utf-8"))["responses"]
        for key, variants in answers.items():
            english = [v for v in variants if v.get("condition") == [{"type": "slot", "name": "language", "value": "en"}]]
            assert len(english) == 1, key
            assert len(english[0].get("buttons", [])) == len(variants[0].get("buttons", [])), key
            if key != "utter_greet":  # English offers "Dansk" where Danish offers "English"
                assert intents(english[0]) == intents(variants[0]), key
