"""Cancelling or moving after a break in the conversation: on a shared computer the next person may
be the one writing, so the same conversation no longer proves the booking is theirs.

Real trackers with real timestamps (Rasa's, in seconds) and a real SQLite database. The booking's
own `created_at` is the real time it was made, like the timestamps, so both are on one clock.
"""
from __future__ import annotations

import time
from datetime import timedelta

from rasa.shared.core.events import ActionExecuted, SlotSet

from actions.booking_context import BookingContext, recheck_after_from_env
from actions.manage_booking import ValidateManageBookingForm
from bot.store.models import BookingKind, BookingStatus

from .helpers import in_form, responses, run, session, slots_of, user, with_next_slot
from .test_manage_booking import FORM, at, book

MINUTE = 60.0


def said(text: str, intent: str, seconds: float):
    event = user(text, intent)
    event.timestamp = seconds
    return event


def asked_for_the_code(*earlier):
    """The citizen's earlier messages, then the form asking which booking."""
    return session(*earlier, *in_form(FORM, "manage_reference"))


def give_code(context, before, code: str, seconds: float):
    events = [*before, said(code, "inform", seconds), ActionExecuted(FORM), SlotSet("manage_reference", code)]
    messages, result = run(ValidateManageBookingForm(context), events)
    return messages, with_next_slot(FORM, events, slots_of(result))


def test_a_callback_booked_here_needs_the_phone_number_after_a_break(context):
    booking = book(context)
    made = time.time()
    before = asked_for_the_code(said("Ja", "affirm", made - 5), said("aflys min tid", "cancel_booking", made + 31 * MINUTE))
    messages, slots = give_code(context, before, booking.reference, made + 32 * MINUTE)
    assert responses(messages) == ["utter_manage_recheck_after_break"]
    assert slots["manage_booking"]["verified"] is False
    assert slots["requested_slot"] == "manage_phone"


def test_no_break_no_phone_number(context):
    booking = book(context)
    made = time.time()
    before = asked_for_the_code(said("Ja", "affirm", made - 5), said("aflys min tid", "cancel_booking", made + 29 * MINUTE))
    messages, slots = give_code(context, before, booking.reference, made + 30 * MINUTE)
    assert messages == []
    assert slots["manage_booking"]["verified"] is True
    assert slots["requested_slot"] == "manage_action"


def test_a_booking_made_after_the_citizen_came_back_needs_no_phone_number(context):
    came_back = time.time() - 2 * MINUTE
    booking = book(context)
    before = asked_for_the_code(
        said("hej", "greet", came_back - 120 * MINUTE),
        said("jeg vil bestille en tid", "book_helper", came_back),
        said("aflys min tid", "cancel_booking", came_back + 3 * MINUTE),
    )
    _, slots = give_code(context, before, booking.reference, came_back + 4 * MINUTE)
    assert slots["manage_booking"]["verified"] is True


def test_after_a_break_only_the_phone_number_cancels_and_a_wrong_one_twice_ends_it(context):
    booking = book(context)
    made = time.time()
    before = asked_for_the_code(said("Ja", "affirm", made - 5), said("aflys min tid", "cancel_booking", made + 45 * MINUTE))
    _, slots = give_code(context, before, booking.reference, made + 46 * MINUTE)
    found = slots["manage_booking"]
    asking = session(
        said("aflys min tid", "cancel_booking", made + 45 * MINUTE),
        *in_form(FORM, "manage_phone", SlotSet("manage_reference", booking.reference), SlotSet("manage_booking", found)),
    )
    for attempt in (1, 2):
        events = [*asking, said("99 88 77 66", "inform", made + 47 * MINUTE), ActionExecuted(FORM), SlotSet("manage_phone", "99 88 77 66")]
        messages, result = run(ValidateManageBookingForm(context), events)
        asking = [*asking, SlotSet("manage_booking", slots_of(result)["manage_booking"])]
    assert responses(messages) == ["utter_manage_phone_mismatch_final"]
    assert context.bookings.find(booking.reference).status is BookingStatus.BOOKED

    # The right number, then "ja": cancelled on the phone number's proof, not the conversation's.
    ready = session(
        said("aflys min tid", "cancel_booking", made + 45 * MINUTE),
        *in_form(
            FORM,
            "manage_confirmed",
            SlotSet("manage_reference", booking.reference),
            SlotSet("manage_booking", {**found, "verified": True}),
            SlotSet("manage_phone", "20304050"),
            SlotSet("manage_action", "cancel"),
        ),
    )
    events = [*ready, said("ja", "affirm", made + 48 * MINUTE), ActionExecuted(FORM), SlotSet("manage_confirmed", True)]
    _, result = run(ValidateManageBookingForm(context), events)
    assert slots_of(result)["manage_result"] == "cancelled"
    assert context.bookings.find(booking.reference) is None


def test_a_verified_slot_from_before_the_break_does_not_cancel_without_the_phone_number(context):
    """The proof is checked again where the booking is changed, not only taken from the slot."""
    booking = book(context)
    made = time.time()
    found = {"reference": booking.reference, "kind": "callback", "starts_at": at(24, 10).isoformat(), "verified": True, "has_phone": True}
    ready = session(
        said("Ja", "affirm", made - 5),
        said("aflys min tid", "cancel_booking", made + 45 * MINUTE),
        *in_form(FORM, "manage_confirmed", SlotSet("manage_reference", booking.reference), SlotSet("manage_booking", found), SlotSet("manage_action", "cancel")),
    )
    events = [*ready, said("ja", "affirm", made + 46 * MINUTE), ActionExecuted(FORM), SlotSet("manage_confirmed", True)]
    messages, result = run(ValidateManageBookingForm(context), events)
    assert slots_of(result).get("manage_result") != "cancelled"
    assert context.bookings.find(booking.reference) is not None


def test_a_meeting_booked_here_is_for_borgerservice_after_a_break(context):
    booking = book(context, kind=BookingKind.MEETING)
    made = time.time()
    before = asked_for_the_code(said("Ja", "affirm", made - 5), said("aflys min tid", "cancel_booking", made + 60 * MINUTE))
    messages, slots = give_code(context, before, booking.reference, made + 61 * MINUTE)
    assert responses(messages) == ["utter_manage_cannot_check_after_break"]
    assert slots["booking_failed"] is True
    assert context.bookings.find(booking.reference).status is BookingStatus.BOOKED


def test_the_break_is_configurable(sqlite_db, municipality, clock):
    assert recheck_after_from_env({}) == timedelta(minutes=30)
    assert recheck_after_from_env({"BOOKING_RECHECK_AFTER_MINUTES": "10"}) == timedelta(minutes=10)
    context = BookingContext.create(sqlite_db, municipality, clock, recheck_after=timedelta(minutes=10))
    booking = book(context)
    made = time.time()
    before = asked_for_the_code(said("Ja", "affirm", made - 5), said("aflys min tid", "cancel_booking", made + 11 * MINUTE))
    _, slots = give_code(context, before, booking.reference, made + 12 * MINUTE)
    assert slots["manage_booking"]["verified"] is False

