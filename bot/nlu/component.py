"""The project's Rasa NLU components: the Danish normaliser (first in config.yml's pipeline), spaCy
found from the project rather than the working directory, the original text given back, and the
fallback for text the model cannot read."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import PROJECT_ROOT
from bot.nlu import normaliser as normaliser_module
from bot.nlu.normaliser import DanishNormaliser, danish_lexicon

VOCABULARY_FILE = "vocabulary.json"
ORIGINAL_TEXT = "original_text"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class DanishTextNormaliser(GraphComponent):
    """Rewrites each message's text into regular Danish before tokenising and featurising.

    Trainable only in that it remembers the training data's words, which become the targets for
    correcting a citizen's typos at prediction time.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"typo_correction": True}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: dict[str, int] | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.normaliser = DanishNormaliser(
            danish_lexicon(), vocabulary if config.get("typo_correction", True) else None
        )

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa caches trained components by config only; a change to the normaliser's code must count too.
        sources = (Path(__file__), Path(normaliser_module.__file__))
        return hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DanishTextNormaliser:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> DanishTextNormaliser:
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            vocabulary = None
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        texts = [self.normaliser.normalise(m.get(TEXT)) for m in training_data.training_examples if m.get(TEXT)]
        self.normaliser.learn(texts)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(dict(self.normaliser.vocabulary), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._normalise_all(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._normalise_all(messages)
        return messages

    def _normalise_all(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(ORIGINAL_TEXT, text)
                message.set(TEXT, self.normaliser.normalise(text))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(RasaSpacyNLP):
    """Rasa's SpacyNLP, with a relative pipeline path (config.yml's `build/da_pipeline`) taken from the
    project's root instead of the working directory, so the model loads wherever Rasa starts.

    The model names this class and keeps the path as written; Rasa calls `create` again when it
    loads the model. The class keeps Rasa's name on purpose: the tokenizer finds its spaCy model by
    the class name "SpacyNLP".
    """

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        in_project = PROJECT_ROOT / spacy_model_name
        if not spacy_model_name or Path(spacy_model_name).is_absolute() or not in_project.exists():
            return RasaSpacyNLP.load_model(spacy_model_name)  # a package name, or an absolute path
        loaded = RasaSpacyNLP.load_model(str(in_project))
        # The name as written, not this checkout's place, is what Rasa's cache fingerprints.
        return SpacyModel(model=loaded.model, model_name=spacy_model_name)


class _NothingToLearn(GraphComponent):
    """A component with no training and no settings: built as is, training data passed through."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _NothingToLearn:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class OriginalTextRestorer(_NothingToLearn):
    """Gives each message back the text the citizen wrote, once the intent is known.

    Placed last in the pipeline: the model learns from normalised text, but the actions read what
    was really written (a booking code "QX9-MZR", a first name "Karen"), not its normalised form.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            original = message.get(ORIGINAL_TEXT)
            if original is not None:
                message.set(TEXT, original)
        return messages


# A letter of the Latin alphabet (Danish and English, with their accents) or a digit.
_READABLE = re.compile(r"[0-9a-zà-öø-ÿ]", re.IGNORECASE)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class UnreadableTextFallback(_NothingToLearn):
    """Text with no Latin letter and no digit (Chinese, Arabic, Cyrillic, only emoji) is not understood.

    The model has no features for such text at all, so DIET's answer for it is whatever its biases
    favour, sometimes with high confidence (once: "goodbye" for a Chinese request for help). Placed
    after the FallbackClassifier in config.yml, this marks the message `nlu_fallback`, so the citizen
    gets "Mente du ...?" and then an offer of a person, never a guess.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            if (
                not text.strip()
                or _READABLE.search(text)
                or intent.get(INTENT_NAME_KEY) == DEFAULT_NLU_FALLBACK_INTENT_NAME
            ):
                continue
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            ranking = [dict(entry) for entry in message.get(INTENT_RANKING_KEY) or []]
            message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
        return messages
