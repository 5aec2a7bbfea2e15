"""Migrated databases for tests, migrated once per test process and copied for each test.

Running the migrations takes 0.1-0.2 s a database, and most tests want a fresh, migrated one: a copy
of a migrated SQLite file takes under a millisecond, and PostgreSQL makes a database from a migrated
template in the time it makes an empty one. Each test still gets a database of its own.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from bot.store import Database
from tests.support.postgres import SERVER, fresh_postgres_database
from tests.support.services import unavailable


def migrated_sqlite(path: Path) -> Database:
    """A migrated SQLite database at `path` (which must not exist yet; its folder is made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template(), path)
    return Database(f"sqlite:///{path}")


@contextlib.contextmanager
def migrated_postgres_database(prefix: str = "borgerhjaelp_test") -> Iterator[str]:
    """A migrated PostgreSQL database of the test's own: its URL, dropped afterwards. Skips the test
    when no PostgreSQL server answers (fails it where services are required)."""
    import psycopg2

    try:
        template = _postgres_template()
    except psycopg2.OperationalError:
        unavailable(f"PostgreSQL is not reachable at {SERVER}")
    with fresh_postgres_database(prefix, template=template) as url:
        yield url


@functools.cache
def _sqlite_template() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="borgerhjaelp-migrated-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "migrated.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()  # closes every connection: the file alone holds the schema
    return path


@functools.cache
def _postgres_template() -> str:
    name = f"borgerhjaelp_migrated_{uuid.uuid4().hex[:12]}"
    _as_admin(f'CREATE DATABASE "{name}"')
    atexit.register(_drop_postgres, name)
    database = Database(f"{SERVER}/{name}")
    database.upgrade()
    database.dispose()  # a template may have no connection while a copy is made
    return name


def _drop_postgres(name: str) -> None:
    import psycopg2

    with contextlib.suppress(psycopg2.Error):
        _as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_admin(statement: str) -> None:
    import psycopg2

    admin = psycopg2.connect(f"{SERVER}/postgres", connect_timeout=3)
    admin.autocommit = True  # CREATE and DROP DATABASE cannot run inside a transaction
    try:
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()
