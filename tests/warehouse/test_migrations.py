"""The migrations build the schema of the code, on SQLite and PostgreSQL alike."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from inclusion_data.warehouse.engine import make_engine, migrate
from inclusion_data.warehouse.schema import metadata


def test_migrations_build_the_schema_of_the_code(warehouse_url):
    url = warehouse_url
    migrate(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == [], "run `make migration m=...`"
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_go_down_and_up_again(warehouse_url):
    url = warehouse_url
    migrate(url)
    from alembic import command

    from inclusion_data.warehouse.engine import alembic_config

    command.downgrade(alembic_config(url), "base")
    assert set(inspect(make_engine(url)).get_table_names()) == {"alembic_version"}
    migrate(url)
    assert set(metadata.tables) <= set(inspect(make_engine(url)).get_table_names())


def test_concurrent_preparations_of_a_fresh_warehouse_do_not_collide(tmp_path, monkeypatch, warehouse_url):
    """Both DAGs prepare the warehouse when they start, possibly at once on several workers."""
    import threading

    from inclusion_data.orchestration import tasks

    monkeypatch.setenv("INCLUSION_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    errors = []

    def prepare():
        try:
            tasks.prepare_warehouse()
        except Exception as exc:  # collected: a thread's exception would otherwise be lost
            errors.append(exc)

    threads = [threading.Thread(target=prepare) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(metadata.tables) <= set(inspect(make_engine(warehouse_url)).get_table_names())


def test_sqlite_and_postgresql_get_the_same_tables_and_columns(tmp_path):
    from conftest import warehouse_database

    shapes = []
    for kind in ("sqlite", "postgresql"):
        with warehouse_database(kind, tmp_path) as url:
            migrate(url)
            engine = make_engine(url)
            inspector = inspect(engine)
            shapes.append(
                {
                    table: sorted(c["name"] for c in inspector.get_columns(table))
                    for table in inspector.get_table_names()
                }
            )
            engine.dispose()
    assert shapes[0] == shapes[1] and "submissions" in shapes[0]
