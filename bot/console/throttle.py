"""Repeated wrong passwords slow down: per user name and per address, kept in the database.

A few mistakes are free; after that each further failure doubles the wait before the next try is
even checked (1 s, 2 s, 4 s ... up to 15 minutes). An address gets more free tries than a user name,
since several staff may sit behind one office address. Failures are forgotten after an hour of quiet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from bot.console.sessions import as_utc
from bot.store import Database
from bot.store.models import LoginThrottle as ThrottleRow, utcnow


@dataclass(frozen=True)
class Rule:
    key: str
    free_attempts: int


class LoginThrottle:
    def __init__(
        self,
        db: Database,
        *,
        user_free: int = 3,
        address_free: int = 10,
        first_delay: float = 1.0,
        max_delay: float = 900.0,
        forget_after: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.user_free = user_free
        self.address_free = address_free
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.clock = clock

    def rules(self, username: str, address: str | None) -> list[Rule]:
        rules = [Rule(f"user:{username.strip().lower()[:150]}", self.user_free)]
        if address:
            rules.append(Rule(f"ip:{address[:150]}", self.address_free))
        return rules

    def wait_seconds(self, rules: Iterable[Rule]) -> float:
        """How long until a login may be tried again; 0 when it may be tried now."""
        now = self.clock()
        with self.db.session() as session:
            waits = [
                (as_utc(row.blocked_until) - now).total_seconds()
                for row in (session.get(ThrottleRow, rule.key) for rule in rules)
                if row is not None and row.blocked_until is not None
            ]
        return max([0.0, *waits])

    def failed(self, rules: Iterable[Rule]) -> None:
        for rule in rules:
            for attempt in range(2):
                try:
                    self._count(rule)
                    break
                except IntegrityError:
                    if attempt:  # two first failures at once: the other one created the row, count again
                        raise

    def _count(self, rule: Rule) -> None:
        # One UPDATE counts, so two failures at the same moment are two (it locks the row on PostgreSQL
        # and takes SQLite's write lock) rather than both reading 1 and writing 2.
        now = self.clock()
        with self.db.session() as session:
            counted = session.execute(
                update(ThrottleRow)
                .where(ThrottleRow.key == rule.key)
                .values(
                    failures=case((ThrottleRow.last_failure_at <= now - self.forget_after, 1), else_=ThrottleRow.failures + 1),
                    last_failure_at=now,
                )
            ).rowcount
            if not counted:
                session.add(ThrottleRow(key=rule.key, failures=1, last_failure_at=now))
                session.flush()
            failures = session.scalar(select(ThrottleRow.failures).where(ThrottleRow.key == rule.key))
            over = failures - rule.free_attempts
            if over >= 0:
                delay = min(self.max_delay, self.first_delay * 2**min(over, 30))
                session.execute(
                    update(ThrottleRow).where(ThrottleRow.key == rule.key).values(blocked_until=now + timedelta(seconds=delay))
                )

    def succeeded(self, username: str) -> None:
        """The user name's count starts again; the address's only ages out, so one good account
        cannot be used to keep guessing others."""
        with self.db.session() as session:
            row = session.get(ThrottleRow, self.rules(username, None)[0].key)
            if row is not None:
                session.delete(row)
