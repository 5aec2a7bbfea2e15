"""Repeated wrong passwords slow down: per user name from one address, and per address, kept in the database.

A few mistakes are free; after that each further failure doubles the wait before the next try is
even checked (1 s, 2 s, 4 s ... up to 15 minutes). An address gets more free tries than a user name,
since several staff may sit behind one office address. Failures are forgotten after an hour of quiet.

The user name's count is kept per address: counted for the name alone, a stranger who knows a staff
member's user name could keep the account blocked for good with one wrong password each time the
wait ends. Guessing from many addresses is what the slow password hash and the 10-character
minimum are for.

Every attempt is counted as a failure before its password is checked (`reserve`), in one
transaction with the check of the wait, so attempts sent side by side cannot all slip in before the
first failure is written. A right password takes its count back (`succeeded`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import Database
from bot.store.models import LoginThrottle as ThrottleRow
from bot.store.models import utcnow
from bot.times import as_utc


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
        rules = [Rule(f"user:{username.strip().lower()[:100]}@{(address or '')[:45]}", self.user_free)]
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

    def reserve(self, rules: Iterable[Rule]) -> float:
        """Count this attempt as a failure, unless a rule makes it wait: then nothing is counted and the
        wait in seconds comes back. 0 means the attempt is counted and its password may be checked."""
        rules = list(rules)
        for attempt in range(3):
            try:
                return self._reserve(rules)
            except IntegrityError:
                if attempt == 2:  # first attempts at once: another one created the row, try again
                    raise
        return 0.0  # not reached

    def _reserve(self, rules: list[Rule]) -> float:
        now = self.clock()
        with self.db.session() as session:
            for rule in rules:
                # Counts only when not blocked, in one UPDATE: it locks the row on PostgreSQL (a second
                # attempt waits, then sees the first one's blocked_until) and takes SQLite's write lock.
                counted = session.execute(
                    update(ThrottleRow)
                    .where(ThrottleRow.key == rule.key)
                    .where((ThrottleRow.blocked_until.is_(None)) | (ThrottleRow.blocked_until <= now))
                    .values(
                        failures=case(
                            (ThrottleRow.last_failure_at <= now - self.forget_after, 1), else_=ThrottleRow.failures + 1
                        ),
                        last_failure_at=now,
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                if not counted:
                    blocked_until = session.scalar(select(ThrottleRow.blocked_until).where(ThrottleRow.key == rule.key))
                    if blocked_until is not None:
                        session.rollback()  # nothing of this attempt is counted
                        return max(0.001, (as_utc(blocked_until) - now).total_seconds())
                    session.add(ThrottleRow(key=rule.key, failures=1, last_failure_at=now))
                    session.flush()
                self._block_if_over(session, rule, now)
        return 0.0

    def _block_if_over(self, session, rule: Rule, now: datetime) -> None:
        failures = session.scalar(select(ThrottleRow.failures).where(ThrottleRow.key == rule.key))
        over = failures - rule.free_attempts
        if over >= 0:
            delay = min(self.max_delay, self.first_delay * 2**min(over, 30))
            session.execute(
                update(ThrottleRow)
                .where(ThrottleRow.key == rule.key)
                .values(blocked_until=now + timedelta(seconds=delay))
            )

    def failed(self, rules: Iterable[Rule]) -> None:
        """Count a failure whatever the wait (the count `reserve` makes, without its check)."""
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
                    failures=case(
                        (ThrottleRow.last_failure_at <= now - self.forget_after, 1), else_=ThrottleRow.failures + 1
                    ),
                    last_failure_at=now,
                )
            ).rowcount
            if not counted:
                session.add(ThrottleRow(key=rule.key, failures=1, last_failure_at=now))
                session.flush()
            self._block_if_over(session, rule, now)

    def succeeded(self, rules: Iterable[Rule]) -> None:
        """After a right password: the user name's count starts again. The address only gets back the
        count `reserve` made for this attempt (its failures only age out, so one good account cannot be
        used to keep guessing others), and is free again if that takes it under its free tries."""
        user, *others = list(rules)
        with self.db.session() as session:
            session.execute(delete(ThrottleRow).where(ThrottleRow.key == user.key))
            for rule in others:
                session.execute(
                    update(ThrottleRow)
                    .where(ThrottleRow.key == rule.key, ThrottleRow.failures > 0)
                    .values(
                        failures=ThrottleRow.failures - 1,
                        blocked_until=case(
                            (ThrottleRow.failures - 1 < rule.free_attempts, None), else_=ThrottleRow.blocked_until
                        ),
                    )
                    .execution_options(synchronize_session=False)
                )
