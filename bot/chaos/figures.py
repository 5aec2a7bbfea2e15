"""The figures of a chaos run, from the database, Rasa's tracker and what the clients received.

For every message a citizen sent (its text is unique in its conversation):
- stored: how many citizen messages with its text the gateway's `messages` table holds (once is right);
- taken by Rasa: how many `user` events with its text Rasa's tracker (`events`) holds;
- answered: stored and marked `sent` (Rasa's reply was stored in the same transaction);
- answered, not in Rasa's tracker: answered while PostgreSQL was down for Rasa, whose tracker store
  then falls back to memory (Rasa's FailSafeTrackerStore): the citizen has the answer, Rasa's
  history in the database misses that turn;
- answered once: answered, stored once, and its answer stored at most once (a take with no
  utterance after it counts as answered when the gateway marked it sent);
- taken twice, answered once: Rasa's tracker holds the message twice but only one answer was stored
  (the action server died mid-turn and the gateway tried again, or two replicas relayed it at once):
  the citizen saw one answer;
- told "delayed": after it was stored, the gateway's "cannot answer right now" notice came before
  the assistant's next reply;
- lost: never stored, or stored and still not answered (nor handed to staff) when the run ended;
- doubled: stored more than once, or Rasa's answer to it stored more than once (the citizen was
  shown the answer twice). Rasa's utterances after each take, in the tracker's order, are matched
  with the assistant's messages stored in the conversation, in id order.
Apart from those, per conversation: replies (the assistant's and the gateway's messages) stored but
never shown to the citizen: for the widget, ids the client never received; for Telegram, texts that
never reached the chat.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.chaos.citizens import Citizen, delayed
from bot.store import Conversation, Database, Message
from bot.store.rasa_events import event_json, events


@dataclass
class Figures:
    sent: int = 0
    stored_once: int = 0
    answered_once: int = 0
    told_delayed: int = 0
    lost: int = 0
    doubled: int = 0
    taken_twice_answered_once: int = 0
    untracked: int = 0
    to_staff: int = 0
    replies_not_shown: int = 0
    details: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"  messages sent                        {self.sent:6d}",
            f"  stored once                          {self.stored_once:6d}",
            f"  answered once                        {self.answered_once:6d}",
            f"  told \"delayed\"                       {self.told_delayed:6d}",
            f"  lost                                 {self.lost:6d}",
            f"  doubled                              {self.doubled:6d}",
            f"  taken by Rasa twice, answered once   {self.taken_twice_answered_once:6d}",
            f"  answered, not in Rasa's tracker      {self.untracked:6d}",
            f"  handed to staff (not for Rasa)       {self.to_staff:6d}",
            f"  replies stored but never shown       {self.replies_not_shown:6d}",
        ]


def count(db: Database, citizens: list[Citizen], fake) -> Figures:
    figures = Figures()
    with db.session() as session:
        for citizen in citizens:
            conversations = list(session.scalars(
                select(Conversation.id).where(
                    Conversation.channel == citizen.channel, Conversation.channel_user_id == citizen.user_id
                )
            ))
            rows = list(session.scalars(
                select(Message).where(Message.conversation_id.in_(conversations)).order_by(Message.id)
            )) if conversations else []
            taken, answered = _takes(session, conversations, rows)
            _count_citizen(figures, citizen, rows, taken, answered)
            not_shown = _not_shown(citizen, rows, fake)
            figures.replies_not_shown += len(not_shown)
            figures.details += not_shown
    return figures


def _takes(session, conversations: list[str], rows: list[Message]) -> tuple[Counter, Counter]:
    """Per text: how often Rasa's tracker holds it as a user message (a take), and how many takes'
    answers the gateway stored. Rasa's utterances after each take, in the tracker's order, are
    matched against the assistant's messages stored in the conversation, in id order."""
    taken: Counter[str] = Counter()
    stored: Counter[str] = Counter()
    if not conversations:
        return taken, stored
    takes: list[tuple[str, list[str]]] = []  # (the citizen's text, the texts Rasa said after it)
    for conversation_id in conversations:
        for kind, data in session.execute(
            select(events.c.type_name, events.c.data)
            .where(events.c.sender_id == conversation_id, events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.id)
        ):
            event = event_json(data)
            if kind == "user":
                takes.append((event.get("text") or "", []))
                taken[takes[-1][0]] += 1
            elif takes and event.get("text"):
                takes[-1][1].append(event["text"])
        said = [row.text for row in rows if row.sender == "bot" and row.conversation_id == conversation_id and row.text]
        position = 0
        for index, (text, utterances) in enumerate(takes):
            if not utterances or said[position : position + len(utterances)] != utterances:
                continue
            later = takes[index + 1][1] if index + 1 < len(takes) else []
            if stored[text] and later and said[position : position + len(later)] == later:
                continue  # a second take of a message whose answer is the next take's too: give it to the next
            stored[text] += 1
            position += len(utterances)
        takes = []
    return taken, stored


def _count_citizen(
    figures: Figures, citizen: Citizen, rows: list[Message], taken: Counter, answers: Counter
) -> None:
    for written in citizen.written:
        figures.sent += 1
        copies = [row for row in rows if row.sender == "citizen" and row.text == written.text]
        rasa = taken.get(written.text, 0)
        if len(copies) == 1:
            figures.stored_once += 1
        to_staff = any(row.rasa_status == "staff" for row in copies)
        answered = any(row.rasa_status == "sent" for row in copies)
        if answered and not rasa:
            figures.untracked += 1
        if to_staff:
            figures.to_staff += 1
        if answered and len(copies) == 1 and answers.get(written.text, 0) <= 1:
            figures.answered_once += 1
        if len(copies) > 1 or answers.get(written.text, 0) > 1:
            figures.doubled += 1
            figures.details.append(
                f"doubled: {citizen.name} {written.key} stored {len(copies)}x, "
                f"Rasa took it {rasa}x, its answer stored {answers.get(written.text, 0)}x"
            )
        elif rasa > 1:
            figures.taken_twice_answered_once += 1
        if not copies or not (answered or to_staff):
            figures.lost += 1
            state = f"stored, Rasa status {copies[0].rasa_status}, Rasa took it {rasa}x" if copies else "never stored"
            figures.details.append(f"lost: {citizen.name} {written.key} ({state}; acknowledged {written.acknowledged})")
        if copies and _told_delayed(rows, copies[0].id):
            figures.told_delayed += 1


def _told_delayed(rows: list[Message], message_id: int) -> bool:
    for row in rows:
        if row.id <= message_id:
            continue
        if row.sender == "bot":
            return False
        if row.sender == "system" and delayed(row.text or ""):
            return True
    return False


def _not_shown(citizen: Citizen, rows: list[Message], fake) -> list[str]:
    """Each reply stored but never shown to the citizen, described for the printout."""
    replies = [row for row in rows if row.sender != "citizen"]
    if citizen.channel == "web":
        newest = max(citizen.received, default=0)
        return [
            f"not shown: {citizen.name} message {row.id} ({row.sender}, {row.created_at:%H:%M:%S}, "
            f"the client has up to {newest}): {row.text[:50]!r}"
            for row in replies
            if row.id not in citizen.received
        ]
    from bot.channels.telegram.replies import render
    from bot.gateway.views import MessageView
    from tests.telegram.fake_bot_api import visible_text

    expected: Counter[str] = Counter()
    when: dict[str, str] = {}
    for row in replies:
        for item in render(MessageView.of(row)):
            try:
                text = visible_text(item.html, "HTML")
            except ValueError:
                text = item.plain
            expected[text] += 1
            when.setdefault(text, f"{row.id} ({row.sender}, {row.created_at:%H:%M:%S})")
    missing = expected - Counter(fake.texts(int(citizen.user_id)))
    return [
        f"not shown: {citizen.name} message {when[text]}: {text[:50]!r}"
        for text, times in missing.items()
        for _ in range(times)
    ]
