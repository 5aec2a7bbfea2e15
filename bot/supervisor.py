"""`python -m bot run`: Rasa, the action server and the gateway as three child processes.

Each child runs in its own process group, so Ctrl-C reaches only this supervisor, which then stops
the three in order and waits for them. A child that dies is reported and started again with a
growing pause; one that keeps dying stops the whole stack with a message saying which and why.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class ChildSpec:
    name: str
    argv: Sequence[str]
    ready_url: str
    env: Mapping[str, str] = field(default_factory=dict)
    # Variables of the supervisor's own environment this child must not inherit (a secret it does not need).
    unset: Sequence[str] = ()

    def environment(self, inherited: Mapping[str, str]) -> dict[str, str]:
        """What the child is started with: the supervisor's environment, this spec's on top, `unset` taken out."""
        return {name: value for name, value in {**inherited, **self.env}.items() if name not in self.unset}


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    ready: bool = False
    deaths: list[float] = field(default_factory=list)
    restart_at: float | None = None


def url_ready(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Supervisor:
    def __init__(
        self,
        children: Sequence[ChildSpec],
        *,
        on_ready: Callable[[], None] | None = None,
        max_restarts: int = 5,
        restart_window: float = 300.0,
        stop_timeout: float = 15.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.children = [_Child(spec) for spec in children]
        self.on_ready = on_ready
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.stop_timeout = stop_timeout
        self.log = log or (lambda line: print(line, flush=True))
        self._stopping = False

    def run(self) -> int:
        """Start everything and watch it until Ctrl-C or SIGTERM; returns the exit code."""
        previous = {sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        announced = False
        code = 0
        try:
            for child in self.children:
                self._start(child)
            while not self._stopping:
                now = time.monotonic()
                for child in self.children:
                    if not self._watch(child, now):
                        code = 1
                        self._stopping = True
                        break
                if not announced and all(child.ready for child in self.children):
                    announced = True
                    if self.on_ready:
                        self.on_ready()
                time.sleep(0.25)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _request_stop(self, signum, _frame) -> None:
        if not self._stopping:
            self.log("Stopping (Ctrl-C again is not needed; waiting for the three to finish) ...")
        self._stopping = True

    def _start(self, child: _Child) -> None:
        env = child.spec.environment(os.environ)
        child.process = subprocess.Popen(list(child.spec.argv), env=env, start_new_session=True)
        child.started_at = time.monotonic()
        child.ready = False
        child.restart_at = None
        self.log(f"[{child.spec.name}] started (pid {child.process.pid})")

    def _watch(self, child: _Child, now: float) -> bool:
        """Check one child; False when it has died too often and the stack must stop."""
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._start(child)
            return True
        assert child.process is not None
        code = child.process.poll()
        if code is None:
            if not child.ready and url_ready(child.spec.ready_url, timeout=0.5):
                child.ready = True
                self.log(f"[{child.spec.name}] ready after {now - child.started_at:.0f} s")
            return True
        child.deaths = [t for t in child.deaths if now - t < self.restart_window] + [now]
        if len(child.deaths) > self.max_restarts:
            self.log(
                f"[{child.spec.name}] died {len(child.deaths)} times in {self.restart_window:.0f} s "
                f"(last exit code {code}); giving up. Its own output above says why."
            )
            return False
        delay = min(30.0, 2.0 ** (len(child.deaths) - 1))
        self.log(f"[{child.spec.name}] stopped unexpectedly (exit code {code}); restarting in {delay:.0f} s")
        child.restart_at = now + delay
        child.ready = False
        return True

    def stop_all(self) -> None:
        """SIGTERM every child's process group (the gateway first), then SIGKILL what is left."""
        running = [c for c in reversed(self.children) if c.process is not None and c.process.poll() is None]
        for child in running:
            self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"[{child.spec.name}] did not stop in {self.stop_timeout:.0f} s; killing it")
                self._signal(child, signal.SIGKILL)
                child.process.wait(timeout=5)
            self.log(f"[{child.spec.name}] stopped")

    @staticmethod
    def _signal(child: _Child, sig: int) -> None:
        assert child.process is not None
        try:
            os.killpg(child.process.pid, sig)
        except ProcessLookupError:
            pass
