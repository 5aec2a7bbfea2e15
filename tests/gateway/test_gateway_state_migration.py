"""Migration 0004 on SQLite and PostgreSQL: what the gateway used to infer is written down once.

Delivery towards Rasa moves from `payload["rasa"]` to `messages.rasa_status`; a conversation that a
live handoff paused, and whose Rasa has taken nothing since, gets `rasa_paused_at`. A booking the
action server recorded (ended as it was made) paused nothing. The schema then matches the models.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bot.store import Base, Database
from bot.store.migrate import alembic_config
from tests.support.postgres import fresh_postgres_database

START = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    with fresh_postgres_database("borgerhjaelp_gateway_state") as url:
        yield url


def at(minutes: int) -> str:
    # As each database stores it: SQLite keeps UTC without its zone.
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


def add(connection, table: str, **values) -> None:
    columns = ", ".join(values)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in values)})"), values)


def as_dict(payload) -> dict | None:
    """A JSON column read with plain SQL: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(payload) if isinstance(payload, str) else payload


def conversation(connection, id_: str) -> None:
    add(connection, "conversations", id=id_, channel="web", channel_user_id=id_, state="bot", created_at=at(0), updated_at=at(0))


def citizen(connection, conversation_id: str, minutes: int, payload: str | None) -> None:
    add(connection, "messages", conversation_id=conversation_id, sender="citizen", text="hej", payload=payload, created_at=at(minutes))


def handoff(connection, conversation_id: str, minutes: int, outcome: str | None = None, ended: int | None = None) -> None:
    ended_at = at(ended) if ended is not None else None
    add(connection, "handoffs", conversation_id=conversation_id, reason="r", requested_at=at(minutes), outcome=outcome, ended_at=ended_at)


def test_the_inferred_state_is_written_down_and_the_schema_matches_the_models(database_url):
    config = alembic_config(database_url)
    command.upgrade(config, "0003_telegram_updates")
    db = Database(database_url)
    try:
        with db.engine.begin() as connection:
            # Paused by a live handoff after the last message Rasa took; one message still pending.
            conversation(connection, "paused")
            citizen(connection, "paused", 1, '{"rasa": "sent"}')
            handoff(connection, "paused", 2, "handed_back", ended=9)
            citizen(connection, "paused", 10, '{"rasa": "pending", "rasa_payload": "/affirm"}')
            # Rasa took a message after the handoff: no longer paused.
            conversation(connection, "resumed")
            handoff(connection, "resumed", 2, "handed_back", ended=5)
            citizen(connection, "resumed", 6, '{"rasa": "sent"}')
            # The action server recorded an offered booking mid-conversation: that paused nothing.
            conversation(connection, "offered")
            citizen(connection, "offered", 1, '{"rasa": "sent"}')
            handoff(connection, "offered", 2, "booking_offered", ended=2)
            citizen(connection, "offered", 3, '{"rasa": "staff", "satisfaction": 4}')
            # A live handoff nobody claimed in time became a booking offer: Rasa is still paused.
            conversation(connection, "timed_out")
            citizen(connection, "timed_out", 1, '{"rasa": "sent"}')
            handoff(connection, "timed_out", 2, "booking_offered", ended=12)

        command.upgrade(config, "head")
        with db.engine.connect() as connection:
            paused = dict(connection.execute(text("SELECT id, rasa_paused_at FROM conversations")).all())
            messages = connection.execute(
                text("SELECT conversation_id, rasa_status, payload FROM messages ORDER BY id")
            ).all()
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert {id_ for id_, moment in paused.items() if moment is not None} == {"paused", "timed_out"}
        assert [(cid, status) for cid, status, _ in messages] == [
            ("paused", "sent"), ("paused", "pending"), ("resumed", "sent"), ("offered", "sent"), ("offered", "staff"),
            ("timed_out", "sent"),
        ]
        payloads = [as_dict(payload) for *_, payload in messages]
        assert payloads == [None, {"rasa_payload": "/affirm"}, None, None, {"satisfaction": 4}, None]
        assert [d for d in differences if "rasa" in repr(d)] == [], differences

        command.downgrade(config, "0003_telegram_updates")
        with db.engine.connect() as connection:
            restored = [row[0] for row in connection.execute(text("SELECT payload FROM messages ORDER BY id"))]
        assert all("rasa" in as_dict(payload) for payload in restored)
    finally:
        db.dispose()
