"""A warehouse knows its pseudonymisation key: it keeps the keyring's fingerprint
(``pseudonym.fingerprint``) from the first load, and refuses any other key. Loading with
another key (or the same with a stray space) would give every person a second person key and
count them twice, silently; failing is the only safe answer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, insert, select

from inclusion_data.intake import pseudonym
from inclusion_data.settings import Settings
from inclusion_data.warehouse.engine import lock_warehouse
from inclusion_data.warehouse.schema import pseudonym_keys

ROTATE_COMMAND = "python -m inclusion_data.warehouse.rotate_key --new-key-file FILE"


class KeyMismatchError(pseudonym.KeyProblem):
    pass


def bound_fingerprint(conn: Connection) -> str | None:
    t = pseudonym_keys
    return conn.scalar(select(t.c.fingerprint).where(t.c.retired_at.is_(None)))


def check_key(conn: Connection, key: bytes, source: str, settings: Settings | None = None) -> None:
    """Bind ``key`` to the warehouse on first use (the caller's transaction holds the
    warehouse lock), or raise ``KeyMismatchError`` if the warehouse has another."""
    t = pseudonym_keys
    offered = pseudonym.fingerprint(key)
    bound = bound_fingerprint(conn)
    if bound is None:
        conn.execute(
            insert(t).values(
                fingerprint=offered,
                key_count=len(key.split(pseudonym.SEPARATOR)),
                bound_at=dt.datetime.now(dt.UTC),
            )
        )
        return
    if bound == offered:
        return
    retired = conn.scalar(select(t.c.retired_at).where(t.c.fingerprint == offered))
    where = (
        f"{pseudonym.ENV_VAR}, the Airflow Variable '{pseudonym.AIRFLOW_VARIABLE}' or "
        f"{settings.key_file if settings else 'the key file'}"
    )
    if retired is not None:
        reason = (
            f"it is the keyring this warehouse had until it was rotated on {retired:%Y-%m-%d %H:%M}; "
            "install the keyring the rotation wrote"
        )
    else:
        reason = (
            "it is another key (or the same with a character more or less: keys are used byte for "
            f"byte); set {where} back to the warehouse's key"
        )
    pending = settings.key_file.with_name(settings.key_file.name + ".new") if settings else None
    if settings is not None and pending is not None and pending.exists():
        reason += f" (a rotation left the new keyring in {pending}: move it over {settings.key_file})"
    raise KeyMismatchError(
        f"The pseudonymisation key from {source} is not the key of this warehouse (fingerprint "
        f"{offered[:12]}…, the warehouse's is {bound[:12]}…): {reason}. Nothing was loaded: with "
        f"another key every person would be counted twice. To change the key, run {ROTATE_COMMAND}."
    )


def bind_key(engine: Engine, key: bytes, source: str, settings: Settings | None = None) -> None:
    with engine.begin() as conn:
        lock_warehouse(conn)  # two first loads at once: one binds, the other checks against it
        check_key(conn, key, source, settings)


def load_bound_key(settings: Settings, engine: Engine) -> bytes:
    """The configured key (``pseudonym.load_key``: present, strong), once the warehouse has
    confirmed it is its own. What a task that loads person keys calls."""
    key = pseudonym.load_key(settings)
    bind_key(engine, key, pseudonym.key_source(settings), settings)
    return key
