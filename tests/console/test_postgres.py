"""The console on PostgreSQL (a database of its own, created and dropped by the test): the migration
both ways, the race for a claim, sessions, and the login back-off."""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from alembic import command

from bot.console import ConsoleSettings
from bot.store import Database
from bot.store.models import LoginThrottle
from bot.store.migrate import alembic_config
from tests.console.support import running_gateway, sign_in, waiting_citizen

SERVER = os.environ.get("BOOKING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture
def postgres_url():
    import psycopg2

    try:
        admin = psycopg2.connect(f"{SERVER}/postgres", connect_timeout=3)
    except psycopg2.OperationalError:
        pytest.skip(f"PostgreSQL is not reachable at {SERVER}")
    admin.autocommit = True
    name = f"borgerhjaelp_console_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


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
        assert session.get(LoginThrottle, "user:bo").failures == 6
    assert throttle.wait_seconds(rules) > 0
