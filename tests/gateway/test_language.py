"""The gateway's own words follow the conversation's language, read from the assistant's slot."""
from __future__ import annotations

import pytest
from sqlalchemy import text as sql

from bot.gateway import ConversationService, RasaClient
from bot.gateway.assistant_relay import AssistantRelay
from bot.gateway.language import conversation_languages
from bot.store import Database
from tests.support.fake_rasa import TOKEN
from tests.support.postgres import fresh_postgres_database
from tests.support.rasa_tables import create_events_table, set_language_slot


@pytest.fixture
async def service(fake_rasa, database, municipality):
    _, url = fake_rasa
    rasa = RasaClient(url, TOKEN, timeout=5, action_server_health_url=f"{url}/health")
    service = ConversationService(database, municipality, max_message_length=200)
    relay = AssistantRelay(service, rasa)
    yield service
    await relay.shutdown()
    await rasa.close()


async def test_the_gateways_words_are_in_english_for_a_newcomer_and_in_danish_for_others(service, database):
    newcomer = await service.start("web", "visitor-en", greet=False)
    dane = await service.start("web", "visitor-da", greet=False)
    set_language_slot(database, newcomer.id, "en")
    await service.add_system_message(newcomer.id, {"da": "Dansk", "en": "English"})
    await service.add_system_message(dane.id, {"da": "Dansk", "en": "English"})
    assert [m.text for m in await service.history(newcomer.id)] == ["English"]
    assert [m.text for m in await service.history(dane.id)] == ["Dansk"]


def test_languages_without_rasas_table_are_danish(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'no_rasa.db'}")
    db.upgrade()
    with db.session() as session:
        assert conversation_languages(session, ["a", "b"]) == {"a": "da", "b": "da"}
    db.dispose()


def test_languages_on_postgresql_with_and_without_rasas_table():
    with fresh_postgres_database() as url:
        db = Database(url)
        db.upgrade()
        with db.session() as session:
            assert conversation_languages(session, ["a"]) == {"a": "da"}
            # The failed look-up must not spoil the session's transaction.
            session.execute(sql("SELECT 1"))
        create_events_table(db)
        set_language_slot(db, "a", "en")
        with db.session() as session:
            assert conversation_languages(session, ["a", "b"]) == {"a": "en", "b": "da"}
        db.dispose()
