"""Write submissions and reference data to the warehouse.

Dataset tables are append-only and carry lineage (submission, file hash, sheet, row): a
re-sent month supersedes the older version by status in one transaction, so history stays
and indicators read only accepted submissions. Which version is accepted depends on arrival,
never on which load commits first; a file's outcome is recorded with its rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sized
from dataclasses import dataclass
from itertools import islice

import pandas as pd
from sqlalchemy import Connection, Engine, Integer, delete, func, insert, literal, select, text, update

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.network import Network
from inclusion_data.intake import columns
from inclusion_data.intake.localities import localities as load_localities
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.submissions.outcome import (
    ACCEPTED,
    CURRENT,
    HELD,
    REJECTED,
    SUPERSEDED,
    FileOutcome,
    SheetOutcome,
    SubmissionRecord,
)
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.engine import lock_warehouse


def _column(frame: pd.DataFrame, name: str, column, process=None) -> list:
    """A frame column as plain Python values of the table column's type, each distinct value
    converted once: None for a missing value, an integer for an integer column's float (an
    integer column that held an empty cell comes out of pandas as floats; COPY and strict
    drivers want integers), then the driver-side conversion ``process`` if any."""
    codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
    integer = isinstance(column.type, Integer)
    converted: list[object] = []
    for value in pd.Series(uniques, dtype=object).tolist():
        if integer and isinstance(value, float):
            value = int(value)
        converted.append(process(value) if process else value)
    return columns.Distinct([], codes.astype("int64") + 1).broadcast([None, *converted]).tolist()


def lock_ids(file_hash: str, keys: list[tuple[str, str, str, str]]) -> list[int]:
    """The advisory locks a file's load takes: one for its bytes, one per submission key,
    in a fixed order so two loads that share several never wait for each other in a circle."""
    names = [f"file|{file_hash}", *(f"key|{'|'.join(k)}" for k in keys)]
    return sorted({_lock_id(n) for n in names})


def _lock_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def month_lock_id(project: str, period: str) -> int:
    """The lock of a project's month: loads into it share it, a review takes it alone."""
    return _lock_id(f"month|{project}|{period}")


def lock_indicator_build(conn: Connection) -> None:
    """One indicator build at a time: each adds to what the previous one stored."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id("indicator build")})
    elif conn.dialect.name == "sqlite":
        _begin_immediate(conn)


def lock_month(conn: Connection, project: str, period: str) -> None:
    """Wait for the loads into a project's month to end and keep new ones out until the
    caller's transaction ends (what approving or reopening the month does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": month_lock_id(project, period)})
    elif conn.dialect.name == "sqlite":
        _begin_immediate(conn)


def _locks_held(conn: Connection) -> set[tuple[str, int]]:
    """The advisory locks ``serialise`` took in the connection's current transaction or
    savepoint (they end with it; a new one starts with none, and outside a transaction
    nothing is remembered)."""
    transaction = conn.get_nested_transaction() or conn.get_transaction()
    if transaction is None:
        return set()
    noted = conn.info.get("advisory_locks")
    if noted is None or noted[0] is not transaction:
        noted = conn.info["advisory_locks"] = (transaction, set())
    return noted[1]


def _begin_immediate(conn: Connection) -> None:
    """SQLite's one writer, taken at once; once only: the caller may have taken it already."""
    driver = conn.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def submission_keys(records: list[tuple[SubmissionRecord, SheetOutcome]]) -> list[tuple[str, str, str, str]]:
    return sorted({(r.project, r.partner, r.dataset, r.period) for r, _ in records})


def serialise(conn: Connection, file_hash: str, keys: list[tuple[str, str, str, str]]) -> None:
    """One writer per submission key and per file until the transaction ends: on PostgreSQL
    transaction-scoped advisory locks (a second load of the same month waits, then sees the
    first), and a shared lock per month, so a review of the month waits for the loads into it
    and they for it; SQLite has one writer at a time, taken now rather than at the first write.
    Locks the transaction holds already are not asked for again, and the others are asked
    for in one statement (a round trip each was ~0.5 ms of a small file's load)."""
    if conn.dialect.name == "postgresql":
        held = _locks_held(conn)
        months = sorted({(k[0], k[3]) for k in keys})
        wanted = [
            *(("pg_advisory_xact_lock", lock) for lock in lock_ids(file_hash, keys)),
            *(("pg_advisory_xact_lock_shared", month_lock_id(*month)) for month in months),
        ]
        asked = [(function, lock) for function, lock in wanted if (function, lock) not in held]
        if asked:  # one statement: PostgreSQL takes them in the order of its select list
            calls = ", ".join(f"{function}(:l{i})" for i, (function, _) in enumerate(asked))
            conn.execute(text(f"SELECT {calls}"), {f"l{i}": lock for i, (_, lock) in enumerate(asked)})
            held.update(asked)
    elif conn.dialect.name == "sqlite":
        _begin_immediate(conn)


def load_file(
    conn: Connection,
    outcome: FileOutcome,
    records: list[tuple[SubmissionRecord, SheetOutcome]],
    frames: dict[str, pd.DataFrame],
    now: dt.datetime,
    seal: NameSeal,
) -> list[int]:
    """Record a file's submissions, load the accepted rows and record the file's outcome, in
    the caller's transaction (one per file: all of it or nothing). Returns [] when done, or
    the submissions of the same bytes recorded before (the file is then a duplicate and
    nothing was written). The file's name and inbox path are personal: they are stored
    sealed (the outcome record) or as a keyed digest (the path, to find it again)."""
    serialise(conn, outcome.file_hash, submission_keys(records))
    f, s = schema.file_outcomes, schema.submissions
    recorded = conn.scalar(select(f.c.status).where(f.c.file_hash == outcome.file_hash))
    if recorded == HELD:  # released from held/ (its record's removal may have been lost)
        conn.execute(delete(f).where(f.c.file_hash == outcome.file_hash))
    elif recorded is not None:
        return list(conn.scalars(select(s.c.id).where(s.c.file_hash == outcome.file_hash).order_by(s.c.id)))
    for record, sheet_outcome in records:
        record.stored_at = outcome.stored_at
        rows = frames.get(sheet_outcome.sheet) if record.status == ACCEPTED else None
        sheet_outcome.submission_id, sheet_outcome.status = record_submission(conn, record, rows, seal)
    conn.execute(
        insert(f).values(
            file_hash=outcome.file_hash,
            source=seal.digest(outcome.source),
            status=outcome.status,
            stored_at=outcome.stored_at,
            outcome=seal.seal(outcome.to_record()),
            decided_at=now,
        )
    )
    return []


def mark_filed(conn: Connection, outcome: FileOutcome, now: dt.datetime, seal: NameSeal) -> None:
    """The file is where its record says, with its report (and feedback): nothing left to do."""
    f = schema.file_outcomes
    conn.execute(
        update(f)
        .where(f.c.file_hash == outcome.file_hash)
        .values(filed_at=now, outcome=seal.seal(outcome.to_record()), stored_at=outcome.stored_at)
    )


def record_submission(
    conn: Connection, record: SubmissionRecord, rows: pd.DataFrame | None, seal: NameSeal
) -> tuple[int, str]:
    """Insert the submission; when accepted (or a nil return), load its rows and make the
    newest version by arrival (received_at, then file name) the one that stands, whatever
    order loads come in: an older version arriving after a newer one is kept as superseded.
    Runs in the caller's transaction, which holds the key's lock, so the month's versions are
    asked for once and decided here. Returns the submission id and its status."""
    s = schema.submissions
    key = (
        (s.c.project == record.project)
        & (s.c.partner == record.partner)
        & (s.c.dataset == record.dataset)
        & (s.c.period == record.period)
    )
    loaded = [  # the month's versions so far (not rejected)
        _Version(row.id, row.status, _utc(row.received_at), seal.open(row.file_name), row.version)
        for row in conn.execute(
            select(s.c.id, s.c.status, s.c.received_at, s.c.file_name, s.c.version).where(
                key & (s.c.status != REJECTED)
            )
        )
    ]
    arrived = _Version(0, record.status, _utc(record.received_at), record.file_name, len(loaded) + 1)
    status, superseded_by = record.status, None
    if status in CURRENT:  # a newer current version stands: this one is kept as superseded
        newer = [v for v in loaded if v.status in CURRENT and v.arrival > arrived.arrival]
        superseded_by = min((v.id for v in newer), default=None)
        status = record.status if superseded_by is None else SUPERSEDED
    values = {
        **record.__dict__,
        "file_name": seal.seal(record.file_name),
        "status": status,
        "superseded_by": superseded_by,
        "findings": json.dumps(record.findings, ensure_ascii=False),
        "version": arrived.version,
    }
    inserted = conn.execute(insert(s).values(**values)).inserted_primary_key
    if inserted is None:
        raise RuntimeError("the database returned no id for a new submission")
    submission_id = inserted[0]
    if record.status in CURRENT:
        if status == record.status and any(v.status in CURRENT for v in loaded):
            conn.execute(
                update(s)
                .where(key & s.c.status.in_(CURRENT) & (s.c.id != submission_id))
                .values(status=SUPERSEDED, superseded_by=submission_id)
            )
        if record.status == ACCEPTED:  # a nil return has no rows
            _insert_rows(conn, record, submission_id, rows)
        arrived.id = submission_id
        _number_versions(conn, [*loaded, arrived])
    return submission_id, status


@dataclass
class _Version:
    """A loaded (not rejected) submission of a month, as its versions are numbered."""

    id: int  # 0 until inserted
    status: str
    received_at: dt.datetime
    file_name: str  # opened: ties in arrival go to the later name
    version: int

    @property
    def arrival(self) -> tuple[dt.datetime, str]:
        return self.received_at, self.file_name


def _utc(moment: dt.datetime) -> dt.datetime:
    """Arrival times are stored in UTC; SQLite hands them back without their zone."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _number_versions(conn: Connection, versions: list[_Version]) -> None:
    """Versions count the loaded submissions of a month in order of arrival (a late older
    version renumbers the ones after it)."""
    s = schema.submissions
    in_order = sorted(versions, key=lambda v: (*v.arrival, v.id))
    for number, version in enumerate(in_order, start=1):
        if version.version != number:
            conn.execute(update(s).where(s.c.id == version.id).values(version=number))


def _insert_rows(conn: Connection, record: SubmissionRecord, submission_id: int, rows: pd.DataFrame) -> None:
    """The rows, column by column, as one bulk statement: COPY on PostgreSQL, ``executemany``
    of one prepared INSERT elsewhere (values converted as SQLAlchemy would bind them)."""
    if not len(rows):
        return
    table = schema.dataset_tables[record.dataset]
    stored = schema.stored_columns(DATASETS[record.dataset])
    lineage = {
        "submission_id": submission_id,
        "file_hash": record.file_hash,
        "sheet": record.sheet,
        "project": record.project,
        "partner": record.partner,
        "period": record.period,
    }
    copy = conn.dialect.name == "postgresql"
    # COPY takes every column of every row; a prepared INSERT takes the lineage the pipeline
    # made (ids, a hash, codes from the network's register, a month), the same on every row,
    # as literals in its text: a fifth fewer values to bind. The sheet's name, which the
    # partner typed, stays a bound value.
    made = () if copy else ("submission_id", "file_hash", "project", "partner", "period")
    fixed = {name: _literal(conn, table.c[name], lineage[name]) for name in made}
    values: dict[str, list] = {
        name: [value] * len(rows) for name, value in lineage.items() if name not in made
    }
    values["row"] = rows["_row"].astype("int64").tolist()
    for name in stored:
        process = None if copy else table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        values[name] = _column(rows, name, table.c[name], process)
    # the rows streamed to the driver, not built as a list first (1M tuples: ~180 MB)
    bulk_insert(conn, table.name, list(values), zip(*values.values(), strict=True), fixed)


def _literal(conn: Connection, column, value: object) -> str:
    """``value`` as SQL text in the column's type, quoted by the dialect's own compiler."""
    rendered = literal(value, column.type).compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True}
    )
    return str(rendered)


EXECUTEMANY_ROWS = 50_000  # rows of one executemany: the rows in memory at once stay few


def bulk_insert(
    conn: Connection,
    table: str,
    names: list[str],
    payload: Iterable[tuple],
    fixed: dict[str, str] | None = None,
) -> None:
    """Rows as one bulk statement: COPY on PostgreSQL, ``executemany`` of one prepared INSERT
    elsewhere (values already as the driver takes them; ``fixed``: columns the same on every
    row, as SQL literals, not taken by COPY). ``payload`` may be an iterator: it is consumed
    once, as the driver takes the rows."""
    if isinstance(payload, Sized) and not len(payload):
        return
    if conn.dialect.name == "postgresql":
        if fixed:
            raise ValueError("COPY takes every column's values in the payload, not as literals")
        _copy(conn, table, names, payload)
    else:
        fixed = fixed or {}
        columns = ", ".join(f'"{name}"' for name in [*fixed, *names])
        marks = ", ".join([*fixed.values(), *("?" for _ in names)])
        rows = iter(payload)
        while chunk := list(islice(rows, EXECUTEMANY_ROWS)):  # SQLAlchemy takes lists only
            conn.exec_driver_sql(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', chunk)


def bulk_insert_frame(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """A frame's rows (columns named as the table's, NaN as NULL) as one bulk statement; on
    PostgreSQL the frame goes to COPY as CSV, written by pandas rather than row by row."""
    if not len(frame):
        return
    if conn.dialect.name != "postgresql":
        clean = frame.astype(object).where(frame.notna(), None)
        bulk_insert(conn, table, list(frame.columns), list(clean.itertuples(index=False, name=None)))
        return
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the warehouse connection is closed; cannot COPY into it")
    columns = ", ".join(f'"{name}"' for name in frame.columns)
    with driver.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv)') as copy:
        for start in range(0, len(frame), 200_000):
            copy.write(frame.iloc[start : start + 200_000].to_csv(index=False, header=False))


def _copy(conn: Connection, table: str, names: list[str], payload: Iterable[tuple]) -> None:
    """PostgreSQL's COPY: one stream instead of a statement per row, in the same transaction."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the warehouse connection is closed; cannot COPY into it")
    cursor = driver.cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
        for row in payload:
            copy.write_row(row)


def sync_reference(engine: Engine, network: Network) -> None:
    """Make the reference tables equal to the network file and the SIRUTA nomenclature."""
    with engine.begin() as conn:
        lock_warehouse(conn)
        conn.execute(schema.project_partners.delete())
        conn.execute(schema.partners.delete())
        conn.execute(schema.projects.delete())
        conn.execute(
            insert(schema.projects),
            [
                {
                    "code": p.code,
                    "name_ro": p.name_ro,
                    "name_en": p.name_en,
                    "start_month": p.start,
                    "end_month": p.end,
                }
                for p in network.projects.values()
            ],
        )
        conn.execute(
            insert(schema.partners),
            [{"code": p.code, "name": p.name, "county": p.county} for p in network.partners.values()],
        )
        conn.execute(
            insert(schema.project_partners),
            [
                {
                    "project": m.project,
                    "partner": m.partner,
                    "start_month": m.start,
                    "end_month": m.end,
                    "reports": ",".join(m.reports),
                }
                for m in network.memberships.values()
            ],
        )
        if not conn.scalar(select(func.count()).select_from(schema.localities)):
            # ~16k rows: one COPY (PostgreSQL) or prepared executemany, not batches of INSERTs
            names = [column.name for column in schema.localities.columns]
            known = load_localities().by_siruta.values()
            rows = [tuple(getattr(loc, name) for name in names) for loc in known]
            bulk_insert(conn, schema.localities.name, names, rows)
