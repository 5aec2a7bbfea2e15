"""Booking a person when a citizen struggles: helpers' schedule, free slots, bookings, handoff decisions.

Pure domain logic and database access; the Rasa actions in `actions/` and the gateway use it.
"""
from bot.booking.config import (
    BookingSettings,
    StruggleThresholds,
    parse_booking_settings,
    parse_struggle_thresholds,
)
from bot.booking.handoff import HandoffDesk, HandoffMode, HandoffRequest, decide_handoff, gateway_payload, staff_online
from bot.booking.phone import format_phone, normalise_phone
from bot.booking.phrases import TimeWish, parse_time_wish
from bot.booking.reference import new_reference, normalise_reference
from bot.booking.service import (
    Booked,
    BookingRequest,
    BookingService,
    BookingView,
    Cancelled,
    Moved,
    NotAllowed,
    NotBookable,
    NotFound,
    SlotTaken,
)
from bot.booking.slots import Choice, Problem, Slot
from bot.booking.struggle import Reason, reason_label, struggle_reason
from bot.booking.summary import summarise
from bot.booking.unit import DatabaseUnavailable

__all__ = [
    "Booked",
    "BookingRequest",
    "BookingService",
    "BookingSettings",
    "BookingView",
    "Cancelled",
    "Choice",
    "DatabaseUnavailable",
    "HandoffDesk",
    "HandoffMode",
    "HandoffRequest",
    "Moved",
    "NotAllowed",
    "NotBookable",
    "NotFound",
    "Problem",
    "Reason",
    "Slot",
    "SlotTaken",
    "StruggleThresholds",
    "TimeWish",
    "decide_handoff",
    "gateway_payload",
    "format_phone",
    "new_reference",
    "normalise_phone",
    "normalise_reference",
    "parse_booking_settings",
    "parse_struggle_thresholds",
    "parse_time_wish",
    "reason_label",
    "staff_online",
    "struggle_reason",
    "summarise",
]
