"""`python -m bot staff add|list|passwd|disable|enable`: staff accounts from the command line.

Passwords are asked for twice without echo, or read from standard input with `--password-stdin`
(for scripts), never taken as an argument, where they would end up in the shell's history.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from bot.config import Settings
from bot.console.accounts import AccountError, add_staff, list_staff, set_active, set_password
from bot.store import Database, StaffRole


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="staff_command", required=True, metavar="action")
    add = actions.add_parser("add", help="create a staff account", description="create a staff account")
    add.add_argument("username", help="what they type to log in")
    add.add_argument("--first-name", required=True, help="shown to citizens: 'Du skriver nu med <fornavn>'")
    add.add_argument("--admin", action="store_true", help="may also see the audit log and edit helpers' hours")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    actions.add_parser("list", help="list staff accounts", description="list staff accounts")
    passwd = actions.add_parser(
        "passwd", help="set a new password (signs out every browser)", description="set a new password"
    )
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    disable = actions.add_parser(
        "disable", help="stop an account from logging in (signs it out)", description="disable an account"
    )
    disable.add_argument("username")
    enable = actions.add_parser("enable", help="let a disabled account log in again", description="enable an account")
    enable.add_argument("username")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    database = Database(Settings.from_env().database_url)
    try:
        database.upgrade()
        action = args.staff_command
        if action == "add":
            role = StaffRole.ADMIN if args.admin else StaffRole.STAFF
            account = add_staff(database, args.username, args.first_name, _password(args.password_stdin), role)
            print(f"Created {account.role.value} {account.username!r} ({account.first_name}).")
        elif action == "list":
            accounts = list_staff(database)
            if not accounts:
                print(
                    "No staff accounts yet. Create the first admin with: "
                    "python -m bot staff add <name> --first-name <Fornavn> --admin"
                )
            for account in accounts:
                state = "active" if account.active else "disabled"
                print(
                    f"{account.username:<20} {account.first_name:<16} {account.role.value:<6} "
                    f"{state:<9} {account.presence.value}"
                )
        elif action == "passwd":
            set_password(database, args.username, _password(args.password_stdin))
            print(f"New password set for {args.username!r}; their browsers are signed out.")
        else:
            account = set_active(database, args.username, action == "enable")
            print(f"{account.username!r} is {'enabled' if account.active else 'disabled and signed out'}.")
        return 0
    except AccountError as error:
        print(f"staff {args.staff_command}: {error}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
