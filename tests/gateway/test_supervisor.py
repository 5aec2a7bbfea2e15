"""`python -m bot run`'s supervisor, with small stand-in children instead of Rasa."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from bot.__main__ import stack_children, stack_environment
from bot.rasa_launch import rasa_arguments
from bot.supervisor import ChildSpec, Supervisor
from tests.support.servers import free_port

SERVE = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]


def child_server(name: str) -> tuple[ChildSpec, int]:
    port = free_port()
    return ChildSpec(name, [*SERVE, str(port)], f"http://127.0.0.1:{port}/"), port


def test_all_children_start_become_ready_and_stop_on_sigint():
    specs = [child_server(name)[0] for name in ("rasa", "actions", "gateway")]
    lines: list[str] = []
    ready = threading.Event()
    supervisor = Supervisor(specs, on_ready=ready.set, log=lines.append, stop_timeout=5)

    def interrupt_when_ready() -> None:
        assert ready.wait(30), lines
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_ready, daemon=True).start()
    assert supervisor.run() == 0
    assert all(child.process.poll() is not None for child in supervisor.children)
    assert sum("stopped" in line for line in lines) == 3


def test_a_child_that_dies_is_reported_and_restarted_then_given_up():
    dying = ChildSpec("actions", [sys.executable, "-c", "import sys; sys.exit(3)"], "http://127.0.0.1:1/")
    steady, _ = child_server("gateway")
    lines: list[str] = []
    supervisor = Supervisor([steady, dying], log=lines.append, max_restarts=2, restart_window=60, stop_timeout=5)
    started = time.monotonic()
    assert supervisor.run() == 1
    assert time.monotonic() - started < 30
    assert any("[actions] stopped unexpectedly (exit code 3); restarting" in line for line in lines)
    assert any("[actions] died 3 times" in line and "giving up" in line for line in lines)
    assert supervisor.children[0].process.poll() is not None, "the healthy child is stopped too"


# --- Rasa's token: only Rasa and the gateway get it, never on a command line ---------------------

SECRET = "hemmelig-rasa-token-" + "z" * 12


def stack_arguments(**changes) -> argparse.Namespace:
    values = {"rasa_port": 5005, "actions_port": 5055, "gateway_port": 8000, "endpoints": "endpoints.yml", "quiet": False}
    return argparse.Namespace(**{**values, **changes})


def test_the_token_is_on_no_command_line_and_the_action_server_does_not_get_it(monkeypatch):
    monkeypatch.setenv("RASA_TOKEN", SECRET)  # also when the operator set it for `make run`
    args = stack_arguments()
    children = {child.name: child for child in stack_children(args, stack_environment(args, SECRET), Path("models"))}
    assert set(children) == {"rasa", "actions", "gateway"}
    for child in children.values():
        assert not any(SECRET in argument for argument in child.argv), child.name
    assert "RASA_TOKEN" not in children["actions"].environment(os.environ)
    assert children["rasa"].environment(os.environ)["RASA_TOKEN"] == SECRET
    assert children["gateway"].environment(os.environ)["RASA_TOKEN"] == SECRET


def test_the_launcher_refuses_a_token_on_the_command_line():
    assert rasa_arguments(["run", "--enable-api"], SECRET) == ["run", "--enable-api", f"--auth-token={SECRET}"]
    with pytest.raises(SystemExit):
        rasa_arguments(["run", "--auth-token", "x"], SECRET)


def command_lines() -> str:
    return subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout


def test_rasa_started_by_the_launcher_wants_the_token_and_ps_does_not_show_it(tmp_path):
    """The real Rasa 3.6 (without a model, which is enough for its API's token check)."""
    port = free_port()
    (tmp_path / "models").mkdir()
    env = {**os.environ, "RASA_TOKEN": SECRET, "LOG_LEVEL": "WARNING"}
    argv = [sys.executable, "-m", "bot.rasa_launch", "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port), "--model", str(tmp_path / "models")]
    with open(tmp_path / "rasa.log", "wb") as log:
        # In an empty folder: no endpoints.yml asking for the action server and the database.
        process = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/status", params={"token": SECRET}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(1)
        assert status is not None, (tmp_path / "rasa.log").read_text(errors="replace")[-3000:]
        assert status.status_code != 401  # the token is Rasa's
        assert httpx.get(f"http://127.0.0.1:{port}/status", timeout=5).status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/status", params={"token": "gæt"}, timeout=5).status_code == 401
        assert str(process.pid) in command_lines() and SECRET not in command_lines()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_a_token_that_starts_with_a_dash_reaches_rasa_whole():
    # secrets.token_urlsafe gives such a token about one time in 64; Rasa's parser must not read it as an option.
    from rasa.__main__ import create_argument_parser

    parsed = create_argument_parser().parse_args(rasa_arguments(["run"], "-Xy_token"))
    assert parsed.auth_token == "-Xy_token"
