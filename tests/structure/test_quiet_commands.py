"""`make train`, `make run` and `make shell` leave third-party deprecation warnings out; VERBOSE=1 keeps them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# One of the imports that fill `make train` with warnings: setuptools' pkg_resources, which Rasa imports.
NOISY_IMPORT = "import pkg_resources"


def makefile_quiet_environment(verbose: bool) -> dict[str, str]:
    """The VAR=value words the Makefile puts before the commands, read from make itself."""
    printed = subprocess.run(
        ["make", "-s", "--no-print-directory", f"VERBOSE={1 if verbose else 0}",
         "--eval", "print-quiet: ; @echo '$(QUIET)'", "print-quiet"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return dict(word.split("=", 1) for word in printed.split())


def noise(environment: dict[str, str]) -> str:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    result = subprocess.run(
        [sys.executable, "-c", NOISY_IMPORT], env={**env, **environment}, capture_output=True, text=True, check=True
    )
    return result.stderr


def test_make_train_and_run_leave_third_party_deprecation_warnings_out():
    environment = makefile_quiet_environment(verbose=False)
    assert "PYTHONWARNINGS" in environment
    assert "Warning" not in noise(environment)


def test_verbose_shows_everything():
    assert makefile_quiet_environment(verbose=True) == {}
    assert "DeprecationWarning" in noise({})


def test_the_make_commands_use_the_quiet_environment():
    for target in ("train", "run", "shell"):
        lines = subprocess.run(
            ["make", "-n", "--no-print-directory", target], cwd=PROJECT_ROOT, capture_output=True, text=True
        ).stdout.splitlines()
        command = next(line for line in lines if "-m bot" in line)
        assert command.startswith("BORGERHJAELP_QUIET=1 "), command


def test_rasa_stays_quiet_even_after_aiogram_turns_deprecation_warnings_back_on():
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    noisy = [sys.executable, "-m", "tests.structure.noisy_module"]
    loud = subprocess.run(noisy, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True)
    assert "DeprecationWarning: an old API" in loud.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "bot.quiet", *noisy[2:]], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert quiet.stdout.strip() == "done"
    assert "Warning" not in quiet.stderr


def test_the_rasa_commands_go_through_the_quiet_launcher_only_when_asked(monkeypatch):
    from bot import quiet

    monkeypatch.setenv("BORGERHJAELP_QUIET", "1")
    assert quiet.command("rasa", "train")[1:] == ["-m", "bot.quiet", "rasa", "train"]
    monkeypatch.delenv("BORGERHJAELP_QUIET")
    assert quiet.command("rasa", "train")[1:] == ["-m", "rasa", "train"]
