"""Alembic environment: the same migrations build the SQLite and the PostgreSQL warehouse."""

import os

from alembic import context
from sqlalchemy import create_engine

from inclusion_data.warehouse.schema import metadata

config = context.config
if config.config_file_name and os.environ.get("WAREHOUSE_URL"):  # the alembic CLI
    config.set_main_option("sqlalchemy.url", os.environ["WAREHOUSE_URL"].replace("%", "%%"))


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no warehouse URL: set WAREHOUSE_URL or sqlalchemy.url in alembic.ini")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
