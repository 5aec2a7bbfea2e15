"""`make bench`: speed and memory of the whole stack on this machine, printed as figures.

It starts Rasa, the action server and the gateway on free loopback ports with the trained model and
a throw-away SQLite database, then measures:
- one citizen through the gateway's websocket (what the widget does): time to the first reply;
- Rasa's REST channel alone, one user and many users at once: latency and messages per second;
- the resident memory of each process after the load;
- the console's statistics page and CSV export on a year at 2,000 conversations a day
  (`--statistics-only` runs just this part, without the stack).
Every loop is bounded in count and time; nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bot.config import PROJECT_ROOT
from bot.devstack import Stack, running_stack
from bot.evaluation.scoring import load_examples
from bot.training import MODEL_NAME

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
REPLY_TIMEOUT = 30.0


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


async def rasa_user(session: aiohttp.ClientSession, stack: Stack, texts: list[str], deadline: float) -> list[float]:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    latencies = []
    for text in texts:
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        async with session.post(
            f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as reply:
            await reply.read()
            reply.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def rasa_load(
    stack: Stack, texts: list[str], users: int, per_user: int, budget: float
) -> tuple[list[float], float]:
    deadline = time.monotonic() + budget
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.monotonic()
        chunks = [[texts[(u * per_user + i) % len(texts)] for i in range(per_user)] for u in range(users)]
        results = await asyncio.gather(*(rasa_user(session, stack, chunk, deadline) for chunk in chunks))
        return [ms for result in results for ms in result], time.monotonic() - started


async def widget_citizen(stack: Stack, texts: list[str], budget: float) -> list[float]:
    """One citizen on the widget's websocket; the time from sending a message to the assistant's first reply."""
    deadline = time.monotonic() + budget
    url = stack.gateway_url.replace("http://", "ws://") + "/ws"
    latencies = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=budget + 30)) as session:
        async with session.ws_connect(url, origin=stack.gateway_url) as socket:
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
                # The widget's per-connection rate limit is part of the product; stay under it.
                await asyncio.sleep(1.3)
    return latencies


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
            client.post("/staff/login", data={"username": "anna", "password": PASSWORD,
                                              "csrf_token": login_token(form.text), "next": "/staff"})
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / f"{MODEL_NAME}.tar.gz")
    parser.add_argument("--users", type=int, default=16, help="concurrent users for the load run")
    parser.add_argument("--seconds", type=float, default=30.0, help="time budget of each run")
    parser.add_argument("--statistics-only", action="store_true", help="only time the statistics page and export")
    args = parser.parse_args()
    if args.statistics_only:
        statistics_timings()
        return
    if not args.model.exists():
        raise SystemExit(f"No model at {args.model}: run `make train` first.")

    texts = [text for text, _ in load_examples(HELDOUT)]
    print(f"Starting the stack with {args.model.name} (Rasa takes a minute to load) ...", flush=True)
    with tempfile.TemporaryDirectory() as scratch, running_stack(args.model, Path(scratch)) as stack:
        asyncio.run(rasa_load(stack, texts[:5], users=1, per_user=5, budget=60))  # warm-up
        print(f"\nBorgerhjælp benchmark, {time.strftime('%Y-%m-%d')}, {len(texts)} held-out sentences as input\n")
        widget = asyncio.run(widget_citizen(stack, texts[::7][:30], budget=args.seconds * 2))
        print(describe("widget websocket, 1 citizen (to first reply)", widget))
        single, seconds = asyncio.run(rasa_load(stack, texts, users=1, per_user=60, budget=args.seconds))
        print(describe("Rasa REST, 1 user", single, seconds))
        many, seconds = asyncio.run(rasa_load(stack, texts, users=args.users, per_user=40, budget=args.seconds))
        print(describe(f"Rasa REST, {args.users} users at once", many, seconds))
        print("\nResident memory after the load:")
        for name, pid in stack.child_pids().items():
            print(f"  {name:<10} {resident_memory_mb(pid):7.0f} MB")
    statistics_timings()


if __name__ == "__main__":
    main()
