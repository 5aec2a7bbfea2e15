"""The held-out split (never trained on), in sections by the kind of message citizens write.

- short: one Danish question or sentence, as most messages are;
- long: two to four sentences of story with the question somewhere inside (older citizens);
- voice: dictated text: no punctuation, run-on, numbers as words, words heard wrong, "punktum";
- english: newcomers writing English (the intent is the same as for the Danish message).

Every reader of the held-out split (make eval, the model tests, the console's training gate, the
benchmark) takes it from here, so a new section is added in one place.
"""
from __future__ import annotations

from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.evaluation.scoring import IntentScores, load_examples, parse_all, score

HELDOUT_DIR = PROJECT_ROOT / "tests" / "nlu" / "heldout"
SECTIONS = ("short", "long", "voice", "english")


def load_sections(folder: Path = HELDOUT_DIR) -> dict[str, list[tuple[str, str]]]:
    """Each section's (text, intent) pairs, in the order of SECTIONS."""
    return {name: load_examples(folder / f"{name}.yml") for name in SECTIONS}


def load_heldout(folder: Path = HELDOUT_DIR) -> list[tuple[str, str]]:
    """The whole held-out split: every section together."""
    return [example for examples in load_sections(folder).values() for example in examples]


def score_by_section(
    model: Path, sections: dict[str, list[tuple[str, str]]], noisy: list[tuple[str, str]]
) -> dict[str, IntentScores]:
    """Each section, the noisy copy and the whole split: the whole is parsed once (loading a model is slow)."""
    whole = [example for examples in sections.values() for example in examples]
    parsed = parse_all(model, [text for text, _ in whole + noisy])
    results: dict[str, IntentScores] = {}
    start = 0
    for name, examples in sections.items():
        results[name] = score(examples, parsed[start : start + len(examples)])
        start += len(examples)
    results["noisy copy"] = score(noisy, parsed[len(whole) :])
    results["whole"] = score(whole, parsed[: len(whole)])
    return results
