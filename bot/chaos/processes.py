"""The run's own processes: PostgreSQL, Redis, Rasa, the action server and two gateway replicas.

Every part is started here in a process group of its own (`start_new_session`), so a SIGKILL of the
group is the part crashing with everything it started, and `start` again is an operator (or
systemd) bringing it back. PostgreSQL and Redis are the run's own, on free loopback ports, in a
temporary directory: the machine's servers are never touched. PostgreSQL's initdb refuses root, so
as root it runs as the `postgres` user.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.devstack import PROJECT, free_port
from bot.supervisor import url_ready

POSTGRES_BIN = Path(os.environ.get("CHAOS_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "borgerhjaelp"
STOP_WAIT = 10.0


@dataclass
class Part:
    """One process group the run starts, kills and starts again."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log: Path
    ready: Callable[[], bool]
    user: str | None = None  # run as this user (PostgreSQL refuses to run as root)
    process: subprocess.Popen | None = None
    starts: list[float] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"\n--- chaos: starting {self.name} at {time.strftime('%H:%M:%S')} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                list(self.argv), cwd=self.log.parent if self.user else PROJECT, env=dict(self.env), stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, **_as_user(self.user),
            )
        self.starts.append(time.monotonic())

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: no shutdown handler runs, as in a crash."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_WAIT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a bounded wait: the clean-up at the end."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_WAIT)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def wait_ready(self, timeout: float) -> float:
        """Seconds until it answers; raises when it does not within `timeout` or its process ended."""
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited ({self.process and self.process.returncode}); see {self.log}")
            if self.ready():
                return time.monotonic() - started
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")


def _as_user(user: str | None) -> dict:
    return {"user": user, "group": user, "extra_groups": []} if user else {}


def _postgres_user() -> str | None:
    return "postgres" if os.geteuid() == 0 else None


def postgres_answers(port: int) -> bool:
    import psycopg2

    try:
        psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=1).close()
        return True
    except psycopg2.OperationalError:
        return False


@dataclass
class Cluster:
    directory: Path
    model: Path
    extra_env: Mapping[str, str]
    parts: dict[str, Part] = field(default_factory=dict)
    gateway_ports: list[int] = field(default_factory=list)
    database_url: str = ""
    rasa_url: str = ""
    redis_url: str = ""

    def gateway_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports]

    # Starting ------------------------------------------------------------------------------------

    def start_services(self) -> None:
        """The run's own PostgreSQL (a fresh cluster) and Redis."""
        pg_port, redis_port = free_port(), free_port()
        data = self.directory / "pgdata"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        initdb = [str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        subprocess.run(
            initdb, cwd=self.directory, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=120,
            **_as_user(_postgres_user()),
        )
        postgres_argv = [
            str(POSTGRES_BIN / "postgres"), "-D", str(data), "-p", str(pg_port), "-k", str(self.directory),
            "-h", "127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200",
        ]
        self._add("postgres", postgres_argv, _plain_env(), lambda: postgres_answers(pg_port), _postgres_user())
        self.parts["postgres"].start()
        self.parts["postgres"].wait_ready(60)
        import psycopg2

        admin = psycopg2.connect(host="127.0.0.1", port=pg_port, user="postgres", dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{DATABASE}"')
        admin.close()
        self.database_url = f"postgresql://postgres@127.0.0.1:{pg_port}/{DATABASE}"
        redis_argv = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
        redis_argv += ["--appendonly", "no"]
        self._add("redis", redis_argv, _plain_env(), lambda: _port_open(redis_port))
        self.parts["redis"].start()
        self.parts["redis"].wait_ready(30)
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"

    def start_stack(self, start_timeout: float) -> None:
        """Rasa, the action server and two gateway replicas, as `python -m bot run` starts them."""
        from bot.__main__ import stack_children

        rasa_port, actions_port = free_port(), free_port()
        self.gateway_ports = [free_port(), free_port()]
        token = secrets.token_urlsafe(16)
        self.rasa_url = f"http://127.0.0.1:{rasa_port}"
        env = {
            "RASA_TOKEN": token,
            "RASA_URL": self.rasa_url,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.gateway_ports[0]),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "REDIS_KEY_PREFIX": "chaos",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        args = argparse.Namespace(
            rasa_port=rasa_port, actions_port=actions_port, gateway_port=self.gateway_ports[0],
            endpoints=str(PROJECT / "endpoints.yml"), quiet=True,
        )
        base = {**os.environ, "BORGERHJAELP_QUIET": "1"}
        for spec in stack_children(args, env, self.model):
            specs = [(spec.name, spec.env)]
            if spec.name == "gateway":
                specs = [
                    (f"gateway-{index}", {**spec.env, "GATEWAY_PORT": str(port)})
                    for index, port in enumerate(self.gateway_ports)
                ]
            for name, child_env in specs:
                environment = {k: v for k, v in {**base, **child_env}.items() if k not in spec.unset}
                ready_url = spec.ready_url
                if name.startswith("gateway-"):
                    ready_url = f"http://127.0.0.1:{child_env['GATEWAY_PORT']}/health"
                self._add(name, spec.argv, environment, functools.partial(url_ready, ready_url, timeout=1))
        # The database's tables first (as `python -m bot run` does), so the replicas do not race to make them.
        from bot.store import Database

        database = Database(self.database_url)
        database.upgrade()
        database.dispose()
        for name in ("actions", "rasa", "gateway-0", "gateway-1"):
            self.parts[name].start()
        for name in ("actions", "gateway-0", "gateway-1", "rasa"):
            self.parts[name].wait_ready(start_timeout)

    def _add(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], ready: Callable[[], bool], user: str | None = None
    ) -> None:
        self.parts[name] = Part(name, list(argv), env, self.directory / f"{name}.log", ready, user)

    # Faults --------------------------------------------------------------------------------------

    def all_ready(self) -> bool:
        return all(part.alive and part.ready() for part in self.parts.values())

    def stop_all(self) -> None:
        for name in ("gateway-0", "gateway-1", "rasa", "actions", "redis", "postgres"):
            part = self.parts.get(name)
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_cluster(
    directory: Path, model: Path, extra_env: Mapping[str, str], start_timeout: float
) -> Iterator[Cluster]:
    cluster = Cluster(directory, model, extra_env)
    try:
        cluster.start_services()
        cluster.start_stack(start_timeout)
        yield cluster
    finally:
        cluster.stop_all()


def _plain_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
