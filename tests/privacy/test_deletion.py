"""Deletion on request and the retention purge, in the gateway's tables and Rasa's tracker table."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from bot.privacy import delete_conversation, purge_older_than
from bot.store import Conversation, Database, Handoff, Message, Sender
from tests.support.rasa_tables import add_tracker_event, tracker_event_count

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
