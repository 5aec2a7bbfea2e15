"""Deletion on request and the retention purge, in the gateway's tables and Rasa's tracker table."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import event, func, inspect, select
from sqlalchemy import text as sql_text

from bot.booking.summary import QUOTES_DELETED, summarise
from bot.privacy import delete_conversation, purge_older_than
from bot.privacy.deletion import TrackerNotDeleted, audit_retention_days_from_env
from bot.store import AuditEntry, Booking, Conversation, Database, Handoff, Message, Sender
from bot.store.models import BookingKind
from bot.store.models import LoginThrottle as LoginThrottleRow
from tests.support.postgres import fresh_postgres_database
from tests.support.rasa_tables import EVENTS_DDL, add_tracker_event, create_events_table, tracker_event_count

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
PROJECT = Path(__file__).resolve().parents[2]
# `database`: the gateway's SQLite database with Rasa's tracker table, from tests/support/gateway_fixtures.py.


def conversation(db: Database, last_active: datetime) -> str:
    with db.session() as session:
        row = Conversation(channel="web", channel_user_id="visitor", created_at=last_active, updated_at=last_active)
        session.add(row)
        session.flush()
        session.add(Message(conversation_id=row.id, sender=Sender.CITIZEN, text="hej", created_at=last_active))
        session.add(Handoff(conversation_id=row.id, reason="request_human"))
        conversation_id = row.id
    add_tracker_event(db, conversation_id, last_active.timestamp())
    return conversation_id


def count(db: Database, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_purge_keeps_the_idle_tracker_of_a_conversation_the_gateway_still_keeps(database):
    """A conversation staff still work on (Rasa quiet for weeks) keeps its tracker; so does one that another
    purge is counting at this moment (its Rasa events tell that purge the conversation's language)."""
    with database.session() as session:
        row = Conversation(channel="web", channel_user_id="visitor", updated_at=NOW - timedelta(days=1))
        session.add(row)
        session.flush()
        with_staff = row.id
    add_tracker_event(database, with_staff, (NOW - timedelta(days=40)).timestamp())

    result = purge_older_than(database, 30, now=NOW)

    assert result.conversations == 0 and result.tracker_conversations == 0
    assert tracker_event_count(database, with_staff) == 1


def test_delete_removes_conversation_messages_handoffs_and_tracker(database):
    doomed, kept = conversation(database, NOW), conversation(database, NOW)
    assert delete_conversation(database, doomed)
    assert tracker_event_count(database, doomed) == 0 and tracker_event_count(database, kept) == 1
    assert (count(database, Conversation), count(database, Message), count(database, Handoff)) == (1, 1, 1)
    assert not delete_conversation(database, doomed)


def test_purge_deletes_only_what_is_older_than_the_retention(database):
    old = conversation(database, NOW - timedelta(days=31))
    recent = conversation(database, NOW - timedelta(days=29))
    add_tracker_event(database, "rasa-shell-user", (NOW - timedelta(days=40)).timestamp())
    add_tracker_event(database, "recent-shell-user", (NOW - timedelta(days=1)).timestamp())

    result = purge_older_than(database, 30, now=NOW)

    assert result.conversations == 1 and result.tracker_conversations == 2
    with database.session() as session:
        assert list(session.scalars(select(Conversation.id))) == [recent]
    assert tracker_event_count(database, old) == 0 and tracker_event_count(database, "rasa-shell-user") == 0
    assert tracker_event_count(database, recent) == 1 and tracker_event_count(database, "recent-shell-user") == 1


def test_purge_forgets_telegram_updates_telegram_can_no_longer_send_again(database):
    from bot.store.models import TelegramUpdate
    from bot.store.telegram_updates import take_update

    assert take_update(database, 1) and take_update(database, 2)
    assert not take_update(database, 1)
    with database.session() as session:
        session.get(TelegramUpdate, 1).received_at = NOW - timedelta(days=3)
        session.get(TelegramUpdate, 2).received_at = NOW - timedelta(hours=30)
    purge_older_than(database, 30, now=NOW)
    with database.session() as session:
        assert list(session.scalars(select(TelegramUpdate.update_id))) == [2]


def test_purge_works_before_rasa_ever_made_its_table(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.upgrade()
    conversation_without_tracker = Conversation(channel="web", channel_user_id="v", updated_at=NOW - timedelta(days=90))
    with db.session() as session:
        session.add(conversation_without_tracker)
    assert purge_older_than(db, 30, now=NOW).conversations == 1
    db.dispose()


def test_purge_command(database):
    conversation(database, datetime.now(timezone.utc) - timedelta(days=10))
    env = {**os.environ, "DATABASE_URL": database.url, "RETENTION_DAYS": "30"}
    command = [sys.executable, "-m", "bot", "purge"]
    kept = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert kept.returncode == 0, kept.stderr
    assert "Deleted 0 conversation(s)" in kept.stdout
    started = time.monotonic()
    purged = subprocess.run([*command, "--days", "7"], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert purged.returncode == 0 and "Deleted 1 conversation(s)" in purged.stdout
    assert time.monotonic() - started < 120


# --- The citizen's words in bookings -------------------------------------------------------------

# What the citizen typed; it must be nowhere in the database after "Slet min samtale" or the purge.
CITIZEN_SENTENCE = "min søster på Kastanjevej 7 har låst mit MitID"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request, tmp_path) -> Iterator[Database]:
    """The gateway's database with Rasa's tracker table, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'words.db'}")
        db.upgrade()
        create_events_table(db)
        yield db
        db.dispose()
        return
    with fresh_postgres_database("borgerhjaelp_privacy") as url:
        db = Database(url)
        db.upgrade()
        with db.session() as session:
            session.execute(sql_text(EVENTS_DDL.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")))
        yield db
        db.dispose()


def booked_conversation(db: Database, last_active: datetime, starts_at: datetime, reference: str) -> str:
    """A conversation where the citizen wrote CITIZEN_SENTENCE, was handed over, and booked a call-back."""
    user_event = {"event": "user", "text": CITIZEN_SENTENCE, "parse_data": {"intent": {"name": "mitid_forgot_pin"}}}
    events = [{"event": "session_started"}, user_event, {"event": "action", "name": "utter_mitid_forgot_pin"}]
    summary = summarise(events, "asked_for_booking", "mitid_forgot_pin")
    assert CITIZEN_SENTENCE in summary  # the summary quotes the citizen, as the booking action stores it
    with db.session() as session:
        row = Conversation(
            channel="web", channel_user_id="visitor", created_at=last_active, updated_at=last_active, summary=summary
        )
        session.add(row)
        session.flush()
        said = Message(conversation_id=row.id, sender=Sender.CITIZEN, text=CITIZEN_SENTENCE, created_at=last_active)
        session.add(said)
        session.add(Handoff(conversation_id=row.id, reason="asked_for_booking", summary=summary))
        session.add(
            Booking(
                reference=reference,
                kind=BookingKind.CALLBACK,
                topic="mitid_forgot_pin",
                starts_at=starts_at,
                length_minutes=15,
                first_name="Ulla",
                phone="20304050",
                channel="web",
                conversation_id=row.id,
                summary=summary,
            )
        )
        conversation_id = row.id
        session.execute(
            sql_text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
            {"s": conversation_id, "t": last_active.timestamp(), "d": json.dumps(user_event, ensure_ascii=False)},
        )
    return conversation_id


def places_holding(db: Database, words: str) -> list[str]:
    """Every table.column, in every table of the database, whose value holds `words` in some row."""
    found = []
    with db.session() as session:
        for table in inspect(session.connection()).get_table_names():
            result = session.execute(sql_text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                found += [f"{table}.{column}" for column, value in zip(columns, row) if words in str(value)]
    return found


def booking(db: Database, reference: str) -> Booking | None:
    with db.session() as session:
        row = session.scalar(select(Booking).where(Booking.reference == reference))
        if row is not None:
            session.expunge(row)
        return row


def test_after_deleting_a_conversation_no_citizen_words_remain_but_the_booking_does(any_database):
    db = any_database
    conversation_id = booked_conversation(db, NOW, NOW + timedelta(days=2), "K7M-4PX")
    other = booked_conversation(db, NOW, NOW + timedelta(days=3), "H9R-2TX")
    assert "bookings.summary" in places_holding(db, CITIZEN_SENTENCE)

    assert delete_conversation(db, conversation_id)

    kept = booking(db, "K7M-4PX")
    assert (kept.first_name, kept.phone, kept.topic) == ("Ulla", "20304050", "mitid_forgot_pin")
    assert kept.kind == BookingKind.CALLBACK
    assert kept.starts_at.replace(tzinfo=timezone.utc) == NOW + timedelta(days=2)
    assert "Emne: MitID" in kept.summary and QUOTES_DELETED in kept.summary
    # The other citizen's conversation is untouched; deleting it too leaves no trace of the sentence.
    assert CITIZEN_SENTENCE in booking(db, "H9R-2TX").summary
    assert delete_conversation(db, other)
    assert places_holding(db, CITIZEN_SENTENCE) == []


def test_the_purge_removes_citizen_words_from_coming_bookings_and_past_bookings_entirely(any_database):
    db = any_database
    # Retention 7 days. Old conversations with a call-back still to come, one past the retention, one within it.
    booked_conversation(db, NOW - timedelta(days=10), NOW + timedelta(days=2), "K7M-4PX")
    booked_conversation(db, NOW - timedelta(days=20), NOW - timedelta(days=8), "H9R-2TX")
    recent = booked_conversation(db, NOW - timedelta(days=1), NOW - timedelta(days=5), "P3W-8QA")

    result = purge_older_than(db, 7, now=NOW)

    assert (result.conversations, result.bookings) == (2, 1)
    assert booking(db, "H9R-2TX") is None
    coming = booking(db, "K7M-4PX")
    assert (coming.first_name, coming.phone) == ("Ulla", "20304050") and QUOTES_DELETED in coming.summary
    # The recent conversation is kept whole, quotes included; once it goes, so do they.
    assert CITIZEN_SENTENCE in booking(db, "P3W-8QA").summary
    assert delete_conversation(db, recent)
    assert places_holding(db, CITIZEN_SENTENCE) == []


# --- Hardening: loud failure, the log-in counts, the audit log, secure delete, file modes ---------


def test_delete_fails_loudly_and_deletes_nothing_when_rasas_table_is_elsewhere(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'without-rasa.db'}")
    db.upgrade()
    with db.session() as session:
        row = Conversation(channel="web", channel_user_id="v")
        session.add(row)
        session.flush()
        kept = row.id
    with pytest.raises(TrackerNotDeleted, match="tracker"):
        delete_conversation(db, kept)
    assert count(db, Conversation) == 1
    db.dispose()


def test_the_purge_forgets_quiet_login_counts_and_old_audit_entries(database):
    with database.session() as session:
        session.add_all(
            [
                # A password typed into the user name field, an hour and a half ago: forgotten.
                LoginThrottleRow(key="user:hemmeligt-kodeord@10.0.0.1", failures=1, last_failure_at=NOW - timedelta(minutes=90)),
                # Still counting, or still blocked: kept.
                LoginThrottleRow(key="user:anna@10.0.0.1", failures=2, last_failure_at=NOW - timedelta(minutes=10)),
                LoginThrottleRow(
                    key="ip:10.0.0.9", failures=30, last_failure_at=NOW - timedelta(hours=2), blocked_until=NOW + timedelta(minutes=5)
                ),
                AuditEntry(staff_id=None, action="login", created_at=NOW - timedelta(days=400)),
                AuditEntry(staff_id=None, action="login", created_at=NOW - timedelta(days=40)),
            ]
        )
    result = purge_older_than(database, 30, now=NOW, audit_days=365)
    assert (result.login_counts, result.audit_entries) == (1, 1)
    with database.session() as session:
        assert sorted(session.scalars(select(LoginThrottleRow.key))) == ["ip:10.0.0.9", "user:anna@10.0.0.1"]
        assert [entry.created_at.date() for entry in session.scalars(select(AuditEntry))] == [(NOW - timedelta(days=40)).date()]
    # The audit period is never shorter than the conversations'.
    assert purge_older_than(database, 60, now=NOW, audit_days=10).audit_entries == 0


def test_the_audit_retention_is_read_from_the_environment():
    assert audit_retention_days_from_env({}) == 365
    assert audit_retention_days_from_env({"AUDIT_RETENTION_DAYS": "730"}) == 730


def test_a_deleted_conversation_cannot_be_read_back_from_the_sqlite_file(database):
    marker = "Kastanjevej-hemmelighed-" + "x" * 40
    conversation_id = conversation(database, NOW)
    with database.session() as session:
        session.add(Message(conversation_id=conversation_id, sender=Sender.CITIZEN, text=marker))
    database.dispose()  # checkpoints the WAL into the file
    path = Path(database.url.split("///", 1)[1])
    assert marker.encode() in path.read_bytes()
    assert delete_conversation(database, conversation_id)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    for file in path.parent.glob(path.name + "*"):
        assert marker.encode() not in file.read_bytes(), file


def test_sqlite_files_and_their_folder_are_for_their_owner_only(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'var' / 'borgerhjaelp.db'}")
    db.upgrade()
    with db.session() as session:  # open while the files are looked at, so the WAL files exist
        session.add(Conversation(channel="web", channel_user_id="v"))
        session.flush()
        files = list((tmp_path / "var").iterdir())
        assert {f.name for f in files} >= {"borgerhjaelp.db", "borgerhjaelp.db-wal"}
        assert (tmp_path / "var").stat().st_mode & 0o777 == 0o700
        for file in files:
            assert file.stat().st_mode & 0o077 == 0, file
    db.dispose()


def test_a_sqlite_database_keeps_its_connections_and_every_one_has_the_pragmas(tmp_path):
    # A new connection per session (SQLAlchemy 1.4's NullPool for files) ran four pragmas every time.
    db = Database(f"sqlite:///{tmp_path / 'pooled.db'}")
    opened = []
    event.listen(db.engine, "connect", lambda connection, record: opened.append(connection))
    try:
        for _ in range(5):
            with db.session() as session:
                assert session.execute(sql_text("PRAGMA secure_delete")).scalar() == 1
                assert session.execute(sql_text("PRAGMA foreign_keys")).scalar() == 1
        assert len(opened) == 1
    finally:
        db.dispose()
