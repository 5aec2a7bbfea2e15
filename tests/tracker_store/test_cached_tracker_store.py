"""The tracker store keeps recent trackers in memory, but the database stays the truth.

Real SQLite files and a real PostgreSQL database; Rasa's own events and tracker classes.
"""
from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import ConfigError
from bot.domain_files import DOMAIN_DIR
from bot.tracker_store import DatabaseUrlTrackerStore, cached_trackers_from_env
from tests.support.postgres import fresh_postgres_database


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_DIR))


def store(url: str, domain: Domain, cached: int = 10) -> DatabaseUrlTrackerStore:
    return DatabaseUrlTrackerStore(domain=domain, url=url, cached_trackers=cached)


def turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(ActionExecuted("action_listen"))


def stored_rows(the_store: DatabaseUrlTrackerStore, sender_id: str) -> list[str]:
    with the_store.engine.connect() as connection:
        return [
            row.type_name
            for row in connection.execute(
                sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender_id}
            )
        ]


def session_rows(the_store: DatabaseUrlTrackerStore, sender_id: str) -> list[str]:
    """The stored events that Rasa serves for the conversation's latest session."""
    with the_store.session_scope() as session:
        return [row.type_name for row in the_store._event_query(session, sender_id, False).all()]


def count_event_loads(the_store: DatabaseUrlTrackerStore) -> list[str]:
    """Records every SELECT that reads events' data, i.e. every full reload of a conversation."""
    loads: list[str] = []

    @sa.event.listens_for(the_store.engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "events.data" in statement:
            loads.append(statement)

    return loads


def new_tracker(sender_id: str, domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender_id, domain.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    return tracker


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'rasa.db'}"


def test_a_tracker_saved_by_this_process_is_served_without_reloading(sqlite_url, domain):
    the_store = store(sqlite_url, domain)
    asyncio.run(the_store.save(new_tracker("c1", domain)))
    loads = count_event_loads(the_store)
    # The session's first turn loads it from the database, as Rasa does ...
    tracker = asyncio.run(the_store.retrieve("c1"))
    assert len(loads) == 1

    for text in ("hej", "igen", "en gang til"):
        served = asyncio.run(the_store.retrieve("c1"))
        assert served is tracker
        turn(served, text)
        asyncio.run(the_store.save(served))

    # ... and the turns after it do not.
    assert len(loads) == 1
    # Every event is in the database exactly once, in order.
    assert stored_rows(the_store, "c1") == ["action"] + [event.type_name for event in tracker.events]
    reloaded = asyncio.run(store(sqlite_url, domain).retrieve("c1"))
    assert [e.as_dict() for e in reloaded.events] == [e.as_dict() for e in tracker.events]


def test_events_written_by_another_worker_are_seen(sqlite_url, domain):
    first, second = store(sqlite_url, domain), store(sqlite_url, domain)
    asyncio.run(first.save(new_tracker("c2", domain)))
    tracker = asyncio.run(first.retrieve("c2"))
    assert asyncio.run(first.retrieve("c2")) is tracker

    other = asyncio.run(second.retrieve("c2"))
    other.update(SlotSet("language", "en"))
    asyncio.run(second.save(other))

    seen = asyncio.run(first.retrieve("c2"))
    assert seen is not tracker
    assert seen.get_slot("language") == "en"
    turn(seen, "hello")
    asyncio.run(first.save(seen))
    assert session_rows(first, "c2") == [event.type_name for event in seen.events]


def test_a_conversation_deleted_in_the_database_is_gone(sqlite_url, domain):
    the_store = store(sqlite_url, domain)
    asyncio.run(the_store.save(new_tracker("c3", domain)))
    with the_store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'c3'"))
    assert asyncio.run(the_store.retrieve("c3")) is None


def test_a_turn_that_failed_before_saving_is_not_served_again(sqlite_url, domain):
    the_store = store(sqlite_url, domain)
    asyncio.run(the_store.save(new_tracker("c4", domain)))
    served = asyncio.run(the_store.retrieve("c4"))
    assert asyncio.run(the_store.retrieve("c4")) is served
    turn(served, "this turn never reaches the database")

    again = asyncio.run(the_store.retrieve("c4"))
    assert again is not served
    assert [e.type_name for e in again.events] == session_rows(the_store, "c4")


def test_a_new_session_stores_each_event_once(sqlite_url, domain):
    the_store = store(sqlite_url, domain)
    asyncio.run(the_store.save(new_tracker("c5", domain)))
    first_session = asyncio.run(the_store.retrieve("c5"))
    turn(first_session, "hej")
    asyncio.run(the_store.save(first_session))
    served = asyncio.run(the_store.retrieve("c5"))
    served.update(ActionExecuted("action_session_start"))
    served.update(SessionStarted())
    served.update(ActionExecuted("action_listen"))
    asyncio.run(the_store.save(served))
    second_session = asyncio.run(the_store.retrieve("c5"))
    # Memory serves what the database serves: the new session only.
    assert second_session is not served
    assert [e.type_name for e in second_session.events] == ["session_started", "action"]
    turn(second_session, "ny session")
    asyncio.run(the_store.save(second_session))

    assert stored_rows(the_store, "c5") == (
        ["action"] + [e.type_name for e in served.events] + [e.type_name for e in list(second_session.events)[2:]]
    )


def test_turns_on_sqlite_reuse_the_store_s_connections(sqlite_url, domain):
    the_store = store(sqlite_url, domain)
    opened = []
    sa.event.listen(the_store.engine, "connect", lambda *_: opened.append(1))
    tracker = new_tracker("citizen", domain)
    for number in range(5):
        served = asyncio.run(the_store.retrieve("citizen")) or tracker
        turn(served, f"hej {number}")
        asyncio.run(the_store.save(served))
    assert len(opened) <= 1  # one connection kept, not a new one for each read and write
    assert session_rows(the_store, "citizen").count("user") == 5
    with the_store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_memory_stays_bounded_over_many_conversations(sqlite_url, domain):
    the_store = store(sqlite_url, domain, cached=50)
    for number in range(10_000):
        tracker = DialogueStateTracker(f"many-{number}", domain.slots)
        the_store.recent.remember(tracker, number)
    assert len(the_store.recent) == 50


def test_no_cache_behaves_as_rasa(sqlite_url, domain):
    the_store = store(sqlite_url, domain, cached=0)
    asyncio.run(the_store.save(new_tracker("c6", domain)))
    served = asyncio.run(the_store.retrieve("c6"))
    assert asyncio.run(the_store.retrieve("c6")) is not served
    turn(served, "hej")
    asyncio.run(the_store.save(served))
    assert session_rows(the_store, "c6") == [event.type_name for event in served.events]


def test_the_size_comes_from_the_environment():
    assert cached_trackers_from_env({}) == 500
    assert cached_trackers_from_env({"TRACKER_CACHE_SIZE": "0"}) == 0
    with pytest.raises(ConfigError, match="TRACKER_CACHE_SIZE"):
        cached_trackers_from_env({"TRACKER_CACHE_SIZE": "mange"})
    with pytest.raises(ConfigError, match="TRACKER_CACHE_SIZE"):
        cached_trackers_from_env({"TRACKER_CACHE_SIZE": "2.5"})


def test_two_workers_on_postgresql_take_turns_on_one_conversation(domain):
    with fresh_postgres_database("borgerhjaelp_tracker") as url:
        first, second = store(url, domain), store(url, domain)
        try:
            tracker = new_tracker("pg", domain)
            asyncio.run(first.save(tracker))
            for number in range(3):
                worker = (first, second)[number % 2]
                served = asyncio.run(worker.retrieve("pg"))
                turn(served, f"besked {number}")
                asyncio.run(worker.save(served))
            final = asyncio.run(first.retrieve("pg"))
            assert session_rows(first, "pg") == [event.type_name for event in final.events]
            assert sum(1 for event in final.events if isinstance(event, UserUttered)) == 3
        finally:
            first.engine.dispose()
            second.engine.dispose()
