"""Rotate the pseudonymisation key:

    python -m inclusion_data.warehouse.rotate_key --new-key-file new.key [--out keyring]

Person keys are HMACs of identifiers the warehouse never stored, so they cannot be recomputed
under a new key. What can be done, and is done here in one transaction: every stored person
key ``p`` becomes ``HMAC(new key, p)``, and the new key is appended to the keyring, so that
new files go through the same chain (``pseudonym.person_key``) and meet the same people. The
old keys stay in the keyring (without them a new file's people could not be matched); the
keyring as a whole is the secret, and its newest key is a strong one. Someone holding only an
old key, or an old key and a dump taken after the rotation, can no longer test a CNP.

The new keyring is written before the warehouse changes (to ``--out``, or next to the key
file it replaces), and the key file is replaced only once the transaction has committed; until
the new keyring is installed where the pipeline reads its key, loads fail closed on the
fingerprint (``key_binding``), they never mix keys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from sqlalchemy import Engine, bindparam, select, update

from inclusion_data.intake import pseudonym
from inclusion_data.settings import Settings
from inclusion_data.warehouse.engine import lock_warehouse, make_engine
from inclusion_data.warehouse.key_binding import check_key
from inclusion_data.warehouse.schema import dataset_tables, pseudonym_keys


def read_new_key(path: Path) -> bytes:
    """One key, strong, from a file (one final newline allowed, nothing trimmed)."""
    text = pseudonym._from_file(path.read_text("utf-8"))
    pseudonym.check_strength(text, str(path))  # refuses line ends: one key only
    return text.encode("utf-8")


def rekey_warehouse(engine: Engine, current: bytes, source: str, new_key: bytes) -> dict[str, int]:
    """In one transaction: check the warehouse's key is ``current`` (binding it if the
    warehouse has none yet), re-key every person key with ``new_key``, retire the old
    fingerprint and bind the new keyring's. Returns the person keys re-keyed per table."""
    keyring = current + pseudonym.SEPARATOR + new_key
    now = dt.datetime.now(dt.UTC)
    counts = {}
    with engine.begin() as conn:
        lock_warehouse(conn)
        check_key(conn, current, source)
        for name, table in dataset_tables.items():
            rows = conn.execute(select(table.c.id, table.c.person_key)).all()
            new = {p: pseudonym.rekey(p, new_key) for p in {row.person_key for row in rows}}
            if rows:  # by primary key: each row is rewritten once, from its old value
                conn.execute(
                    update(table)
                    .where(table.c.id == bindparam("row_id"))
                    .values(person_key=bindparam("new")),
                    [{"row_id": row.id, "new": new[row.person_key]} for row in rows],
                )
            counts[name] = len(new)
        t = pseudonym_keys
        conn.execute(update(t).where(t.c.retired_at.is_(None)).values(retired_at=now))
        conn.execute(
            t.insert().values(
                fingerprint=pseudonym.fingerprint(keyring),
                key_count=len(keyring.split(pseudonym.SEPARATOR)),
                bound_at=now,
            )
        )
    return counts


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--new-key-file", type=Path, required=True, help="a file holding the new key")
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the new keyring (must not exist); default: replace the key file when "
        "the current key came from it",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        current = pseudonym.load_key(settings, strict=False)  # a weak current key is why one rotates
        source = pseudonym.key_source(settings)
        new_key = read_new_key(args.new_key_file)
    except (pseudonym.KeyProblem, OSError) as exc:
        print(f"rotate_key: {exc}", file=sys.stderr)
        return 2
    if new_key in current.split(pseudonym.SEPARATOR):
        print("rotate_key: the new key is already in the keyring", file=sys.stderr)
        return 2
    from_file = source.startswith("the key file")
    out = args.out or (settings.key_file.with_name(settings.key_file.name + ".new") if from_file else None)
    if out is None:
        print(
            f"rotate_key: the key comes from {source}: say where to write the new keyring with --out",
            file=sys.stderr,
        )
        return 2
    keyring = current + pseudonym.SEPARATOR + new_key
    try:
        _write_private(out, keyring)
    except FileExistsError:
        print(f"rotate_key: {out} exists; remove it or choose another --out", file=sys.stderr)
        return 2
    engine = make_engine(settings.warehouse_url)
    try:
        counts = rekey_warehouse(engine, current, source, new_key)
    except pseudonym.KeyProblem as exc:
        out.unlink()
        print(f"rotate_key: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if args.out is None:
        os.replace(out, settings.key_file)
        out = settings.key_file
    print(f"re-keyed {', '.join(f'{n} {t}' for t, n in counts.items())} person keys.")
    print(f"The new keyring ({len(keyring.split(pseudonym.SEPARATOR))} keys, one per line) is in {out}.")
    if not from_file or args.out is not None:
        print(
            f"Install its whole content where the pipeline reads the key ({source}) now: until then "
            "loads stop on the fingerprint check. Back it up like the old key, then delete the file."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
