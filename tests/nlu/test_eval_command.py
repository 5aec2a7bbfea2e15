"""`make eval`'s command line: a model that is not there is a clear error before any training starts."""
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_scoring_a_model_that_is_not_there_says_so_and_trains_nothing(tmp_path):
    missing = tmp_path / "borgerhjaelp.tar.gz"
    result = subprocess.run(
        [sys.executable, "-m", "bot.evaluation", "--pipelines", "full", "--model", str(missing)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 2
    assert f"--model {missing}: no such file" in result.stderr and "make train" in result.stderr
