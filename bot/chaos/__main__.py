"""`make chaos` (`python -m bot.chaos`): citizens chat through two gateway replicas while Rasa, the
action server, one gateway replica and PostgreSQL are each killed (SIGKILL) and started again in
turn; then the run waits for the stack to catch up and prints what was sent, stored, answered,
told "delayed", lost and doubled (bot/chaos/figures.py defines each). Exit code 1 when anything
was lost or doubled.

Half the citizens use the widget's websocket, half Telegram through the fake Bot API. PostgreSQL
and Redis are the run's own, on free loopback ports (bot/chaos/processes.py); nothing leaves
127.0.0.1, and every wait is bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.chaos.citizens import Citizen, TelegramSide, WidgetCitizen, questions, telegram_citizen
from bot.chaos.figures import count
from bot.chaos.processes import Cluster, running_cluster
from bot.config import PROJECT_ROOT
from bot.store import Database, Message, telegram_outbox
from bot.training import MODEL_NAME

FAULTS = ("rasa", "actions", "gateway-0", "postgres")
WEBHOOK_PATH = "/telegram/webhook"
# Every simulated citizen comes from 127.0.0.1 (as in `make bench`): the per-address limits get room.
ONE_ADDRESS = {
    "WIDGET_CONNECTIONS_PER_ADDRESS": "1000",
    "WIDGET_ADDRESS_MESSAGES": "10000",
    "WIDGET_ADDRESS_FRAMES_PER_MINUTE": "100000",
    "WIDGET_ADDRESS_CONVERSATIONS_PER_HOUR": "10000",
}


def log(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


async def faults(cluster: Cluster, order: list[str], down: float, gap: float, start_timeout: float) -> list[str]:
    timeline = []
    started = time.monotonic()
    for name in order:
        part = cluster.parts[name]
        at = time.monotonic() - started
        log(f"SIGKILL {name}")
        part.kill()
        await asyncio.sleep(down)
        part.start()
        back = await asyncio.to_thread(part.wait_ready, start_timeout)
        await asyncio.to_thread(_until, cluster.all_ready, start_timeout)
        log(f"{name} is back, {down + back:.0f} s after the kill")
        timeline.append(f"{name} killed at +{at:.0f} s, answering again {down + back:.0f} s later")
        await asyncio.sleep(gap)
    return timeline


def _until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def _caught_up(db: Database) -> bool:
    """No citizen message waits for Rasa and nothing waits to go to Telegram."""
    try:
        with db.session() as session:
            waiting = session.scalar(select(func.count()).select_from(Message).where(Message.rasa_status == "pending"))
        return not waiting and not telegram_outbox.pending(db)
    except Exception:
        return False


async def chaos(cluster: Cluster, fake, args: argparse.Namespace, secret: str) -> int:
    texts = questions()
    widgets = args.citizens - args.citizens // 2
    citizens = [Citizen(f"w{i:02d}", "web", secrets.token_hex(12)) for i in range(widgets)]
    citizens += [Citizen(f"t{i:02d}", "telegram", str(880_000 + i)) for i in range(args.citizens - widgets)]
    stop_writing, finish = asyncio.Event(), asyncio.Event()
    hard_deadline = time.monotonic() + args.max_minutes * 60
    urls = cluster.gateway_urls()
    side = TelegramSide(fake, urls, secret, WEBHOOK_PATH)
    tasks = []
    for index, citizen in enumerate(citizens):
        if citizen.channel == "web":
            widget = WidgetCitizen(citizen, urls, texts, index)
            tasks.append(asyncio.create_task(widget.run(stop_writing, finish, hard_deadline)))
        else:
            chat = telegram_citizen(citizen, side, texts, index, stop_writing, hard_deadline)
            tasks.append(asyncio.create_task(chat))
    log(f"{len(citizens)} citizens chatting ({widgets} widget, {len(citizens) - widgets} Telegram)")
    await asyncio.sleep(args.gap)
    order = [name for name in FAULTS if name in args.faults]
    timeline = await faults(cluster, order, args.down, args.gap, args.start_timeout)
    stop_writing.set()
    log("citizens stop writing; waiting for the stack to catch up")
    db = Database(cluster.database_url)
    try:
        caught_up = await asyncio.to_thread(_until, lambda: _caught_up(db), args.drain)
        await asyncio.sleep(5)  # the last answers on their way to the sockets
        finish.set()
        await asyncio.wait(tasks, timeout=60)
        for task in tasks:
            task.cancel()
        figures = await asyncio.to_thread(count, db, citizens, fake)
    finally:
        db.dispose()
    print(
        f"\nBorgerhjælp chaos run, {time.strftime('%Y-%m-%d %H:%M %Z')}: {len(citizens)} citizens "
        f"({widgets} widget, {len(citizens) - widgets} Telegram), 2 gateway replicas, PostgreSQL + Redis"
    )
    for line in timeline:
        print(f"  {line}")
    if not caught_up:
        print(f"  (the stack had not caught up {args.drain:.0f} s after the last fault)")
    reconnects = sum(c.reconnects for c in citizens)
    retries = sum(c.webhook_retries for c in citizens)
    print(f"  widget reconnects {reconnects}, Telegram webhook posts tried again {retries}\n")
    print("\n".join(figures.lines()))
    for line in figures.details[:30] + [p for c in citizens for p in c.problems][:20]:
        print(f"  - {line}")
    return 1 if figures.lost or figures.doubled else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / f"{MODEL_NAME}.tar.gz")
    parser.add_argument("--citizens", type=int, default=20)
    parser.add_argument("--faults", nargs="+", default=list(FAULTS), choices=FAULTS)
    parser.add_argument("--gap", type=float, default=20.0, help="seconds of chatting before and after each fault")
    parser.add_argument("--down", type=float, default=3.0, help="seconds a killed part stays down")
    parser.add_argument("--drain", type=float, default=120.0, help="at most this long for the stack to catch up")
    parser.add_argument("--start-timeout", type=float, default=600.0)
    parser.add_argument("--max-minutes", type=float, default=30.0, help="every citizen stops by then")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs")
    args = parser.parse_args()
    if not args.model.exists():
        raise SystemExit(f"No model at {args.model}: run `make train` first (or pass --model).")
    from tests.support.servers import serve_in_thread
    from tests.telegram.fake_bot_api import TOKEN, FakeBotAPI

    directory = Path(tempfile.mkdtemp(prefix="borgerhjaelp-chaos-"))
    secret = secrets.token_urlsafe(24)
    fake = FakeBotAPI()
    code = 1
    try:
        with serve_in_thread(fake.app()) as fake_url:
            fake.url = fake_url
            env = {
                **ONE_ADDRESS,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": fake_url,
                "TELEGRAM_MODE": "webhook",
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1{WEBHOOK_PATH}",
                "TELEGRAM_WEBHOOK_SECRET": secret,
                "TELEGRAM_MAX_BACKOFF": "5",
                "RETRY_INTERVAL": "1",
                "RASA_TIMEOUT": "30",
            }
            log(f"starting PostgreSQL, Redis, Rasa, the action server and two gateways (logs in {directory})")
            with running_cluster(directory, args.model, env, args.start_timeout) as cluster:
                log("all parts answer")
                code = asyncio.run(chaos(cluster, fake, args, secret))
    finally:
        if args.keep:
            print(f"Logs: {directory}")
        else:
            with contextlib.suppress(OSError):
                shutil.rmtree(directory)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
