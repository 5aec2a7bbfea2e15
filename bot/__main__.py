"""Borgerhjælp's command line: `python -m bot <command>`.

Each command is a function registered with `@command`; a new one (e.g. `staff add`) is one more
function here or in a module imported below.
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import ConfigError, Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
Handler = Callable[[argparse.Namespace], int]
_COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = []


def command(name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None):
    def register(handler: Handler) -> Handler:
        _COMMANDS.append((name, help, arguments, handler))
        return handler

    return register


def _port(url: str, default: int) -> int:
    return urlsplit(url).port or default


def _stack_arguments(parser: argparse.ArgumentParser) -> None:
    settings = Settings.from_env()
    parser.add_argument("--model", default=os.environ.get("RASA_MODEL", "models"), help="model file or folder")
    parser.add_argument("--endpoints", default="endpoints.yml", help="Rasa endpoints file")
    parser.add_argument("--rasa-port", type=int, default=_port(settings.rasa_url, 5005))
    parser.add_argument("--actions-port", type=int, default=_port(settings.action_server_url, 5055))
    parser.add_argument("--gateway-port", type=int, default=settings.gateway_port)
    parser.add_argument("--quiet", action="store_true", help="print only the supervisor's own lines")


def stack_environment(args: argparse.Namespace, token: str) -> dict[str, str]:
    """What all three children are told, so they find each other on the chosen ports."""
    settings = Settings.from_env()
    return {
        "RASA_TOKEN": token,
        "RASA_URL": f"http://127.0.0.1:{args.rasa_port}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{args.actions_port}/webhook",
        "GATEWAY_HOST": settings.gateway_host,
        "GATEWAY_PORT": str(args.gateway_port),
        "DATABASE_URL": settings.database_url,
    }


def staff_account_count(database) -> int:
    from sqlalchemy import func, select

    from bot.store import StaffMember

    with database.session() as session:
        return session.scalar(select(func.count()).select_from(StaffMember)) or 0


def ready_message(gateway_url: str, rasa_url: str, actions_port: int, staff_accounts: int) -> str:
    """What `make run` prints once all three parts answer: where to go, and the first step if any is left."""
    lines = [
        "",
        "Borgerhjælp is running.",
        f"  Web widget demo page: {gateway_url}/",
        f"  Staff console:        {gateway_url}/staff",
        f"  Rasa (loopback only): {rasa_url}   action server: http://127.0.0.1:{actions_port}",
    ]
    if not staff_accounts:
        # Without an account nobody can log in to the console; say how, rather than leave a login page.
        lines += [
            "  No staff accounts yet. Make the first admin in another terminal:",
            "    .venv/bin/python -m bot staff add <username> --first-name <Fornavn> --admin",
        ]
    lines += ["Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def stack_children(args: argparse.Namespace, env: dict[str, str], model: Path) -> list:
    """Rasa, the action server and the gateway as the supervisor starts them.

    Rasa's token goes only to Rasa and the gateway, in their environment: never on a command line
    (`ps` shows those to every user), and not to the action server, which never calls Rasa."""
    from bot.quiet import command as module_command
    from bot.supervisor import ChildSpec

    rasa_argv = module_command(
        "bot.rasa_launch", "run", "--enable-api", "-i", "127.0.0.1", "-p", str(args.rasa_port),
        "--model", str(model), "--connector", "rest",
    )
    if Path(args.endpoints).exists():
        rasa_argv += ["--endpoints", args.endpoints]
    quiet = {"LOG_LEVEL": "WARNING", "LOG_LEVEL_LIBRARIES": "ERROR"} if args.quiet else {}
    gateway_url = f"http://{env['GATEWAY_HOST']}:{args.gateway_port}"
    return [
        ChildSpec("rasa", rasa_argv, f"{env['RASA_URL']}/status?token={env['RASA_TOKEN']}", {**env, **quiet}),
        ChildSpec(
            "actions",
            module_command("rasa", "run", "actions", "--actions", "actions", "-p", str(args.actions_port)),
            f"http://127.0.0.1:{args.actions_port}/health",
            {**env, **quiet, "SANIC_HOST": "127.0.0.1"},
            unset=("RASA_TOKEN",),
        ),
        ChildSpec("gateway", [sys.executable, "-m", "bot", "gateway"], f"{gateway_url}/health", {**env, **quiet}),
    ]


@command("run", "start Rasa, the action server and the gateway; Ctrl-C stops all three", _stack_arguments)
def run(args: argparse.Namespace) -> int:
    from bot.channels.telegram import TelegramSettings
    from bot.store import Database
    from bot.supervisor import Supervisor

    model = Path(args.model)
    if not model.exists() or (model.is_dir() and not any(model.glob("*.tar.gz"))):
        print(f"No trained model in {model}/. Run `make train` first.", file=sys.stderr)
        return 1
    token = os.environ.get("RASA_TOKEN") or secrets.token_urlsafe(32)
    env = stack_environment(args, token)
    database = Database(env["DATABASE_URL"])
    database.upgrade()
    accounts = staff_account_count(database)
    from bot.learning.trainer import serving_model_path

    # A model put in use from the console ("Modeller") is what Rasa starts with, after a restart too.
    model = serving_model_path(database) or model
    database.dispose()

    gateway_url = f"http://{env['GATEWAY_HOST']}:{args.gateway_port}"
    children = stack_children(args, env, model)

    def ready() -> None:
        print(ready_message(gateway_url, env["RASA_URL"], args.actions_port, accounts), flush=True)

    print(TelegramSettings.from_env().status_line(), flush=True)
    print("Starting Rasa, the action server and the gateway (Rasa takes a minute to load the model) ...", flush=True)
    return Supervisor(children, on_ready=ready).run()


def _gateway_arguments(parser: argparse.ArgumentParser) -> None:
    settings = Settings.from_env()
    parser.add_argument("--host", default=settings.gateway_host)
    parser.add_argument("--port", type=int, default=settings.gateway_port)


@command("gateway", "run only the gateway (web widget, API); Rasa must be running", _gateway_arguments)
def gateway(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "bot.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        ws="wsproto",  # uvicorn's websockets choice needs websockets>=13; Rasa pins 10.x
        ws_max_size=64 * 1024,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        timeout_graceful_shutdown=5,
    )
    return 0


def _shell_arguments(parser: argparse.ArgumentParser) -> None:
    _stack_arguments(parser)
    parser.add_argument("--gateway-url", default=None, help="talk to a gateway already running there")


@command("shell", "chat with the assistant in the terminal (starts the stack if it is not running)", _shell_arguments)
def shell(args: argparse.Namespace) -> int:
    from bot.terminal_chat import chat

    return chat(args)


def _purge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=None, help="retention in days (default: RETENTION_DAYS or 30)")


@command("purge", "delete conversations, trackers and past bookings older than the retention", _purge_arguments)
def purge(args: argparse.Namespace) -> int:
    from bot.gateway.retention import purge_all
    from bot.privacy.deletion import audit_retention_days_from_env
    from bot.store import Database

    settings = Settings.from_env()
    days = args.days if args.days is not None else settings.retention_days
    if days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    database = Database(settings.database_url)
    database.upgrade()
    audit_days = audit_retention_days_from_env()
    result = purge_all(database, days, audit_days=audit_days)
    database.dispose()
    print(
        f"Deleted {result.conversations} conversation(s) and {result.tracker_conversations} assistant tracker(s) "
        f"with nothing newer than {days} days, and {result.bookings} booking(s) that were more than {days} days ago; "
        f"{result.login_counts} quiet log-in count(s) and {result.audit_entries} audit log entr(y/ies) older than "
        f"{max(days, audit_days)} days."
    )
    return 0


def _staff_arguments(parser: argparse.ArgumentParser) -> None:
    from bot.console.cli import add_arguments

    add_arguments(parser)


@command("staff", "staff accounts for the console: add, list, passwd, disable, enable", _staff_arguments)
def staff(args: argparse.Namespace) -> int:
    from bot.console.cli import run as run_staff

    return run_staff(args)


def _nlu_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["export"], help="export: write the kept examples to data/nlu/learned.yml")
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "data", help="the training data folder")


@command("nlu", "the examples kept in the console's inbox: export them to data/nlu/learned.yml", _nlu_arguments)
def nlu(args: argparse.Namespace) -> int:
    from bot.learning.trainer import export
    from bot.store import Database

    database = Database(Settings.from_env().database_url)
    database.upgrade()
    path, count = export(database, args.data)
    database.dispose()
    print(f"Wrote {count} example(s) to {path}. Commit it, then `make train`.")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.chdir(PROJECT_ROOT)
    parser = argparse.ArgumentParser(prog="python -m bot", description="Borgerhjælp")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="command")
    try:
        for name, help_text, arguments, handler in _COMMANDS:
            sub = subcommands.add_parser(name, help=help_text, description=help_text)
            arguments(sub)
            sub.set_defaults(handler=handler)
        args = parser.parse_args(argv)
        return args.handler(args)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
