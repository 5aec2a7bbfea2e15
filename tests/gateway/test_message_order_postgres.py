"""On PostgreSQL, one conversation's message ids become visible in the order they were drawn.

Widgets and the console ask for "messages after id N". If id 11 could commit before id 10, a reader
that saw 11 would never ask for 10 again and the citizen would miss a message. The test holds a
transaction that has drawn an id open, and checks that a second writer of the same conversation
waits for it instead of committing a later id first; a writer of another conversation does not wait.
"""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

from bot.gateway import ConversationService
from bot.gateway.rows import add_message, lock_for_new_message
from bot.store import Database, Message, Sender
from tests.support.postgres import fresh_postgres_database


@pytest.fixture
def postgres():
    with fresh_postgres_database("borgerhjaelp_order") as url:
        db = Database(url)
        db.upgrade()
        yield db
        db.dispose()


@pytest.fixture
def service(postgres, municipality):
    return ConversationService(postgres, municipality)


def message_ids(db: Database, conversation_id: str) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(Message.id).where(Message.conversation_id == conversation_id).order_by(Message.id)))


def writers_waiting_for_a_lock(db: Database) -> int:
    with db.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%conversations%'"
            )
        ).scalar_one()


async def until(condition, what: str, seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"after {seconds:.0f} s still not: {what}")
        await asyncio.sleep(0.05)


async def test_a_later_message_of_the_same_conversation_waits_for_an_earlier_one(service, postgres):
    conversation = await service.start("web", "citizen-1", greet=False)
    other = await service.start("web", "citizen-2", greet=False)

    with postgres.session() as first:
        assert lock_for_new_message(first, conversation.id) is not None
        earlier = add_message(first, conversation.id, Sender.SYSTEM, "først")
        first.flush()  # the id is drawn; the transaction stays open

        later = asyncio.create_task(service.add_system_message(conversation.id, "derefter"))
        await until(lambda: writers_waiting_for_a_lock(postgres) == 1, "the second writer waits for the first")
        assert not later.done()
        assert message_ids(postgres, conversation.id) == []  # nothing after the open id is visible

        # Another conversation is not held up by this one.
        await asyncio.wait_for(service.add_system_message(other.id, "til en anden"), timeout=10)
        assert len(message_ids(postgres, other.id)) == 1
        earlier_id = earlier.id

    await asyncio.wait_for(later, timeout=10)
    ids = message_ids(postgres, conversation.id)
    assert ids[0] == earlier_id
    assert len(ids) == 2 and ids[1] > ids[0]
