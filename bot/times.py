"""Moments as the project stores them: aware, in UTC.

SQLite hands back naive datetimes; everything written is UTC, so a naive value read back is UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset, for JSON; None stays None."""
    return as_utc(moment).isoformat() if moment is not None else None
