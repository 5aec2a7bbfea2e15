"""A development split cut from data/nlu/, for choosing how the model reads long messages.

Choices about the training data, the pipeline or thresholds are made here, never on the held-out
split in tests/nlu/heldout/ (that one only reports). The split is computed, not stored: with a fixed
seed, 20 % of the long examples (data/nlu/long.yml) and 10 % of every other file's examples are set
aside; the model is trained on the rest (NLU only, an empty Rasa cache) and scored on what was set aside.

    .venv/bin/python -m bot.evaluation.dev                       # config.yml, all training data
    .venv/bin/python -m bot.evaluation.dev --without-long        # as before: no long training examples
    .venv/bin/python -m bot.evaluation.dev --config other.yml    # another pipeline
    .venv/bin/python -m bot.evaluation.dev --thresholds          # and what each fallback threshold would do

Besides the set-aside sections it scores a noisy copy of them (bot/evaluation/noise.py, its own seed).
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import tempfile
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.evaluation.noise import make_noisy
from bot.evaluation.scoring import IntentScores, fallback_outcomes, load_examples, parse_all, score
from bot.training import train

DEV_SEED = 20261128
DEV_NOISE_SEED = 20261130  # not the held-out copy's seed
DATA = PROJECT_ROOT / "data" / "nlu"
LONG_FILE = "long.yml"
ENGLISH_FILE = "english.yml"
THRESHOLDS = [0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]
AMBIGUITY_THRESHOLDS = [0.0, 0.02, 0.05, 0.1]
LONG_SHARE = 0.20
SHORT_SHARE = 0.10

Examples = list[tuple[str, str]]


def split(data: Path = DATA) -> tuple[Examples, Examples, Examples]:
    """(training, dev long, dev short): every file's examples, set aside with a fixed seed per file."""
    training: Examples = []
    dev_long: Examples = []
    dev_short: Examples = []
    for path in sorted(data.glob("*.yml")):
        examples = load_examples(path)
        share = LONG_SHARE if path.name == LONG_FILE else SHORT_SHARE
        # One generator per file, seeded by its name: a new file elsewhere does not move this file's split.
        rng = random.Random(f"{DEV_SEED}:{path.name}")
        chosen = set(rng.sample(range(len(examples)), round(share * len(examples))))
        for index, example in enumerate(examples):
            if index not in chosen:
                training.append(example)
            elif path.name == LONG_FILE:
                dev_long.append(example)
            else:
                dev_short.append(example)
    # A sentence the training data holds twice (in two files) must not be trained on through its other copy.
    set_aside = set(dev_long + dev_short)
    return [example for example in training if example not in set_aside], dev_long, dev_short


def long_examples(data: Path = DATA) -> set[tuple[str, str]]:
    return set(load_examples(data / LONG_FILE))


def nlu_document(examples: Examples) -> str:
    """Rasa NLU YAML for the examples, one block per intent (the lines as written, annotations and all)."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in examples:
        by_intent.setdefault(intent, []).append(text)
    blocks = [
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {text}\n" for text in texts)
        for intent, texts in by_intent.items()
    ]
    return 'version: "3.1"\nnlu:\n' + "\n".join(blocks)


def train_and_parse(training: Examples, texts: list[str], config: Path, model_name: str) -> tuple[list, float]:
    """An NLU-only model trained on `training` in a scratch folder (an empty Rasa cache): each text's parse
    result, and the seconds the training took."""
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "nlu"
        data.mkdir()
        (data / "train.yml").write_text(nlu_document(training), encoding="utf-8")
        model, seconds = train(
            Path(scratch) / "model", config=config, data=data, nlu_only=True, model_name=model_name,
            cache_dir=Path(scratch) / "cache",
        )
        return parse_all(model, texts), seconds


def score_row(name: str, result: IntentScores) -> str:
    return (f"| {name} | {result.count} | {result.accuracy:.3f} | {result.top_intent_accuracy:.3f} "
            f"| {result.fallback_rate:.3f} |")


def threshold_rows(examples: Examples, results: list, best: int | None = None) -> list[str]:
    """A table of right/asked/wrong for each pair of fallback thresholds, the best first."""
    outcomes = sorted(fallback_outcomes(examples, results, THRESHOLDS, AMBIGUITY_THRESHOLDS), key=lambda o: -o.net)
    return [
        "| threshold | ambiguity | right | asked | wrong | right - wrong |",
        "| --- | --- | --- | --- | --- | --- |",
    ] + [
        f"| {o.threshold} | {o.ambiguity_threshold} | {o.right} | {o.asked} | {o.wrong} | {o.net} |"
        for o in outcomes[:best]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--without-long", action="store_true", help="train without any of data/nlu/long.yml")
    parser.add_argument("--thresholds", action="store_true", help="right/asked/wrong for each fallback threshold")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.INFO)

    training, dev_long, dev_short = split()
    if args.without_long:
        excluded = long_examples()
        training = [example for example in training if example not in excluded]
    every = dev_long + dev_short
    noisy = make_noisy(every, seed=DEV_NOISE_SEED)
    every_result, seconds = train_and_parse(training, [text for text, _ in every + noisy], args.config, "dev")
    print(f"dev split seed {DEV_SEED}: trained on {len(training)} examples in {seconds:.0f} s, {args.config.name}"
          f"{', without long examples' if args.without_long else ''}")
    english = set(load_examples(DATA / ENGLISH_FILE))
    sections = {
        "long": dev_long,
        "short": dev_short,
        "English": [example for example in every if example in english],
        "both": every,
    }
    results, parsed_noisy = every_result[: len(every)], every_result[len(every) :]
    parsed = dict(zip(every, results, strict=True))
    print("| dev section | examples | accuracy | top intent | fallback rate |")
    print("| --- | --- | --- | --- | --- |")
    for name, examples in sections.items():
        print(score_row(name, score(examples, [parsed[example] for example in examples])))
    print(score_row("noisy copy of both", score(noisy, parsed_noisy)))
    if args.thresholds:
        print("\n" + "\n".join(threshold_rows(every, results)))
    # The dev split's misses may be read (it is not the held-out split): they show what goes wrong.
    for (text, intent) in dev_long + sections["English"]:
        predicted = (parsed[(text, intent)][0].get("intent") or {}).get("name")
        if predicted != intent:
            print(f"  miss: {intent} -> {predicted}: {text}")


if __name__ == "__main__":
    main()
