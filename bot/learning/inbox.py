"""The inbox of missed messages ("Forbedr chatbotten"): collecting them, deciding on them, keeping examples.

Collecting is a sweep over Rasa's tracker, run when an admin opens the inbox (and by `python -m bot
nlu sweep`), not a hook in the message path: the tracker is the only place that knows what the model
understood and what came after it (a "Nej" may come minutes later), and a sweep needs no change
to how messages flow. Every sweep is idempotent: each tracker event is one sighting row, keyed by the
event, so replicas sweeping at once, a restart or a second sweep never count a message twice. A
mark remembers how far the last sweep read; the next one starts a few minutes earlier, because on
PostgreSQL an event can be committed after a later one was already read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.learning.missed import REASON_RANK, MissedMessage, missed_since
from bot.privacy.redaction import redact
from bot.store import Database
from bot.store.learning_models import InboxItem, InboxSighting, InboxStatus, JobMark, KeptExample
from bot.store.rasa_events import has_events_table
from bot.times import utcnow

SWEEP_MARK = "inbox_sweep"
SWEEP_OVERLAP = timedelta(minutes=5)
MAX_TEXT = 500

REASON_LABELS = {
    "fallback": "Forstod ikke",
    "not_helped": "Svaret hjalp ikke",
    "handoff": "Sendt til en medarbejder, fordi chatbotten ikke forstod",
}


class Refused(Exception):
    """An admin's request that cannot be done; `text` says why, in Danish."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@functools.lru_cache(maxsize=1)
def _normaliser():
    from bot.nlu.normaliser import DanishNormaliser, danish_lexicon

    return DanishNormaliser(danish_lexicon())


def normalised(text: str) -> str:
    """The text as the model's first step sees it, without punctuation: "Hjaelp!" and "hjælp" are one item."""
    return " ".join(re.sub(r"[^\w\s\[\]-]", " ", _normaliser().normalise(text)).split())[:255]


def clean_text(text: str) -> str:
    """Redacted again (the rules may have grown since the message came), one line, not too long."""
    return " ".join(redact(text).text.split())[:MAX_TEXT]


# Collecting ---------------------------------------------------------------------------------------


def _item_for(session: Session, key: str, text: str) -> InboxItem:
    item = session.scalar(select(InboxItem).where(InboxItem.normalised == key))
    if item is not None:
        return item
    try:
        with session.begin_nested():
            item = InboxItem(normalised=key, text=text, status=InboxStatus.OPEN)
            session.add(item)
        return item
    except IntegrityError:
        # Another sweep made the same item a moment ago.
        return session.scalar(select(InboxItem).where(InboxItem.normalised == key))


def _record(session: Session, missed: MissedMessage) -> bool:
    """One sighting for one missed message; False when it was counted before."""
    text = clean_text(missed.text)
    key = normalised(text)
    if not key:
        return False
    seen = session.get(InboxSighting, missed.key)
    if seen is not None:
        if REASON_RANK[missed.reason] > REASON_RANK.get(seen.reason, 0):
            seen.reason = missed.reason
        return False
    item = _item_for(session, key, text)
    guesses = list(missed.guesses) + [(None, None)] * (2 - len(missed.guesses))
    try:
        with session.begin_nested():
            session.add(
                InboxSighting(
                    event_key=missed.key,
                    item_id=item.id,
                    conversation_id=missed.conversation_id,
                    reason=missed.reason,
                    guess_1=guesses[0][0],
                    guess_1_confidence=guesses[0][1],
                    guess_2=guesses[1][0],
                    guess_2_confidence=guesses[1][1],
                    seen_at=datetime.fromtimestamp(missed.timestamp, timezone.utc),
                )
            )
    except IntegrityError:
        return False  # another sweep counted it at the same moment
    item.text = text
    return True


def sweep(db: Database, retention_days: int, now: datetime | None = None) -> int:
    """Read the tracker for missed messages since the last sweep; returns how many new ones were counted."""
    now = now or utcnow()
    oldest = now - timedelta(days=retention_days)
    with db.session() as session:
        if not has_events_table(session):
            return 0
        mark = session.get(JobMark, SWEEP_MARK)
        changed_since = max(_aware(mark.marked_at) - SWEEP_OVERLAP, oldest) if mark else oldest
        counted = sum(
            _record(session, missed) for missed in missed_since(session, changed_since.timestamp(), oldest.timestamp())
        )
        if mark is None:
            try:
                with session.begin_nested():
                    session.add(JobMark(name=SWEEP_MARK, marked_at=now))
            except IntegrityError:
                pass
        else:
            # Never backwards: a slower sweep that started earlier must not undo a later one's mark.
            session.execute(
                update(JobMark)
                .where(JobMark.name == SWEEP_MARK, JobMark.marked_at < now)
                .values(marked_at=now)
                .execution_options(synchronize_session=False)
            )
    return counted


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxLine:
    id: int
    text: str
    status: str
    intent: str | None
    count: int
    last_seen: datetime
    reason: str
    guesses: tuple[tuple[str, float], ...]
    kept: bool

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.reason, self.reason)


def items(db: Database, status: InboxStatus = InboxStatus.OPEN, limit: int = 200) -> list[InboxLine]:
    """Items with this status, the most frequent first, with their latest sighting's reason and guesses."""
    counted = (
        select(
            InboxSighting.item_id,
            func.count().label("count"),
            func.max(InboxSighting.seen_at).label("last_seen"),
        )
        .group_by(InboxSighting.item_id)
        .subquery()
    )
    query = (
        select(InboxItem, counted.c.count, counted.c.last_seen)
        .join(counted, counted.c.item_id == InboxItem.id)
        .where(InboxItem.status == status)
        .order_by(counted.c.count.desc(), counted.c.last_seen.desc(), InboxItem.id)
        .limit(limit)
    )
    with db.session() as session:
        rows = session.execute(query).all()
        kept = set(session.scalars(select(KeptExample.item_id).where(KeptExample.item_id.in_([r[0].id for r in rows]))))
        lines = []
        for item, count, last_seen in rows:
            latest = session.scalars(
                select(InboxSighting)
                .where(InboxSighting.item_id == item.id)
                .order_by(InboxSighting.seen_at.desc())
                .limit(1)
            ).first()
            guesses = tuple(
                (name, confidence or 0.0)
                for name, confidence in (
                    (latest.guess_1, latest.guess_1_confidence),
                    (latest.guess_2, latest.guess_2_confidence),
                )
                if name
            )
            lines.append(
                InboxLine(
                    id=item.id,
                    text=item.text,
                    status=item.status.value,
                    intent=item.intent,
                    count=count,
                    last_seen=_aware(last_seen),
                    reason=latest.reason,
                    guesses=guesses,
                    kept=item.id in kept,
                )
            )
        return lines


# Deciding ------------------------------------------------------------------------------------------


def assignable_intents() -> list[str]:
    """The intents an example may be kept for: the domain's, without Rasa's own fallback."""
    from bot.domain_files import load_domain_dict

    return sorted(name for name in load_domain_dict()["intents"] if isinstance(name, str) and name != "nlu_fallback")


def decide(
    db: Database,
    item_id: int,
    staff_id: int,
    status: InboxStatus,
    intent: str | None = None,
    keep_text: str | None = None,
) -> KeptExample | None:
    """Assign an item to an intent, mark it out of scope, or dismiss it. With `keep_text` (an explicit
    choice in the form), the sentence is also kept as a training example for the intent."""
    intents = assignable_intents()
    if status == InboxStatus.OUT_OF_SCOPE:
        intent = "out_of_scope" if "out_of_scope" in intents else None
    elif status == InboxStatus.ASSIGNED:
        if intent not in intents:
            raise Refused("Vælg en af chatbottens intentioner.")
    else:
        intent = None
    with db.session() as session:
        item = session.get(InboxItem, item_id)
        if item is None:
            raise Refused("Beskeden findes ikke længere i indbakken.")
        item.status, item.intent, item.decided_by, item.decided_at = status, intent, staff_id, utcnow()
    if keep_text is not None and intent:
        return keep_example(db, keep_text, intent, staff_id, item_id)
    return None


def keep_example(db: Database, text: str, intent: str, staff_id: int | None, item_id: int | None = None) -> KeptExample:
    text = clean_text(text)
    if not text:
        raise Refused("Sætningen er tom.")
    if intent not in assignable_intents():
        raise Refused("Vælg en af chatbottens intentioner.")
    with db.session() as session:
        existing = session.scalar(select(KeptExample).where(KeptExample.text == text, KeptExample.intent == intent))
        if existing is not None:
            return existing
        example = KeptExample(text=text, intent=intent, item_id=item_id, kept_by=staff_id)
        session.add(example)
        return example


def kept_examples(db: Database) -> list[KeptExample]:
    with db.session() as session:
        return list(session.scalars(select(KeptExample).order_by(KeptExample.intent, KeptExample.id)))


def delete_example(db: Database, example_id: int) -> None:
    with db.session() as session:
        if not session.execute(delete(KeptExample).where(KeptExample.id == example_id)).rowcount:
            raise Refused("Eksemplet findes ikke længere.")


# Privacy -------------------------------------------------------------------------------------------


def _drop_empty_items(session: Session) -> int:
    """Items no citizen message counts any more go; kept examples made from them stay."""
    counted = select(InboxSighting.item_id).where(InboxSighting.item_id == InboxItem.id).exists()
    return session.execute(delete(InboxItem).where(~counted).execution_options(synchronize_session=False)).rowcount


def purge_older_than(db: Database, days: int, now: datetime | None = None) -> int:
    """The inbox follows the retention of transcripts: sightings older than it go, and items left with
    none. Kept examples stay: an admin chose to keep them, redacted, apart from any conversation."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    with db.session() as session:
        session.execute(delete(InboxSighting).where(InboxSighting.seen_at < cutoff))
        return _drop_empty_items(session)


def forget_conversation(db: Database, conversation_id: str) -> None:
    """A conversation deleted on the citizen's request leaves nothing of it in the inbox."""
    with db.session() as session:
        session.execute(delete(InboxSighting).where(InboxSighting.conversation_id == conversation_id))
        _drop_empty_items(session)
