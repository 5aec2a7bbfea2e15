"""A job that one process at a time may run, across gateway replicas: a row in `leases`, taken by a
conditional UPDATE. The database decides who got it, so no in-process lock is needed, and a holder
that dies without letting go loses the lease when it expires (its heartbeat stops renewing it)."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from bot.store import Database
from bot.store.learning_models import Lease
from bot.times import utcnow

TRAINING = "training"
LEASE_SECONDS = 300.0


def new_holder() -> str:
    return secrets.token_hex(16)


def take(db: Database, name: str, holder: str, seconds: float = LEASE_SECONDS, now: datetime | None = None) -> bool:
    """True when `holder` now has the lease: it was free, had expired, or was already this holder's."""
    now = now or utcnow()
    with db.session() as session:
        taken = session.execute(
            update(Lease)
            .where(Lease.name == name)
            .where(or_(Lease.holder.is_(None), Lease.holder == holder, Lease.expires_at < now))
            .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
            .execution_options(synchronize_session=False)
        ).rowcount
    return taken == 1


def release(db: Database, name: str, holder: str) -> None:
    with db.session() as session:
        session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(holder=None, expires_at=None)
            .execution_options(synchronize_session=False)
        )


def held(db: Database, name: str, now: datetime | None = None) -> bool:
    now = now or utcnow()
    with db.session() as session:
        lease = session.get(Lease, name)
        if lease is None or lease.holder is None or lease.expires_at is None:
            return False
        expires = lease.expires_at if lease.expires_at.tzinfo else lease.expires_at.replace(tzinfo=now.tzinfo)
        return expires >= now


class Heartbeat:
    """Renews a lease every third of its length while a long job runs."""

    def __init__(self, db: Database, name: str, holder: str, seconds: float = LEASE_SECONDS) -> None:
        self.db, self.name, self.holder, self.seconds = db, name, holder, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{name}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            take(self.db, self.name, self.holder, self.seconds)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(10)
