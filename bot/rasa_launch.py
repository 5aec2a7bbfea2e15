"""Starts Rasa with its API token from the environment, so the token is never on a command line.

Rasa 3.6 takes the token only as `--auth-token`. A process's command line can be read by every
user of the machine (`ps`, /proc/<pid>/cmdline); its environment only by its owner. So `python -m
bot run` starts `python -m bot.rasa_launch run ...` with `RASA_TOKEN` in the environment, and this
module adds `--auth-token` to Rasa's own argument list inside the process, where `ps` does not see
it, then takes the variable out of the environment so nothing Rasa starts inherits it. It also
installs bot.rasa_speedups (work Rasa repeats on every action call, done once).
"""
from __future__ import annotations

import os
import sys

TOKEN_VARIABLE = "RASA_TOKEN"


def rasa_arguments(arguments: list[str], token: str) -> list[str]:
    """Rasa's arguments with the token added; a token given on the command line anyway is refused."""
    if any(argument == "--auth-token" or argument.startswith("--auth-token=") for argument in arguments):
        raise SystemExit("Give Rasa's token in the RASA_TOKEN environment variable, not on the command line.")
    # One argument, `--auth-token=...`: a token that starts with "-" would otherwise read as an option.
    return [*arguments, f"--auth-token={token}"] if token else list(arguments)


def main() -> None:
    token = os.environ.pop(TOKEN_VARIABLE, "")
    if not token:
        raise SystemExit("RASA_TOKEN is not set: Rasa's HTTP API would be open to anyone on the machine.")
    sys.argv = ["rasa", *rasa_arguments(sys.argv[1:], token)]
    from rasa.__main__ import main as run_rasa

    from bot import rasa_speedups

    rasa_speedups.install()

    run_rasa()


if __name__ == "__main__":
    main()
