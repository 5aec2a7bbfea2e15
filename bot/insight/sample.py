"""A made-up but plausible year of conversations, for `make bench` and the README's screenshot.

The last `live_days` days are written as the gateway, the action server and Rasa would leave them
(conversations, messages, handoffs, bookings, tracker events); the days before them as the retention
purge leaves them: only daily counts, made by counting the live days with the purge's own code and
copying them back in time. Seeded, so every run writes the same.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot.config import Municipality
from bot.insight.counting import count_bookings, count_conversations, keep, local_day_bounds
from bot.store import Booking, Conversation, Database, Handoff, Message
from bot.store.models import Sender
from bot.store.rasa_events import events

QUESTIONS = (
    "mitid_forgot_pin",
    "mitid_new_phone",
    "mitid_get",
    "digitalpost_read",
    "digitalpost_exemption",
    "opening_hours",
    "mitid_lost_phone",
    "digitalpost_relative_access",
    "mitid_blocked",
    "contact_borgerservice",
)
# How a conversation goes, and how often (out of 100).
KINDS = (
    ("helped", 46),
    ("answered", 14),
    ("not_helped", 8),
    ("missed_once", 8),
    ("missed_twice", 6),
    ("live_chat", 10),
    ("booking", 8),
)
# When citizens write: weight per local hour.
HOUR_WEIGHTS = (1, 1, 0, 0, 0, 1, 2, 5, 9, 12, 12, 11, 9, 10, 10, 9, 7, 6, 6, 6, 5, 4, 3, 2)


def _pick(generator: random.Random, choices) -> str:
    return generator.choices([name for name, _ in choices], [weight for _, weight in choices])[0]


def fill(
    db: Database,
    municipality: Municipality,
    today: date,
    days: int = 365,
    live_days: int = 30,
    per_day: int = 2000,
    seed: int = 11,
) -> int:
    """Write the year ending `today`; returns how many conversations were written in full."""
    generator = random.Random(seed)
    zone = municipality.timezone
    written = 0
    live_ids: list[str] = []
    for back in range(min(days, live_days)):
        day = today - timedelta(days=back)
        weekend = day.weekday() >= 5
        ids = _write_day(db, generator, day, zone, per_day // 3 if weekend else per_day)
        live_ids += ids
        written += len(ids)
    if days > live_days:
        first_live = today - timedelta(days=live_days - 1)
        with db.session() as session:
            template = count_conversations(session, live_ids, municipality)
            template.update(live_bookings(session, first_live, today, municipality))
        by_day: dict[date, list] = {}
        for (counted_day, channel, figure, detail), value in template.items():
            by_day.setdefault(counted_day, []).append((channel, figure, detail, value))
        kept: Counter = Counter()
        for back in range(live_days, days):
            day = today - timedelta(days=back)
            source = today - timedelta(days=back % live_days)
            # A season: quieter in summer and around new year, busier in autumn and spring.
            season = 1 + 0.3 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365) * generator.uniform(
                0.8, 1.2
            )
            for channel, figure, detail, value in by_day.get(source, []):
                kept[(day, channel, figure, detail)] += round(value * season)
        with db.session() as session:
            keep(session, kept)
    return written


def live_bookings(session: Session, first: date, last: date, municipality: Municipality) -> Counter:
    start, end = local_day_bounds(first, last, municipality.timezone)
    return count_bookings(session, (Booking.created_at >= start) & (Booking.created_at < end), municipality)


def _write_day(db: Database, generator: random.Random, day: date, zone, count: int) -> list[str]:
    conversations: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    tracker: list[dict[str, Any]] = []
    for _ in range(count):
        hour = generator.choices(range(24), HOUR_WEIGHTS)[0]
        local = datetime.combine(day, time(hour, generator.randrange(60), generator.randrange(60)), tzinfo=zone)
        started = local.astimezone(timezone.utc)
        conversation_id = uuid.uuid4().hex
        channel = "telegram" if generator.random() < 0.2 else "web"
        kind = _pick(generator, KINDS)
        topic = generator.choice(QUESTIONS)
        clock = [started.timestamp()]

        def event(type_name: str, name: str, value: str | None = None) -> None:
            clock[0] += generator.uniform(1, 20)
            data = (
                {"event": type_name, "name": name, "value": value}
                if type_name == "slot"
                else {"event": type_name, "name": name}
            )
            tracker.append(
                {
                    "sender_id": conversation_id,
                    "type_name": type_name,
                    "timestamp": clock[0],
                    "intent_name": name if type_name == "user" else None,
                    "action_name": name if type_name == "action" else None,
                    "data": json.dumps(data),
                }
            )

        def citizen(intent: str) -> None:
            messages.append(
                {
                    "conversation_id": conversation_id,
                    "sender": Sender.CITIZEN.value,
                    "text": "",
                    "created_at": datetime.fromtimestamp(clock[0], timezone.utc),
                }
            )
            event("user", intent)

        if generator.random() < 0.04:
            event("slot", "language", "en")
        satisfaction = None
        if kind in ("missed_once", "missed_twice"):
            citizen("nlu_fallback")
            event("action", "action_handle_fallback")
            if kind == "missed_twice":
                citizen("nlu_fallback")
                event("action", "action_handle_fallback")
            else:
                citizen(topic)
                event("action", f"utter_{topic}")
        else:
            citizen("request_human" if kind == "live_chat" else "book_helper" if kind == "booking" else topic)
            event("action", f"utter_{topic}")
        if kind in ("helped", "not_helped", "answered"):
            event("action", "utter_did_that_help")
            if kind != "answered":
                citizen("affirm" if kind == "helped" else "deny")
        if kind == "live_chat":
            claim = generator.expovariate(1 / 90)
            handoffs.append(
                {
                    "conversation_id": conversation_id,
                    "reason": generator.choice(
                        (
                            "asked_for_person",
                            "asked_for_person",
                            "repeated_fallback",
                            "not_helped",
                            "express_difficulty",
                        )
                    ),
                    "topic": topic,
                    "requested_at": started,
                    "claimed_at": started + timedelta(seconds=claim),
                    "ended_at": None,
                    "outcome": "closed",
                }
            )
            messages.append(
                {
                    "conversation_id": conversation_id,
                    "sender": Sender.STAFF.value,
                    "text": "",
                    "created_at": started + timedelta(seconds=claim + generator.uniform(10, 120)),
                }
            )
            satisfaction = generator.choices((1, 2, 3, 4, 5), (1, 1, 3, 8, 12))[0] if generator.random() < 0.4 else None
        if kind == "booking":
            handoffs.append(
                {
                    "conversation_id": conversation_id,
                    "reason": "asked_for_booking",
                    "topic": topic,
                    "requested_at": started,
                    "claimed_at": None,
                    "ended_at": started,
                    "outcome": "booking_offered",
                }
            )
            if generator.random() < 0.8:
                bookings.append(
                    {
                        "reference": uuid.uuid4().hex[:12],
                        "kind": generator.choice(("callback", "meeting")),
                        "topic": topic,
                        "starts_at": started + timedelta(days=generator.randrange(1, 14), minutes=len(bookings)),
                        "length_minutes": 20,
                        "first_name": "",
                        "channel": channel,
                        "conversation_id": conversation_id,
                        "status": generator.choices(("done", "no_show", "cancelled"), (8, 1, 1))[0],
                        "created_at": started,
                    }
                )
        conversations.append(
            {
                "id": conversation_id,
                "channel": channel,
                "channel_user_id": conversation_id,
                "state": "closed",
                "topic": topic,
                "satisfaction": satisfaction,
                "created_at": started,
                "updated_at": datetime.fromtimestamp(clock[0], timezone.utc),
            }
        )
    with db.session() as session:
        session.execute(insert(Conversation), conversations)
        session.execute(insert(Message), messages)
        if handoffs:
            session.execute(insert(Handoff), handoffs)
        if bookings:
            session.execute(insert(Booking), bookings)
        events.create(session.connection(), checkfirst=True)
        session.execute(insert(events), tracker)
    return [row["id"] for row in conversations]
