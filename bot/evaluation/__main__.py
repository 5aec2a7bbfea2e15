"""`make eval`: the Danish pipeline against Rasa's default one, on the held-out split per section.

Both are trained here on the same training data (NLU only), so the figures compare pipelines, not data.
A third row is the full model as `make run` trains it (NLU and dialogue, the same config.yml): it is
what citizens talk to, and its figures can differ from the NLU-only model's by a few points.

Each pipeline is scored on every section of the held-out split (short, long, voice, English; see
bot/evaluation/heldout.py), on a noisy copy of the whole split, and on the whole split.
`--pipelines danish,full` leaves out Rasa's default pipeline (it trains for over 20 minutes here).
`--pipelines full --model models/borgerhjaelp.tar.gz` scores the model `make train` made instead of
training the full model again (the training column then says so).
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
from datetime import date
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.evaluation.heldout import load_sections, score_by_section
from bot.evaluation.noise import SEED, make_noisy
from bot.training import train

# name -> (slug, config, NLU only?)
PIPELINES = {
    "Danish (config.yml)": ("danish", PROJECT_ROOT / "config.yml", True),
    "Danish, full model (make run)": ("full", PROJECT_ROOT / "config.yml", False),
    "Rasa default": ("default", PROJECT_ROOT / "bot" / "evaluation" / "default_config.yml", True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="where to keep the trained models (default: a temp dir)")
    parser.add_argument(
        "--pipelines", default=",".join(slug for slug, _, _ in PIPELINES.values()),
        help="comma-separated slugs of the pipelines to train and score (danish, full, default)",
    )
    parser.add_argument(
        "--model", type=Path, default=None,
        help="score this trained full model (as `make train` made it) instead of training the full model again",
    )
    args = parser.parse_args()
    if args.model is not None and not args.model.is_file():
        parser.error(f"--model {args.model}: no such file (make train writes models/borgerhjaelp.tar.gz)")
    wanted = set(args.pipelines.split(","))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.INFO)

    sections = load_sections()
    whole = [example for examples in sections.values() for example in examples]
    noisy = make_noisy(whole)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        for name, (slug, config, nlu_only) in PIPELINES.items():
            if slug not in wanted:
                continue
            if slug == "full" and args.model is not None:
                model, training = args.model, "make train"
            else:
                data = PROJECT_ROOT / "data" / "nlu" if nlu_only else PROJECT_ROOT / "data"
                model, seconds = train(
                    out / slug, config=config, data=data, nlu_only=nlu_only, model_name=slug,
                    cache_dir=Path(scratch) / f"cache-{slug}",
                )
                training = f"{seconds:.0f} s"
            for split, result in score_by_section(model, sections, noisy).items():
                rows.append((name, split, result, training))

    counts = ", ".join(f"{name} {len(examples)}" for name, examples in sections.items())
    print(f"NLU evaluation, {date.today().isoformat()}: {len(whole)} held-out examples ({counts}), "
          f"noisy copy seed {SEED}")
    print()
    print("| pipeline | section | examples | accuracy | macro F1 | fallback rate | parse p50 | parse p95 | training |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, split, result, training in rows:
        print(
            f"| {name} | {split} | {result.count} | {result.accuracy:.3f} | {result.macro_f1:.3f} "
            f"| {result.fallback_rate:.3f} | {result.latency_p50_ms:.1f} ms | {result.latency_p95_ms:.1f} ms "
            f"| {training} |"
        )


if __name__ == "__main__":
    main()
