"""Cancelling and moving a booking through the cancel_booking form, on real trackers and a real database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from rasa.shared.core.events import SlotSet

from actions.manage_booking import (
    ActionAskManageAction,
    ActionAskManageConfirmed,
    ActionAskManageNewTime,
    ActionAskManageReference,
    ActionManageBookingDone,
    ValidateManageBookingForm,
)
from bot.booking.service import BookingRequest
from bot.store.models import BookingKind, BookingStatus

from .conftest import ZONE
from .helpers import SENDER, buttons, form_turn, in_form, render, rendered, responses, run, session, slots_of, user, with_next_slot

FORM = "manage_booking_form"
OTHER = "f" * 32


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


def iso(day: int, hour: int, minute: int = 0) -> str:
    return at(day, hour, minute).astimezone(timezone.utc).isoformat()


def book(context, kind=BookingKind.CALLBACK, conversation=SENDER, when=None, phone="20304050"):
    request = BookingRequest(kind, when or at(24, 10), "Mette", phone if kind is BookingKind.CALLBACK else None, "mitid", conversation_id=conversation)
    return context.bookings.book(request).booking


def activate(context, text: str, sender: str = SENDER):
    """The form's first run, right after `cancel_booking`: Rasa calls the validation action with no candidates."""
    events = session(user(text, "cancel_booking"))
    messages, result = run(ValidateManageBookingForm(context), events, sender)
    return messages, with_next_slot(FORM, events, slots_of(result))


def validate(context, before, text, slot, value=None, intent="inform", sender=SENDER):
    events = form_turn(FORM, before, text, intent, slot, text if value is None else value)
    messages, result = run(ValidateManageBookingForm(context), events, sender)
    return messages, with_next_slot(FORM, events, slots_of(result))


def form(requested: str, **filled):
    return session(*in_form(FORM, requested, *[SlotSet(k, v) for k, v in filled.items()]))


def test_one_booking_in_this_conversation_needs_no_code(context):
    booking = book(context)
    messages, slots = activate(context, "jeg vil flytte min tid")
    assert slots["manage_reference"] == booking.reference
    assert slots["manage_booking"]["verified"] is True
    assert slots["manage_action"] == "move"
    assert slots["requested_slot"] == "manage_new_time"


def test_the_code_in_the_first_message_is_used(context):
    booking = book(context, conversation=OTHER)
    _, slots = activate(context, f"aflys {booking.reference.lower()}")
    assert slots["manage_reference"] == booking.reference
    assert slots["manage_action"] == "cancel"
    assert slots["requested_slot"] == "manage_phone"  # another conversation: the phone number proves it


def test_asks_for_the_code_with_this_conversations_bookings_as_buttons(context):
    first, second = book(context), book(context, when=at(26, 10))
    _, slots = activate(context, "aflys min tid")
    assert slots.get("manage_reference") is None and slots["requested_slot"] == "manage_reference"
    [message], _ = run(ActionAskManageReference(context), form("manage_reference"))
    assert [b["payload"] for b in buttons(message)] == [first.reference, second.reference]
    assert buttons(message)[0]["title"] == f"{first.reference}: tirsdag 24. nov. kl. 10.00"


@pytest.mark.parametrize("text", ["hej", "123", "ABC-1O0"])
def test_a_code_that_is_not_a_code(context, text):
    messages, slots = validate(context, form("manage_reference"), text, "manage_reference")
    assert slots["manage_reference"] is None and responses(messages) == ["utter_manage_reference_not_understood"]


def test_an_unknown_or_cancelled_code(context):
    booking = book(context)
    context.bookings.cancel(booking.reference, conversation_id=SENDER)
    messages, slots = validate(context, form("manage_reference"), booking.reference, "manage_reference")
    assert slots["manage_reference"] is None
    assert f"bestillingsnummeret {booking.reference}" in render(messages[0])


def test_cancel_a_callback_from_this_conversation(context):
    booking = book(context)
    _, slots = validate(context, form("manage_reference"), booking.reference, "manage_reference")
    assert slots["requested_slot"] == "manage_action"
    found = slots["manage_booking"]
    [message], _ = run(ActionAskManageAction(context), form("manage_action", manage_reference=booking.reference, manage_booking=found))
    assert render(message) == "Borgerservice ringer til dig tirsdag 24. nov. kl. 10.00. Vil du aflyse eller flytte tiden?"
    before = form("manage_action", manage_reference=booking.reference, manage_booking=found)
    _, slots = validate(context, before, "Aflys tiden", "manage_action", intent="cancel_booking")
    assert slots["manage_action"] == "cancel" and slots["requested_slot"] == "manage_confirmed"
    ready = form("manage_confirmed", manage_reference=booking.reference, manage_booking=found, manage_action="cancel")
    [message], _ = run(ActionAskManageConfirmed(context), ready)
    assert render(message) == "Vil du aflyse din tid tirsdag 24. nov. kl. 10.00?"
    messages, slots = validate(context, ready, "/affirm", "manage_confirmed", True, intent="affirm")
    assert slots["manage_result"] == "cancelled" and slots["requested_slot"] is None
    assert context.bookings.find(booking.reference) is None
    done = form("manage_confirmed", manage_booking=found, manage_result="cancelled")
    messages, result = run(ActionManageBookingDone(context), done)
    assert render(messages[0]) == "Din tid tirsdag 24. nov. kl. 10.00 er aflyst. Skriv, hvis du vil bestille en ny tid."
    assert slots_of(result)["manage_booking"] is None


def test_move_keeps_the_code(context):
    booking = book(context)
    _, slots = validate(context, form("manage_reference"), booking.reference, "manage_reference")
    found = slots["manage_booking"]
    before = form("manage_new_time", manage_reference=booking.reference, manage_booking=found, manage_action="move")
    [message], _ = run(ActionAskManageNewTime(context), before)
    assert buttons(message)[0]["title"] == "mandag 23. nov. kl. 10.00"
    _, slots = validate(context, before, "fredag kl 11", "manage_new_time")
    assert slots["manage_new_time"] == iso(27, 11)
    ready = form("manage_confirmed", manage_reference=booking.reference, manage_booking=found, manage_action="move", manage_new_time=iso(27, 11))
    [message], _ = run(ActionAskManageConfirmed(context), ready)
    assert render(message) == "Vil du flytte din tid fra tirsdag 24. nov. kl. 10.00 til fredag 27. nov. kl. 11.00?"
    _, slots = validate(context, ready, "ja", "manage_confirmed", True, intent="affirm")
    assert slots["manage_result"] == "moved"
    moved = context.bookings.find(booking.reference)
    assert moved.starts_at == at(27, 11)
    done = form("manage_confirmed", manage_booking=found, manage_result="moved", manage_new_time=iso(27, 11))
    messages, _ = run(ActionManageBookingDone(context), done)
    assert render(messages[0]) == f"Din tid er flyttet til fredag 27. nov. kl. 11.00. Dit bestillingsnummer er stadig {booking.reference}."


def test_move_to_a_time_taken_meanwhile_offers_the_next(context):
    booking = book(context)
    book(context, conversation=OTHER, when=at(27, 11))
    found = validate(context, form("manage_reference"), booking.reference, "manage_reference")[1]["manage_booking"]
    ready = form("manage_confirmed", manage_reference=booking.reference, manage_booking=found, manage_action="move", manage_new_time=iso(27, 11))
    messages, slots = validate(context, ready, "ja", "manage_confirmed", True, intent="affirm")
    assert "fredag 27. nov. kl. 11.20" in render(messages[0])
    assert slots["manage_new_time"] is None and slots["requested_slot"] == "manage_new_time"
    assert context.bookings.find(booking.reference).starts_at == at(24, 10)


def test_another_conversation_proves_it_with_the_phone_number(context):
    booking = book(context, conversation=OTHER)
    _, slots = validate(context, form("manage_reference"), booking.reference, "manage_reference")
    found = slots["manage_booking"]
    assert found["verified"] is False and slots["requested_slot"] == "manage_phone"
    asking = form("manage_phone", manage_reference=booking.reference, manage_booking=found)
    messages, slots = validate(context, asking, "99 88 77 66", "manage_phone")
    assert responses(messages) == ["utter_manage_phone_mismatch"] and slots["manage_phone"] is None
    once = form("manage_phone", manage_reference=booking.reference, manage_booking=slots["manage_booking"])
    messages, slots = validate(context, once, "99 88 77 66", "manage_phone")
    assert responses(messages) == ["utter_manage_phone_mismatch_final"] and slots["booking_failed"] is True
    assert "70 11 22 33" in rendered(messages)
    _, slots = validate(context, asking, "+45 20 30 40 50", "manage_phone")
    assert slots["manage_booking"]["verified"] is True and slots["requested_slot"] == "manage_action"


def test_a_meeting_booked_elsewhere_cannot_be_changed_in_chat(context):
    booking = book(context, kind=BookingKind.MEETING, conversation=OTHER)
    messages, slots = validate(context, form("manage_reference"), booking.reference, "manage_reference")
    assert responses(messages) == ["utter_manage_cannot_check"] and slots["booking_failed"] is True
    assert slots["requested_slot"] is None
    assert context.bookings.find(booking.reference).status is BookingStatus.BOOKED


def test_no_at_the_end_keeps_the_booking(context):
    booking = book(context)
    found = validate(context, form("manage_reference"), booking.reference, "manage_reference")[1]["manage_booking"]
    ready = form("manage_confirmed", manage_reference=booking.reference, manage_booking=found, manage_action="cancel")
    _, slots = validate(context, ready, "nej", "manage_confirmed", False, intent="deny")
    assert slots["manage_result"] == "kept" and slots["requested_slot"] is None
    assert context.bookings.find(booking.reference) is not None
    messages, _ = run(ActionManageBookingDone(context), form("manage_confirmed", manage_result="kept"))
    assert render(messages[0]) == "Det er i orden. Din tid er ikke ændret."


def test_database_down_while_cancelling(broken_context):
    messages, slots = validate(broken_context, form("manage_reference"), "ABC-234", "manage_reference")
    assert responses(messages) == ["utter_booking_unavailable"] and slots["booking_failed"] is True
    assert slots["requested_slot"] is None
    messages, result = run(ActionAskManageReference(broken_context), form("manage_reference"))
    assert "70 11 22 33" in rendered(messages)
    assert slots_of(result)["requested_slot"] is None
