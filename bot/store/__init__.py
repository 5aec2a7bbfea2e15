"""Persistence: one database reached through SQLAlchemy, schema kept by Alembic migrations."""
from bot.store import learning_models, statistics_models  # noqa: F401  (their tables join Base.metadata)
from bot.store.db import Database, database_url_from_env
from bot.store.models import (
    AuditEntry,
    AvailabilityException,
    AvailabilityRule,
    Base,
    Booking,
    BookingKind,
    BookingStatus,
    Conversation,
    ConversationState,
    Handoff,
    Message,
    Presence,
    Sender,
    StaffMember,
    StaffPresence,
    StaffRole,
)

__all__ = [
    "AuditEntry",
    "AvailabilityException",
    "AvailabilityRule",
    "Base",
    "Booking",
    "BookingKind",
    "BookingStatus",
    "Conversation",
    "ConversationState",
    "Database",
    "Handoff",
    "Message",
    "Presence",
    "Sender",
    "StaffMember",
    "StaffPresence",
    "StaffRole",
    "database_url_from_env",
]
