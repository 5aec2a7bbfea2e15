"""The booking form's validation and ask actions on real trackers and a real database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet
from sqlalchemy import func, select

from actions.booking import (
    ActionAskBookingConfirmed,
    ActionAskBookingTime,
    ActionBookingConfirmation,
    ValidateBookingForm,
    clean_first_name,
)
from actions.manage_booking import ActionStopBooking
from bot.booking.service import BookingRequest
from bot.store.models import Booking, BookingKind, BookingStatus, Handoff

from .conftest import ZONE
from .helpers import (
    SENDER,
    answered,
    buttons,
    form_turn,
    in_form,
    render,
    rendered,
    responses,
    run,
    session,
    slots_of,
    user,
    with_next_slot,
)

FORM = "booking_form"


def iso(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(timezone.utc).isoformat()


def callback_form(requested: str, **filled) -> list:
    slots = {"booking_kind": "callback", "booking_topic": "mitid_forgot_pin", **filled}
    return session(*in_form(FORM, requested, *[SlotSet(k, v) for k, v in slots.items()]))


def validate(context, before, text, slot, value=None, intent="inform"):
    events = form_turn(FORM, before, text, intent, slot, text if value is None else value)
    messages, result = run(ValidateBookingForm(context), events)
    return messages, with_next_slot(FORM, events, slots_of(result))


def count_bookings(context) -> int:
    with context.bookings.database.session() as session_:
        return session_.scalar(select(func.count()).select_from(Booking))


# --- kind and topic --------------------------------------------------------------------------


def test_kind_from_button_and_from_typed_words(context):
    before = session(*in_form(FORM, "booking_kind"))
    assert validate(context, before, "/choose_callback", "booking_kind", "callback")[1]["booking_kind"] == "callback"
    assert validate(context, before, "jeg vil gerne ringes op", "booking_kind")[1]["booking_kind"] == "callback"
    assert validate(context, before, "jeg kommer hellere forbi borgerservice", "booking_kind")[1]["booking_kind"] == "meeting"
    messages, slots = validate(context, before, "banan", "booking_kind")
    assert slots["booking_kind"] is None and responses(messages) == ["utter_booking_kind_not_understood"]


def test_topic_comes_from_the_conversation_and_the_form_asks_for_the_time_next(context):
    events = session(*answered("har glemt min pinkode", "mitid_forgot_pin"), *in_form(FORM, "booking_kind"))
    messages, slots = validate(context, events, "/choose_meeting", "booking_kind", "meeting")
    assert slots["booking_topic"] == "mitid_forgot_pin"
    assert slots["requested_slot"] == "booking_time"
    assert "booking_phone" not in slots


def test_topic_is_asked_when_unknown_and_typed_topics_are_understood(context):
    before = session(*in_form(FORM, "booking_kind"))
    assert validate(context, before, "/choose_callback", "booking_kind", "callback")[1]["requested_slot"] == "booking_topic"
    asking = session(*in_form(FORM, "booking_topic", SlotSet("booking_kind", "callback")))
    assert validate(context, asking, "det handler om min mit id", "booking_topic")[1]["booking_topic"] == "mitid"
    assert validate(context, asking, "Digital Post", "booking_topic")[1]["booking_topic"] == "digitalpost"
    assert validate(context, asking, "fritagelse", "booking_topic")[1]["booking_topic"] == "digitalpost_exemption"
    assert validate(context, asking, "mit pas", "booking_topic")[1]["booking_topic"] == "other"


# --- time ------------------------------------------------------------------------------------


def test_time_buttons_show_free_slots_in_danish_and_more_times(context):
    messages, result = run(ActionAskBookingTime(context), callback_form("booking_time"))
    [message] = messages
    assert message["response"] == "utter_ask_booking_time_callback"
    titles = [b["title"] for b in message["buttons"]]
    assert titles == [
        "mandag 23. nov. kl. 10.00",
        "mandag 23. nov. kl. 10.20",
        "mandag 23. nov. kl. 10.40",
        "mandag 23. nov. kl. 11.00",
        "Andre tider",
    ]
    assert all(b["payload"] == b["title"] for b in message["buttons"])


def test_more_times_shows_the_next_page(context):
    before = callback_form("booking_time")
    _, slots = validate(context, before, "Andre tider", "booking_time")
    assert slots["booking_time"] is None and slots["booking_time_offset"] == 4
    later = callback_form("booking_time", booking_time_offset=4.0)
    [message], _ = run(ActionAskBookingTime(context), later)
    assert message["buttons"][0]["title"] == "mandag 23. nov. kl. 11.20"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("i morgen kl 10", iso(24, 10)),
        ("tirsdag 24. nov. kl. 10.20", iso(24, 10, 20)),
        ("på torsdag", iso(26, 10)),
        ("efter frokost", iso(23, 13)),
        ("hurtigst muligt", iso(23, 10)),
        ("fredag kl. 11.40", iso(27, 11, 40)),
    ],
)
def test_typed_times_are_matched_to_a_free_slot(context, text, expected):
    _, slots = validate(context, callback_form("booking_time"), text, "booking_time")
    assert slots["booking_time"] == expected
    assert slots["requested_slot"] == "booking_name"


def test_a_taken_time_is_matched_to_the_nearest_free_one_and_said_so(context):
    context.bookings.book(BookingRequest(BookingKind.CALLBACK, datetime(2026, 11, 24, 10, tzinfo=ZONE), "Ole", "30303030"))
    messages, slots = validate(context, callback_form("booking_time"), "i morgen kl 10", "booking_time")
    assert slots["booking_time"] == iso(24, 10, 20)
    assert render(messages[0]) == (
        "Der er ikke en ledig tid kl. 10.00, så jeg har valgt den nærmeste ledige tid, tirsdag 24. nov. kl. 10.20."
    )


@pytest.mark.parametrize(
    "text, response, says",
    [
        ("i går kl 10", "utter_booking_time_past", "allerede gået"),
        ("i dag kl 8", "utter_booking_time_past", "allerede gået"),
        ("søndag kl 10", "utter_booking_time_closed_day", "Vi har ingen tider søndag 29. nov., så vælg en anden dag."),
        ("i morgen kl 22", "utter_booking_time_outside_hours", "Vi har ingen tider tirsdag 24. nov. kl. 22.00, fordi"),
        ("i aften", "utter_booking_time_outside_hours", "Vi har ingen tider mandag 23. nov., fordi"),
        ("3. januar", "utter_booking_time_too_far", "højst 14 dage frem"),
    ],
    ids=["yesterday", "earlier today", "sunday", "evening", "tonight", "too far ahead"],
)
def test_times_that_cannot_be_booked_are_explained_and_alternatives_offered(context, text, response, says):
    messages, slots = validate(context, callback_form("booking_time"), text, "booking_time")
    assert slots["booking_time"] is None
    assert responses(messages) == [response]
    assert says in render(messages[0])
    assert slots["booking_time_options"]
    # The form asks again, with the alternatives as buttons.
    asked = callback_form("booking_time", booking_time_options=slots["booking_time_options"])
    [message], result = run(ActionAskBookingTime(context), asked)
    assert message["response"] == "utter_booking_nearest_times"
    assert len(message["buttons"]) == len(slots["booking_time_options"]) + 1
    assert slots_of(result) == {"booking_time_options": None}


@pytest.mark.parametrize("text", ["banan", "hvad koster det", "asdfgh", "🙂", ""])
def test_nonsense_is_not_taken_for_a_time(context, text):
    messages, slots = validate(context, callback_form("booking_time"), text, "booking_time")
    assert slots["booking_time"] is None
    assert responses(messages) == ["utter_booking_time_not_understood"]
    assert "i morgen kl. 10" in render(messages[0])


def test_a_meeting_day_closed_for_meetings_only(context):
    before = session(*in_form(FORM, "booking_time", SlotSet("booking_kind", "meeting"), SlotSet("booking_topic", "mitid")))
    messages, _ = validate(context, before, "på onsdag", "booking_time")
    assert render(messages[0]) == "Vi har ingen tider onsdag 25. nov., så vælg en anden dag."


# --- name and phone --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, name",
    [("Mette", "Mette"), ("jeg hedder ahmed", "Ahmed"), ("Anne-Marie", "Anne-Marie"), ("mit navn er Søren.", "Søren"),
     ("hvad skal jeg skrive her", None), ("20304050", None), ("", None), ("Jeg vil ikke", None), ("x" * 50, None)],
)
def test_first_name(text, name):
    assert clean_first_name(text) == name


def test_name_is_validated_and_phone_asked_for_callbacks_only(context):
    before = callback_form("booking_name", booking_time=iso(24, 10))
    messages, slots = validate(context, before, "hvad mener du", "booking_name")
    assert slots["booking_name"] is None and responses(messages) == ["utter_booking_name_not_understood"]
    _, slots = validate(context, before, "Mette", "booking_name")
    assert slots["booking_name"] == "Mette" and slots["requested_slot"] == "booking_phone"
    meeting = session(*in_form(FORM, "booking_name", SlotSet("booking_kind", "meeting"), SlotSet("booking_topic", "mitid"), SlotSet("booking_time", iso(24, 10))))
    _, slots = validate(context, meeting, "Mette", "booking_name")
    assert slots["requested_slot"] == "booking_confirmed"


@pytest.mark.parametrize("text", ["1234", "12345678", "+46 20 30 40 50", "tyve tredive", "2030405060"])
def test_invalid_phone_numbers_are_refused(context, text):
    before = callback_form("booking_phone", booking_time=iso(24, 10), booking_name="Mette")
    messages, slots = validate(context, before, text, "booking_phone")
    assert slots["booking_phone"] is None
    assert "8 cifre" in rendered(messages)


@pytest.mark.parametrize("text", ["20 30 40 50", "+45 20304050", "0045 20 30 40 50", "mit nummer er 20304050"])
def test_danish_phone_numbers_are_accepted(context, text):
    before = callback_form("booking_phone", booking_time=iso(24, 10), booking_name="Mette")
    _, slots = validate(context, before, text, "booking_phone")
    assert slots["booking_phone"] == "20304050" and slots["requested_slot"] == "booking_confirmed"


# --- confirm and book ------------------------------------------------------------------------


def ready(context, **overrides) -> list:
    values = dict(booking_time=iso(24, 10), booking_name="Mette", booking_phone="20304050")
    values.update(overrides)
    return callback_form("booking_confirmed", **values)


def test_summary_before_booking(context):
    [message], _ = run(ActionAskBookingConfirmed(context), ready(context))
    assert render(message) == (
        "Er det rigtigt?\n- Borgerservice ringer til Mette på 20 30 40 50\n- tirsdag 24. nov. kl. 10.00\n"
        "- Emne: MitID: glemt PIN-kode eller adgangskode"
    )
    assert [b["payload"] for b in buttons(message)] == ["/affirm", "/deny"]


def test_yes_books_the_time_with_a_summary_for_staff(context):
    events = session(*answered("har glemt min pinkode", "mitid_forgot_pin"), *ready(context)[len(session()):])
    messages, slots = validate(context, events, "/affirm", "booking_confirmed", True, intent="affirm")
    assert messages == []
    assert slots["booking_confirmed"] is True and slots["requested_slot"] is None
    booking = context.bookings.find(slots["booking_reference"])
    assert booking.first_name == "Mette" and booking.phone == "20304050" and booking.kind is BookingKind.CALLBACK
    assert booking.conversation_id == SENDER and booking.topic == "mitid_forgot_pin"
    assert "Borgeren bad om en tid" in booking.summary
    assert "Spurgt om: MitID: glemt PIN-kode eller adgangskode." in booking.summary
    assert "\"har glemt min pinkode\"" in booking.summary


def test_no_at_the_summary_asks_for_another_time(context):
    messages, slots = validate(context, ready(context), "/deny", "booking_confirmed", False, intent="deny")
    assert slots["booking_time"] is None and slots["booking_confirmed"] is None
    assert slots["requested_slot"] == "booking_time"
    assert count_bookings(context) == 0


def test_unclear_answer_at_the_summary_is_asked_again(context):
    messages, slots = validate(context, ready(context), "måske", "booking_confirmed")
    assert slots["booking_confirmed"] is None and responses(messages) == ["utter_booking_confirm_not_understood"]
    assert count_bookings(context) == 0


def test_slot_taken_while_the_citizen_was_typing_offers_the_next_one(context):
    context.bookings.book(BookingRequest(BookingKind.CALLBACK, datetime(2026, 11, 24, 10, tzinfo=ZONE), "Ole", "30303030"))
    messages, slots = validate(context, ready(context), "ja", "booking_confirmed", True, intent="affirm")
    assert render(messages[0]) == (
        "Den tid blev taget af en anden lige før dig. Den næste ledige tid er tirsdag 24. nov. kl. 10.20."
    )
    assert slots["booking_time"] is None and slots["booking_time_options"] == [iso(24, 10, 20)]
    assert slots["requested_slot"] == "booking_time"
    assert count_bookings(context) == 1


def test_a_time_that_passed_while_typing_is_chosen_again(context, clock):
    clock.now = datetime(2026, 11, 24, 9, 30, tzinfo=ZONE)
    messages, slots = validate(context, ready(context), "ja", "booking_confirmed", True, intent="affirm")
    assert responses(messages) == ["utter_booking_time_gone"] and slots["booking_time"] is None


def test_confirmation_gives_code_time_phone_warning_and_how_to_cancel(context):
    events = ready(context, booking_confirmed=True, booking_reference="K7M-4PX")
    messages, result = run(ActionBookingConfirmation(context), events)
    text = rendered(messages)
    assert responses(messages) == ["utter_booking_confirmed_callback", "utter_booking_how_to_cancel"]
    assert "Vi ringer til dig tirsdag 24. nov. kl. 10.00 på 20 30 40 50." in text
    assert "Dit bestillingsnummer er K7M-4PX." in text
    assert "aflys tid" in text and "70 11 22 33" in text
    assert "PIN-kode" in text  # never asked for on the phone
    cleared = slots_of(result)
    assert cleared["booking_reference"] is None and cleared["booking_kind"] is None and cleared["booking_phone"] is None


@pytest.mark.parametrize(
    "topic, says",
    [
        ("mitid_get", "billedlegitimation"),
        ("mitid_forgot_pin", "vidne"),
        ("digitalpost_exemption", "fuldmagt"),
        ("digitalpost_read", "legitimation"),
    ],
)
def test_meeting_confirmation_says_what_to_bring_for_the_topic(context, topic, says):
    events = session(*in_form(FORM, "booking_confirmed", *[SlotSet(k, v) for k, v in dict(
        booking_kind="meeting", booking_topic=topic, booking_time=iso(24, 10), booking_name="Mette",
        booking_confirmed=True, booking_reference="K7M-4PX").items()]))
    messages, _ = run(ActionBookingConfirmation(context), events)
    text = rendered(messages)
    assert "Din tid er bestilt: tirsdag 24. nov. kl. 10.00 i borgerservice, Testvej 1, 9999 Testby." in text
    assert says in text


def test_form_that_ended_without_a_booking_confirms_nothing(context):
    messages, result = run(ActionBookingConfirmation(context), callback_form("booking_time", booking_failed=True))
    assert messages == [] and slots_of(result)["booking_failed"] is None


def test_stop_says_nothing_was_booked_and_forgets_the_answers(context):
    events = callback_form("booking_phone", booking_name="Mette") + [ActionExecuted("action_deactivate_loop"), ActiveLoop(None)]
    messages, result = run(ActionStopBooking(), events)
    assert "Jeg har ikke bestilt eller ændret noget." in rendered(messages)
    assert "70 11 22 33" in rendered(messages)
    assert slots_of(result)["booking_name"] is None and slots_of(result)["booking_kind"] is None
    assert count_bookings(context) == 0


# --- the database is unavailable -------------------------------------------------------------


def test_database_down_when_asking_for_a_time_apologises_gives_the_phone_and_ends_the_form(broken_context):
    messages, result = run(ActionAskBookingTime(broken_context), callback_form("booking_time"))
    assert responses(messages) == ["utter_booking_unavailable"]
    assert "Undskyld" in rendered(messages) and "70 11 22 33" in rendered(messages)
    assert slots_of(result) == {"booking_failed": True, "requested_slot": None}


def test_database_down_when_confirming_writes_nothing_and_ends_the_form(broken_context):
    messages, slots = validate(broken_context, ready(broken_context), "ja", "booking_confirmed", True, intent="affirm")
    assert responses(messages) == ["utter_booking_unavailable"]
    assert slots["booking_failed"] is True and slots["requested_slot"] is None
    assert "booking_reference" not in slots


def test_database_failing_half_way_through_a_booking_leaves_nothing_behind(context, monkeypatch):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    engine = context.bookings.database.engine

    def fail_on_commit(connection):
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    # The booking row is written, then the database fails before the transaction ends.
    event.listen(engine, "commit", fail_on_commit)
    try:
        messages, slots = validate(context, ready(context), "ja", "booking_confirmed", True, intent="affirm")
    finally:
        event.remove(engine, "commit", fail_on_commit)
    assert responses(messages) == ["utter_booking_unavailable"] and slots["booking_failed"] is True
    assert count_bookings(context) == 0
    with context.bookings.database.session() as session_:
        assert session_.scalar(select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.BOOKED)) == 0


def test_a_stored_time_is_checked_again(context):
    # Slots survive into a new session; a time chosen then is read as the UTC moment it is.
    _, slots = validate(context, callback_form("booking_time"), iso(24, 10), "booking_time")
    assert slots["booking_time"] == iso(24, 10)
    messages, slots = validate(context, callback_form("booking_time"), iso(20, 10), "booking_time")
    assert slots["booking_time"] is None and responses(messages) == ["utter_booking_time_past"]


# --- the request is recorded when the form starts --------------------------------------------


def reported(messages) -> list[tuple[str, str | None, bool]]:
    """The requests for a person the action reported to the gateway (which records them)."""
    payloads = [m["custom"]["handoff"] for m in messages if "handoff" in (m.get("custom") or {})]
    return [(p["reason"], p["topic"], p["live"]) for p in payloads]


def handoff_rows(context) -> list[Handoff]:
    with context.bookings.database.session() as session_:
        return list(session_.scalars(select(Handoff)))


def form_starts(*before, text="jeg vil gerne bestille en tid", intent="book_helper") -> list:
    """What Rasa sends the validation action when the form starts: nothing asked yet."""
    return session(*before, user(text, intent), ActionExecuted(FORM), ActiveLoop(FORM))


def test_asking_for_a_booking_is_recorded_when_the_form_starts_so_stopping_leaves_a_trace(context):
    messages, _ = run(ValidateBookingForm(context), form_starts(*answered("har glemt min pinkode", "mitid_forgot_pin")))
    assert reported(messages) == [("asked_for_booking", "mitid_forgot_pin", False)]
    stopped, _ = run(ActionStopBooking(), callback_form("booking_time") + [ActionExecuted("action_deactivate_loop"), ActiveLoop(None)])
    assert reported(stopped) == [] and count_bookings(context) == 0
    assert handoff_rows(context) == []  # the gateway writes it, from the payload


def test_a_booking_chosen_instead_of_an_offered_live_chat_keeps_the_reason(context):
    offered = [user("jeg giver op", "express_difficulty"), ActionExecuted("action_offer_human"),
               SlotSet("handoff_reason", "express_difficulty"), ActionExecuted("action_listen")]
    messages, _ = run(ValidateBookingForm(context), form_starts(*offered, text="Bestil en tid i stedet"))
    [(reason, _, _)] = reported(messages)
    assert reason == "express_difficulty"


def test_no_second_record_for_an_offered_booking_or_later_in_the_form(context):
    messages, _ = run(ValidateBookingForm(context), form_starts(text="Ring mig op", intent="choose_callback"))
    later, _ = validate(context, session(*in_form(FORM, "booking_kind")), "jeg vil bestille en tid", "booking_kind", intent="book_helper")
    assert reported(messages) == [] and reported(later) == []
