"""Review and period close: a coordinator approves a project's month, which closes it, or
reopens it with a reason. The history in ``month_reviews`` is only appended to (an entry's
``publication`` is filled in once a publication carries it); a month's state is its latest
entry (no entry: open, unreviewed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, Engine, func, insert, select

from inclusion_data.warehouse import schema
from inclusion_data.warehouse.load import lock_month

APPROVED, REOPENED = "approved", "reopened"


class ReviewError(ValueError):
    """A review action that does not apply (approving a closed month, reopening an open one,
    reopening without a reason)."""


@dataclass(frozen=True)
class Review:
    project: str
    period: str
    action: str
    by: str
    at: dt.datetime
    note: str
    publication: str | None


def _latest(conn: Connection, project: str | None = None, period: str | None = None) -> dict:
    r = schema.month_reviews
    newest = select(func.max(r.c.id).label("id")).group_by(r.c.project, r.c.period)
    if project is not None:
        newest = newest.where(r.c.project == project)
    if period is not None:
        newest = newest.where(r.c.period == period)
    rows = conn.execute(select(r).where(r.c.id.in_(newest.scalar_subquery()))).mappings()
    return {(row["project"], row["period"]): _review(row) for row in rows}


def _review(row) -> Review:
    return Review(**{k: row[k] for k in Review.__dataclass_fields__})


def closed_months(conn: Connection) -> set[tuple[str, str]]:
    """(project, period) of every approved month not reopened since: final, and closed."""
    return {key for key, review in _latest(conn).items() if review.action == APPROVED}


def is_closed(conn: Connection, project: str, period: str) -> bool:
    review = _latest(conn, project, period).get((project, period))
    return review is not None and review.action == APPROVED


def _record(engine: Engine, project: str, period: str, action: str, by: str, note: str) -> Review:
    with engine.begin() as conn:
        lock_month(conn, project, period)  # no file loads into the month while it is decided
        closed = is_closed(conn, project, period)
        if action == APPROVED and closed:
            raise ReviewError(f"{project} {period} is already approved (closed)")
        if action == REOPENED and not closed:
            raise ReviewError(f"{project} {period} is not approved, so there is nothing to reopen")
        if action == REOPENED and not note.strip():
            raise ReviewError("a month is reopened only with a reason (note)")
        review = Review(project, period, action, by, dt.datetime.now(dt.UTC), note.strip(), None)
        conn.execute(insert(schema.month_reviews).values(**asdict(review)))
    return review


def approve_month(engine: Engine, project: str, period: str, by: str, note: str = "") -> Review:
    return _record(engine, project, period, APPROVED, by, note)


def reopen_month(engine: Engine, project: str, period: str, by: str, note: str) -> Review:
    return _record(engine, project, period, REOPENED, by, note)


def review_history(conn: Connection, project: str | None = None, period: str | None = None) -> list[Review]:
    """Every approval and reopening, oldest first."""
    r = schema.month_reviews
    query = select(r).order_by(r.c.id)
    if project is not None:
        query = query.where(r.c.project == project)
    if period is not None:
        query = query.where(r.c.period == period)
    return [_review(row) for row in conn.execute(query).mappings()]


def mark_published(conn: Connection, publication: str) -> int:
    """Name ``publication`` on every review entry not yet carried by one: the history then
    says which publication each approval or reopening led to."""
    r = schema.month_reviews
    return conn.execute(r.update().where(r.c.publication.is_(None)).values(publication=publication)).rowcount
