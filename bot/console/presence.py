"""Staff presence (online / away) in `staff_presence`, which the assistant's handoff decision reads.

"Online" holds only while the staff member's console is open: the console's socket refreshes it,
and `sweep` turns an online member whose console went quiet into away, so a closed laptop never
promises citizens a live chat. The handoff decision (`bot.booking.handoff.staff_online`) also
ignores an "online" older than the same limit, for when no gateway is running to sweep.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.store import Database, Presence, StaffPresence
from bot.store.models import utcnow


def get_presence(db: Database, staff_id: int) -> Presence:
    with db.session() as session:
        row = session.get(StaffPresence, staff_id)
        return Presence(row.status) if row else Presence.AWAY


def set_presence(db: Database, staff_id: int, status: Presence) -> None:
    try:
        with db.session() as session:
            row = session.get(StaffPresence, staff_id)
            if row is None:
                session.add(StaffPresence(staff_id=staff_id, status=status, updated_at=utcnow()))
            else:
                row.status, row.updated_at = status, utcnow()
    except IntegrityError:  # two tabs at once created the row first; set it again
        with db.session() as session:
            session.execute(
                update(StaffPresence)
                .where(StaffPresence.staff_id == staff_id)
                .values(status=status, updated_at=utcnow())
            )


def touch(db: Database, staff_id: int) -> None:
    """The console is still open: keep an online member online."""
    with db.session() as session:
        session.execute(
            update(StaffPresence)
            .where(StaffPresence.staff_id == staff_id, StaffPresence.status == Presence.ONLINE)
            .values(updated_at=utcnow())
        )


def sweep(db: Database, quiet_for: timedelta, now: datetime | None = None) -> list[int]:
    """Set away every online member whose console has not been heard from for `quiet_for`."""
    cutoff = (now or utcnow()) - quiet_for
    with db.session() as session:
        stale = list(
            session.scalars(
                select(StaffPresence.staff_id).where(
                    StaffPresence.status == Presence.ONLINE, StaffPresence.updated_at < cutoff
                )
            )
        )
        if stale:
            session.execute(
                update(StaffPresence)
                .where(StaffPresence.staff_id.in_(stale), StaffPresence.status == Presence.ONLINE)
                .values(status=Presence.AWAY, updated_at=utcnow())
            )
        return stale
