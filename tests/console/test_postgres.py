"""The console on PostgreSQL (a database of its own, created and dropped by the test): the migration
both ways, the race for a claim, sessions, and the login back-off."""
from __future__ import annotations

import asyncio

import pytest
from alembic import command

from bot.console import ConsoleSettings
from bot.store import Database
from bot.store.models import LoginThrottle
from bot.store.migrate import alembic_config
from tests.console.support import running_gateway, sign_in, waiting_citizen
from tests.support.postgres import fresh_postgres_database


@pytest.fixture
def postgres_url():
    with fresh_postgres_database("borgerhjaelp_console") as url:
        yield url


@pytest.fixture
def gateway(tmp_path, postgres_url):
    with running_gateway(tmp_path, ConsoleSettings(tick_seconds=0.1), database_url=postgres_url) as running:
        yield running


def test_the_console_migration_goes_down_and_up_again(postgres_url):
    db = Database(postgres_url)
    try:
        db.upgrade()
        config = alembic_config(postgres_url)
        command.downgrade(config, "0001")
        with db.engine.connect() as connection:
            assert not db.engine.dialect.has_table(connection, "staff_sessions")
        command.upgrade(config, "head")
        with db.engine.connect() as connection:
            assert db.engine.dialect.has_table(connection, "staff_sessions")
            assert connection.exec_driver_sql("SELECT COUNT(*) FROM canned_answers").scalar() == 4
    finally:
        db.dispose()


async def test_two_staff_claim_at_once_and_the_database_picks_one(gateway):
    anna, bo = await sign_in(gateway.url, "anna"), await sign_in(gateway.url, "bo")
    async with waiting_citizen(gateway.url) as person:
        path = f"/staff/api/conversations/{person.conversation_id}/claim"
        results = await asyncio.gather(anna.api("POST", path), bo.api("POST", path))
        assert sorted(r.status_code for r in results) == [200, 409]
        joined = await person.until(lambda m: m["sender"] == "system")
        assert joined["text"].startswith("En medarbejder har overtaget samtalen")


async def test_sessions_and_back_off_on_postgres(gateway):
    anna = await sign_in(gateway.url, "anna")
    stolen = anna.session_cookie
    await anna.form("/staff/logout")
    replay = await anna.client.get("/staff/api/queue", cookies={"bh_staff": stolen})
    assert replay.status_code == 401
    throttle = gateway.app.state.console.throttle
    rules = throttle.rules("bo", "192.0.2.1")
    await asyncio.gather(*(asyncio.to_thread(throttle.failed, rules) for _ in range(6)))
    with gateway.db.session() as session:  # six failures at once count as six, none lost in the race
        assert session.get(LoginThrottle, "user:bo@192.0.2.1").failures == 6
    assert throttle.wait_seconds(rules) > 0


async def test_attempts_side_by_side_reserve_no_more_than_the_free_tries_on_postgres(gateway):
    throttle = gateway.app.state.console.throttle
    rules = throttle.rules("bo", "192.0.2.7")
    waits = await asyncio.gather(*(asyncio.to_thread(throttle.reserve, rules) for _ in range(8)))
    assert sorted(wait == 0 for wait in waits) == [False] * 5 + [True] * 3
    with gateway.db.session() as session:
        assert session.get(LoginThrottle, "user:bo@192.0.2.7").failures == 3
        assert session.get(LoginThrottle, "ip:192.0.2.7").failures == 3
