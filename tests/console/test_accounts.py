"""Staff accounts, passwords, sessions and the login back-off; the `python -m bot staff` commands."""
from __future__ import annotations

import asyncio
import io
import os
import subprocess
import threading
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from bot.console import auth
from bot.console.context import PASSWORD_CHECKS_AT_ONCE
from bot.console.accounts import AccountError, add_staff, find_staff, list_staff, password_matches, set_active, set_password
from bot.console.sessions import SessionStore
from bot.console.throttle import LoginThrottle
from bot.store import Database, StaffRole
from bot.store.models import LoginThrottle as LoginThrottleRow, StaffSession
from tests.console.support import PASSWORD, login_token, sign_in

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'accounts.db'}")
    database.upgrade()
    yield database
    database.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def test_passwords_are_argon2_hashes(db):
    account = add_staff(db, "Anna", "Anna", PASSWORD, StaffRole.ADMIN)
    assert account.username == "anna" and account.is_admin
    found, password_hash = find_staff(db, "ANNA")
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash
    assert password_matches(password_hash, PASSWORD) and not password_matches(password_hash, "forkert-kodeord")
    assert not password_matches(None, PASSWORD)


@pytest.mark.parametrize(
    "username, first_name, password",
    [("anna", "Anna", "kort"), ("", "Anna", PASSWORD), ("to ord", "Anna", PASSWORD), ("anna", " ", PASSWORD)],
)
def test_bad_accounts_are_refused(db, username, first_name, password):
    with pytest.raises(AccountError):
        add_staff(db, username, first_name, password)


def test_user_names_are_unique_in_any_case(db):
    add_staff(db, "anna", "Anna", PASSWORD)
    with pytest.raises(AccountError, match="already"):
        add_staff(db, "ANNA", "Anna", PASSWORD)


def test_sessions_end_on_revocation_expiry_idleness_and_disabling(db):
    clock = Clock()
    staff = add_staff(db, "anna", "Anna", PASSWORD)
    store = SessionStore(db, lifetime=timedelta(hours=12), idle=timedelta(hours=2), clock=clock)
    token = store.create(staff.id)
    identity = store.lookup(token)
    assert identity.first_name == "Anna" and len(identity.csrf_token) >= 32
    with db.session() as session:
        assert session.get(StaffSession, token) is None  # only the token's hash is stored

    clock.advance(hours=1, minutes=59)
    assert store.lookup(token) is not None  # and that look counts as activity
    clock.advance(hours=1, minutes=59)
    assert store.lookup(token) is not None
    clock.advance(hours=2, minutes=1)
    assert store.lookup(token) is None  # idle too long

    busy = store.create(staff.id)
    for _ in range(13):
        clock.advance(hours=1)
        alive = store.lookup(busy)
    assert alive is None  # never idle, but past its lifetime

    fresh = store.create(staff.id)
    store.revoke(store.lookup(fresh).session_id)
    assert store.lookup(fresh) is None

    other = store.create(staff.id)
    set_active(db, "anna", False)
    assert store.lookup(other) is None
    set_active(db, "anna", True)
    assert store.lookup(other) is None  # enabling again does not bring old sessions back
    assert store.lookup("nonsense") is None and store.lookup("") is None


def test_a_new_password_signs_out_every_browser(db):
    staff = add_staff(db, "anna", "Anna", PASSWORD)
    store = SessionStore(db, lifetime=timedelta(hours=12), idle=timedelta(hours=2))
    tokens = [store.create(staff.id), store.create(staff.id)]
    set_password(db, "anna", "et-helt-nyt-kodeord")
    assert [store.lookup(token) for token in tokens] == [None, None]
    assert password_matches(find_staff(db, "anna")[1], "et-helt-nyt-kodeord")


def test_wrong_passwords_slow_down_per_user_and_per_address(db):
    clock = Clock()
    throttle = LoginThrottle(db, clock=clock)
    anna = throttle.rules("anna", "10.0.0.1")
    for _ in range(2):
        throttle.failed(anna)
    assert throttle.wait_seconds(anna) == 0
    throttle.failed(anna)
    assert throttle.wait_seconds(anna) == 1
    clock.advance(seconds=1)
    throttle.failed(anna)
    assert throttle.wait_seconds(anna) == 2
    clock.advance(seconds=2)
    throttle.failed(anna)
    assert throttle.wait_seconds(anna) == 4
    # Another user from another address is not held up by Anna's mistakes ...
    assert throttle.wait_seconds(throttle.rules("bo", "10.0.0.2")) == 0
    # ... but one address guessing many user names is.
    for number in range(10):
        throttle.failed(throttle.rules(f"user{number}", "10.0.0.9"))
    assert throttle.wait_seconds(throttle.rules("somebody", "10.0.0.9")) > 0

    # Kept in the database: a new throttle (a restarted gateway) still remembers.
    restarted = LoginThrottle(db, clock=clock)
    assert restarted.wait_seconds(anna) == 4
    clock.advance(minutes=61)
    assert restarted.wait_seconds(anna) == 0
    restarted.failed(anna)
    assert restarted.wait_seconds(anna) == 0  # an hour of quiet: the count started again


def test_a_stranger_who_knows_a_user_name_cannot_keep_the_account_locked(db):
    clock = Clock()
    throttle = LoginThrottle(db, clock=clock)
    stranger = throttle.rules("anna", "203.0.113.5")
    # One wrong password each time the wait ends, for a day.
    for _ in range(200):
        clock.advance(seconds=throttle.wait_seconds(stranger))
        assert throttle.reserve(stranger) == 0
    assert throttle.wait_seconds(stranger) > 0
    # Anna at the office is not held up by it.
    anna = throttle.rules("Anna", "10.0.0.1")
    assert throttle.wait_seconds(anna) == 0 and throttle.reserve(anna) == 0


def test_the_wait_is_capped(db):
    clock = Clock()
    throttle = LoginThrottle(db, clock=clock)
    rules = throttle.rules("anna", None)
    for _ in range(40):
        throttle.failed(rules)
    assert throttle.wait_seconds(rules) == 900


async def test_login_over_http_slows_down_and_says_so(gateway):
    async with httpx.AsyncClient(base_url=gateway.url, follow_redirects=False) as client:

        async def attempt(password: str) -> httpx.Response:
            form = await client.get("/staff/login")
            return await client.post(
                "/staff/login", data={"username": "bo", "password": password, "csrf_token": login_token(form.text)}
            )

        wrong = await attempt("forkert-kodeord")
        assert wrong.status_code == 401 and "Brugernavn eller adgangskode er forkert." in wrong.text
        unknown_form = await client.get("/staff/login")
        unknown = await client.post(
            "/staff/login",
            data={"username": "ingen", "password": "forkert-kodeord", "csrf_token": login_token(unknown_form.text)},
        )
        assert unknown.status_code == 401 and "Brugernavn eller adgangskode er forkert." in unknown.text
        await attempt("forkert-kodeord")
        await attempt("forkert-kodeord")
        blocked = await attempt(PASSWORD)  # even the right password waits its turn
        assert blocked.status_code == 429 and "For mange forkerte forsøg" in blocked.text
        assert "bh_staff=" not in blocked.headers.get("set-cookie", "")


async def parallel_logins(url: str, usernames: list[str], password: str = "forkert-kodeord") -> list[httpx.Response]:
    """One login per user name, all sent at once, each from its own browser with its own login form."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        forms = [await client.get("/staff/login") for _ in usernames]

    async def attempt(username: str, form: httpx.Response) -> httpx.Response:
        cookies = {"bh_staff_login": form.cookies.get("bh_staff_login")}
        async with httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=60, cookies=cookies) as browser:
            data = {"username": username, "password": password, "csrf_token": login_token(form.text)}
            return await browser.post("/staff/login", data=data)

    return await asyncio.gather(*(attempt(name, form) for name, form in zip(usernames, forms)))


async def test_wrong_passwords_sent_side_by_side_get_no_more_than_the_free_tries(gateway):
    responses = await parallel_logins(gateway.url, ["bo"] * 12)
    assert sorted(r.status_code for r in responses) == [401] * 3 + [429] * 9
    for refused in (r for r in responses if r.status_code == 429):
        assert "For mange forkerte forsøg. Vent" in refused.text
    with gateway.db.session() as session:
        assert session.get(LoginThrottleRow, "user:bo@127.0.0.1").failures == 3  # refused attempts are not counted


async def test_the_right_password_takes_its_count_back(gateway):
    await sign_in(gateway.url, "anna")
    await sign_in(gateway.url, "bo")
    with gateway.db.session() as session:
        assert session.get(LoginThrottleRow, "user:anna@127.0.0.1") is None
        assert session.get(LoginThrottleRow, "ip:127.0.0.1").failures == 0


async def test_only_a_few_passwords_are_checked_at_once(gateway, monkeypatch):
    # argon2 takes 64 MiB per check: many logins at once must not mean that much memory at once.
    running, most, lock = 0, 0, threading.Lock()
    real = auth.password_matches

    def counting(password_hash, password):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real(password_hash, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(auth, "password_matches", counting)
    responses = await parallel_logins(gateway.url, [f"ukendt{number}" for number in range(8)])
    assert [r.status_code for r in responses] == [401] * 8  # different user names: each one is checked
    assert 1 <= most <= PASSWORD_CHECKS_AT_ONCE


async def test_a_disabled_account_cannot_log_in(gateway):
    set_active(gateway.db, "bo", False)
    with pytest.raises(AssertionError):
        await sign_in(gateway.url, "bo")


def staff_command(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "staff", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
    )


def test_staff_command_line(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    # The real command once, as a person types it; the rest through the same main() in this process.
    created = staff_command(url, "add", "Mette", "--first-name", "Mette", "--admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "Created admin 'mette' (Mette)" in created.stdout

    from bot.__main__ import main

    monkeypatch.setenv("DATABASE_URL", url)

    def staff(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["staff", *args])
        printed = capsys.readouterr()
        return code, printed.out, printed.err

    code, out, _ = staff("list")
    assert code == 0 and "mette" in out and "admin" in out
    code, _, err = staff("add", "ole", "--first-name", "Ole", "--password-stdin", stdin="kort\n")
    assert code == 1 and "at least 10" in err
    assert staff("passwd", "mette", "--password-stdin", stdin="endnu-et-kodeord\n")[0] == 0
    assert staff("disable", "mette")[0] == 0
    listing = staff("list")[1]
    assert "mette" in listing and "disabled" in listing and "admin" in listing
    assert staff("disable", "nobody")[0] == 1

    db = Database(url)
    try:
        [account] = list_staff(db)
        assert not account.active and password_matches(find_staff(db, "mette")[1], "endnu-et-kodeord")
    finally:
        db.dispose()


def test_the_staff_list_on_an_empty_database_says_how_to_add_the_first_admin(tmp_path):
    empty = staff_command(f"sqlite:///{tmp_path / 'cli.db'}", "list")
    assert empty.returncode == 0 and "--admin" in empty.stdout


def test_make_run_says_how_to_make_the_first_admin_until_there_is_one(db):
    from bot.__main__ import ready_message, staff_account_count

    def printed() -> str:
        return ready_message("http://127.0.0.1:8000", "http://127.0.0.1:5005", 5055, staff_account_count(db))

    assert "Staff console:        http://127.0.0.1:8000/staff" in printed()
    assert "bot staff add <username> --first-name <Fornavn> --admin" in printed()
    add_staff(db, "mette", "Mette", PASSWORD, StaffRole.ADMIN)
    assert "Staff console:        http://127.0.0.1:8000/staff" in printed()
    assert "staff add" not in printed()


def test_the_staff_command_line_starts_without_the_web_console():
    # `bot staff ...` is run by hand on a server: it loads the accounts, not the console and its models.
    code = "import sys, bot.console.cli; print(sorted(m for m in sys.modules if m in ('bot.console.app', 'sklearn')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr[-2000:]
