"""Cancelling or moving a booking (`cancel_booking`): the code, proof it is the citizen's, then do it.

Proof is the same conversation the booking was made in, or the phone number given for a call-back.
A meeting booked elsewhere has no phone number to check, so the citizen is sent to borgerservice.
The same conversation counts only while the citizen has kept writing: after a break (a shared
computer's next user may be the one writing now) a booking made before it needs the phone number.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import (
    BOOKING_SLOTS,
    FAILED,
    HELPER_SLOTS,
    TIME_OPTIONS,
    ask_for_time,
    format_day_and_clock,
    give_up,
    reset,
    slot_label,
    understand_time,
    understand_yes_no,
)
from actions.booking_context import UsesBookingContext
from actions.language import conversation_language
from bot.booking.phone import normalise_phone
from bot.booking.reference import normalise_reference
from bot.booking.service import (
    BookingView,
    Cancelled,
    CancelResult,
    Moved,
    MoveResult,
    NotAllowed,
    NotBookable,
    NotFound,
    SlotTaken,
)
from bot.booking.unit import DatabaseUnavailable
from bot.store.models import BookingKind
from bot.times import as_utc

# manage_booking holds what the form found: {"reference", "kind", "starts_at", "verified", "has_phone"}.
MANAGE_SLOTS = (
    "manage_reference",
    "manage_booking",
    "manage_phone",
    "manage_action",
    "manage_new_time",
    "manage_confirmed",
    "manage_result",
)
CANCEL, MOVE = "cancel", "move"
_CANCEL_WORDS = re.compile(r"\b(aflys\w*|annull?er\w*|slet\w*|fjern\w*|cancel\w*|delete)\b", re.IGNORECASE)
_MOVE_WORDS = re.compile(
    r"\b(flyt\w*|ændr\w*|aendr\w*|ny tid|anden tid|move|change|reschedule|new time|another time)\b", re.IGNORECASE
)
PHONE_ATTEMPTS = 2


def _found(booking: BookingView, verified: bool) -> dict[str, Any]:
    return {
        "reference": booking.reference,
        "kind": booking.kind.value,
        "starts_at": booking.starts_at.isoformat(),
        "verified": verified,
        "has_phone": bool(booking.phone),
        "phone_attempts": 0,
    }


def came_back_at(tracker: Tracker, gap: timedelta) -> float | None:
    """When the citizen last wrote after a break longer than `gap` (Rasa's timestamp), or None."""
    previous: float | None = None
    came_back: float | None = None
    for event in tracker.events:
        if event.get("event") != "user" or event.get("timestamp") is None:
            continue
        when = float(event["timestamp"])
        if previous is not None and when - previous > gap.total_seconds():
            came_back = when
        previous = when
    return came_back


def conversation_proof(tracker: Tracker, booking: BookingView, gap: timedelta) -> str | None:
    """The conversation id as proof, unless the booking was made before the citizen came back after a break."""
    came_back = came_back_at(tracker, gap)
    if came_back is not None and (booking.created_at is None or booking.created_at.timestamp() < came_back):
        return None
    return tracker.sender_id


def _action_in(text: str) -> str | None:
    cancel, move = bool(_CANCEL_WORDS.search(text)), bool(_MOVE_WORDS.search(text))
    if cancel != move:
        return CANCEL if cancel else MOVE
    return None


def _form_is_asking(tracker: Tracker) -> bool:
    """Whether the form has asked its first question. When Rasa activates the form, the loop is
    already active in the tracker it sends for validation, but nothing has been asked yet: that is
    when "aflys min tid" may pick the conversation's one booking and the wish to cancel."""
    return tracker.get_slot("requested_slot") is not None


class ValidateManageBookingForm(UsesBookingContext, FormValidationAction):
    def name(self) -> str:
        return "validate_manage_booking_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot(FAILED):
            return []
        slots = ["manage_reference"]
        found = tracker.get_slot("manage_booking") or {}
        if found and not found.get("verified"):
            slots.append("manage_phone")
        slots.append("manage_action")
        if tracker.get_slot("manage_action") == MOVE:
            slots.append("manage_new_time")
        return [*slots, "manage_confirmed"]

    async def extract_manage_reference(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # "aflys K7M-4PX" names the booking at once; one booking in this conversation needs no code.
        if tracker.get_slot("manage_reference") or tracker.get_slot(FAILED):
            return {}
        code = normalise_reference(tracker.latest_message.get("text") or "")
        if code:
            return {"manage_reference": code}
        if _form_is_asking(tracker):
            return {}
        try:
            mine = self.context.bookings.bookings_for_conversation(tracker.sender_id)
        except DatabaseUnavailable as error:
            give_up(dispatcher, error)
            return {FAILED: True}
        return {"manage_reference": mine[0].reference} if len(mine) == 1 else {}

    async def extract_manage_action(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("manage_action") or _form_is_asking(tracker):
            return {}
        action = _action_in(tracker.latest_message.get("text") or "")
        return {"manage_action": action} if action else {}

    def validate_manage_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = normalise_reference(str(value or ""))
        if code is None:
            dispatcher.utter_message(response="utter_manage_reference_not_understood")
            return {"manage_reference": None}
        context = self.context
        try:
            booking = context.bookings.find(code)
        except DatabaseUnavailable as error:
            give_up(dispatcher, error)
            return {"manage_reference": None, FAILED: True}
        if booking is None:
            dispatcher.utter_message(response="utter_manage_reference_unknown", reference=code)
            return {"manage_reference": None}
        if context.bookings.may_manage(booking, conversation_proof(tracker, booking, context.recheck_after), None):
            return {"manage_reference": code, "manage_booking": _found(booking, verified=True)}
        after_break = booking.conversation_id == tracker.sender_id
        if booking.phone:
            if after_break:
                dispatcher.utter_message(response="utter_manage_recheck_after_break")
            return {"manage_reference": code, "manage_booking": _found(booking, verified=False)}
        cannot_check = "utter_manage_cannot_check_after_break" if after_break else "utter_manage_cannot_check"
        dispatcher.utter_message(response=cannot_check)
        return {"manage_reference": code, FAILED: True}

    def validate_manage_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = dict(tracker.get_slot("manage_booking") or {})
        phone = normalise_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_booking_phone_not_understood")
            return {"manage_phone": None}
        try:
            booking = self.context.bookings.find(found.get("reference", ""))
        except DatabaseUnavailable as error:
            give_up(dispatcher, error)
            return {"manage_phone": None, FAILED: True}
        if booking is not None and self.context.bookings.may_manage(booking, None, phone):
            found["verified"] = True
            return {"manage_phone": phone, "manage_booking": found}
        found["phone_attempts"] = found.get("phone_attempts", 0) + 1
        if found["phone_attempts"] >= PHONE_ATTEMPTS:
            dispatcher.utter_message(response="utter_manage_phone_mismatch_final")
            return {"manage_phone": None, "manage_booking": found, FAILED: True}
        dispatcher.utter_message(response="utter_manage_phone_mismatch")
        return {"manage_phone": None, "manage_booking": found}

    def validate_manage_action(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        action = value if value in (CANCEL, MOVE) else _action_in(str(value or ""))
        if action is None:
            dispatcher.utter_message(response="utter_manage_action_not_understood")
        return {"manage_action": action}

    def validate_manage_new_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(FAILED):
            return {"manage_new_time": None}
        found = tracker.get_slot("manage_booking") or {}
        kind = BookingKind(found.get("kind", BookingKind.CALLBACK.value))
        return understand_time(dispatcher, tracker, self.context, kind, value, "manage_new_time")

    def validate_manage_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(FAILED):
            return {"manage_confirmed": None}
        answer = understand_yes_no(value)
        if answer is None:
            dispatcher.utter_message(response="utter_booking_confirm_not_understood")
            return {"manage_confirmed": None}
        if answer is False:
            return {"manage_confirmed": False, "manage_result": "kept"}
        return self._carry_out(dispatcher, tracker)

    def _carry_out(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        context = self.context
        found = tracker.get_slot("manage_booking") or {}
        reference = found.get("reference", "")
        phone = tracker.get_slot("manage_phone")
        result: CancelResult | MoveResult
        try:
            # Checked again here, not taken from the slot: a break may have come since it was set.
            booking = context.bookings.find(reference)
            proof = conversation_proof(tracker, booking, context.recheck_after) if booking else None
            if tracker.get_slot("manage_action") == CANCEL:
                result = context.bookings.cancel(reference, conversation_id=proof, phone=phone)
            else:
                new_time = as_utc(datetime.fromisoformat(tracker.get_slot("manage_new_time")))
                result = context.bookings.move(reference, new_time, conversation_id=proof, phone=phone)
        except DatabaseUnavailable as error:
            give_up(dispatcher, error)
            return {"manage_confirmed": None, FAILED: True}
        if isinstance(result, Cancelled):
            return {"manage_confirmed": True, "manage_result": "cancelled"}
        if isinstance(result, Moved):
            return {
                "manage_confirmed": True,
                "manage_result": "moved",
                "manage_new_time": result.booking.starts_at.isoformat(),
            }
        if isinstance(result, SlotTaken) and result.alternative is not None:
            dispatcher.utter_message(
                response="utter_booking_slot_taken",
                time=format_day_and_clock(context, result.alternative.starts_at, conversation_language(tracker)),
            )
            return {
                "manage_confirmed": None,
                "manage_new_time": None,
                TIME_OPTIONS: [result.alternative.starts_at.isoformat()],
            }
        if isinstance(result, NotBookable):
            dispatcher.utter_message(response="utter_booking_time_gone")
            return {"manage_confirmed": None, "manage_new_time": None}
        if isinstance(result, (NotFound, NotAllowed)):
            dispatcher.utter_message(response="utter_manage_reference_unknown", reference=reference)
        else:
            dispatcher.utter_message(response="utter_booking_no_free_times", days_ahead=context.settings.days_ahead)
        return {"manage_confirmed": None, FAILED: True}


class ActionAskManageReference(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_ask_manage_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            mine = self.context.bookings.bookings_for_conversation(tracker.sender_id)
        except DatabaseUnavailable as error:
            return give_up(dispatcher, error)
        language = conversation_language(tracker)
        buttons = [
            {
                "title": f"{b.reference}: {format_day_and_clock(self.context, b.slot.starts_at, language)}",
                "payload": b.reference,
            }
            for b in mine
        ]
        dispatcher.utter_message(response="utter_ask_manage_reference", buttons=buttons)
        return []


class ActionAskManageAction(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_ask_manage_action"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        found = tracker.get_slot("manage_booking") or {}
        dispatcher.utter_message(
            response=f"utter_ask_manage_action_{found.get('kind', 'callback')}",
            time=slot_label(self.context, found.get("starts_at"), conversation_language(tracker)),
            reference=found.get("reference", ""),
        )
        return []


class ActionAskManageNewTime(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_ask_manage_new_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        found = tracker.get_slot("manage_booking") or {}
        kind = BookingKind(found.get("kind", BookingKind.CALLBACK.value))
        return ask_for_time(dispatcher, tracker, self.context, kind, "utter_ask_manage_new_time")


class ActionAskManageConfirmed(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_ask_manage_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        found = tracker.get_slot("manage_booking") or {}
        language = conversation_language(tracker)
        old = slot_label(self.context, found.get("starts_at"), language)
        if tracker.get_slot("manage_action") == MOVE:
            new = slot_label(self.context, tracker.get_slot("manage_new_time"), language)
            dispatcher.utter_message(response="utter_ask_manage_confirmed_move", old_time=old, time=new)
        else:
            dispatcher.utter_message(response="utter_ask_manage_confirmed_cancel", time=old)
        return []


class ActionManageBookingDone(UsesBookingContext, Action):
    """After the cancel/move form: say what happened, then forget the form's answers."""

    def name(self) -> str:
        return "action_manage_booking_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        found = tracker.get_slot("manage_booking") or {}
        result = tracker.get_slot("manage_result")
        if result == "cancelled":
            dispatcher.utter_message(
                response="utter_manage_cancelled",
                time=slot_label(self.context, found.get("starts_at"), conversation_language(tracker)),
            )
        elif result == "moved":
            dispatcher.utter_message(
                response="utter_manage_moved",
                time=slot_label(self.context, tracker.get_slot("manage_new_time"), conversation_language(tracker)),
                reference=found.get("reference", ""),
            )
        elif result == "kept":
            dispatcher.utter_message(response="utter_manage_kept")
        return reset(MANAGE_SLOTS + HELPER_SLOTS)


class ActionStopBooking(Action):
    """ "stop" or "glem det" in the middle of booking, cancelling or moving: nothing is changed."""

    def name(self) -> str:
        return "action_stop_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_booking_stopped")
        return reset(BOOKING_SLOTS + HELPER_SLOTS + MANAGE_SLOTS)
