"""Connections to the warehouse and its migrations."""

from __future__ import annotations

import contextlib
import sqlite3
import traceback
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATIONS = Path(__file__).with_name("migrations")
# SQLite's page cache per connection, an upper bound (pages are allocated as used). Its default
# of 2 MB is smaller than one big file's index: a 1M-row load into beneficiaries spilled the
# person_key index's pages to the WAL again and again, 7 s of system time of its 16.
SQLITE_CACHE_KIB = 64 * 1024


def make_engine(url: str) -> Engine:
    """An engine whose errors never carry the statement's parameters (partner values): a
    failed INSERT's traceback in a task log shows the SQL, not the row."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            # WAL: readers do not block the loading task. Switching needs the database to
            # itself, so it is done once; a connection that finds it busy leaves it to the other.
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                with contextlib.suppress(sqlite3.OperationalError):
                    cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def loggable_error(exc: BaseException, limit: int = 8) -> str:
    """An exception for a log without any value it may carry: its type, the database's error
    code (SQLSTATE) when there is one, and where it was raised (file, line, function). The
    message itself is left out: PostgreSQL's (``DETAIL: Key (...)=(...)``, ``CONTEXT: COPY
    ..., column x: "<value>"``) and Python's (``invalid literal for int(): '<value>'``) quote
    the offending value."""
    lines: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(lines) < 4 * limit:
        code = getattr(getattr(current, "orig", None), "sqlstate", None) or getattr(current, "sqlstate", None)
        lines.append(
            f"{type(current).__module__}.{type(current).__qualname__}"
            + (f" (SQLSTATE {code})" if code else "")
        )
        frames = traceback.extract_tb(current.__traceback__)
        # our own frames (the library's are many and alike), then where it was raised
        shown = [f for f in frames if "site-packages" not in f.filename][-limit:]
        shown += [frames[-1]] if frames and frames[-1] not in shown else []
        lines += [f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in shown]
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("caused by:")
    return "\n".join(lines)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


_LOCK_ID = 4_652_173  # any constant: the warehouse's advisory lock for schema and reference data


def lock_warehouse(conn: Connection) -> None:
    """Serialise schema and reference-data changes until the transaction ends: both DAGs
    prepare the warehouse when they start, possibly at the same moment on several workers."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    elif conn.dialect.name == "sqlite":
        # the driver opens transactions lazily (and not for DDL): take the write lock now
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(url: str, revision: str = "head") -> None:
    """Bring the warehouse schema to ``revision`` (creates an empty database's tables)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    config = alembic_config(url)
    with engine.begin() as conn:
        lock_warehouse(conn)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()
