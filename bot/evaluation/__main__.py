"""`make eval`: the Danish pipeline against Rasa's default one, on the held-out split and its noisy copy.

Both are trained here on the same training data (NLU only), so the figures compare pipelines, not data.
A third row is the full model as `make run` trains it (NLU and dialogue, the same config.yml): it is
what citizens talk to, and its figures can differ from the NLU-only model's by a few points.
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
from datetime import date
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.evaluation.noise import SEED, make_noisy
from bot.evaluation.scoring import load_examples, parse_all, score
from bot.training import train

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
# name -> (slug, config, NLU only?)
PIPELINES = {
    "Danish (config.yml)": ("danish", PROJECT_ROOT / "config.yml", True),
    "Danish, full model (make run)": ("full", PROJECT_ROOT / "config.yml", False),
    "Rasa default": ("default", PROJECT_ROOT / "bot" / "evaluation" / "default_config.yml", True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="where to keep the trained models (default: a temp dir)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.INFO)

    clean = load_examples(HELDOUT)
    noisy = make_noisy(clean)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        for name, (slug, config, nlu_only) in PIPELINES.items():
            model, seconds = train(
                out / slug, config=config, data=PROJECT_ROOT / "data" / "nlu" if nlu_only else PROJECT_ROOT / "data",
                nlu_only=nlu_only, model_name=slug, cache_dir=Path(scratch) / f"cache-{slug}",
            )
            for split, examples in (("held-out", clean), ("noisy copy", noisy)):
                result = score(examples, parse_all(model, [text for text, _ in examples]))
                rows.append((name, split, result, seconds))

    print(f"NLU evaluation, {date.today().isoformat()}: {len(clean)} held-out examples, noisy copy seed {SEED}")
    print()
    print("| pipeline | split | accuracy | macro F1 | fallback rate | parse p50 | parse p95 | training |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, split, result, seconds in rows:
        print(
            f"| {name} | {split} | {result.accuracy:.3f} | {result.macro_f1:.3f} | {result.fallback_rate:.3f} "
            f"| {result.latency_p50_ms:.1f} ms | {result.latency_p95_ms:.1f} ms | {seconds:.0f} s |"
        )


if __name__ == "__main__":
    main()
