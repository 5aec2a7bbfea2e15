"""`make bench`: speed and memory of the whole stack on this machine, printed as figures.

In one run, with the same closed-loop load (each simulated citizen writes again when the last answer
came), it measures through Rasa's REST channel:
- a stock Rasa 3.6 bot from `rasa init` (default config, in-memory tracker; built once, see
  bot/stock_bot.py), the yardstick;
- Borgerhjælp as `make run` starts it (SQLite, one process each), and with `--scaled N` also on
  PostgreSQL and Redis with N Rasa workers;
and prints both and their ratio at 1, 8 and 32 citizens. Then the whole path through the gateway's
widget socket at 1 and 32 citizens, and each process's resident memory.
Every loop is bounded in count and time; nothing leaves 127.0.0.1. No figure passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.config import PROJECT_ROOT
from bot.devstack import running_stack
from bot.evaluation.heldout import load_heldout
from bot.stock_bot import running_stock_bot, stock_model
from bot.training import MODEL_NAME

REPLY_TIMEOUT = 30.0
# A citizen reads the answer before writing again, and the widget's rate limit expects that pace.
WIDGET_PAUSE = 1.3
# Every simulated citizen comes from 127.0.0.1, where real ones have addresses of their own: the
# widget's per-address limits get room for all of them (each citizen's own limits stay as they are).
ONE_ADDRESS_FOR_ALL_CITIZENS = {
    "WIDGET_CONNECTIONS_PER_ADDRESS": "1000",
    "WIDGET_ADDRESS_MESSAGES": "10000",
    "WIDGET_ADDRESS_FRAMES_PER_MINUTE": "100000",
    "WIDGET_ADDRESS_CONVERSATIONS_PER_HOUR": "10000",
}
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(share * len(ordered))) - 1)]


def describe(label: str, latencies_ms: list[float], seconds: float | None = None) -> str:
    line = (
        f"{label:<44} n={len(latencies_ms):<4} p50 {statistics.median(latencies_ms):7.1f} ms"
        f"   p95 {percentile(latencies_ms, 0.95):7.1f} ms"
    )
    if seconds:
        line += f"   {len(latencies_ms) / seconds:6.1f} msg/s"
    return line


async def rest_citizen(session: aiohttp.ClientSession, url: str, texts: list[str], deadline: float) -> list[float]:
    """One citizen in a closed loop on a Rasa REST webhook: the next message leaves when the answer came."""
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    latencies = []
    for text in texts:
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
            await reply.read()
            reply.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def rest_load(
    url: str, texts: list[str], citizens: int, per_citizen: int, budget: float
) -> tuple[list[float], float]:
    """`citizens` closed loops at once against one REST webhook; every latency, and the seconds it took."""
    deadline = time.monotonic() + budget
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=citizens)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.monotonic()
        chunks = [[texts[(c * per_citizen + i) % len(texts)] for i in range(per_citizen)] for c in range(citizens)]
        results = await asyncio.gather(*(rest_citizen(session, url, chunk, deadline) for chunk in chunks))
        return [ms for result in results for ms in result], time.monotonic() - started


async def widget_citizen(gateway_url: str, texts: list[str], deadline: float, pause: float) -> list[float]:
    """One citizen on the widget's websocket; the time from sending a message to the assistant's first reply."""
    url = gateway_url.replace("http://", "ws://") + "/ws"
    latencies: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
        async with session.ws_connect(url, origin=gateway_url) as socket:
            await socket.send_json(
                {"type": "hello", "visitor_id": uuid.uuid4().hex, "conversation_id": None, "after": 0}
            )
            await socket.send_json({"type": "start"})
            await _until(socket, lambda m: m.get("type") == "message" and m["message"].get("sender") == "bot")
            for text in texts:
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                await socket.send_json(
                    {"type": "message", "client_id": uuid.uuid4().hex, "text": text, "payload": None}
                )
                await _until(socket, lambda m: m.get("type") == "message" and m["message"].get("sender") == "bot")
                latencies.append((time.perf_counter() - started) * 1000)
                # Drain the rest of this answer ("Hjalp det?") so it is not taken for the next reply.
                await _drain(socket, 0.3)
                # The widget's rate limit is part of the product: a citizen's pace stays under it.
                await asyncio.sleep(pause)
    return latencies


async def widget_load(
    gateway_url: str, texts: list[str], citizens: int, per_citizen: int, budget: float
) -> list[float]:
    deadline = time.monotonic() + budget
    chunks = [[texts[(c * per_citizen + i) % len(texts)] for i in range(per_citizen)] for c in range(citizens)]
    results = await asyncio.gather(*(widget_citizen(gateway_url, chunk, deadline, WIDGET_PAUSE) for chunk in chunks))
    return [ms for result in results for ms in result]


async def _until(socket: aiohttp.ClientWebSocketResponse, wanted) -> dict:
    while True:
        raw = await asyncio.wait_for(socket.receive(), timeout=REPLY_TIMEOUT)
        if raw.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"the gateway closed the socket: {raw.type}")
        message = json.loads(raw.data)
        if message.get("type") == "error":
            raise RuntimeError(f"the gateway refused a message: {message}")
        if wanted(message):
            return message


async def _drain(socket: aiohttp.ClientWebSocketResponse, seconds: float) -> None:
    try:
        while True:
            await asyncio.wait_for(socket.receive(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


def resident_memory_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class Throughput:
    citizens: int
    latencies: list[float]
    seconds: float

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


def closed_loop(url: str, texts: list[str], citizens: int, budget: float) -> Throughput:
    per_citizen = max(20, 240 // citizens)
    latencies, seconds = asyncio.run(rest_load(url, texts, citizens, per_citizen, budget))
    return Throughput(citizens, latencies, seconds)


def comparison_table(stock: list[Throughput], ours: list[Throughput]) -> list[str]:
    lines = [
        "| citizens | stock rasa init: msg/s | p50 | Borgerhjælp: msg/s | p50 | ratio (msg/s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for theirs, mine in zip(stock, ours, strict=True):
        ratio = mine.per_second / theirs.per_second if theirs.per_second else float("nan")
        lines.append(
            f"| {mine.citizens} | {theirs.per_second:.1f} | {theirs.p50:.0f} ms | {mine.per_second:.1f} | "
            f"{mine.p50:.0f} ms | {ratio:.2f} |"
        )
    return lines


@contextlib.contextmanager
def scaled_setup(workers: int) -> Iterator[dict[str, str]]:
    """PostgreSQL for the tracker and the gateway, Redis for the locks, `workers` Sanic workers in Rasa."""
    import psycopg2

    try:
        admin = psycopg2.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3)
    except psycopg2.OperationalError as error:
        raise SystemExit(f"--scaled needs PostgreSQL at {POSTGRES_SERVER}: {error}") from None
    admin.autocommit = True
    name = f"borgerhjaelpbench{uuid.uuid4().hex[:8]}"  # letters and digits: also the Redis key prefix
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield {
            "DATABASE_URL": f"{POSTGRES_SERVER}/{name}",
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": name,
            "SANIC_WORKERS": str(workers),
        }
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def statistics_timings(days: int = 365, per_day: int = 2000, live_days: int = 30) -> None:
    """Fill a scratch database with a year (the last `live_days` days in full, the rest as the
    retention purge leaves them) and time the statistics page and the CSV export over real HTTP."""
    from datetime import date, timedelta

    import httpx

    from bot.console import ConsoleSettings
    from bot.insight.sample import fill
    from tests.console.support import PASSWORD, login_token, running_gateway

    with tempfile.TemporaryDirectory() as scratch, running_gateway(Path(scratch), ConsoleSettings()) as gateway:
        today = date.today()
        started = time.perf_counter()
        written = fill(gateway.db, gateway.municipality, today, days=days, live_days=live_days, per_day=per_day)
        print(
            f"\nStatistics: {days} days at {per_day} conversations a weekday"
            f" ({written} in full, the last {live_days} days),"
            f" written in {time.perf_counter() - started:.0f} s"
        )
        with httpx.Client(base_url=gateway.url, timeout=600) as client:
            form = client.get("/staff/login")
            client.post(
                "/staff/login",
                data={"username": "anna", "password": PASSWORD, "csrf_token": login_token(form.text), "next": "/staff"},
            )
            month = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
            year = f"from={(today - timedelta(days=days - 1)).isoformat()}&to={today.isoformat()}"
            for label, path in (
                ("page, last 30 days, first visit", f"/staff/statistics?{month}"),
                ("page, last 30 days, again", f"/staff/statistics?{month}"),
                ("page, the year by month", f"/staff/statistics?{year}&group=month"),
                ("CSV export, the year", f"/staff/statistics.csv?{year}"),
            ):
                started = time.perf_counter()
                response = client.get(path)
                response.raise_for_status()
                print(f"  {label:<44} {1000 * (time.perf_counter() - started):8.0f} ms")


def profile_widget_path(stack, texts: list[str], directory: Path, seconds: float, citizens: int = 8) -> None:
    """A separate widget load while py-spy samples every process of the stack (profiling slows them,
    so the figures above come from runs without it)."""
    from bot.profiling import Recording, report

    directory.mkdir(parents=True, exist_ok=True)
    recording = Recording(stack.child_pids(), directory)
    try:
        latencies = asyncio.run(
            widget_load(stack.gateway_url, texts[::5], citizens, max(10, 120 // citizens), seconds * 2)
        )
    finally:
        profiles = recording.stop()
    print(f"\nProfile of the whole path (widget socket, {citizens} citizens, py-spy at ~100 Hz):")
    print("\n".join(report(profiles, len(latencies))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / f"{MODEL_NAME}.tar.gz")
    parser.add_argument("--seconds", type=float, default=30.0, help="time budget of each load run")
    parser.add_argument("--citizens", type=int, nargs="+", default=[1, 8, 32], help="closed loops at once")
    parser.add_argument(
        "--scaled",
        type=int,
        default=0,
        metavar="WORKERS",
        help="also run Borgerhjælp on PostgreSQL and Redis with this many Rasa workers",
    )
    parser.add_argument("--statistics-only", action="store_true", help="only time the statistics page and export")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also sample the default stack with py-spy under widget load: where a message's milliseconds go",
    )
    parser.add_argument(
        "--profile-only",
        action="store_true",
        help="only the profile of the default stack (CPU time per message does not depend on the machine's load)",
    )
    args = parser.parse_args()
    if args.statistics_only:
        statistics_timings()
        return
    if not args.model.exists():
        raise SystemExit(f"No model at {args.model}: run `make train` first.")
    if args.profile_only:
        texts = [text for text, _ in load_heldout()]
        with tempfile.TemporaryDirectory() as scratch, running_stack(args.model, Path(scratch)) as stack:
            closed_loop(stack.rasa_url, texts[:5], 1, 60)  # warm-up
            profile_widget_path(stack, texts, Path(scratch) / "profile", args.seconds)
        return

    texts = [text for text, _ in load_heldout()]
    stock = stock_model()
    print(
        f"\nBorgerhjælp benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {len(texts)} held-out sentences as input,"
        f" {os.cpu_count()} cores\n",
        flush=True,
    )

    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        with running_stock_bot(stock, scratch_dir / "stock.log") as (stock_url, stock_pid):
            closed_loop(stock_url, texts[:5], 1, 60)  # warm-up
            stock_runs = [closed_loop(stock_url, texts, n, args.seconds) for n in args.citizens]
            stock_memory = resident_memory_mb(stock_pid)

        setups: list[tuple[str, dict[str, str] | None]] = [("SQLite, one process each", None)]
        if args.scaled:
            setups.append((f"PostgreSQL, Redis, {args.scaled} Rasa workers", {}))
        for label, _ in setups:
            with contextlib.ExitStack() as stack_context:
                env = stack_context.enter_context(scaled_setup(args.scaled)) if "Redis" in label else {}
                directory = scratch_dir / ("scaled" if env else "default")
                directory.mkdir()
                print(f"Starting Borgerhjælp ({label}) ...", flush=True)
                stack_env = {**env, **ONE_ADDRESS_FOR_ALL_CITIZENS}
                stack = stack_context.enter_context(running_stack(args.model, directory, env=stack_env))
                closed_loop(stack.rasa_url, texts[:5], 1, 60)  # warm-up
                ours = [closed_loop(stack.rasa_url, texts, n, args.seconds) for n in args.citizens]
                print(f"\nRasa REST channel, closed loop, Borgerhjælp ({label}) against the stock bot:\n")
                print("\n".join(comparison_table(stock_runs, ours)), flush=True)
                if env:
                    continue
                print("\nThe whole path through the gateway's widget socket (time to the first reply):")
                for citizens in (1, 32):
                    latencies = asyncio.run(
                        widget_load(stack.gateway_url, texts[::7], citizens, max(10, 60 // citizens), args.seconds * 2)
                    )
                    print(describe(f"widget websocket, {citizens} citizen(s)", latencies))
                print("\nResident memory after the load:")
                for name, pid in stack.child_pids().items():
                    print(f"  {name:<12} {resident_memory_mb(pid):7.0f} MB")
                print(f"  {'stock rasa':<12} {stock_memory:7.0f} MB")
                if args.profile:
                    profile_widget_path(stack, texts, directory / "profile", args.seconds)
    statistics_timings()


if __name__ == "__main__":
    main()
