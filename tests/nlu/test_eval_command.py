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


def test_scoring_prints_no_parse_of_any_sentence(trained_model):
    # Rasa's structured log prints each parse at debug level: `make eval` would show the held-out split.
    code = (
        "import sys; from pathlib import Path; from bot.evaluation.scoring import parse_all; "
        "parse_all(Path(sys.argv[1]), ['en sætning der ikke må ses'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(trained_model)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ikke må ses" not in result.stdout + result.stderr
