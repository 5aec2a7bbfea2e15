"""`make bench --profile`: py-spy really samples a running process, and its stacks are split into parts."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bot import profiling

# A process that spends its time in one known part, JSON (py-spy sees Python frames; json's are).
BUSY = """
import json, time
document = {"a": [{"k": "v" * 50, "n": i} for i in range(2000)]}
end = time.monotonic() + 20
while time.monotonic() < end:
    json.loads(json.dumps(document, indent=1))
"""


def test_each_sample_counts_for_the_first_part_its_stack_touches():
    database_then_json = "main (app.py:1);save (rasa/core/tracker_store.py:10);dumps (json/__init__.py:5)"
    assert profiling.part_of(database_then_json).startswith("database")
    assert profiling.part_of("main (x.py:1);dumps (json/__init__.py:5)") == "JSON"
    assert profiling.part_of("main (x.py:1);handle (sanic/app.py:3)") == "HTTP and websockets"
    assert profiling.part_of("main (x.py:1)") == profiling.OTHER


def test_rasa_s_own_actions_are_not_counted_as_the_project_s_custom_actions():
    rasa_calling = "handle (rasa/core/processor.py:9);run (rasa/core/actions/action.py:780);request (bot/rasa_speedups.py:9)"
    assert profiling.part_of(rasa_calling) == "Rasa's actions and the action server call"
    assert profiling.part_of("handle (rasa_sdk/executor.py:1);run (actions/struggle.py:28)") == "custom actions"


def test_a_recording_of_a_busy_process_splits_its_cpu_time(tmp_path):
    if profiling.available() is None:
        pytest.fail("py-spy is in requirements.lock: run `make setup`")
    script = tmp_path / "busy.py"  # a file, not -c: py-spy names each stack by the command line
    script.write_text(BUSY, encoding="utf-8")
    busy = subprocess.Popen([sys.executable, str(script)])
    try:
        time.sleep(0.5)
        recording = profiling.Recording({"busy": busy.pid}, tmp_path)
        time.sleep(3)
        [profile] = recording.stop()
    finally:
        busy.kill()
        busy.wait(timeout=10)
    # However loaded the machine, the process got some CPU, and py-spy saw it at work.
    assert 0 < profile.cpu_seconds < 6.0, profile.cpu_seconds
    assert sum(profile.samples.values()) > 20, profile.samples
    parts = dict((part, share) for part, share, _ in profile.split(messages=100))
    assert parts.get("JSON", 0) > 0.5, parts
    lines = profiling.report([profile], messages=100)
    assert lines[1].split()[0] == "busy" and lines[1].endswith("ms")
