"""The tables: conversations and their messages, handoffs, bookings, helpers' availability, staff.

Names follow the helpdesk's own world (conversation, message, handoff, booking, staff member).
"""
from __future__ import annotations

import enum
import re
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.sql.schema import Column

from bot.times import utcnow

# Named constraints, so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# SQLAlchemy 1.4 (Rasa 3.6 pins it) has no type information: to mypy the base, and so every model, is Any.
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def new_id() -> str:
    return uuid.uuid4().hex


# The shape of `new_id()`: an id a client sends back is checked against it before any lookup.
CONVERSATION_ID = re.compile(r"^[0-9a-f]{32}$")


class ConversationState(str, enum.Enum):
    """Who has the conversation: the assistant, the staff queue, a staff member, or nobody."""

    BOT = "bot"
    WAITING = "waiting"
    HUMAN = "human"
    CLOSED = "closed"


class Sender(str, enum.Enum):
    CITIZEN = "citizen"
    BOT = "bot"
    STAFF = "staff"
    SYSTEM = "system"


class RasaDelivery(str, enum.Enum):
    """Where a citizen message stands with the assistant (Message.rasa_status; NULL for other senders)."""

    PENDING = "pending"  # for Rasa, not taken yet: sent (again) until Rasa answers
    SENT = "sent"  # Rasa took it
    STAFF = "staff"  # for staff (or a satisfaction answer): never goes to Rasa


class BookingKind(str, enum.Enum):
    CALLBACK = "callback"
    MEETING = "meeting"


class BookingStatus(str, enum.Enum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DONE = "done"
    NO_SHOW = "no_show"


class StaffRole(str, enum.Enum):
    STAFF = "staff"
    ADMIN = "admin"


class Presence(str, enum.Enum):
    ONLINE = "online"
    AWAY = "away"


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so PostgreSQL needs no native enum types to migrate.
    return Enum(enum_class, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=16)


class Conversation(Base):
    __tablename__ = "conversations"

    id = Column(String(32), primary_key=True, default=new_id)
    channel = Column(String(16), nullable=False)  # "web" or "telegram"
    channel_user_id = Column(String(128), nullable=False)  # web: the widget's visitor id; telegram: chat id
    state = Column(_enum(ConversationState, "conversation_state"), nullable=False, default=ConversationState.BOT)
    topic = Column(String(64))
    handoff_reason = Column(String(64))
    summary = Column(Text)
    assigned_staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    satisfaction = Column(Integer)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    waiting_since = Column(DateTime(timezone=True))
    closed_at = Column(DateTime(timezone=True))
    # Set when a live handoff paused the conversation in Rasa; cleared once Rasa took its `resume`.
    rasa_paused_at = Column(DateTime(timezone=True))

    messages = relationship(
        "Message", back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True
    )
    assigned_staff = relationship("StaffMember")

    __table_args__ = (
        Index("ix_conversations_channel_user", "channel", "channel_user_id"),
        Index("ix_conversations_state", "state"),
        Index("ix_conversations_updated_at", "updated_at"),
    )


class Message(Base):
    __tablename__ = "messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    sender = Column(_enum(Sender, "message_sender"), nullable=False)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    text = Column(Text, nullable=False, default="")
    # Buttons, custom payloads, attachments' kinds: whatever the channel needs to render the message again.
    payload = Column(JSON)
    # The id the sending client chose, so a resent message is stored once.
    client_message_id = Column(String(64))
    # A citizen message's RasaDelivery value; plain text, so adding a state needs no table rebuild.
    rasa_status = Column(String(8))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages")

    __table_args__ = (
        UniqueConstraint("conversation_id", "client_message_id", name="uq_messages_client_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # "Which conversations have messages Rasa has not taken", and a conversation's oldest one.
        Index("ix_messages_rasa_status", "rasa_status", "conversation_id", "id"),
    )


class Handoff(Base):
    """One request for a person, from the assistant's decision to the end of the staff member's part."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    reason = Column(String(64), nullable=False)
    topic = Column(String(64))
    summary = Column(Text)
    requested_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_by = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    claimed_at = Column(DateTime(timezone=True))
    ended_at = Column(DateTime(timezone=True))
    outcome = Column(String(32))  # handed_back, closed, booking_offered


class StaffMember(Base):
    __tablename__ = "staff_members"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    first_name = Column(String(64), nullable=False)
    password_hash = Column(String(256), nullable=False)
    role = Column(_enum(StaffRole, "staff_role"), nullable=False, default=StaffRole.STAFF)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class StaffPresence(Base):
    """Whether a staff member is online for live chats; the handoff decision reads it."""

    __tablename__ = "staff_presence"

    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="CASCADE"), primary_key=True)
    status = Column(_enum(Presence, "presence_status"), nullable=False, default=Presence.AWAY)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class AvailabilityRule(Base):
    """A weekly window in which helpers take bookings of one kind."""

    __tablename__ = "availability_rules"

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(_enum(BookingKind, "availability_kind"), nullable=False)
    weekday = Column(Integer, nullable=False)  # 0 = Monday
    start_time = Column(Time, nullable=False)
    end_time = Column(Time, nullable=False)
    slot_minutes = Column(Integer, nullable=False, default=20)


class AvailabilityException(Base):
    """A day when helpers are away (a holiday) or keep other hours."""

    __tablename__ = "availability_exceptions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    day = Column(Date, nullable=False)
    kind = Column(_enum(BookingKind, "exception_kind"))  # None: applies to both kinds
    start_time = Column(Time)  # None with end_time None: closed all day
    end_time = Column(Time)
    note = Column(String(128))


class Booking(Base):
    __tablename__ = "bookings"

    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(12), nullable=False, unique=True)
    kind = Column(_enum(BookingKind, "booking_kind"), nullable=False)
    topic = Column(String(64))
    starts_at = Column(DateTime(timezone=True), nullable=False)
    length_minutes = Column(Integer, nullable=False)
    first_name = Column(String(64), nullable=False)
    phone = Column(String(16))
    channel = Column(String(16))
    conversation_id = Column(String(64))
    summary = Column(Text)
    status = Column(_enum(BookingStatus, "booking_status"), nullable=False, default=BookingStatus.BOOKED)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    cancelled_at = Column(DateTime(timezone=True))

    __table_args__ = (
        # The database, not a check before the write, guarantees one live booking per slot.
        Index(
            "uq_bookings_live_slot",
            "kind",
            "starts_at",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_bookings_starts_at", "starts_at"),
    )


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    action = Column(String(32), nullable=False)  # opened, claimed, replied, handed_back, closed, ...
    conversation_id = Column(String(32))
    booking_id = Column(Integer)
    details = Column(Text)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class StaffSession(Base):
    """One signed-in browser of a staff member; logging out revokes it, so its cookie stops working."""

    __tablename__ = "staff_sessions"

    # SHA-256 of the cookie's token: someone who reads the database still has no cookie to use.
    id = Column(String(64), primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    revoked_at = Column(DateTime(timezone=True))

    __table_args__ = (Index("ix_staff_sessions_staff_id", "staff_id"),)


class LoginThrottle(Base):
    """Failed logins per user name and per address; in the database so a restart does not reset them."""

    __tablename__ = "login_throttle"

    key = Column(String(160), primary_key=True)  # "user:<name>@<address>" or "ip:<address>"
    failures = Column(Integer, nullable=False, default=0)
    last_failure_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    blocked_until = Column(DateTime(timezone=True))


class CannedAnswer(Base):
    """A ready answer staff can put into a reply; staff edit them in the console."""

    __tablename__ = "canned_answers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    title = Column(String(80), nullable=False)
    text = Column(Text, nullable=False)
    updated_by = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class ConversationNote(Base):
    """A staff member's private note on a conversation; never shown to the citizen, deleted with it."""

    __tablename__ = "conversation_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(32), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_conversation_notes_conversation_id", "conversation_id"),)


class TelegramUpdate(Base):
    """An update from Telegram that a gateway has taken. Telegram sends an update again when it did
    not hear back in time, possibly to another gateway replica or after a restart; the database, not
    one process's memory, decides that it is handled once. Telegram keeps updates for 24 hours, so
    the purge forgets these after two days."""

    __tablename__ = "telegram_updates"

    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class TelegramOutgoing(Base):
    """One call to Telegram waiting to be made for a chat: a message, or taking a keyboard off one.

    Kept in the database, so a restart or a crash loses nothing, and any gateway replica can send it.
    A chat's rows are sent in id order: only its first row may be tried, by the replica holding that
    row's lease, and not before `not_before` (Telegram's `retry_after`, or the back-off after a
    network error). Deleted once sent or given up; a conversation's rows go with it."""

    __tablename__ = "telegram_outbox"

    id = Column(Integer, primary_key=True, autoincrement=True)
    chat_id = Column(BigInteger, nullable=False)
    conversation_id = Column(String(32), ForeignKey("conversations.id", ondelete="CASCADE"))
    kind = Column(String(16), nullable=False)  # "message" or "remove_keyboard"
    body = Column(JSON, nullable=False)  # the texts, the keyboard, the message to edit
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    not_before = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    failures = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    leased_by = Column(String(32))  # the replica trying it now, until lease_until
    lease_until = Column(DateTime(timezone=True))

    __table_args__ = (Index("ix_telegram_outbox_chat_id_id", "chat_id", "id"),)


class TelegramSent(Base):
    """A message the bot sent to a Telegram chat, remembered for the 48 hours in which the Bot API
    lets a bot delete it: deleting the conversation ("Slet min samtale") takes it out of the chat too.
    Only ids are kept, no text; the purge forgets them after two days."""

    __tablename__ = "telegram_sent"

    chat_id = Column(BigInteger, primary_key=True, autoincrement=False)
    message_id = Column(BigInteger, primary_key=True, autoincrement=False)
    sent_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


__all__ = [
    "AuditEntry",
    "AvailabilityException",
    "AvailabilityRule",
    "Base",
    "Booking",
    "BookingKind",
    "BookingStatus",
    "CannedAnswer",
    "Conversation",
    "ConversationNote",
    "ConversationState",
    "Handoff",
    "LoginThrottle",
    "Message",
    "Presence",
    "Sender",
    "StaffMember",
    "StaffPresence",
    "StaffRole",
    "StaffSession",
    "TelegramOutgoing",
    "TelegramSent",
    "TelegramUpdate",
]
