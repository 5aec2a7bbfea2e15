"""`python -m bot nlu export` and the training lease, against a real database (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import yaml

from bot.evaluation import load_examples, load_heldout
from bot.learning import inbox, lease
from bot.store import audit
from bot.store.models import utcnow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_export_writes_the_kept_examples_redacted_without_held_out_sentences(db, admin_id, tmp_path):
    first_heldout_text, first_heldout_intent = load_heldout()[0]
    inbox.keep_example(db, "min app siger spærret cpr 010190-1234", "mitid_blocked", admin_id)
    inbox.keep_example(db, "hvad bliver vejret i morgen", "out_of_scope", admin_id)
    inbox.keep_example(db, first_heldout_text, first_heldout_intent, admin_id)
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "learned.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - goddag du gode chatbot\n', encoding="utf-8"
    )

    result = subprocess.run(
        [sys.executable, "-m", "bot", "nlu", "export", "--data", str(tmp_path)],
        cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": db.url}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    written = tmp_path / "nlu" / "learned.yml"
    assert yaml.safe_load(written.read_text(encoding="utf-8"))["version"] == "3.1"
    assert sorted(load_examples(written)) == [
        ("goddag du gode chatbot", "greet"),  # what the file held stays
        ("hvad bliver vejret i morgen", "out_of_scope"),
        ("min app siger spærret cpr [CPR-nummer fjernet]", "mitid_blocked"),
    ]
    assert "3 example(s)" in result.stdout
    [exported] = [line for line in audit.recent(db) if line.action == "examples_exported"]
    assert exported.staff_name is None and exported.details == "3 eksempler til nlu/learned.yml"


def test_one_training_at_a_time_across_holders(db):
    holders = [lease.new_holder() for _ in range(6)]
    won: list[str] = []

    def attempt(holder: str) -> None:
        if lease.take(db, lease.TRAINING, holder):
            won.append(holder)

    threads = [threading.Thread(target=attempt, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    assert lease.held(db, lease.TRAINING)
    other = next(h for h in holders if h != won[0])
    assert not lease.take(db, lease.TRAINING, other)

    # A holder that died stops renewing; once the lease expires another may train.
    later = utcnow() + timedelta(seconds=lease.LEASE_SECONDS + 1)
    assert lease.take(db, lease.TRAINING, other, now=later)
    lease.release(db, lease.TRAINING, won[0])  # the old holder's late release changes nothing
    assert lease.held(db, lease.TRAINING, now=later)
    lease.release(db, lease.TRAINING, other)
    assert not lease.held(db, lease.TRAINING)


def test_the_learning_migration_goes_down_and_up_again(db):
    from alembic import command
    from sqlalchemy import inspect

    from bot.store.migrate import alembic_config

    config = alembic_config(db.url)
    command.downgrade(config, "0005_statistics")
    assert not inspect(db.engine).has_table("inbox_items")
    command.upgrade(config, "head")
    assert {"inbox_items", "inbox_sightings", "kept_examples", "assistant_models", "leases", "job_marks"} <= set(
        inspect(db.engine).get_table_names()
    )
    assert lease.take(db, lease.TRAINING, "after-the-round-trip")  # the lease row is there again
