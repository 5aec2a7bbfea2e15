"""One database for the gateway, the action server and Rasa's tracker store.

SQLAlchemy 1.4 is used in 2.0 style (`future=True`, `select()`), because Rasa 3.6 pins <1.5.
Calls are synchronous; async callers run them in a worker thread.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'borgerhjaelp.db'}"


def database_url_from_env() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def prepare_sqlite_file(path: Path) -> None:
    """Make the database's folder and file readable by their owner only, before SQLite opens them.

    SQLite gives its journal and WAL files the database file's mode, so they are private too. A
    folder or file that already exists keeps its mode: the operator may have chosen it."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            prepare_sqlite_file(Path(path))
        # Several processes (gateway, action server, Rasa) share the file: wait for locks instead of failing.
        # SQLAlchemy 1.4 opens a new SQLite connection for every session of a file database (NullPool),
        # and each new one runs the pragmas below: most of the gateway's database time per message
        # (make bench --profile). A pool keeps them open, as SQLAlchemy 2.0 does by default.
        engine = create_engine(
            url,
            future=True,
            connect_args={"timeout": 30, "check_same_thread": False},
            poolclass=QueuePool,
            pool_size=5,
            max_overflow=10,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, so a deleted conversation cannot be read back from the file.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


class Database:
    """An engine plus a session factory; pass it to whatever needs the database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or database_url_from_env()
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        from bot.store.migrate import upgrade_to_head

        upgrade_to_head(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
