from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.store import Database
from bot.store.models import StaffMember, StaffRole
from tests.learning.support import create_events_table
from tests.support.databases import migrated_postgres_database, migrated_sqlite


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> Iterator[Database]:
    """The migrated database with Rasa's events table, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        database = migrated_sqlite(tmp_path / "learning.db")
        create_events_table(database)
        yield database
        database.dispose()
        return
    with migrated_postgres_database("borgerhjaelp_learning") as url:
        database = Database(url)
        create_events_table(database)
        yield database
        database.dispose()


@pytest.fixture
def admin_id(db) -> int:
    with db.session() as session:
        admin = StaffMember(username="anne", first_name="Anne", password_hash="x", role=StaffRole.ADMIN)
        session.add(admin)
        session.flush()
        return admin.id
