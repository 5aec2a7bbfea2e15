"""Which Telegram updates have been taken, in the database shared by every gateway replica."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.store.db import Database
from bot.store.models import TelegramUpdate

# Telegram keeps an update it could not deliver for 24 hours; after that it never comes again.
REMEMBER_UPDATES_FOR = timedelta(days=2)


def take_update(db: Database, update_id: int) -> bool:
    """True for the first gateway to take this update; False when it was taken before."""
    try:
        with db.session() as session:
            session.add(TelegramUpdate(update_id=update_id))
        return True
    except IntegrityError:
        return False


def release_update(db: Database, update_id: int) -> None:
    """Handling failed: the next delivery of this update is handled again."""
    with db.session() as session:
        session.execute(delete(TelegramUpdate).where(TelegramUpdate.update_id == update_id))


def forget_old_updates(db: Database, now: datetime) -> int:
    with db.session() as session:
        return session.execute(
            delete(TelegramUpdate).where(TelegramUpdate.received_at < now - REMEMBER_UPDATES_FOR)
        ).rowcount
