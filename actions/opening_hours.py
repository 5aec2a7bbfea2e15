"""Borgerservice's opening hours, computed for today from municipality.yml."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.context import municipality
from actions.language import conversation_language
from bot import english
from bot.config import Interval, Municipality
from bot.danish import WEEKDAY_NAMES
from bot.english import DANISH, ENGLISH, format_day
from bot.times import utcnow

# How far ahead the answer looks for the next open day and for days that differ from the usual week.
LOOK_AHEAD_DAYS = 14


# The sentences of the answer, in the conversation's language.
TEXTS = {
    DANISH: {
        "and": " og ",
        "clock": "%H.%M",
        "open_now": "Vi har åbent nu, til kl. {closing}. I dag har vi åbent {hours}{reason}.",
        "open_later": "I dag har vi åbent {hours}{reason}.",
        "closed_now": "Vi har lukket for i dag. I dag havde vi åbent {hours}.",
        "closed_today": "I dag har vi lukket{reason}.",
        "next_open": "Næste gang vi har åbent er {when}: {hours}.",
        "tomorrow": "i morgen",
        "closed": "lukket",
        "note": "Bemærk:",
    },
    ENGLISH: {
        "and": " and ",
        "clock": "%H:%M",
        "open_now": "We are open now, until {closing}. Today we are open {hours}{reason}.",
        "open_later": "Today we are open {hours}{reason}.",
        "closed_now": "We are closed for today. Today we were open {hours}.",
        "closed_today": "Today we are closed{reason}.",
        "next_open": "We are open again {when}: {hours}.",
        "tomorrow": "tomorrow",
        "closed": "closed",
        "note": "Please note:",
    },
}


def format_intervals(intervals: tuple[Interval, ...], language: str = DANISH) -> str:
    """'10.00–15.00' or '9.00–12.00 og 13.00–15.00' ('9:00–12:00 and 13:00–15:00' in English)."""
    words = TEXTS[language]
    return words["and"].join(f"{start:{words['clock']}}–{end:{words['clock']}}" for start, end in intervals)


def opening_hours_answer(place: Municipality, now: datetime, language: str = DANISH) -> dict[str, str]:
    """The parts of the answer: today first, then the next open day, the usual week and exceptions."""
    words = TEXTS[language]
    local = now.astimezone(place.timezone)
    today = local.date()
    intervals, exception = place.hours_on(today)
    reason = f" ({exception.note})" if exception and exception.note else ""
    open_now = any(start <= local.time() < end for start, end in intervals)

    hours = format_intervals(intervals, language)
    if open_now:
        closing = next(end for start, end in intervals if start <= local.time() < end)
        today_text = words["open_now"].format(closing=f"{closing:{words['clock']}}", hours=hours, reason=reason)
    elif intervals and local.time() < intervals[0][0]:
        today_text = words["open_later"].format(hours=hours, reason=reason)
    elif intervals:
        today_text = words["closed_now"].format(hours=hours)
    else:
        today_text = words["closed_today"].format(reason=reason)

    next_text = ""
    if not open_now and not (intervals and local.time() < intervals[0][0]):
        next_day = _next_open_day(place, today)
        if next_day is not None:
            next_intervals, _ = place.hours_on(next_day)
            when = words["tomorrow"] if next_day == today + timedelta(days=1) else format_day(next_day, language)
            next_text = words["next_open"].format(when=when, hours=format_intervals(next_intervals, language))

    weekdays = english.WEEKDAY_NAMES if language == ENGLISH else WEEKDAY_NAMES
    week = "\n".join(
        _first_upper(weekdays[weekday])
        + ": "
        + (format_intervals(place.opening_hours[weekday], language) or words["closed"])
        for weekday in range(7)
    )
    upcoming = [
        place.exceptions[day]
        for day in sorted(place.exceptions)
        if today < day <= today + timedelta(days=LOOK_AHEAD_DAYS)
    ]
    exceptions_text = "\n".join(
        f"{_first_upper(format_day(e.day, language))}: {format_intervals(e.hours, language) or words['closed']}"
        + (f" ({e.note})" if e.note else "")
        for e in upcoming
    )
    return {
        "today_text": " ".join(part for part in (today_text, next_text) if part),
        "week_text": week,
        "exceptions_text": f"{words['note']}\n{exceptions_text}" if exceptions_text else "",
    }


def _first_upper(text: str) -> str:
    # Not str.capitalize(): it would write the English month "Dec" as "dec".
    return text[:1].upper() + text[1:]


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

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        parts = opening_hours_answer(municipality(), self.clock(), conversation_language(tracker))
        dispatcher.utter_message(response="utter_opening_hours", **parts)
        if parts["exceptions_text"]:
            dispatcher.utter_message(response="utter_opening_hours_exceptions", **parts)
        return []
