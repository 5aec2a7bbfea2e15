"""`python -m bot run`'s supervisor, with small stand-in children instead of Rasa."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

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
