"""The whole stack on free loopback ports: `python -m bot run` (Rasa, action server, gateway) for tests and
`make bench`.

Usage in a test module:

    @pytest.fixture(scope="module")
    def stack(trained_model, tmp_path_factory):
        with running_stack(trained_model, tmp_path_factory.mktemp("stack")) as stack:
            yield stack

Each stack has its own SQLite database (also Rasa's tracker store) and its own Rasa token.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 300.0  # Rasa imports TensorFlow and loads the model: a minute or two on a busy 2-core machine


@dataclass(frozen=True)
class Stack:
    gateway_url: str
    rasa_url: str
    actions_url: str
    token: str
    database_url: str
    log: Path

    def health(self) -> dict:
        try:
            with urllib.request.urlopen(f"{self.gateway_url}/health", timeout=3) as response:
                return json.load(response)
        except OSError:
            return {}

    def child_pids(self) -> dict[str, int]:
        """The newest pid of each child, from the supervisor's own lines."""
        found = re.findall(r"\[(\w+)\] started \(pid (\d+)\)", self.log.read_text(errors="replace"))
        return {name: int(pid) for name, pid in found}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_stack(model: str | Path, directory: Path, env: dict[str, str] | None = None) -> Iterator[Stack]:
    rasa_port, actions_port, gateway_port = free_port(), free_port(), free_port()
    database = directory / "stack.db"
    token = secrets.token_urlsafe(16)
    stack = Stack(
        gateway_url=f"http://127.0.0.1:{gateway_port}",
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        actions_url=f"http://127.0.0.1:{actions_port}",
        token=token,
        database_url=f"sqlite:///{database}",
        log=directory / "stack.log",
    )
    # The project's own endpoints.yml takes the action server and the database from the environment.
    command = [
        sys.executable, "-m", "bot", "run", "--model", str(model), "--endpoints", str(PROJECT / "endpoints.yml"),
        "--rasa-port", str(rasa_port), "--actions-port", str(actions_port), "--gateway-port", str(gateway_port),
    ]
    environment = {
        **os.environ,
        "DATABASE_URL": stack.database_url,
        "RASA_TOKEN": token,
        "GATEWAY_HOST": "127.0.0.1",
        "RETRY_INTERVAL": "0.5",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with stack.log.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the stack exited with {process.returncode}:\n{_tail(stack.log)}")
            health = stack.health()
            if health.get("rasa") and health.get("actions"):
                break
            time.sleep(1)
        else:
            raise TimeoutError(f"the stack was not ready in {START_TIMEOUT:.0f} s:\n{_tail(stack.log)}")
        yield stack
    finally:
        _stop(process, stack)


def _stop(process: subprocess.Popen, stack: Stack) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # Children run in their own process groups; make sure none outlives a supervisor that was killed.
    for pid in stack.child_pids().values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
