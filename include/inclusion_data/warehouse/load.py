"""Write submissions and reference data to the warehouse.

Dataset tables are append-only and carry lineage (submission, file hash, sheet, row): a
re-sent month supersedes the older version by status in one transaction, so history stays
and indicators read only accepted submissions.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Connection, Engine, Integer, func, insert, select, update

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.network import Network
from inclusion_data.intake.localities import localities as load_localities
from inclusion_data.submissions.outcome import ACCEPTED, REJECTED, SUPERSEDED, SubmissionRecord
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.engine import lock_warehouse


def _records(frame: pd.DataFrame, table, columns: list[str]) -> list[dict]:
    """Rows as plain Python values of the columns' types (an integer column that held an empty
    cell comes out of pandas as floats; COPY and strict drivers want integers)."""
    subset = frame[columns].astype(object)
    records = subset.where(subset.notna(), None).to_dict("records")
    integers = [c for c in columns if isinstance(table.c[c].type, Integer)]
    for record in records:
        for column in integers:
            if isinstance(record[column], float):
                record[column] = int(record[column])
    return records


def record_submission(conn: Connection, record: SubmissionRecord, rows: pd.DataFrame | None) -> int:
    """Insert the submission; when accepted, load its rows and supersede the older version.
    Runs in the caller's transaction (one per file). Returns the submission id."""
    s = schema.submissions
    key = (
        (s.c.project == record.project)
        & (s.c.partner == record.partner)
        & (s.c.dataset == record.dataset)
        & (s.c.period == record.period)
    )
    earlier = conn.execute(
        select(func.count()).select_from(s).where(key & (s.c.status != REJECTED))
    ).scalar_one()
    values = {
        **record.__dict__,
        "findings": json.dumps(record.findings, ensure_ascii=False),
        "version": earlier + 1,
    }
    inserted = conn.execute(insert(s).values(**values)).inserted_primary_key
    if inserted is None:
        raise RuntimeError(f"the database returned no id for the new submission of {record.file_name}")
    submission_id = inserted[0]
    if record.status == ACCEPTED:
        conn.execute(
            update(s)
            .where(key & (s.c.status == ACCEPTED) & (s.c.id != submission_id))
            .values(status=SUPERSEDED, superseded_by=submission_id)
        )
        _insert_rows(conn, record, submission_id, rows)
    return submission_id


def _insert_rows(conn: Connection, record: SubmissionRecord, submission_id: int, rows: pd.DataFrame) -> None:
    table = schema.dataset_tables[record.dataset]
    columns = schema.stored_columns(DATASETS[record.dataset])
    lineage = {
        "submission_id": submission_id,
        "file_hash": record.file_hash,
        "sheet": record.sheet,
        "project": record.project,
        "partner": record.partner,
        "period": record.period,
    }
    payload = [
        {**lineage, "row": int(row_number), **values}
        for row_number, values in zip(rows["_row"], _records(rows, table, columns), strict=True)
    ]
    if not payload:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, payload)
    else:
        conn.execute(insert(table), payload)


def _copy(conn: Connection, table: str, payload: list[dict]) -> None:
    """PostgreSQL's COPY: one stream instead of a statement per row, in the same transaction."""
    names = list(payload[0])
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the warehouse connection is closed; cannot COPY into it")
    cursor = driver.cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
        for row in payload:
            copy.write_row([row[n] for n in names])


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
            conn.execute(
                insert(schema.localities),
                [
                    {
                        "siruta": loc.siruta,
                        "name": loc.name,
                        "county": loc.county,
                        "uat_siruta": loc.uat_siruta,
                        "uat_name": loc.uat_name,
                        "level": loc.level,
                    }
                    for loc in load_localities().by_siruta.values()
                ],
            )
