"""Where one message's milliseconds go: py-spy samples the running processes under load.

`make bench` (with `--profile`, which `make bench` passes) records each process of the stack with
py-spy while a closed loop runs, then splits each process's CPU time per message by what the
sampled stacks were doing. The CPU time comes from the kernel (/proc/<pid>/stat, children included),
the split from the samples: a sample counts for the first part (`PARTS`, in order of precedence)
that any frame of its stack belongs to.
Nothing here changes the code it measures; py-spy reads the processes from outside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# (part, substrings of a frame's "function (file:line)"), in order of precedence: a sample counts for
# the first part that any frame of its stack matches, so JSON written for the tracker store counts as
# the database, and the HTTP server at the bottom of every stack counts only when nothing else does.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database (SQL: tracker store, gateway tables)", ("tracker_store", "sqlalchemy/", "sqlite3", "psycopg2")),
    (
        "NLU: intent classifier (DIET, TensorFlow)",
        ("tensorflow/", "keras/", "diet_classifier", "rasa/utils/tensorflow"),
    ),
    ("NLU: spaCy and featurizers", ("spacy/", "thinc/", "sklearn/", "scipy/", "featurizers/", "tokenizers/")),
    ("NLU: normaliser and language", ("bot/nlu/", "lingua")),
    ("dialogue policies", ("rasa/core/policies/", "rasa/core/featurizers/")),
    # Rasa's side of an action: its built-in actions and the call to the action server (bot/rasa_speedups).
    ("Rasa's actions and the action server call", ("rasa/core/actions/", "rasa/utils/endpoints", "bot/rasa_speedups")),
    # "(actions/": the project's actions/ folder, not rasa/core/actions/ above.
    ("custom actions", ("(actions/", "rasa_sdk/")),
    ("gateway", ("bot/gateway/", "bot/channels/", "bot/console/", "bot/store/", "bot/privacy/")),
    (
        "events and slots (Rasa's bookkeeping)",
        ("rasa/shared/core/events", "rasa/shared/core/trackers", "rasa/shared/core/slots", "rasa/core/processor"),
    ),
    (
        "HTTP and websockets",
        ("sanic/", "aiohttp/", "httptools", "uvicorn/", "starlette/", "websockets/", "httpx/", "httpcore/"),
    ),
    ("JSON", ("json/",)),
    ("event loop", ("asyncio/", "uvloop", "selectors")),
)
OTHER = "other"
# Where a thread waits with nothing to do: py-spy's idle detection misses some of these (a thread pool
# worker blocked on its queue, an event loop in epoll), and a sample there is no CPU time spent.
IDLE_FRAMES = (
    "_worker (concurrent/futures/thread.py",
    "serve (sanic/server/runners.py",
    "asyncio_run (uvicorn/",
    "run_forever (asyncio/",
    "select (selectors.py",
    "wait (threading.py",
)


@dataclass
class ProcessProfile:
    name: str
    cpu_seconds: float
    samples: Counter[str]
    functions: Counter[str] = field(default_factory=Counter)  # the innermost frame's function, by samples

    def milliseconds_per_message(self, messages: int) -> float:
        return 1000 * self.cpu_seconds / messages if messages else float("nan")

    def split(self, messages: int) -> list[tuple[str, float, float]]:
        """(part, share of samples, ms per message) for each part, the largest first."""
        total = sum(self.samples.values())
        per_message = self.milliseconds_per_message(messages)
        return [
            (part, count / total, per_message * count / total) for part, count in self.samples.most_common() if total
        ]


def available() -> str | None:
    """py-spy's path, or None when it is not installed (it comes with requirements.lock)."""
    beside_python = Path(sys.executable).with_name("py-spy")
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


def _stat(pid: int) -> list[str] | None:
    try:
        # After the command name (which may hold spaces): field 3 (state) onwards, 1-based.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and all its live descendants (Rasa's workers), from the kernel."""
    ticks = 0
    for each in _descendants(pid):
        fields = _stat(each)
        if fields:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def part_of(stack: str) -> str:
    for part, patterns in PARTS:
        if any(pattern in stack for pattern in patterns):
            return part
    return OTHER


def read_raw(path: Path) -> tuple[Counter[str], Counter[str]]:
    """py-spy's raw (collapsed) output, one "frame;frame;... count" per line: samples by part, and by
    the function that was running (the innermost frame, its path shortened to what follows
    site-packages or the project)."""
    parts: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    if not path.exists():
        return parts, functions
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            if any(idle in stack.rsplit(";", 1)[-1] for idle in IDLE_FRAMES):
                continue
            parts[part_of(stack)] += int(count)
            functions[_short(stack.rsplit(";", 1)[-1])] += int(count)
    return parts, functions


def _short(frame: str) -> str:
    for marker in ("site-packages/", "/work/", "/lib/python3"):
        if marker in frame:
            name, _, where = frame.partition(" (")
            return f"{name} ({where.rsplit(marker, 1)[-1]}"
    return frame


class Recording:
    """py-spy recording the given processes (and their children) until `stop`."""

    def __init__(self, pids: dict[str, int], directory: Path, rate: int = 97) -> None:
        self.pids, self.directory = pids, directory
        self.outputs = {name: directory / f"{name}.raw.txt" for name in pids}
        self.started_cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
        spy = available()
        if spy is None:
            raise RuntimeError("py-spy is not installed: run `make setup`")
        self.processes = [
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    str(rate),
                    "--format",
                    "raw",
                    "--subprocesses",
                    "--output",
                    str(self.outputs[name]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]

    def stop(self) -> list[ProcessProfile]:
        used = {name: cpu_seconds(pid) - self.started_cpu[name] for name, pid in self.pids.items()}
        for process in self.processes:
            process.send_signal(2)  # SIGINT: py-spy writes what it has and ends
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        return [ProcessProfile(name, used[name], *read_raw(self.outputs[name])) for name in self.pids]


def report(profiles: list[ProcessProfile], messages: int, parts_shown: int = 6, functions_shown: int = 6) -> list[str]:
    lines = [f"CPU time per message, from {messages} messages (py-spy samples split each process's time):"]
    for profile in profiles:
        lines.append(f"  {profile.name:<12} {profile.milliseconds_per_message(messages):6.1f} ms")
        for part, share, milliseconds in profile.split(messages)[:parts_shown]:
            lines.append(f"      {milliseconds:6.1f} ms  {share:4.0%}  {part}")
        total = sum(profile.functions.values())
        if total:
            lines.append("      running most often:")
            for function, count in profile.functions.most_common(functions_shown):
                lines.append(f"        {count / total:4.0%}  {function}")
    return lines
