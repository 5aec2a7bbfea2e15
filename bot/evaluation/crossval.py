"""K-fold cross-validation on data/nlu/, for choices the dev split is too small to make.

The dev split (bot/evaluation/dev.py) scores 373 set-aside sentences: two pipelines closer than about
two points cannot be told apart on it. Here every training example is scored once, by a model that
did not train on it: each file's examples are shuffled with a fixed seed and dealt into K folds; K
models are trained (NLU only, an empty Rasa cache each) and each scores its own fold and a noisy copy
of it. The held-out split in tests/nlu/heldout/ is not read.

    .venv/bin/python -m bot.evaluation.crossval --config config.yml --folds 3
    .venv/bin/python -m bot.evaluation.crossval --thresholds   # and what each fallback threshold would do
"""
from __future__ import annotations

import argparse
import logging
import os
import random
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.evaluation.dev import DATA, ENGLISH_FILE, LONG_FILE, score_row, threshold_rows, train_and_parse
from bot.evaluation.noise import make_noisy
from bot.evaluation.scoring import load_examples, score

CROSSVAL_SEED = 20261128
CROSSVAL_NOISE_SEED = 20261131  # not the held-out copy's seed

Examples = list[tuple[str, str]]


def folds(count: int, data: Path = DATA) -> list[Examples]:
    """Every example of every file in exactly one of `count` folds, each file dealt out evenly."""
    dealt: list[Examples] = [[] for _ in range(count)]
    for path in sorted(data.glob("*.yml")):
        examples = load_examples(path)
        random.Random(f"{CROSSVAL_SEED}:{path.name}").shuffle(examples)
        for index, example in enumerate(examples):
            dealt[index % count].append(example)
    return dealt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--thresholds", action="store_true", help="right/asked/wrong for each fallback threshold")
    args = parser.parse_args()
    if args.folds < 2:
        parser.error("--folds must be 2 or more")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.INFO)

    dealt = folds(args.folds)
    long_examples = set(load_examples(DATA / LONG_FILE))
    english = set(load_examples(DATA / ENGLISH_FILE))
    scored: Examples = []
    results = []
    noisy_scored: Examples = []
    noisy_results = []
    seconds_total = 0.0
    for number, held in enumerate(dealt):
        # A sentence two files hold must not be trained on through its other copy.
        held_set = set(held)
        training = [example for other in dealt if other is not held for example in other if example not in held_set]
        noisy = make_noisy(held, seed=CROSSVAL_NOISE_SEED + number)
        parsed, seconds = train_and_parse(training, [text for text, _ in held + noisy], args.config, f"fold{number}")
        seconds_total += seconds
        scored += held
        results += parsed[: len(held)]
        noisy_scored += noisy
        noisy_results += parsed[len(held) :]
        fold_score = score(held, parsed[: len(held)])
        print(f"fold {number + 1}/{args.folds}: trained on {len(training)} in {seconds:.0f} s, "
              f"accuracy {fold_score.accuracy:.3f} on {len(held)}", flush=True)

    by_example = list(zip(scored, results, strict=True))
    sections = {
        "long": [pair for pair in by_example if pair[0] in long_examples],
        "short": [pair for pair in by_example if pair[0] not in long_examples],
        "English": [pair for pair in by_example if pair[0] in english],
        "all": by_example,
    }
    print(f"\n{args.folds}-fold cross-validation, seed {CROSSVAL_SEED}, {args.config.name}, "
          f"{seconds_total / args.folds:.0f} s of training a fold")
    print("| section | examples | accuracy | top intent | fallback rate |")
    print("| --- | --- | --- | --- | --- |")
    rows = [(name, score([e for e, _ in pairs], [r for _, r in pairs])) for name, pairs in sections.items()]
    rows.append(("noisy copy of all", score(noisy_scored, noisy_results)))
    for name, result in rows:
        print(score_row(name, result))
    if args.thresholds:
        english_pairs = sections["English"]
        danish_pairs = [pair for pair in by_example if pair[0] not in english]
        for title, examples, parsed_results in (
            ("all, and its noisy copy", scored + noisy_scored, results + noisy_results),
            ("English", [e for e, _ in english_pairs], [r for _, r in english_pairs]),
            ("Danish", [e for e, _ in danish_pairs], [r for _, r in danish_pairs]),
        ):
            print(f"\n{title}: {len(examples)} examples\n")
            print("\n".join(threshold_rows(examples, parsed_results, best=8)))


if __name__ == "__main__":
    main()
