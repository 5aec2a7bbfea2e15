"""How the console's training makes the new model, with the real `rasa train` on a small assistant of
its own (two intents, two epochs: seconds of training, not minutes): it goes on from the serving model
when Rasa can, and trains from scratch when Rasa refuses. The whole loop with the real model is in
test_train_gate_swap.py."""
from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from bot.learning.candidate import train_candidate
from bot.training import train

pytestmark = pytest.mark.model

DOMAIN = """version: "3.1"
intents: [greet, goodbye]
responses:
  utter_greet: [{text: "Hej"}]
  utter_goodbye: [{text: "Farvel"}]
"""
RULES = """version: "3.1"
rules:
- rule: greet
  steps: [{intent: greet}, {action: utter_greet}]
- rule: goodbye
  steps: [{intent: goodbye}, {action: utter_goodbye}]
"""
NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hej
    - goddag
    - godmorgen
- intent: goodbye
  examples: |
    - farvel
    - hej hej
    - vi ses
"""
LEARNED = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - davs
"""
CONFIG = """recipe: default.v1
language: da
assistant_id: small
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
    epochs: 2
    number_of_transformer_layers: 0
    random_seed: 1
policies:
  - name: RulePolicy
"""


@pytest.fixture
def small_assistant(tmp_path) -> tuple[Path, Path]:
    """(project folder, the serving model trained from it)."""
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "data" / "nlu" / "nlu.yml").write_text(NLU, encoding="utf-8")
    (tmp_path / "data" / "rules.yml").write_text(RULES, encoding="utf-8")
    (tmp_path / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    serving, _seconds = train(
        tmp_path / "serving",
        config=tmp_path / "config.yml",
        domain=tmp_path / "domain.yml",
        data=tmp_path / "data",
        model_name="serving",
        cache_dir=tmp_path / "cache",
    )
    (tmp_path / "data" / "nlu" / "learned.yml").write_text(LEARNED, encoding="utf-8")
    return tmp_path, serving


def trained_examples(model: Path) -> str:
    """Every file of the model archive as text: the featurizer's vocabulary holds the words it was trained on."""
    with tarfile.open(model) as archive:
        return " ".join(
            archive.extractfile(member).read().decode("utf-8", "replace")
            for member in archive.getmembers()
            if member.isfile() and "CountVectorsFeaturizer" in member.name
        )


def make_candidate(project: Path, serving: Path) -> tuple[Path, list[str]]:
    """The console's new model from the project's data; the progress steps it reported."""
    steps: list[str] = []
    model = train_candidate(
        project / "data",
        project / "models",
        "candidate",
        serving,
        config=project / "config.yml",
        domain=project / "domain.yml",
        progress=steps.append,
    )
    return model, steps


def test_a_kept_example_is_learned_by_going_on_from_the_serving_model(small_assistant):
    project, serving = small_assistant
    model, steps = make_candidate(project, serving)
    assert model == project / "models" / "candidate.tar.gz" and model.is_file()
    assert steps == []  # went on from the serving model: no training from scratch
    assert "davs" in trained_examples(model) and "davs" not in trained_examples(serving)


def test_when_rasa_cannot_go_on_the_new_model_is_trained_from_scratch(small_assistant):
    project, serving = small_assistant
    # Another pipeline than the serving model's: Rasa refuses to go on from it.
    changed = CONFIG.replace("number_of_transformer_layers: 0", "number_of_transformer_layers: 1")
    (project / "config.yml").write_text(changed, encoding="utf-8")
    model, steps = make_candidate(project, serving)
    assert steps == ["Træner den nye model fra bunden"]
    assert model.is_file() and "davs" in trained_examples(model)


def test_without_the_serving_models_file_the_new_model_is_trained_from_scratch(small_assistant):
    project, _serving = small_assistant
    model, steps = make_candidate(project, project / "gone.tar.gz")
    assert steps == ["Træner den nye model fra bunden"] and model.is_file()
