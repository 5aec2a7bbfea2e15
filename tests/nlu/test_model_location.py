"""A trained model is self-contained the way Rasa models are: it loads whatever the working directory."""
from __future__ import annotations

import subprocess
import sys

from bot.training import rasa_environment

PARSE = """
import asyncio, sys
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
print(asyncio.run(agent.parse_message("Hvordan får jeg MitID?"))["intent"]["name"])
"""


def test_the_model_loads_and_understands_from_another_working_directory(trained_model, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PARSE, str(trained_model.resolve())],
        cwd=tmp_path,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "mitid_get"
