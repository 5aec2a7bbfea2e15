"""The conversation tests (tests/test_*conversations.yml) run by Rasa on a trained model.

Used by the test suite and by the quality gate in front of every model trained from the console
(bot/learning/trainer.py), so both check exactly the same thing.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.training import rasa_environment

STORY_FILES = "tests/test_*conversations.yml"


@dataclass(frozen=True)
class ConversationTests:
    passed: bool
    stories: int  # written in the files
    details: str  # Rasa's failed stories, or the end of its output when it did not run

    def __bool__(self) -> bool:
        return self.passed


def story_files() -> list[Path]:
    return sorted(PROJECT_ROOT.glob(STORY_FILES))


def run_conversation_tests(model: Path, scratch: Path, timeout: int = 1800) -> ConversationTests:
    """Every story of every file in one `rasa test core` (TensorFlow and the model load once, not once
    per file; no plots). Passed means: Rasa ran each story and predicted every action right."""
    files = story_files()
    written = sum(len(yaml.safe_load(path.read_text(encoding="utf-8")).get("stories") or []) for path in files)
    if not files:
        return ConversationTests(False, 0, f"no conversation tests found ({STORY_FILES})")
    folder, out = scratch / "stories", scratch / "results"
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(model), "--stories", str(folder),
         "--fail-on-prediction-errors", "--no-plot", "--out", str(out)],
        cwd=PROJECT_ROOT, env=rasa_environment(), capture_output=True, text=True, timeout=timeout,
    )
    log = result.stdout + result.stderr
    failed = out / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8")[-6000:] if failed.exists() else ""
    all_right = re.search(rf"CONVERSATION level:.*?Correct:\s+{written} / {written}\b", log, re.S) is not None
    passed = result.returncode == 0 and f"Evaluating {written} stories" in log and all_right
    return ConversationTests(passed, written, details if details.strip() else log[-4000:])
