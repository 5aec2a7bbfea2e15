from alembic import context
from sqlalchemy import pool

from bot.store.db import database_url_from_env, make_engine
from bot.store.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or database_url_from_env()
    engine = make_engine(url)
    with engine.begin() as new_connection:
        _run(new_connection)
    engine.dispose()


def _only_our_tables(obj, name, type_, reflected, compare_to) -> bool:
    # Rasa's tracker store keeps its `events` table in the same database; migrations leave it alone.
    return not (type_ == "table" and reflected and compare_to is None)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=_only_our_tables,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
