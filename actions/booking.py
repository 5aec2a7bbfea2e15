"""The booking form: kind, topic, time, first name, phone (call-backs only), confirm.

Slots are filled from buttons and from what the citizen types; the validators here decide what a
typed answer means. The booking itself is written when the citizen confirms, and the database's
unique index decides a race for the slot: the loser is offered the next free one.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking_context import BookingContext, UsesBookingContext
from actions.context import citizen_channel
from actions.language import conversation_language
from bot.booking.handoff import HandoffRequest, gateway_payload
from bot.booking.phone import format_phone, normalise_phone
from bot.booking.phrases import TimeWish, parse_time_wish
from bot.booking.service import Booked, BookingRequest, NotBookable, SlotTaken
from bot.booking.slots import Problem, Slot
from bot.booking.struggle import REASON_SLOT, Reason, latest_question, offered_in_last_turn
from bot.booking.summary import summarise
from bot.booking.topics import topic_from_text, what_to_bring
from bot.booking.unit import DatabaseUnavailable
from bot.danish import TOPIC_LABELS
from bot.english import DANISH, ENGLISH, MORE_TIMES, format_clock, format_day, format_moment, topic_label
from bot.store.models import BookingKind
from bot.times import as_utc

logger = logging.getLogger(__name__)

BOOKING_SLOTS = (
    "booking_kind",
    "booking_topic",
    "booking_time",
    "booking_name",
    "booking_phone",
    "booking_confirmed",
    "booking_reference",
)
# Shared with the cancel/move form: which times to show next, and whether the form must end early.
TIME_OFFSET = "booking_time_offset"
TIME_OPTIONS = "booking_time_options"
FAILED = "booking_failed"
HELPER_SLOTS = (TIME_OFFSET, TIME_OPTIONS, FAILED)

# The `{placeholders}` in the booking responses that these actions fill in (not slots).
FILLED_IN_BY_ACTIONS = frozenset(
    {"days_ahead", "day", "wished", "time", "old_time", "name", "phone", "topic", "reference"}
)
_MORE = re.compile(r"\b(andre|anden|flere|senere|næste|other|more|later)\b", re.IGNORECASE)
_CALLBACK_WORDS = re.compile(r"\b(ring\w*|opkald|telefon\w*|call)\b", re.IGNORECASE)
_MEETING_WORDS = re.compile(
    r"\b(møde|mød\w*|moede|komme|kommer|fremmøde|besøg\w*|borgerservice|personligt)\b", re.IGNORECASE
)
_YES = re.compile(
    r"^\s*(ja|jo|jep|yes|yeah|yep|sure|ok|okay|fint|bestil|book|det er rigtigt|korrekt|correct|right)\b",
    re.IGNORECASE,
)
_NO = re.compile(r"^\s*(nej|nix|no|nope|forkert|wrong|ændr|change|anden tid|another time)\b", re.IGNORECASE)
_NAME_LEAD_INS = re.compile(
    r"^(jeg hedder|mit navn er|mit fornavn er|navnet er|det er|jeg er"
    r"|my name is|my first name is|i am|i'm|it is|it's|call me)\s+",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'\-]*$")
_NOT_NAMES = frozenset(
    "jeg du han hun vi de det den der hvad hvem hvor hvordan hvorfor hvornår ikke ja nej ok tak hej hejsa "
    "stop kan vil skal har er mit min mig hjælp help mitid post tid navn fornavn ved glem "
    "i you he she we they it what who where how why when not yes no thanks hello hi my me name time".split()
)


def slot_from_iso(value: str, kind: BookingKind, minutes: int) -> Slot:
    return Slot(as_utc(datetime.fromisoformat(value)), kind, minutes)


def slot_label(context: BookingContext, value: str | None, language: str = DANISH) -> str:
    if not value:
        return ""
    return format_day_and_clock(context, as_utc(datetime.fromisoformat(value)), language)


def format_day_and_clock(context: BookingContext, moment: datetime, language: str = DANISH) -> str:
    return format_moment(moment.astimezone(context.zone), language)


def time_buttons(
    context: BookingContext, slots: list[Slot], more: bool, language: str = DANISH
) -> list[dict[str, str]]:
    # The button sends the Danish label back whatever it shows; the time parser reads it like typed text.
    buttons = [
        {"title": format_day_and_clock(context, s.starts_at, language), "payload": s.label(context.zone)} for s in slots
    ]
    if more:
        buttons.append({"title": MORE_TIMES[language], "payload": MORE_TIMES[language]})
    return buttons


def ask_for_time(
    dispatcher: CollectingDispatcher, tracker: Tracker, context: BookingContext, kind: BookingKind, response: str
) -> list[EventType]:
    """Offers free times as buttons: the alternatives a validator chose, else the next page of free times."""
    shown = context.settings.slots_shown
    language = conversation_language(tracker)
    options = tracker.get_slot(TIME_OPTIONS) or []
    try:
        if options:
            minutes = context.settings.schedules[kind].slot_minutes
            slots = [slot_from_iso(value, kind, minutes) for value in options]
            dispatcher.utter_message(
                response="utter_booking_nearest_times", buttons=time_buttons(context, slots, True, language)
            )
            return [SlotSet(TIME_OPTIONS, None)]
        free = context.bookings.free_slots(kind)
    except DatabaseUnavailable as error:
        return give_up(dispatcher, error)
    if not free:
        dispatcher.utter_message(response="utter_booking_no_free_times", days_ahead=context.settings.days_ahead)
        return [SlotSet(FAILED, True), SlotSet("requested_slot", None)]
    offset = int(tracker.get_slot(TIME_OFFSET) or 0)
    if offset >= len(free):
        offset = 0
    page = free[offset : offset + shown]
    dispatcher.utter_message(response=response, buttons=time_buttons(context, page, len(free) > shown, language))
    return [SlotSet(TIME_OFFSET, float(offset))]


def give_up(dispatcher: CollectingDispatcher, error: Exception) -> list[EventType]:
    """The database is not there: say sorry, give the phone number, and end the form."""
    logger.error("Booking database unavailable: %s", error)
    dispatcher.utter_message(response="utter_booking_unavailable")
    return [SlotSet(FAILED, True), SlotSet("requested_slot", None)]


AT_THAT_TIME = {DANISH: "på det tidspunkt", ENGLISH: "at that time"}

PROBLEM_RESPONSES = {
    Problem.PAST: "utter_booking_time_past",
    Problem.CLOSED_DAY: "utter_booking_time_closed_day",
    Problem.OUTSIDE_HOURS: "utter_booking_time_outside_hours",
    Problem.FULLY_BOOKED: "utter_booking_time_fully_booked",
    Problem.TOO_SOON: "utter_booking_time_too_soon",
    Problem.TOO_FAR: "utter_booking_time_too_far",
}


def understand_time(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    context: BookingContext,
    kind: BookingKind,
    value: Any,
    slot: str,
) -> dict[str, Any]:
    """A time slot's value from a typed or clicked answer, or a reason and better times to offer."""
    text = str(value or "")
    language = conversation_language(tracker)
    if _MORE.search(text) and parse_time_wish(text, context.clock().astimezone(context.zone).date()) is None:
        offset = int(tracker.get_slot(TIME_OFFSET) or 0) + context.settings.slots_shown
        return {slot: None, TIME_OFFSET: float(offset)}
    wish = _stored_time(text, context) or parse_time_wish(text, context.clock().astimezone(context.zone).date())
    if wish is None:
        dispatcher.utter_message(response="utter_booking_time_not_understood")
        return {slot: None}
    try:
        choice = context.bookings.choose(kind, wish)
    except DatabaseUnavailable as error:
        give_up(dispatcher, error)
        return {slot: None, FAILED: True}
    if choice.slot is not None:
        if not choice.exact and wish.at is not None:
            dispatcher.utter_message(
                response="utter_booking_time_nearest",
                wished=format_clock(wish.at, language),
                time=format_day_and_clock(context, choice.slot.starts_at, language),
            )
        return {slot: choice.slot.starts_at.isoformat(), TIME_OPTIONS: None}
    if choice.problem is Problem.NO_FREE_SLOTS:
        dispatcher.utter_message(response="utter_booking_no_free_times", days_ahead=context.settings.days_ahead)
        return {slot: None, FAILED: True}
    wished_day = format_day(wish.first_day, language) if wish.first_day else ""
    wished_time = format_clock(wish.at, language) if wish.at else ""
    on_day = f"on {wished_day}" if wished_day and language == ENGLISH else wished_day
    dispatcher.utter_message(
        # No slot always comes with its reason (Choice's contract).
        response=PROBLEM_RESPONSES[choice.problem],  # type: ignore[index]
        day=wished_day,
        wished=" ".join(part for part in (on_day, wished_time) if part) or AT_THAT_TIME[language],
        days_ahead=context.settings.days_ahead,
    )
    return {slot: None, TIME_OPTIONS: [s.starts_at.isoformat() for s in choice.alternatives] or None}


def _stored_time(text: str, context: BookingContext) -> TimeWish | None:
    """A slot value this form stored earlier (UTC, ISO format), validated again after a new session."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    local = moment.astimezone(context.zone)
    return TimeWish(first_day=local.date(), last_day=local.date(), at=local.time())


def understand_yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value or "")
    if _YES.search(text):
        return True
    if _NO.search(text):
        return False
    return None


def clean_first_name(value: Any) -> str | None:
    text = re.sub(r"[.!,]+$", "", str(value or "").strip())
    text = _NAME_LEAD_INS.sub("", text).strip()
    words = text.split()
    if not 1 <= len(words) <= 3 or len(text) > 40:
        return None
    if not all(_NAME_WORD.match(word) for word in words) or any(word.lower() in _NOT_NAMES for word in words):
        return None
    return " ".join(word[:1].upper() + word[1:] for word in words)


class ValidateBookingForm(UsesBookingContext, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # Rasa runs this validation when the form starts too; nothing has been asked yet then.
        if (
            tracker.get_slot("requested_slot") is None
            and (tracker.latest_message.get("intent") or {}).get("name") == "book_helper"
        ):
            dispatcher.utter_message(json_message=self._booking_request(tracker))
        return await super().run(dispatcher, tracker, domain)

    @staticmethod
    def _booking_request(tracker: Tracker) -> dict[str, Any]:
        """The gateway records a booking the citizen asked for ("Bestil tid", "Bestil en tid i stedet",
        typed), before anything is booked: a citizen who stops the form still leaves a trace of having
        needed a person. The buttons of an offered booking (`choose_callback`, `choose_meeting`) need
        none: that offer was reported when it was made (actions/handoff.py)."""
        reason = offered_in_last_turn(tracker.events) or Reason.ASKED_FOR_BOOKING
        topic = latest_question(tracker.events)
        request = HandoffRequest(reason.value, topic, summarise(tracker.events, reason, topic))
        return gateway_payload(request, live=False)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot(FAILED):
            return []
        slots = ["booking_kind", "booking_topic", "booking_time", "booking_name"]
        if tracker.get_slot("booking_kind") == BookingKind.CALLBACK.value:
            slots.append("booking_phone")
        return [*slots, "booking_confirmed"]

    async def extract_booking_topic(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # What the conversation was about becomes the topic, so the citizen is asked only when unknown.
        if tracker.get_slot("booking_topic"):
            return {}
        topic = latest_question(tracker.events)
        return {"booking_topic": topic} if topic else {}

    def validate_booking_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in (BookingKind.CALLBACK.value, BookingKind.MEETING.value):
            return {"booking_kind": value}
        text = str(value or "")
        callback, meeting = bool(_CALLBACK_WORDS.search(text)), bool(_MEETING_WORDS.search(text))
        if callback != meeting:
            return {"booking_kind": BookingKind.CALLBACK.value if callback else BookingKind.MEETING.value}
        dispatcher.utter_message(response="utter_booking_kind_not_understood")
        return {"booking_kind": None}

    def validate_booking_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        return {"booking_topic": text if text in TOPIC_LABELS else topic_from_text(text)}

    def validate_booking_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(FAILED):
            return {"booking_time": None}
        kind = tracker.get_slot("booking_kind")
        if kind is None:
            return {"booking_time": None}
        return understand_time(dispatcher, tracker, self.context, BookingKind(kind), value, "booking_time")

    def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_first_name(value)
        if name is None:
            dispatcher.utter_message(response="utter_booking_name_not_understood")
        return {"booking_name": name}

    def validate_booking_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = normalise_phone(str(value or ""))
        if phone is None:
            dispatcher.utter_message(response="utter_booking_phone_not_understood")
        return {"booking_phone": phone}

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(FAILED):
            return {"booking_confirmed": None}
        answer = understand_yes_no(value)
        if answer is None:
            dispatcher.utter_message(response="utter_booking_confirm_not_understood")
            return {"booking_confirmed": None}
        if answer is False:
            dispatcher.utter_message(response="utter_booking_choose_again")
            return {"booking_confirmed": None, "booking_time": None}
        return self._book(dispatcher, tracker)

    def _book(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        context = self.context
        kind = BookingKind(tracker.get_slot("booking_kind"))
        topic = tracker.get_slot("booking_topic")
        reason = tracker.get_slot(REASON_SLOT) or Reason.ASKED_FOR_BOOKING.value
        request = BookingRequest(
            kind=kind,
            starts_at=as_utc(datetime.fromisoformat(tracker.get_slot("booking_time"))),
            first_name=tracker.get_slot("booking_name"),
            phone=tracker.get_slot("booking_phone") if kind is BookingKind.CALLBACK else None,
            topic=topic,
            channel=citizen_channel(tracker),
            conversation_id=tracker.sender_id,
            summary=summarise(tracker.events, reason, topic),
        )
        try:
            result = context.bookings.book(request)
        except DatabaseUnavailable as error:
            give_up(dispatcher, error)
            return {"booking_confirmed": None, FAILED: True}
        if isinstance(result, Booked):
            return {
                "booking_confirmed": True,
                "booking_reference": result.booking.reference,
                "booking_time": result.booking.starts_at.isoformat(),
            }
        if isinstance(result, SlotTaken) and result.alternative is not None:
            dispatcher.utter_message(
                response="utter_booking_slot_taken",
                time=format_day_and_clock(context, result.alternative.starts_at, conversation_language(tracker)),
            )
            return {
                "booking_confirmed": None,
                "booking_time": None,
                TIME_OPTIONS: [result.alternative.starts_at.isoformat()],
            }
        if isinstance(result, SlotTaken):
            dispatcher.utter_message(response="utter_booking_no_free_times", days_ahead=context.settings.days_ahead)
            return {"booking_confirmed": None, FAILED: True}
        assert isinstance(result, NotBookable)
        dispatcher.utter_message(response="utter_booking_time_gone")
        return {"booking_confirmed": None, "booking_time": None}


class ActionAskBookingTime(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_ask_booking_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        kind = BookingKind(tracker.get_slot("booking_kind"))
        return ask_for_time(dispatcher, tracker, self.context, kind, f"utter_ask_booking_time_{kind.value}")


class ActionAskBookingConfirmed(UsesBookingContext, Action):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        kind = BookingKind(tracker.get_slot("booking_kind"))
        phone = tracker.get_slot("booking_phone")
        language = conversation_language(tracker)
        dispatcher.utter_message(
            response=f"utter_ask_booking_confirmed_{kind.value}",
            time=slot_label(self.context, tracker.get_slot("booking_time"), language),
            name=tracker.get_slot("booking_name"),
            phone=format_phone(phone) if phone else "",
            topic=topic_label(tracker.get_slot("booking_topic"), language),
        )
        return []


def reset(slots: tuple[str, ...]) -> list[EventType]:
    return [SlotSet(name, None) for name in slots]


class ActionBookingConfirmation(UsesBookingContext, Action):
    """After the form: the confirmation with code, time, what to bring and how to cancel."""

    def name(self) -> str:
        return "action_booking_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reference = tracker.get_slot("booking_reference")
        if reference:
            kind = BookingKind(tracker.get_slot("booking_kind"))
            phone = tracker.get_slot("booking_phone")
            dispatcher.utter_message(
                response=f"utter_booking_confirmed_{kind.value}",
                reference=reference,
                time=slot_label(self.context, tracker.get_slot("booking_time"), conversation_language(tracker)),
                name=tracker.get_slot("booking_name"),
                phone=format_phone(phone) if phone else "",
            )
            if kind is BookingKind.MEETING:
                dispatcher.utter_message(response=what_to_bring(tracker.get_slot("booking_topic")))
            dispatcher.utter_message(response="utter_booking_how_to_cancel", reference=reference)
        return reset(BOOKING_SLOTS + HELPER_SLOTS)
