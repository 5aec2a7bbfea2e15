"""Training a new model from the console: kept examples in, a quality gate, a swap with no downtime.

`start_training` (in the gateway) takes the training lease and starts `python -m bot.learning.trainer
<model id> <lease holder>` as a process of its own, so TensorFlow never loads into the gateway and a
restarted gateway does not stop a training half way. That process:

1. makes sure the model citizens have now is registered with its held-out accuracy (the first time,
   it copies Rasa's model into the models folder and measures it);
2. copies data/ to a scratch folder and adds the kept examples to data/nlu/learned.yml there;
3. trains: goes on from the serving model with a tenth of the epochs (Rasa's incremental training),
   or from scratch when Rasa cannot (`bot/learning/candidate.py`); scores the held-out split, runs the
   conversation tests;
4. the gate: held-out accuracy at least the serving model's minus half a point, and no conversation
   test failing. Only then is the model loaded into the running Rasa (`PUT /model`), which swaps
   its agent between two messages: no downtime, and a model that does not load leaves the old one.

Every model stays in the folder with its row; going back is `switch_to` an earlier one.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml
from sqlalchemy import select, update

from bot.config import PROJECT_ROOT, Settings
from bot.evaluation.conversations import run_conversation_tests
from bot.learning import lease
from bot.learning.candidate import train_candidate
from bot.learning.inbox import Refused, kept_examples, normalised
from bot.store import Database, audit
from bot.store.learning_models import AssistantModel, ModelState
from bot.times import utcnow
from bot.training import MODEL_NAME, rasa_environment

logger = logging.getLogger(__name__)

# The held-out split (every section of it): the gate compares accuracy on the whole split.
HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout"
LEARNED_FILE = Path("nlu") / "learned.yml"
GATE_MARGIN = 0.005  # half a point of held-out accuracy
RASA_LOAD_TIMEOUT = 600.0


def models_dir() -> Path:
    """Where every model trained from the console is kept (LEARNING_MODELS_DIR, default var/models/)."""
    configured = os.environ.get("LEARNING_MODELS_DIR")
    path = Path(configured) if configured else PROJECT_ROOT / "var" / "models"
    return path if path.is_absolute() else PROJECT_ROOT / path


# The kept examples as training data ----------------------------------------------------------------


def heldout_sentences() -> set[str]:
    from bot.evaluation import load_heldout

    return {normalised(text) for text, _ in load_heldout(HELDOUT)} if HELDOUT.exists() else set()


def learned_document(examples: list[tuple[str, str]], existing: Path | None = None) -> tuple[str, int]:
    """The YAML of data/nlu/learned.yml: what it already holds plus `examples`, without duplicates and
    without any sentence of the held-out split (training on it would make the gate meaningless).
    Returns the text and how many examples it holds."""
    from bot.evaluation import load_examples

    by_intent: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    excluded = heldout_sentences()
    previous = load_examples(existing) if existing and existing.exists() else []
    for text, intent in [*previous, *examples]:
        if (text, intent) in seen or normalised(text) in excluded:
            continue
        seen.add((text, intent))
        by_intent.setdefault(intent, []).append(text)
    blocks = [
        {"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
        for intent, texts in sorted(by_intent.items())
    ]
    header = (
        "# Sentences citizens wrote that the assistant missed, kept by an admin in the console\n"
        '# ("Forbedr chatbotten") and written here by `python -m bot nlu export`. Redacted.\n'
    )
    body = yaml.dump(
        {"version": "3.1", "nlu": blocks}, Dumper=_NluDumper, allow_unicode=True, sort_keys=False, width=1000
    )
    return header + body, len(seen)


class _NluDumper(yaml.SafeDumper):
    """Writes the examples as a `|` block, as Rasa's own training files have them."""


_NluDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None),
)


def examples_for_training(db: Database) -> list[tuple[str, str]]:
    """The kept examples, for intents the domain still has (the intent contract)."""
    from bot.learning.inbox import assignable_intents

    intents = set(assignable_intents())
    return [(e.text, e.intent) for e in kept_examples(db) if e.intent in intents]


def export(db: Database, data_dir: Path = PROJECT_ROOT / "data") -> tuple[Path, int]:
    """`python -m bot nlu export`: the kept examples into data/nlu/learned.yml, for the repository."""
    target = data_dir / LEARNED_FILE
    document, count = learned_document(examples_for_training(db), target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document, encoding="utf-8")
    # From the command line, so no staff member: the log still says when the examples left the database.
    audit.record(db, None, "examples_exported", details=f"{count} eksempler til {LEARNED_FILE}")
    return target, count


# The model rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelLine:
    id: int
    file_name: str
    state: str
    progress: str | None
    started_by: str | None
    kept_examples: int
    accuracy: float | None
    baseline_accuracy: float | None
    conversation_tests_passed: bool | None
    created_at: object
    served_at: object


def model_lines(db: Database) -> list[ModelLine]:
    from bot.store import StaffMember

    query = (
        select(AssistantModel, StaffMember.first_name)
        .outerjoin(StaffMember, StaffMember.id == AssistantModel.started_by)
        .order_by(AssistantModel.id.desc())
    )
    with db.session() as session:
        return [
            ModelLine(
                id=m.id,
                file_name=m.file_name,
                state=m.state.value,
                progress=m.progress,
                started_by=name,
                kept_examples=m.kept_examples,
                accuracy=m.accuracy,
                baseline_accuracy=m.baseline_accuracy,
                conversation_tests_passed=m.conversation_tests_passed,
                created_at=m.created_at,
                served_at=m.served_at,
            )
            for m, name in session.execute(query)
        ]


def _set(db: Database, model_id: int, **values) -> None:
    with db.session() as session:
        session.execute(
            update(AssistantModel)
            .where(AssistantModel.id == model_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def serving_model_path(db: Database) -> Path | None:
    """The file of the model put in use from the console, if there is one and it is still there."""
    serving = _serving(db)
    path = models_dir() / serving.file_name if serving else None
    return path if path and path.is_file() else None


def _serving(db: Database) -> AssistantModel | None:
    with db.session() as session:
        return session.scalar(select(AssistantModel).where(AssistantModel.state == ModelState.SERVING))


# Starting a training (in the gateway) -----------------------------------------------------------------


def start_training(db: Database, staff_id: int) -> int:
    """Take the lease, add the model's row, start the training process; returns the row's id."""
    holder = lease.new_holder()
    if not lease.take(db, lease.TRAINING, holder):
        raise Refused("Der kører allerede en træning. Vent, til den er færdig.")
    try:
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        with db.session() as session:
            model = AssistantModel(
                file_name=f"{MODEL_NAME}-{stamp}-{holder[:6]}.tar.gz",
                state=ModelState.TRAINING,
                progress="Starter",
                started_by=staff_id,
                kept_examples=len(examples_for_training(db)),
            )
            session.add(model)
            session.flush()
            model_id = model.id
        log = models_dir() / f"training-{model_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as output:
            subprocess.Popen(
                [sys.executable, "-m", "bot.learning.trainer", str(model_id), holder],
                cwd=PROJECT_ROOT,
                env=rasa_environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a gateway restart does not stop it
            )
        return model_id
    except BaseException:
        lease.release(db, lease.TRAINING, holder)
        raise


# The training process ------------------------------------------------------------------------------


class RasaModels:
    """Rasa's HTTP API for its model: which file it runs, and loading another."""

    def __init__(self, settings: Settings) -> None:
        self.url, self.token = settings.rasa_url, settings.rasa_token

    def current_file(self) -> str | None:
        response = httpx.get(f"{self.url}/status", params={"token": self.token}, timeout=10)
        response.raise_for_status()
        return response.json().get("model_file")

    def load(self, path: Path) -> None:
        try:
            response = httpx.put(
                f"{self.url}/model",
                params={"token": self.token},
                json={"model_file": str(path)},
                timeout=RASA_LOAD_TIMEOUT,
            )
        except httpx.HTTPError as error:
            raise RuntimeError(f"Rasa did not answer while loading {path.name}: {error!r}") from error
        if response.status_code != 204:
            raise RuntimeError(f"Rasa did not load {path.name}: {response.status_code} {response.text[:300]}")


def score_heldout(model: Path) -> tuple[float, float]:
    from bot.evaluation import load_heldout, parse_all, score

    examples = load_heldout(HELDOUT)
    result = score(examples, parse_all(model, [text for text, _ in examples]))
    return result.accuracy, result.macro_f1


def _rasa_model_path(file_name: str) -> Path | None:
    """Where the model Rasa runs now lives: RASA_MODEL (a file or a folder, as `bot run` takes it) or models/."""
    configured = Path(os.environ.get("RASA_MODEL", "models"))
    configured = configured if configured.is_absolute() else PROJECT_ROOT / configured
    name = Path(file_name).name
    for candidate in (configured, configured / name, PROJECT_ROOT / "models" / name, models_dir() / name):
        if candidate.is_file() and candidate.name == name:
            return candidate
    return None


def register_serving_model(db: Database, rasa: RasaModels) -> AssistantModel:
    """The model citizens have now, with its figures: the one a new model must not be worse than."""
    serving = _serving(db)
    if serving is not None and serving.accuracy is not None:
        return serving
    running = rasa.current_file()
    source = _rasa_model_path(running or "")
    if source is None:
        raise RuntimeError(f"cannot find the file of the model Rasa runs ({running})")
    target = models_dir() / f"{source.stem.removesuffix('.tar')}-{utcnow():%Y%m%d-%H%M%S}-first.tar.gz"
    if source.resolve().parent != models_dir().resolve():
        shutil.copy2(source, target)
    else:
        target = source
    accuracy, macro_f1 = score_heldout(target)
    with db.session() as session:
        model = AssistantModel(
            file_name=target.name,
            state=ModelState.SERVING,
            progress="Modellen, chatbotten brugte før",
            kept_examples=0,
            accuracy=accuracy,
            macro_f1=macro_f1,
            conversation_tests_passed=None,
            finished_at=utcnow(),
            served_at=utcnow(),
        )
        session.add(model)
        return model


def passes_gate(accuracy: float, baseline: float, conversation_tests: bool) -> bool:
    return conversation_tests and accuracy >= baseline - GATE_MARGIN


def run_training(db: Database, model_id: int, holder: str, settings: Settings) -> ModelState:
    rasa = RasaModels(settings)
    with (
        lease.Heartbeat(db, lease.TRAINING, holder),
        tempfile.TemporaryDirectory(prefix="borgerhjaelp-train-") as scratch,
    ):
        try:
            _set(db, model_id, progress="Måler den nuværende model")
            baseline = register_serving_model(db, rasa)

            _set(db, model_id, progress="Træner den nye model")
            data = Path(scratch) / "data"
            shutil.copytree(PROJECT_ROOT / "data", data)
            document, _count = learned_document(examples_for_training(db), data / LEARNED_FILE)
            (data / LEARNED_FILE).write_text(document, encoding="utf-8")
            with db.session() as session:
                file_name = session.get(AssistantModel, model_id).file_name
            model_path = train_candidate(
                data,
                models_dir(),
                file_name.removesuffix(".tar.gz"),
                models_dir() / baseline.file_name,
                progress=lambda text: _set(db, model_id, progress=text),
            )

            _set(db, model_id, progress="Tester på testsættet")
            accuracy, macro_f1 = score_heldout(model_path)
            _set(
                db,
                model_id,
                accuracy=accuracy,
                macro_f1=macro_f1,
                baseline_accuracy=baseline.accuracy,
                progress="Kører samtaletestene",
            )
            conversation_tests = run_conversation_tests(model_path, Path(scratch))
            if not conversation_tests.passed:
                logger.warning("Conversation tests failed:\n%s", conversation_tests.details)
            tests_pass = conversation_tests.passed
            _set(db, model_id, conversation_tests_passed=tests_pass, finished_at=utcnow())
            started_by = _started_by(db, model_id)
            if not passes_gate(accuracy, baseline.accuracy, tests_pass):
                _set(
                    db,
                    model_id,
                    state=ModelState.FAILED_GATE,
                    progress=_gate_text(accuracy, baseline.accuracy, tests_pass),
                )
                audit.record(db, started_by, "model_failed_gate", details=f"model {model_id}, {accuracy:.3f}")
                return ModelState.FAILED_GATE
            _set(db, model_id, state=ModelState.READY, progress="Bestod testene. Lægges i drift")
            switch_to(db, model_id, settings, rasa)
            audit.record(db, started_by, "model_served", details=f"model {model_id}, {accuracy:.3f}")
            return ModelState.SERVING
        except Exception as error:  # noqa: BLE001 - the row tells the admin; the log has the rest
            logger.exception("Training model %s failed", model_id)
            _set(db, model_id, state=ModelState.FAILED, progress=f"Fejl: {str(error)[:180]}", finished_at=utcnow())
            return ModelState.FAILED
        finally:
            lease.release(db, lease.TRAINING, holder)


def _started_by(db: Database, model_id: int) -> int | None:
    with db.session() as session:
        return session.get(AssistantModel, model_id).started_by


def _gate_text(accuracy: float, baseline: float, tests_pass: bool) -> str:
    if not tests_pass:
        return "Samtaletestene fejlede. Chatbotten bruger stadig den gamle model."
    figures = f"{accuracy * 100:.1f} % rigtige mod {baseline * 100:.1f} % før".replace(".", ",")
    return f"{figures}. Chatbotten bruger stadig den gamle model."


def switch_to(db: Database, model_id: int, settings: Settings, rasa: RasaModels | None = None) -> None:
    """Load this model into the running Rasa; it serves, the one before it is retired."""
    with db.session() as session:
        model = session.get(AssistantModel, model_id)
        if model is None or model.state not in (ModelState.READY, ModelState.RETIRED, ModelState.SERVING):
            raise Refused("Kun en model, der har bestået testene, kan bruges.")
        path = models_dir() / model.file_name
    if not path.is_file():
        raise Refused("Modellens fil findes ikke længere.")
    (rasa or RasaModels(settings)).load(path)
    with db.session() as session:
        session.execute(
            update(AssistantModel)
            .where(AssistantModel.state == ModelState.SERVING, AssistantModel.id != model_id)
            .values(state=ModelState.RETIRED)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(AssistantModel)
            .where(AssistantModel.id == model_id)
            .values(state=ModelState.SERVING, served_at=utcnow(), progress="I brug")
            .execution_options(synchronize_session=False)
        )


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    model_id, holder = int(argv[0]), argv[1]
    settings = Settings.from_env()
    db = Database(settings.database_url)
    try:
        state = run_training(db, model_id, holder, settings)
    finally:
        db.dispose()
    print(f"Model {model_id}: {state.value}", flush=True)
    return 0 if state in (ModelState.SERVING, ModelState.FAILED_GATE) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
