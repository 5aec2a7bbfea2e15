"""Staff accounts: who may use the console, with what role, and their password hashes (argon2id)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update

from bot.store import Database, Presence, StaffMember, StaffPresence, StaffRole
from bot.store.models import StaffSession, utcnow

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


class AccountError(ValueError):
    """What is wrong with an account change, in words for the person at the command line."""


@dataclass(frozen=True)
class StaffAccount:
    id: int
    username: str
    first_name: str
    role: StaffRole
    active: bool
    created_at: datetime | None = None
    presence: Presence = Presence.AWAY

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.ADMIN


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash("an unused password that only spends the same time")


def password_matches(password_hash: str | None, password: str) -> bool:
    """Always spends one argon2 verification, so an unknown user name takes as long as a wrong password."""
    try:
        return _hasher.verify(password_hash or _decoy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise AccountError("the user name must be 1-64 characters without spaces")
    return name


def _account(row: StaffMember, presence: Presence | None = None) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        username=row.username,
        first_name=row.first_name,
        role=StaffRole(row.role),
        active=bool(row.active),
        created_at=row.created_at,
        presence=Presence(presence) if presence else Presence.AWAY,
    )


def add_staff(
    db: Database, username: str, first_name: str, password: str, role: StaffRole = StaffRole.STAFF
) -> StaffAccount:
    name = _check_username(username)
    first = first_name.strip()
    if not first or len(first) > 64:
        raise AccountError("the first name must be 1-64 characters (citizens see it)")
    check_password(password)
    with db.session() as session:
        if session.scalar(select(StaffMember.id).where(func.lower(StaffMember.username) == name)) is not None:
            raise AccountError(f"there is already a staff member called {name!r}")
        row = StaffMember(
            username=name, first_name=first, password_hash=hash_password(password), role=role, active=True
        )
        session.add(row)
        session.flush()
        return _account(row)


def find_staff(db: Database, username: str) -> tuple[StaffAccount, str] | None:
    """The account and its password hash, by user name (any case)."""
    with db.session() as session:
        row = session.scalars(
            select(StaffMember).where(func.lower(StaffMember.username) == normalise_username(username))
        ).first()
        return (_account(row), row.password_hash) if row else None


def list_staff(db: Database) -> list[StaffAccount]:
    with db.session() as session:
        rows = session.execute(
            select(StaffMember, StaffPresence.status)
            .outerjoin(StaffPresence, StaffPresence.staff_id == StaffMember.id)
            .order_by(StaffMember.username)
        ).all()
        return [_account(row, status) for row, status in rows]


def _require(session, username: str) -> StaffMember:
    row = session.scalars(
        select(StaffMember).where(func.lower(StaffMember.username) == normalise_username(username))
    ).first()
    if row is None:
        raise AccountError(f"no staff member called {normalise_username(username)!r}")
    return row


def set_password(db: Database, username: str, password: str) -> None:
    """A new password; every browser signed in with the old one is signed out."""
    check_password(password)
    with db.session() as session:
        row = _require(session, username)
        row.password_hash = hash_password(password)
        _revoke_all(session, row.id)


def rehash(db: Database, staff_id: int, password: str) -> None:
    with db.session() as session:
        row = session.get(StaffMember, staff_id)
        if row is not None:
            row.password_hash = hash_password(password)


def set_active(db: Database, username: str, active: bool) -> StaffAccount:
    """Disable (or enable again) an account; a disabled one is signed out and no longer counts as online."""
    with db.session() as session:
        row = _require(session, username)
        row.active = active
        if not active:
            _revoke_all(session, row.id)
            presence = session.get(StaffPresence, row.id)
            if presence is not None:
                presence.status, presence.updated_at = Presence.AWAY, utcnow()
        session.flush()
        return _account(row)


def _revoke_all(session, staff_id: int) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
