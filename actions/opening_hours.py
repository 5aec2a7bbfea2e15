"""Borgerservice's opening hours, computed for today from municipality.yml."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.context import municipality
from bot.config import Interval, Municipality
from bot.danish import WEEKDAY_NAMES, format_day
from bot.times import utcnow

# How far ahead the answer looks for the next open day and for days that differ from the usual week.
LOOK_AHEAD_DAYS = 14


def format_intervals(intervals: tuple[Interval, ...]) -> str:
    """'10.00–15.00' or '9.00–12.00 og 13.00–15.00'."""
    return " og ".join(f"{start:%H.%M}–{end:%H.%M}" for start, end in intervals)


def opening_hours_answer(place: Municipality, now: datetime) -> dict[str, str]:
    """The parts of the answer: today first, then the next open day, the usual week and exceptions."""
    local = now.astimezone(place.timezone)
    today = local.date()
    intervals, exception = place.hours_on(today)
    reason = f" ({exception.note})" if exception and exception.note else ""
    open_now = any(start <= local.time() < end for start, end in intervals)

    if open_now:
        closing = next(end for start, end in intervals if start <= local.time() < end)
        today_text = (
            f"Vi har åbent nu, til kl. {closing:%H.%M}. I dag har vi åbent {format_intervals(intervals)}{reason}."
        )
    elif intervals and local.time() < intervals[0][0]:
        today_text = f"I dag har vi åbent {format_intervals(intervals)}{reason}."
    elif intervals:
        today_text = f"Vi har lukket for i dag. I dag havde vi åbent {format_intervals(intervals)}."
    else:
        today_text = f"I dag har vi lukket{reason}."

    next_text = ""
    if not open_now and not (intervals and local.time() < intervals[0][0]):
        next_day = _next_open_day(place, today)
        if next_day is not None:
            next_intervals, _ = place.hours_on(next_day)
            when = "i morgen" if next_day == today + timedelta(days=1) else format_day(next_day)
            next_text = f"Næste gang vi har åbent er {when}: {format_intervals(next_intervals)}."

    week = "\n".join(
        f"{WEEKDAY_NAMES[weekday].capitalize()}: {format_intervals(place.opening_hours[weekday]) or 'lukket'}"
        for weekday in range(7)
    )
    upcoming = [
        place.exceptions[day]
        for day in sorted(place.exceptions)
        if today < day <= today + timedelta(days=LOOK_AHEAD_DAYS)
    ]
    exceptions_text = "\n".join(
        f"{format_day(e.day).capitalize()}: {format_intervals(e.hours) or 'lukket'}"
        + (f" ({e.note})" if e.note else "")
        for e in upcoming
    )
    return {
        "today_text": " ".join(part for part in (today_text, next_text) if part),
        "week_text": week,
        "exceptions_text": f"Bemærk:\n{exceptions_text}" if exceptions_text else "",
    }


def _next_open_day(place: Municipality, after: date) -> date | None:
    for offset in range(1, LOOK_AHEAD_DAYS + 1):
        day = after + timedelta(days=offset)
        if place.hours_on(day)[0]:
            return day
    return None


class ActionOpeningHours(Action):
    clock: Callable[[], datetime] = staticmethod(utcnow)

    def name(self) -> str:
        return "action_opening_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        parts = opening_hours_answer(municipality(), self.clock())
        dispatcher.utter_message(response="utter_opening_hours", **parts)
        if parts["exceptions_text"]:
            dispatcher.utter_message(response="utter_opening_hours_exceptions", **parts)
        return []
