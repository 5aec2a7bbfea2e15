"""The lock store endpoints.yml names: Redis when REDIS_URL is set, in memory when not, and Redis for real."""
from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.utils import AvailableEndpoints

from bot.config import DEFAULT_REDIS_KEY_PREFIX, ConfigError
from bot.lock_store import AtomicRedisLockStore, lock_store_from_env, redis_connection
from tests.conftest import PROJECT_ROOT
from tests.support.services import REDIS_URL, require_redis


def connection_of(store: RedisLockStore) -> dict:
    return store.red.connection_pool.connection_kwargs


def test_without_redis_url_the_locks_stay_in_memory():
    assert isinstance(lock_store_from_env({}), InMemoryLockStore)
    assert isinstance(lock_store_from_env({"REDIS_URL": "  "}), InMemoryLockStore)


def test_redis_url_gives_rasas_redis_lock_store_on_that_server():
    store = lock_store_from_env({"REDIS_URL": "redis://:hemmelig%40kode@redis.internal:6380/4"})
    assert isinstance(store, AtomicRedisLockStore) and isinstance(store, RedisLockStore)
    connection = connection_of(store)
    assert (connection["host"], connection["port"], connection["db"]) == ("redis.internal", 6380, 4)
    assert (connection["username"], connection["password"]) == (None, "hemmelig@kode")
    assert store.key_prefix == f"{DEFAULT_REDIS_KEY_PREFIX}:lock:"


def test_redis_url_defaults_user_tls_and_own_prefix():
    store = lock_store_from_env(
        {"REDIS_URL": "rediss://rasa:kode@10.0.0.5?db=2", "REDIS_KEY_PREFIX": "kommune2"}
    )
    connection = connection_of(store)
    assert (connection["host"], connection["port"], connection["db"]) == ("10.0.0.5", 6379, 2)
    assert (connection["username"], connection["password"]) == ("rasa", "kode")
    assert store.red.connection_pool.connection_class is redis.SSLConnection
    assert store.key_prefix == "kommune2:lock:"
    assert connection_of(lock_store_from_env({"REDIS_URL": "redis://127.0.0.1"}))["db"] == 0


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://127.0.0.1:6379/0", "must start with redis:// or rediss://"),
        ("127.0.0.1:6379", "must start with redis:// or rediss://"),
        ("redis://:topsecret@127.0.0.1:port/0", "no valid port"),
        ("redis://127.0.0.1:99999", "no valid port"),
        ("redis:///0", "names no host"),
        ("redis://:topsecret@127.0.0.1:6379/første", "database must be a number"),
        ("redis://127.0.0.1:6379/0?socket_timeout=5", "options socket_timeout are not supported"),
    ],
)
def test_a_bad_redis_url_stops_with_a_clear_message_without_the_password(url, says):
    with pytest.raises(ConfigError, match=says) as error:
        lock_store_from_env({"REDIS_URL": url})
    assert "topsecret" not in str(error.value)


def test_a_prefix_rasa_would_silently_drop_is_refused():
    with pytest.raises(ConfigError, match="REDIS_KEY_PREFIX must be letters and digits"):
        lock_store_from_env({"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": "kommune-2"})


def test_several_rasa_workers_need_redis():
    with pytest.raises(ConfigError, match="SANIC_WORKERS=2 needs REDIS_URL"):
        lock_store_from_env({"SANIC_WORKERS": "2"})
    assert isinstance(lock_store_from_env({"SANIC_WORKERS": "2", "REDIS_URL": REDIS_URL}), RedisLockStore)


def test_rasa_builds_the_lock_store_endpoints_yml_names(monkeypatch):
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / "endpoints.yml"))
    assert isinstance(LockStore.create(endpoints.lock_store), InMemoryLockStore)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")
    shared = LockStore.create(endpoints.lock_store)
    assert isinstance(shared, AtomicRedisLockStore) and connection_of(shared)["db"] == 5


class CountingLockStore(AtomicRedisLockStore):
    """A replica's lock store that counts how often it has looked at a lock."""

    looks = 0

    def get_lock(self, conversation_id):
        self.looks += 1
        return super().get_lock(conversation_id)


@pytest.fixture
def redis_env():
    require_redis()
    prefix = f"test{uuid.uuid4().hex}"
    yield {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


async def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.01)


async def test_two_replicas_take_turns_on_one_conversation_and_not_on_others(redis_env):
    replica_a = lock_store_from_env(redis_env)
    replica_b = CountingLockStore(**redis_connection(REDIS_URL), key_prefix=redis_env["REDIS_KEY_PREFIX"])
    order: list[str] = []

    async def replica_b_handles(conversation_id: str) -> None:
        async with replica_b.lock(conversation_id, wait_time_in_seconds=0.02):
            order.append(f"b {conversation_id}")

    async with replica_a.lock("borger-x", wait_time_in_seconds=0.02):
        order.append("a borger-x")
        waiting = asyncio.create_task(replica_b_handles("borger-x"))
        # Replica B has taken its ticket and looked at the lock several times, and still waits.
        await wait_for(lambda: replica_b.looks >= 5 or waiting.done())
        assert order == ["a borger-x"], "replica B handled the conversation while replica A held it"
        # Another citizen's conversation is not held up by this one.
        await asyncio.wait_for(replica_b_handles("borger-y"), 5)
        assert not waiting.done()
        order.append("a done")
    await asyncio.wait_for(waiting, 5)
    assert order == ["a borger-x", "b borger-y", "a done", "b borger-x"]
    assert replica_a.get_lock("borger-x") is None  # the last one out leaves nothing behind in Redis


def test_replicas_taking_tickets_at_the_same_moment_still_go_one_at_a_time(redis_env):
    """Each thread is a replica with its own connection; they all ask for the same conversation at once."""
    replicas, rounds = 4, 10
    start = threading.Barrier(replicas)
    guard = threading.Lock()
    inside, most_inside, handled, errors = [0], [0], [0], []

    async def handle_messages(store) -> None:
        for _ in range(rounds):
            async with store.lock("borger-x", wait_time_in_seconds=0.005):
                with guard:
                    inside[0] += 1
                    most_inside[0] = max(most_inside[0], inside[0])
                await asyncio.sleep(0.002)  # holds the lock a moment, as handling a message does
                with guard:
                    inside[0] -= 1
                    handled[0] += 1

    def replica() -> None:
        store = lock_store_from_env(redis_env)
        start.wait(10)
        try:
            asyncio.run(handle_messages(store))
        except Exception as error:  # noqa: BLE001 (a LockError here is a failure to report, not to hide)
            errors.append(repr(error))

    threads = [threading.Thread(target=replica) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert (handled[0], most_inside[0]) == (replicas * rounds, 1)
