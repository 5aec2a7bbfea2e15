"""Signed-in staff: server-side sessions behind an HttpOnly cookie, each with its own CSRF token.

The cookie holds a random token; the database holds only its SHA-256. Logging out revokes the row,
so a copied cookie is worth nothing afterwards. Sessions end after a fixed lifetime, or sooner
when the staff member has been idle (pings from an open console tab do not count).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from bot.store import Database, StaffMember, StaffRole
from bot.store.models import StaffSession, utcnow
from bot.times import as_utc

# last_seen_at is written at most this often, so reading pages does not mean writing the database.
_TOUCH_EVERY = timedelta(seconds=60)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and given != "" and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class StaffIdentity:
    """Who is behind a request, with the session it came with."""

    staff_id: int
    username: str
    first_name: str
    role: StaffRole
    session_id: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.ADMIN


class SessionStore:
    def __init__(
        self,
        db: Database,
        lifetime: timedelta,
        idle: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.lifetime = lifetime
        self.idle = idle
        self.clock = clock

    def create(self, staff_id: int) -> str:
        """A new session; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.session() as session:
            # Sessions that ended long ago are of no use to anyone; drop them while we are here.
            session.execute(delete(StaffSession).where(StaffSession.expires_at < now - timedelta(days=7)))
            session.add(
                StaffSession(
                    id=token_digest(token),
                    staff_id=staff_id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return token

    def lookup(self, token: str | None, touch: bool = True) -> StaffIdentity | None:
        """The signed-in staff member, if the token belongs to a live session of an active account.

        `touch` counts the look as activity (it keeps the session from idling out): a page, a request
        the staff member made, or their typing and clicking. The console's own pings and background
        refreshes pass False, so an open tab alone does not keep a session alive."""
        if not token or len(token) > 128:
            return None
        now = self.clock()
        with self.db.session() as session:
            found = session.execute(
                select(StaffSession, StaffMember)
                .join(StaffMember, StaffMember.id == StaffSession.staff_id)
                .where(StaffSession.id == token_digest(token))
            ).first()
            if found is None:
                return None
            row, staff = found
            if (
                row.revoked_at is not None
                or not staff.active
                or as_utc(row.expires_at) <= now
                or as_utc(row.last_seen_at) + self.idle <= now
            ):
                return None
            if touch and as_utc(row.last_seen_at) + _TOUCH_EVERY <= now:
                row.last_seen_at = now
            return StaffIdentity(
                staff_id=staff.id,
                username=staff.username,
                first_name=staff.first_name,
                role=StaffRole(staff.role),
                session_id=row.id,
                csrf_token=row.csrf_token,
            )

    def revoke(self, session_id: str) -> None:
        with self.db.session() as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.id == session_id, StaffSession.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
