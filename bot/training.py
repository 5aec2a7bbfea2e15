"""Trains the Rasa model, and only when something it is trained from has changed.

`python -m bot.training` is what `make train` runs. The fingerprint covers the training data, the
domain, the pipeline config and the normaliser's code, since Rasa's own cache does not see our code.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bot import quiet
from bot.config import PROJECT_ROOT

MODEL_NAME = "borgerhjaelp"
MODELS_DIR = PROJECT_ROOT / "models"
TRAINING_INPUTS = ("config.yml", "domain", "data", "bot/nlu", "build/da_pipeline/meta.json")


def fingerprint(root: Path = PROJECT_ROOT, inputs: tuple[str, ...] = TRAINING_INPUTS) -> str:
    digest = hashlib.sha256()
    for name in inputs:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes() if file.exists() else b"<missing>")
    return digest.hexdigest()


def rasa_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # One thread per op keeps training and parsing reproducible and polite on a shared 2-core machine.
    env.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "2")
    env.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def train(
    out_dir: Path,
    *,
    config: Path = PROJECT_ROOT / "config.yml",
    domain: Path = PROJECT_ROOT / "domain",
    data: Path = PROJECT_ROOT / "data",
    model_name: str = MODEL_NAME,
    nlu_only: bool = False,
    cache_dir: Path | None = None,
    finetune: Path | None = None,
    epoch_fraction: float = 1.0,
) -> tuple[Path, float]:
    """Trains one model into out_dir; returns its path and the seconds it took.

    cache_dir: where Rasa keeps trained components between runs; an empty one forces a real training
    of everything (tests and `make eval` use one, so their figures never come from an old run).
    finetune: a model to go on training from (Rasa's incremental training) for `epoch_fraction` of the
    configured epochs. Rasa refuses, and the command fails, when the config, the domain or the set of
    intents differs from that model's.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    env = rasa_environment()
    if cache_dir is not None:
        env["RASA_CACHE_DIRECTORY"] = str(cache_dir)
    command = quiet.command("rasa", "train")
    if nlu_only:
        command += ["nlu", "--nlu", str(data)]
    else:
        command += ["--domain", str(domain), "--data", str(data)]
    command += ["--config", str(config), "--out", str(out_dir), "--fixed-model-name", model_name, "--quiet"]
    if finetune is not None:
        command += ["--finetune", str(finetune), "--epoch-fraction", str(epoch_fraction)]
    started = time.monotonic()
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True)
    model = out_dir / f"{model_name}.tar.gz"
    if not model.exists():
        raise RuntimeError(f"rasa train finished but {model} is missing")
    return model, time.monotonic() - started


def train_if_changed(models_dir: Path = MODELS_DIR) -> Path:
    model = models_dir / f"{MODEL_NAME}.tar.gz"
    stamp = models_dir / ".fingerprint"
    current = fingerprint()
    if model.exists() and stamp.exists() and stamp.read_text().strip() == current:
        print(f"Model is up to date: {model.relative_to(PROJECT_ROOT)}")
        return model
    print("Training the model (data, domain or config changed)...", flush=True)
    model, seconds = train(models_dir)
    stamp.write_text(current)
    print(f"Model trained in {seconds:.0f} s: {model.relative_to(PROJECT_ROOT)}")
    return model


if __name__ == "__main__":
    try:
        train_if_changed()
    except subprocess.CalledProcessError as error:
        sys.exit(f"Training failed (exit code {error.returncode}); see the messages above.")
