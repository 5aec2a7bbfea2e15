"""One day of conversations as the gateway, the action server and Rasa leave them in the database,
and the figures they must give. Written directly (no Rasa) so the counting is checked on its own."""
from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import text

from bot.store import Booking, BookingKind, BookingStatus, Conversation, Database, Handoff, Message, Sender
from bot.store.models import StaffMember
from tests.support.postgres import fresh_postgres_database
from tests.support.rasa_tables import EVENTS_DDL

DAY = date(2026, 3, 10)  # a Tuesday; Copenhagen is UTC+1 then
MORNING = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)  # 10.00 local: borgerservice is open
NIGHT = datetime(2026, 3, 10, 21, 30, tzinfo=timezone.utc)  # 22.30 local: closed
PURGE_AT = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)  # more than 30 days after, and after the booking


def database(kind: str, directory) -> Iterator[Database]:
    """An upgraded database with Rasa's events table, SQLite or PostgreSQL."""
    if kind == "sqlite":
        db = Database(f"sqlite:///{directory / 'statistics.db'}")
        db.upgrade()
        with db.session() as session:
            session.execute(text(EVENTS_DDL))
        yield db
        db.dispose()
        return
    with fresh_postgres_database("borgerhjaelp_statistics") as url:
        db = Database(url)
        db.upgrade()
        with db.session() as session:
            session.execute(text(EVENTS_DDL.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")))
        yield db
        db.dispose()


def _events(db: Database, sender: str, start: datetime, events: list[dict]) -> None:
    with db.session() as session:
        for offset, event in enumerate(events):
            kind = event["event"]
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            session.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
                    " VALUES (:s, :t, :ts, :i, :a, :d)"
                ),
                {"s": sender, "t": kind, "ts": start.timestamp() + offset, "i": intent,
                 "a": event.get("name") if kind == "action" else None, "d": json.dumps(event)},
            )


def said(intent: str, words: str = "...") -> dict:
    return {"event": "user", "text": words, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def did(action: str) -> dict:
    return {"event": "action", "name": action}


def slot(name: str, value) -> dict:
    return {"event": "slot", "name": name, "value": value}


def _conversation(db: Database, channel: str, started: datetime, citizen_lines: int, **extra) -> str:
    with db.session() as session:
        row = Conversation(channel=channel, channel_user_id="u", created_at=started, updated_at=started + timedelta(minutes=5), **extra)
        session.add(row)
        session.flush()
        for index in range(citizen_lines):
            session.add(Message(conversation_id=row.id, sender=Sender.CITIZEN, text=f"linje {index}", created_at=started))
        return row.id


def fill_day(db: Database) -> dict[str, str]:
    """Five conversations: answered (and helped), not understood twice, handed to a person, booked,
    and answered with "Nej" to "Hjalp det?". Returns their ids by name."""
    ids = {}
    ids["answered"] = _conversation(db, "web", MORNING, 2)
    _events(db, ids["answered"], MORNING, [
        {"event": "session_started"}, did("action_listen"), said("mitid_forgot_pin", "jeg har glemt min kode"),
        did("utter_mitid_forgot_pin"), did("action_did_that_help"), did("utter_did_that_help"), did("action_listen"),
        said("affirm", "ja"), did("utter_glad"), did("action_listen"),
    ])
    ids["missed"] = _conversation(db, "web", NIGHT, 2)
    _events(db, ids["missed"], NIGHT, [
        said("nlu_fallback", "blabla"), did("action_handle_fallback"), did("action_listen"),
        said("nlu_fallback", "blabla igen"), did("action_handle_fallback"), did("action_listen"),
    ])
    ids["handoff"] = _conversation(db, "telegram", MORNING, 1, satisfaction=4)
    with db.session() as session:
        eva = session.query(StaffMember).filter_by(username="eva").one_or_none()
        if eva is None:
            eva = StaffMember(username="eva", first_name="Eva", password_hash="x")
            session.add(eva)
            session.flush()
        session.add(Handoff(conversation_id=ids["handoff"], reason="asked_for_person", requested_at=MORNING,
                            claimed_by=eva.id, claimed_at=MORNING + timedelta(seconds=45), outcome="closed"))
        session.add(Message(conversation_id=ids["handoff"], sender=Sender.STAFF, staff_id=eva.id, text="Hej",
                            created_at=MORNING + timedelta(seconds=100)))
    _events(db, ids["handoff"], MORNING, [slot("language", "en"), said("request_human", "a person please"), did("action_handoff")])
    ids["booked"] = _conversation(db, "web", MORNING, 3)
    with db.session() as session:
        session.add(Handoff(conversation_id=ids["booked"], reason="asked_for_booking", requested_at=MORNING,
                            outcome="booking_offered", ended_at=MORNING))
        session.add(Booking(reference=uuid.uuid4().hex[:12], kind=BookingKind.CALLBACK, topic="mitid_blocked",
                            starts_at=MORNING + timedelta(days=2), length_minutes=20, first_name="Bo", phone="12345678",
                            channel="web", conversation_id=ids["booked"], status=BookingStatus.DONE, created_at=MORNING))
    _events(db, ids["booked"], MORNING, [
        said("book_helper", "jeg vil bestille tid"), did("booking_form"),
        said("nlu_fallback", "12345678"), did("booking_form"),  # the form's answer, not a miss
        slot("manage_result", "moved"),
    ])
    ids["not_helped"] = _conversation(db, "web", MORNING, 2)
    _events(db, ids["not_helped"], MORNING, [
        said("digitalpost_read", "hvordan læser jeg post"), did("utter_digitalpost_read"), did("utter_did_that_help"),
        did("action_listen"), said("deny", "nej"), did("utter_sorry"),
    ])
    return ids


def expected_totals(channel: str | None = None) -> Counter:
    """What fill_day's conversations must add up to (all channels, or one)."""
    web = Counter({
        "conversations": 4, "citizen_messages": 9, "contained": 1, "rasa_turns": 8, "handoff": 1, "not_understood": 2,
        "second_miss": 1, "handed_off": 1, "booking_route": 1, "bookings": 1, "helped_yes": 1, "helped_no": 1,
        "outside_hours": 1, "topic": 2, "bookings_moved": 1, "booking_status": 1, "language": 4, "hour": 4,
    })
    telegram = Counter({
        "conversations": 1, "citizen_messages": 1, "rasa_turns": 1, "handed_off": 1, "handoff": 1, "live_chat": 1,
        "satisfaction": 1, "claim_wait": 1, "reply_wait": 1, "language": 1, "hour": 1,
    })
    return {"web": web, "telegram": telegram}.get(channel or "", web + telegram)
