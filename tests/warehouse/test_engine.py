"""The embedded warehouse's connections: what every SQLite connection is set up with."""

from __future__ import annotations

from inclusion_data.warehouse.engine import SQLITE_CACHE_KIB, make_engine, migrate


def test_sqlite_connections_write_ahead_check_foreign_keys_and_cache_a_big_load(tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    migrate(url)
    engine = make_engine(url)
    try:
        for _ in range(2):  # a new connection each time, not only the pool's first
            with engine.connect() as conn:
                driver = conn.connection.driver_connection
                assert driver.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                assert driver.execute("PRAGMA foreign_keys").fetchone()[0] == 1
                # negative: KiB, an upper bound; SQLite's default (2 MB) spilled a 1M-row load's index
                assert driver.execute("PRAGMA cache_size").fetchone()[0] == -SQLITE_CACHE_KIB
            engine.dispose()
    finally:
        engine.dispose()
