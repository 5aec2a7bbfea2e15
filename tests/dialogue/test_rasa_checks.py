"""Rasa's own checks on the training data, and the conversation tests on the model trained in this run."""
import subprocess
import sys
from pathlib import Path

from bot.training import rasa_environment

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def rasa(*arguments: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *arguments],
        cwd=PROJECT_ROOT,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_training_data_is_valid():
    result = rasa("data", "validate", "--domain", "domain", "--data", "data", "--config", "config.yml")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_conversation_stories_pass_without_a_single_prediction_error(trained_model, tmp_path):
    stories = sorted(PROJECT_ROOT.glob("tests/test_*conversations.yml"))
    assert stories, "no conversation tests found"
    for story_file in stories:
        out = tmp_path / story_file.stem
        result = rasa(
            "test", "core", "--model", str(trained_model), "--stories", str(story_file),
            "--fail-on-prediction-errors", "--out", str(out),
        )
        failed = out / "failed_test_stories.yml"
        details = failed.read_text(encoding="utf-8")[-6000:] if failed.exists() else result.stderr[-4000:]
        assert result.returncode == 0, f"{story_file.name}:\n{details}"
