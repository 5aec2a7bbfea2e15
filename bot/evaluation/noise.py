"""A noisy copy of the held-out split, as citizens without a Danish keyboard or in a hurry type it.

Each sentence: æ/ø/å replaced the ways people do (ae/oe/aa, or a plain vowel), one typo, lower case.
The seed is fixed so every run of `make eval` scores the same noisy sentences.
"""
from __future__ import annotations

import random

SEED = 20261122
_REPLACEMENTS = {"æ": ("ae", "a", "e"), "ø": ("oe", "o"), "å": ("aa", "a")}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def strip_danish_letters(text: str, rng: random.Random) -> str:
    return "".join(rng.choice(_REPLACEMENTS[c]) if c in _REPLACEMENTS else c for c in text)


def add_typo(text: str, rng: random.Random) -> str:
    """One keyboard slip in a word of three letters or more: a letter dropped, doubled, swapped or wrong."""
    positions = [i for i, c in enumerate(text) if c.isalpha()]
    words = [i for i in positions if i + 2 < len(text) and text[i : i + 3].isalpha()]
    if not words:
        return text
    i = rng.choice(words)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    if kind == "swap":
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice(_LETTERS) + text[i + 1 :]


def make_noisy(examples: list[tuple[str, str]], seed: int = SEED) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(add_typo(strip_danish_letters(text.lower(), rng), rng), intent) for text, intent in examples]
