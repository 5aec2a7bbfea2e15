"""Rasa's own checks on the training data, and the conversation tests on the model trained in this run."""
import subprocess
import sys
from pathlib import Path

from bot.evaluation.conversations import run_conversation_tests
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
    # The same check as the quality gate in front of a model trained from the console.
    result = run_conversation_tests(trained_model, tmp_path)
    assert result.stories > 80, result  # every file was read
    assert result.passed, result.details
