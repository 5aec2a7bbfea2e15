"""The statistics' tables: daily counts that outlive the transcripts, and a cache of live days' counts.

See bot/insight/. Only counts are kept here, never text or who.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.sql.schema import Column

from bot.store.models import Base, Conversation
from bot.times import utcnow


class DailyFigure(Base):
    """One count of one day and channel, kept after the conversations it counts are deleted.

    Only counts, never text or who: `figure` names what is counted ("conversations", "handoff"),
    `detail` splits it where needed (the handoff's reason, the topic's intent, "3-14" for Thursday
    14-15). The retention purge adds a conversation's counts here in the same transaction that
    deletes it, so no replica or restart counts one twice. See bot/insight/.
    """

    __tablename__ = "statistics_daily"

    day = Column(Date, primary_key=True)
    channel = Column(String(16), primary_key=True)
    figure = Column(String(32), primary_key=True)
    detail = Column(String(64), primary_key=True, default="")
    value = Column(BigInteger, nullable=False, default=0)


class StatisticsCacheDay(Base):
    """A day whose live figures were counted, and what its conversations looked like then: while the
    day's conversations number and last change are the same, `statistics_cache` holds their figures.
    Only a cache, so the page need not count a month of conversations on every visit."""

    __tablename__ = "statistics_cache_days"

    day = Column(Date, primary_key=True)
    conversations = Column(Integer, nullable=False)
    last_change = Column(DateTime(timezone=True))
    counted_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class StatisticsCacheFigure(Base):
    """The counted figures of a day's conversations still in the database (see StatisticsCacheDay)."""

    __tablename__ = "statistics_cache"

    day = Column(Date, ForeignKey("statistics_cache_days.day", ondelete="CASCADE"), primary_key=True)
    channel = Column(String(16), primary_key=True)
    figure = Column(String(32), primary_key=True)
    detail = Column(String(64), primary_key=True, default="")
    value = Column(BigInteger, nullable=False, default=0)


# The statistics page asks how many conversations began on a day and when they last changed.
Index("ix_conversations_created_at", Conversation.created_at)
