"""A PostgreSQL database of a test's own on the machine's server (127.0.0.1:5432), dropped afterwards."""
from __future__ import annotations

import contextlib
import os
import uuid
from typing import Iterator

from tests.support.services import unavailable

SERVER = os.environ.get("BOOKING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


@contextlib.contextmanager
def fresh_postgres_database(prefix: str = "borgerhjaelp_test", template: str | None = None) -> Iterator[str]:
    """Create an empty database (or a copy of `template`), yield its URL, drop it (closing any
    connection left open).

    Skips the test when no PostgreSQL server answers (fails it where services are required).
    """
    import psycopg2

    try:
        admin = psycopg2.connect(f"{SERVER}/postgres", connect_timeout=3)
    except psycopg2.OperationalError:
        unavailable(f"PostgreSQL is not reachable at {SERVER}")
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        try:
            yield f"{SERVER}/{name}"
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()
