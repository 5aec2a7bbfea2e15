"""Counting what happened, per day and channel, as plain numbers with no text and no person in them.

Every figure is a `Counts` entry keyed by (day, channel, figure, detail). The same functions count
conversations still in the database (for the page) and conversations the retention purge is about
to delete (added to `statistics_daily`), so a day's figures are the same before and after the purge.

A conversation counts on the day (in the municipality's time zone) it started; a booking on the day
it was made. See README "Statistik" for what each figure means, "contained" above all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.booking.struggle import DID_THAT_HELP_ACTIONS, NEUTRAL_INTENTS
from bot.config import Municipality
from bot.danish import is_question
from bot.store.models import Booking, Conversation, Handoff, Message, Sender
from bot.store.rasa_events import Tracker, read_trackers
from bot.store.statistics_models import DailyFigure, StatisticsCacheDay, StatisticsCacheFigure

# Counter of (day, channel, figure, detail) -> count
Counts = Counter

BOOKING_OFFERED = "booking_offered"
DEFAULT_LANGUAGE = "da"


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive values; everything is written in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def wait_bucket(seconds: float) -> int:
    """A wait rounded up to a step that keeps its meaning (10 s, 1 min, then 10 min): the upper bound.

    Waits are kept as a histogram, never one by one, so medians read the same from live and kept days."""
    seconds = max(0.0, seconds)
    for limit, step in ((60, 10), (3600, 60)):
        if seconds < limit:
            return int(-(-seconds // step) * step) or step
    return int(-(-seconds // 600) * 600)


def local_day_bounds(first: date, last: date, zone) -> tuple[datetime, datetime]:
    """From the first day's local midnight to the local midnight after the last day, in UTC."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(timezone.utc)
    return start, end


def _contained(tracker: Tracker | None, handed_off: bool, booked: bool, citizen_messages: int) -> bool:
    """The assistant handled it alone: the citizen wrote, nobody was asked for, nothing was booked,
    and it did not end on a problem (a message not understood, or "Nej" to "Hjalp det?") that a later
    understood question did not clear."""
    if citizen_messages == 0 or handed_off or booked:
        return False
    open_problem = False
    for turn in tracker.turns if tracker else ():
        if turn.not_understood or (_asked_did_it_help(turn) and turn.intent == "deny"):
            open_problem = True
        elif is_question(turn.intent):
            open_problem = False
    return not open_problem


def _asked_did_it_help(turn) -> bool:
    return any(action in DID_THAT_HELP_ACTIONS for action in turn.actions_before)


def _topic_before(tracker: Tracker, index: int) -> str:
    for turn in reversed(tracker.turns[:index]):
        if is_question(turn.intent):
            return str(turn.intent)
    return "other"


def count_conversations(session: Session, ids: Iterable[str] | Select, municipality: Municipality) -> Counts:
    """The figures of these conversations (a list of ids, or a SELECT of ids)."""
    if isinstance(ids, Select):
        return _count_conversations(session, ids, municipality)
    counts: Counts = Counter()
    id_list = list(ids)
    for start in range(0, len(id_list), 500):
        counts.update(_count_conversations(session, id_list[start : start + 500], municipality))
    return counts


def _count_conversations(session: Session, ids: list[str] | Select, municipality: Municipality) -> Counts:
    counts: Counts = Counter()
    rows = session.execute(
        select(Conversation.id, Conversation.channel, Conversation.created_at, Conversation.satisfaction).where(
            Conversation.id.in_(ids)
        )
    ).all()
    if not rows:
        return counts
    citizen = dict(
        session.execute(
            select(Message.conversation_id, func.count())
            .where(Message.conversation_id.in_(ids), Message.sender == Sender.CITIZEN)
            .group_by(Message.conversation_id)
        ).all()
    )
    staff_replies: dict[str, list[datetime]] = {}
    for conversation_id, created_at in session.execute(
        select(Message.conversation_id, Message.created_at).where(
            Message.conversation_id.in_(ids), Message.sender == Sender.STAFF
        )
    ):
        staff_replies.setdefault(conversation_id, []).append(_utc(created_at))
    handoffs: dict[str, list[Any]] = {}
    for handoff in session.execute(
        select(Handoff.conversation_id, Handoff.reason, Handoff.outcome, Handoff.requested_at, Handoff.claimed_at)
        .where(Handoff.conversation_id.in_(ids))
        .order_by(Handoff.id)
    ):
        handoffs.setdefault(handoff.conversation_id, []).append(handoff)
    booked = set(session.scalars(select(Booking.conversation_id).where(Booking.conversation_id.in_(ids))))
    trackers = read_trackers(session.connection(), ids)

    zone = municipality.timezone
    for row in rows:
        started = _utc(row.created_at)
        local = started.astimezone(zone)
        day, channel = local.date(), row.channel

        def add(figure: str, detail: str = "", value: int = 1) -> None:
            counts[(day, channel, figure, detail)] += value

        tracker = trackers.get(row.id)
        mine = handoffs.get(row.id, [])
        add("conversations")
        add("citizen_messages", value=citizen.get(row.id, 0))
        add("hour", f"{local.weekday()}-{local.hour:02d}")
        if not municipality.is_open_at(started):
            add("outside_hours")
        add("language", str((tracker.slot("language") if tracker else None) or DEFAULT_LANGUAGE))
        if row.satisfaction:
            add("satisfaction", str(row.satisfaction))
        if _contained(tracker, bool(mine), row.id in booked, citizen.get(row.id, 0)):
            add("contained")
        if mine:
            add("handed_off")
        for reason in sorted({h.reason for h in mine}):
            add("handoff", reason)
        if any(h.outcome == BOOKING_OFFERED for h in mine):
            add("booking_route")
        if any(h.outcome != BOOKING_OFFERED for h in mine):
            add("live_chat")
        for handoff in mine:
            if handoff.outcome == BOOKING_OFFERED:
                continue
            requested = _utc(handoff.requested_at)
            if handoff.claimed_at is not None:
                add("claim_wait", str(wait_bucket((_utc(handoff.claimed_at) - requested).total_seconds())))
            first_reply = min((t for t in staff_replies.get(row.id, ()) if t >= requested), default=None)
            if first_reply is not None:
                add("reply_wait", str(wait_bucket((first_reply - requested).total_seconds())))
        if tracker:
            _count_turns(tracker, add)
    return counts


def _count_turns(tracker: Tracker, add) -> None:
    previous_missed = False
    for index, turn in enumerate(tracker.turns):
        add("rasa_turns")
        if turn.not_understood:
            add("not_understood")
            if previous_missed:
                add("second_miss")
        if turn.intent not in NEUTRAL_INTENTS:  # "Noget andet" between two misses: still in a row
            previous_missed = turn.not_understood
        if is_question(turn.intent):
            add("topic", str(turn.intent))
        if _asked_did_it_help(turn) and turn.intent in ("affirm", "deny"):
            add("helped_yes" if turn.intent == "affirm" else "helped_no", _topic_before(tracker, index))
    moved = sum(1 for value in tracker.slots.get("manage_result", []) if value == "moved")
    if moved:
        add("bookings_moved", value=moved)


def count_bookings(session: Session, condition: Any, municipality: Municipality) -> Counts:
    """The figures of the bookings matching `condition`: made, and how each ended (so far)."""
    counts: Counts = Counter()
    for kind, status, channel, created_at in session.execute(
        select(Booking.kind, Booking.status, Booking.channel, Booking.created_at).where(condition)
    ):
        day = _utc(created_at).astimezone(municipality.timezone).date()
        channel = channel or "other"
        counts[(day, channel, "bookings", getattr(kind, "value", str(kind)))] += 1
        counts[(day, channel, "booking_status", getattr(status, "value", str(status)))] += 1
    return counts


def live_counts(session: Session, first: date, last: date, municipality: Municipality) -> Counts:
    """The figures of the conversations and bookings still in the database, started from `first` to `last`.

    A day's conversation figures are counted again only when its conversations changed since they
    were last counted (how many there are, and the latest change); otherwise the cache has them."""
    zone = municipality.timezone
    start, end = local_day_bounds(first, last, zone)
    seen = _fingerprints(session, first, last, zone)
    cached = {
        row.day: (row.conversations, _utc(row.last_change) if row.last_change else None)
        for row in session.scalars(
            select(StatisticsCacheDay).where(StatisticsCacheDay.day >= first, StatisticsCacheDay.day <= last)
        )
    }
    counts: Counts = Counter()
    fresh = [day for day, fingerprint in seen.items() if cached.get(day) == fingerprint]
    for start_index in range(0, len(fresh), 200):
        for row in session.execute(
            select(
                StatisticsCacheFigure.day,
                StatisticsCacheFigure.channel,
                StatisticsCacheFigure.figure,
                StatisticsCacheFigure.detail,
                StatisticsCacheFigure.value,
            ).where(StatisticsCacheFigure.day.in_(fresh[start_index : start_index + 200]))
        ):
            counts[(row.day, row.channel, row.figure, row.detail)] += row.value
    for day in sorted(set(seen) - set(fresh)):
        day_start, day_end = local_day_bounds(day, day, zone)
        ids = select(Conversation.id).where(Conversation.created_at >= day_start, Conversation.created_at < day_end)
        day_counts = count_conversations(session, ids, municipality)
        _cache(session, day, seen[day], day_counts)
        counts.update(day_counts)
    counts.update(count_bookings(session, (Booking.created_at >= start) & (Booking.created_at < end), municipality))
    return counts


def _fingerprints(session: Session, first: date, last: date, zone) -> dict[date, tuple[int, datetime]]:
    """Per day with conversations: how many began that day, and their latest change."""
    start, end = local_day_bounds(first, last, zone)
    earliest = session.scalar(
        select(func.min(Conversation.created_at)).where(Conversation.created_at >= start, Conversation.created_at < end)
    )
    seen: dict[date, tuple[int, datetime]] = {}
    if earliest is None:
        return seen
    day = _utc(earliest).astimezone(zone).date()
    while day <= last:
        day_start, day_end = local_day_bounds(day, day, zone)
        count, latest = session.execute(
            select(func.count(), func.max(Conversation.updated_at)).where(
                Conversation.created_at >= day_start, Conversation.created_at < day_end
            )
        ).one()
        if count:
            seen[day] = (count, _utc(latest))
        day += timedelta(days=1)
    return seen


def refresh_cache(session: Session, first: date, last: date, municipality: Municipality) -> None:
    """Count the days whose conversations changed since they were counted, so a visit need not."""
    live_counts(session, first, last, municipality)


def _cache(session: Session, day: date, fingerprint: tuple[int, datetime], counts: Counts) -> None:
    """Replace the day's cached figures. A replica caching the same day at the same moment wins; the
    loser's figures are the same, so its failed write is dropped."""
    try:
        with session.begin_nested():
            session.execute(delete(StatisticsCacheDay).where(StatisticsCacheDay.day == day))
            session.execute(delete(StatisticsCacheFigure).where(StatisticsCacheFigure.day == day))
            session.add(StatisticsCacheDay(day=day, conversations=fingerprint[0], last_change=fingerprint[1]))
            session.flush()
            rows = [
                {"day": day, "channel": channel[:16], "figure": figure[:32], "detail": detail[:64], "value": value}
                for (_, channel, figure, detail), value in counts.items()
                if value
            ]
            if rows:
                session.execute(insert(StatisticsCacheFigure), rows)
    except IntegrityError:
        pass


def kept_counts(session: Session, first: date, last: date) -> Counts:
    """The figures the retention purge kept for conversations and bookings it deleted."""
    counts: Counts = Counter()
    rows = session.execute(
        select(DailyFigure.day, DailyFigure.channel, DailyFigure.figure, DailyFigure.detail, DailyFigure.value).where(
            DailyFigure.day >= first, DailyFigure.day <= last
        )
    )
    for day, channel, figure, detail, value in rows:
        counts[(day, channel, figure, detail)] += value
    return counts


def all_counts(session: Session, first: date, last: date, municipality: Municipality) -> Counts:
    counts = kept_counts(session, first, last)
    counts.update(live_counts(session, first, last, municipality))
    return counts


def keep(session: Session, counts: Counts) -> None:
    """Add these figures to the kept ones, in the caller's transaction.

    An upsert that adds: two purges never count a conversation twice because each adds only what its
    own transaction deletes (see bot/privacy/deletion.py)."""
    rows = [
        {"day": day, "channel": channel[:16], "figure": figure[:32], "detail": detail[:64], "value": value}
        for (day, channel, figure, detail), value in sorted(counts.items())
        if value
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 500):
        statement = upsert(DailyFigure).values(rows[start : start + 500])
        statement = statement.on_conflict_do_update(
            index_elements=["day", "channel", "figure", "detail"],
            set_={"value": DailyFigure.value + statement.excluded.value},
        )
        session.execute(statement)
