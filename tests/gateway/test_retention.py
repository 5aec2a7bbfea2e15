"""The gateway purges old conversations by itself, on a schedule, with no cron."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.app import create_app
from bot.gateway.settings import GatewaySettings
from bot.store import Conversation, Database
from tests.support.servers import serve_in_thread


def conversation(db: Database, days_ago: int) -> str:
    last_active = datetime.now(timezone.utc) - timedelta(days=days_ago)
    with db.session() as session:
        row = Conversation(channel="web", channel_user_id="visitor", created_at=last_active, updated_at=last_active)
        session.add(row)
        session.flush()
        return row.id


def conversation_ids(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Conversation.id)))


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_gateway_purges_old_conversations_soon_after_start_and_again_on_its_interval(
    settings, municipality, database
):
    old, recent = conversation(database, days_ago=31), conversation(database, days_ago=1)
    assert settings.base.retention_days == 30
    scheduled = replace(settings, purge_first_delay=0.0, purge_interval=0.2)
    with serve_in_thread(create_app(scheduled, municipality=municipality)):
        assert wait_until(lambda: old not in conversation_ids(database)), "no purge after the start"
        # A conversation that grows old while the gateway runs goes at a later round.
        later = conversation(database, days_ago=45)
        assert wait_until(lambda: later not in conversation_ids(database)), "no second purge"
        assert recent in conversation_ids(database)


def test_the_schedule_is_daily_and_starts_shortly_after_start_unless_set():
    defaults = GatewaySettings.from_env({})
    assert (defaults.purge_interval, defaults.purge_first_delay) == (86400.0, 60.0)
    changed = GatewaySettings.from_env({"PURGE_INTERVAL_SECONDS": "3600", "PURGE_FIRST_DELAY_SECONDS": "5"})
    assert (changed.purge_interval, changed.purge_first_delay) == (3600.0, 5.0)
