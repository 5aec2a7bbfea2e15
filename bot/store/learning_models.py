"""Learning from what the assistant missed: the inbox, kept examples, trained models, the training lease.

See bot/learning/.
"""
from __future__ import annotations

import enum

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.schema import Column

from bot.store.models import Base, _enum
from bot.times import utcnow


class InboxStatus(str, enum.Enum):
    """What an admin decided about a missed message; open ones are the inbox."""

    OPEN = "open"
    ASSIGNED = "assigned"
    OUT_OF_SCOPE = "out_of_scope"
    DISMISSED = "dismissed"


class ModelState(str, enum.Enum):
    TRAINING = "training"
    FAILED = "failed"  # training or testing stopped with an error
    FAILED_GATE = "failed_gate"  # trained, but worse than the model citizens have
    READY = "ready"  # passed the gate, not (yet) serving
    SERVING = "serving"
    RETIRED = "retired"  # served before; one click brings it back


class InboxItem(Base):
    """One missed message, as its normalised text: the same words missed again are the same item."""

    __tablename__ = "inbox_items"

    id = Column(Integer, primary_key=True, autoincrement=True)
    normalised = Column(String(255), nullable=False, unique=True)
    text = Column(Text, nullable=False)  # the latest redacted wording, as shown to the admin
    status = Column(_enum(InboxStatus, "inbox_status"), nullable=False, default=InboxStatus.OPEN)
    intent = Column(String(64))  # the admin's answer to "what did the citizen mean?"
    decided_by = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    decided_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_inbox_items_status", "status"),)


class InboxSighting(Base):
    """One citizen message (one event in Rasa's tracker) that an inbox item counts.

    Keyed by the event itself, so however often and on however many replicas the sweep reads that
    event, it is counted once."""

    __tablename__ = "inbox_sightings"

    event_key = Column(String(300), primary_key=True)  # "<conversation id>:<event timestamp>"
    item_id = Column(Integer, ForeignKey("inbox_items.id", ondelete="CASCADE"), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    reason = Column(String(16), nullable=False)  # fallback, not_helped, handoff
    guess_1 = Column(String(64))
    guess_1_confidence = Column(Float)
    guess_2 = Column(String(64))
    guess_2_confidence = Column(Float)
    seen_at = Column(DateTime(timezone=True), nullable=False)

    __table_args__ = (
        Index("ix_inbox_sightings_item_id", "item_id"),
        Index("ix_inbox_sightings_conversation_id", "conversation_id"),
        Index("ix_inbox_sightings_seen_at", "seen_at"),
    )


class KeptExample(Base):
    """A sentence an admin chose, explicitly, to train the assistant with; redacted again when kept."""

    __tablename__ = "kept_examples"

    id = Column(Integer, primary_key=True, autoincrement=True)
    text = Column(Text, nullable=False)
    intent = Column(String(64), nullable=False)
    item_id = Column(Integer, ForeignKey("inbox_items.id", ondelete="SET NULL"))
    kept_by = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    kept_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("text", "intent", name="uq_kept_examples_text_intent"),)


class AssistantModel(Base):
    """A trained model file and what is known about it: who started it, its figures, whether it serves."""

    __tablename__ = "assistant_models"

    id = Column(Integer, primary_key=True, autoincrement=True)
    file_name = Column(String(200), nullable=False, unique=True)  # inside LEARNING_MODELS_DIR
    state = Column(_enum(ModelState, "model_state"), nullable=False, default=ModelState.TRAINING)
    progress = Column(String(200))  # the step a training is at, or why it failed
    started_by = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    kept_examples = Column(Integer, nullable=False, default=0)
    accuracy = Column(Float)  # on the held-out split
    macro_f1 = Column(Float)
    baseline_accuracy = Column(Float)  # the serving model's, which the gate compared against
    conversation_tests_passed = Column(Boolean)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = Column(DateTime(timezone=True))
    served_at = Column(DateTime(timezone=True))

    __table_args__ = (Index("ix_assistant_models_state", "state"),)


class Lease(Base):
    """A named job that one process at a time may run, on any replica: taken by a conditional UPDATE."""

    __tablename__ = "leases"

    name = Column(String(32), primary_key=True)
    holder = Column(String(64))
    expires_at = Column(DateTime(timezone=True))


class JobMark(Base):
    """How far a background job has come (the inbox sweep: events up to this time are read)."""

    __tablename__ = "job_marks"

    name = Column(String(32), primary_key=True)
    marked_at = Column(DateTime(timezone=True), nullable=False)
