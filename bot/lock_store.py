"""Rasa's lock store, chosen by REDIS_URL, so one conversation is handled by one Rasa replica at a time.

Rasa handles a message only while it holds that conversation's lock. One Rasa process can keep its
locks in memory; several replicas behind a load balancer must share them, or two messages of one
conversation are handled at once and the second save drops events of the first. endpoints.yml can
substitute environment values but cannot choose a type by them, so endpoints.yml names this class,
and it keeps the locks in Redis when REDIS_URL is set and in memory (Rasa's `InMemoryLockStore`) when not.

Rasa's own `RedisLockStore` is not enough across processes: it reads a lock, changes it and writes it
back in separate steps, so two replicas that take a ticket at the same moment both get ticket 0 and
both go ahead (RasaHQ/rasa#9213; the fix, ConcurrentRedisLockStore, is Rasa Pro only). The test with
two replicas lost messages that way. `AtomicRedisLockStore` makes each change one Redis transaction.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

from bot.config import ConfigError, redis_key_prefix

Result = TypeVar("Result")
LockChange = Callable[[TicketLock | None], "tuple[Result, TicketLock | None]"]
_URL_FORM = "redis://[:password@]host[:port][/db] (rediss:// for TLS)"


def _shown(url: str) -> str:
    """The URL for an error message, without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{netloc}").geturl()


def redis_connection(url: str) -> dict[str, Any]:
    """REDIS_URL as `RedisLockStore` arguments; a clear ConfigError for anything it cannot mean."""
    try:
        parts = urlsplit(url)
        port = parts.port or 6379
    except ValueError:
        raise ConfigError(f"environment: REDIS_URL has no valid port: {_shown(url)!r}; expected {_URL_FORM}") from None
    if parts.scheme not in ("redis", "rediss"):
        raise ConfigError(f"environment: REDIS_URL must start with redis:// or rediss://, got {_shown(url)!r}")
    if not parts.hostname:
        raise ConfigError(f"environment: REDIS_URL names no host: {_shown(url)!r}; expected {_URL_FORM}")
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"db"})
    if unknown:
        raise ConfigError(f"environment: REDIS_URL options {', '.join(unknown)} are not supported by Rasa's lock store")
    db_text = query["db"][0] if "db" in query else unquote(parts.path).strip("/") or "0"
    if not db_text.isdigit():
        raise ConfigError(f"environment: REDIS_URL's database must be a number, got {db_text!r} in {_shown(url)!r}")
    return {
        "host": parts.hostname,
        "port": port,
        "db": int(db_text),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_ssl": parts.scheme == "rediss",
    }


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore, with every read-change-write of a lock done as one Redis transaction.

    Each change WATCHes the lock's key and writes with MULTI/EXEC; when another replica changed the key
    in between, Redis refuses the write and the change is made again on what is there now.
    """

    def _change(self, conversation_id: str, change: LockChange[Result]) -> Result:
        """Apply `change` (old lock -> result, new lock or None to delete) atomically; return the result."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    result, lock = change(TicketLock.from_dict(json.loads(stored)) if stored else None)
                    pipe.multi()
                    if lock is None or not lock.tickets:
                        pipe.delete(key)
                    else:
                        # The key goes when its last ticket expires, so a replica that died leaves nothing.
                        last_expiry = max(ticket.expires for ticket in lock.tickets)
                        pipe.set(key, lock.dumps(), px=max(1, int((last_expiry - time.time()) * 1000)))
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take_ticket(lock: TicketLock | None) -> tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, take_ticket)
        except Exception as error:  # as Rasa's LockStore.issue_ticket, so callers see a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[None, TicketLock | None]:
            if lock:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give back the ticket; the lock goes with the last ticket (in the same step, so no one's is lost)."""

        def give_back(lock: TicketLock | None) -> tuple[None, TicketLock | None]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, give_back)


def lock_store_from_env(env: Mapping[str, str] | None = None) -> LockStore:
    """AtomicRedisLockStore on REDIS_URL (keys prefixed by REDIS_KEY_PREFIX) if set, else in memory."""
    env = os.environ if env is None else env
    url = env.get("REDIS_URL", "").strip()
    if not url:
        workers = env.get("SANIC_WORKERS", "1").strip() or "1"
        if workers != "1":
            # Rasa allows several workers with any custom lock store; in memory, each would lock only itself.
            raise ConfigError(f"environment: SANIC_WORKERS={workers} needs REDIS_URL, so the workers share their locks")
        return InMemoryLockStore()
    return AtomicRedisLockStore(**redis_connection(url), key_prefix=redis_key_prefix(env))


class RedisUrlLockStore:
    """The type endpoints.yml names. Rasa builds a custom lock store as `type(endpoint_config=...)`;
    this one hands back the store `lock_store_from_env` picks, so Rasa works with that store itself
    (nothing in between to miss one of its methods)."""

    def __new__(cls, endpoint_config: Any = None, env: Mapping[str, str] | None = None) -> LockStore:
        return lock_store_from_env(env)
