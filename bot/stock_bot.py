"""The yardstick for `make bench`: a stock Rasa 3.6 bot from `rasa init`, built once and kept.

`rasa init --no-prompt` writes Rasa's example project (default config, in-memory tracker, no custom
actions) into a scratch folder and trains it. The folder is kept between runs (var/bench/stock-bot),
so only the first `make bench` pays for the training. It is served the way Borgerhjælp's Rasa is
(REST channel, HTTP API, loopback only), so the two can be loaded the same way in the same run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.devstack import free_port
from bot.training import rasa_environment

STOCK_DIR = PROJECT_ROOT / "var" / "bench" / "stock-bot"
START_TIMEOUT = 300.0
BUILD_TIMEOUT = 1800.0


def _rasa() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def stock_model(directory: Path = STOCK_DIR) -> Path:
    """The trained stock model; `rasa init` runs only when the folder has none yet."""
    models = sorted((directory / "models").glob("*.tar.gz")) if directory.exists() else []
    if models:
        return models[-1]
    directory.mkdir(parents=True, exist_ok=True)
    print(f"Building the stock Rasa bot with `rasa init` in {directory} (once; a few minutes) ...", flush=True)
    started = time.monotonic()
    subprocess.run(
        [_rasa(), "init", "--no-prompt", "--init-dir", str(directory)],
        cwd=directory,
        env=rasa_environment(),
        check=True,
        timeout=BUILD_TIMEOUT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    models = sorted((directory / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"`rasa init` left no model in {directory / 'models'}")
    print(f"Stock bot trained in {time.monotonic() - started:.0f} s", flush=True)
    return models[-1]


@contextlib.contextmanager
def running_stock_bot(model: Path, log: Path) -> Iterator[tuple[str, int]]:
    """Serves the stock model on a free loopback port; yields its URL and the Rasa process id."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        _rasa(),
        "run",
        "--enable-api",
        f"--auth-token={secrets.token_urlsafe(16)}",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "--connector",
        "rest",
        "--model",
        str(model),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=model.parent.parent,
            env=rasa_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"the stock bot exited with {process.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the stock bot was not ready in {START_TIMEOUT:.0f} s; see {log}")
            time.sleep(1)
        yield url, process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
