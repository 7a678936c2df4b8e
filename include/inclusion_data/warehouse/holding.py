"""Files for a closed month: neither loaded nor lost. Such a file is recorded in
``file_outcomes`` with status ``held`` (nothing of it in the dataset tables), found again
when a coordinator reopens its month, and its record dropped once it is back in the inbox,
where the next ingest run loads it as if it had just arrived (at its first arrival time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import Connection, delete, func, insert, select

from inclusion_data.intake.sealing import NameSeal
from inclusion_data.submissions.outcome import CURRENT, HELD, FileOutcome, SheetOutcome, SubmissionRecord
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.review import closed_months


def closed_among(
    conn: Connection, records: list[tuple[SubmissionRecord, SheetOutcome]]
) -> list[tuple[str, str]]:
    """The closed (project, period) months that a file's submissions would change: accepted
    or nil ones. A rejected submission changes no figure, so it is answered at once. Ask it
    in the file's transaction once ``load.serialise`` has taken its locks, so that no
    approval slips between the question and the load."""
    months = {(r.project, r.period) for r, _ in records if r.status in CURRENT}
    return sorted(months & closed_months(conn)) if months else []


def record_held(conn: Connection, outcome: FileOutcome, now: dt.datetime, seal: NameSeal) -> bool:
    """Record ``outcome`` as held, in the caller's transaction (serialised as for a load).
    False when a file of these exact bytes is recorded already (nothing is written then)."""
    f = schema.file_outcomes
    if conn.scalar(select(func.count()).select_from(f).where(f.c.file_hash == outcome.file_hash)):
        return False
    conn.execute(
        insert(f).values(
            file_hash=outcome.file_hash,
            source=seal.digest(outcome.source),
            status=HELD,
            stored_at=outcome.stored_at,
            outcome=seal.seal(outcome.to_record()),
            decided_at=now,
        )
    )
    return True


@dataclass(frozen=True)
class HeldFile:
    """A held file as its record names it, without opening the sealed outcome (the portal,
    which holds no pseudonymisation key, lists and releases them too)."""

    file_hash: str
    stored_at: str  # held/<project>/<partner>/<period>/<name>, relative to INCLUSION_HOME
    project: str
    partner: str
    period: str


def held_files(conn: Connection, project: str | None = None, period: str | None = None) -> list[HeldFile]:
    """The files held (for ``project``'s ``period`` when given)."""
    f = schema.file_outcomes
    found = []
    for file_hash, stored_at in conn.execute(select(f.c.file_hash, f.c.stored_at).where(f.c.status == HELD)):
        parts = PurePosixPath(stored_at).parts
        if len(parts) != 5:
            continue  # not where holding puts files: never released by guesswork
        held = HeldFile(file_hash, stored_at, parts[1], parts[2], parts[3])
        if (project is None or held.project == project) and (period is None or held.period == period):
            found.append(held)
    return sorted(found, key=lambda h: h.stored_at)


def forget_held(conn: Connection, file_hash: str) -> None:
    """Drop a held file's record: it is back in the inbox and will be decided anew."""
    f = schema.file_outcomes
    conn.execute(delete(f).where((f.c.file_hash == file_hash) & (f.c.status == HELD)))
