"""One transaction against the shared database, with failures the assistant can explain."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.store.db import Database


class DatabaseUnavailable(Exception):
    """The database could not be reached or failed mid-way; the transaction was rolled back."""


@contextmanager
def unit_of_work(database: Database) -> Iterator[Session]:
    """Commits at the end, rolls back on any error. Integrity errors pass through: they are answers
    (someone else got the slot); every other database failure becomes DatabaseUnavailable."""
    try:
        with database.session() as session:
            yield session
    except IntegrityError:
        raise
    except (SQLAlchemyError, OSError) as error:
        raise DatabaseUnavailable(str(error)) from error
