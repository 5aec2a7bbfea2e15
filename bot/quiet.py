"""`python -m bot.quiet <module> [args]`: run a Python module with deprecation warnings left out.

`make train` and `make run` start Rasa this way (BORGERHJAELP_QUIET=1, set by the Makefile unless
VERBOSE=1). PYTHONWARNINGS alone does not hold for `rasa train`: something among the libraries it
imports switches deprecation warnings back on (the wall came back with it set). So after any
filter is installed, the ignores go back in front; every other warning (Rasa's own about the data,
say) still shows.
"""
from __future__ import annotations

import functools
import os
import runpy
import sys
import warnings
from collections.abc import Callable
from typing import Any

QUIETED = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def wanted() -> bool:
    return os.environ.get("BORGERHJAELP_QUIET") == "1"


def command(module: str, *args: str) -> list[str]:
    """The command line that runs `python -m module args`, quietly when wanted."""
    launcher = ["-m", "bot.quiet", module] if wanted() else ["-m", module]
    return [sys.executable, *launcher, *args]


def _ignore_quieted(install: Callable[..., None]) -> None:
    for category in QUIETED:
        install("ignore", category)


def _keeping_quiet(install: Callable[..., None], ignore: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(install)
    def guarded(*args: Any, **kwargs: Any) -> None:
        install(*args, **kwargs)
        _ignore_quieted(ignore)

    return guarded


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m bot.quiet <module> [args]")
    module = sys.argv[1]
    simplefilter = warnings.simplefilter
    _ignore_quieted(simplefilter)
    warnings.simplefilter = _keeping_quiet(simplefilter, simplefilter)
    warnings.filterwarnings = _keeping_quiet(warnings.filterwarnings, simplefilter)
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
