# Borgerhjælp: every command a developer or a municipality's IT department needs.
# `make run` and `make test` do all set-up themselves on a fresh clone.

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(VENV)/bin/rasa
SETUP  := $(VENV)/.installed
SPACY  := build/da_pipeline/meta.json

# `make train`, `make run` and `make shell` show the project's own progress lines and real problems:
# third-party deprecation warnings (matplotlib, click, pyparsing, SQLAlchemy, TensorFlow) and the
# servers' info logs are left out. VERBOSE=1 shows everything.
ifeq ($(VERBOSE),1)
QUIET :=
RUN_QUIET :=
else
QUIET := BORGERHJAELP_QUIET=1 SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=3 \
	PYTHONWARNINGS=ignore::DeprecationWarning,ignore::PendingDeprecationWarning,ignore::FutureWarning
RUN_QUIET := --quiet
endif

.DEFAULT_GOAL := help
.PHONY: help setup browser-deps train run shell check test-fast test eval bench chaos purge clean

help: ## List the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(SETUP): requirements.lock scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $@

$(SPACY): $(SETUP) scripts/build_spacy_pipeline.py
	$(PY) scripts/build_spacy_pipeline.py build/da_pipeline

setup: $(SPACY) ## Make .venv, install the locked dependencies, build the Danish spaCy pipeline

browser-deps: ## Debian's Chromium (when missing) and axe-core from npm, for the browser tests
	bash scripts/install_browser_deps.sh

train: setup ## Train the Rasa model (only when data, domain or config changed)
	$(QUIET) $(PY) -m bot.training

run: train ## Set up, train if needed, and start everything (SQLite, one process each)
	$(QUIET) $(PY) -m bot run $(RUN_QUIET)

shell: train ## Chat with the assistant in the terminal
	$(QUIET) $(PY) -m bot shell

check: $(SETUP) ## Lint (ruff) and type-check (mypy) bot/ and actions/: seconds
	$(VENV)/bin/ruff check bot actions
	$(VENV)/bin/mypy

test-fast: $(SPACY) ## The tests without a trained model, a browser, the full stack or Rasa replicas: minutes
	$(PY) -m pytest -n auto -m "not (model or browser or full_stack or scaleout)"

test: setup browser-deps ## Set up and run the whole test suite
	$(PY) -m pytest --durations=30

eval: setup ## Intent accuracy and macro F1 per held-out section (short, long, voice, English, noisy), Danish vs default pipeline
	$(PY) -m bot.evaluation

bench: train ## Speed and memory against a stock Rasa bot, also on PostgreSQL + Redis with 2 Rasa workers
	$(PY) -m bot.benchmarks --scaled 2 --profile

chaos: setup ## Kill Rasa, the action server, a gateway replica and PostgreSQL under 20 chatting citizens; count what was lost
	$(QUIET) nice -n 10 $(PY) -m bot.chaos $(if $(MODEL),--model $(MODEL))

purge: setup ## Delete conversations older than the retention period
	$(PY) -m bot purge

clean: ## Remove trained models, build output and local databases (keeps .venv)
	rm -rf models build var results
