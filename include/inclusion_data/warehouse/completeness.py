"""Who has reported what: expected submissions (from the network's declarations) against
received, accepted, nil (no activity declared), rejected, missing and late ones. A nil return
is received and complete, like an accepted submission; only missing and rejected months are
not."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, insert, select

from inclusion_data.contracts.network import Network
from inclusion_data.intake.periods import due_date, months_between
from inclusion_data.submissions.outcome import CURRENT, REJECTED, SUPERSEDED
from inclusion_data.warehouse import schema

MISSING = "missing"
COMPLETE = CURRENT  # a month's status when it is complete: accepted, or nil (no activity)


def _received(engine: Engine) -> pd.DataFrame:
    s = schema.submissions
    query = select(s.c.project, s.c.partner, s.c.dataset, s.c.period, s.c.status, s.c.received_at)
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(query).mappings().all(),
            columns=["project", "partner", "dataset", "period", "status", "received_at"],
        )


def compute_completeness(
    engine: Engine, network: Network, due_day: int, until: str | None = None
) -> list[dict]:
    """One row per expected (project, partner, dataset, month) up to ``until`` (default: the
    latest month anyone reported)."""
    received = _received(engine)
    if until is None:
        if received.empty:
            return []
        until = received["period"].max()
    rows = []
    for m in network.memberships.values():
        for period in months_between(m.start, min(m.end, until)):
            for dataset in m.reports:
                sent = received[
                    (received.project == m.project)
                    & (received.partner == m.partner)
                    & (received.dataset == dataset)
                    & (received.period == period)
                ]
                loaded = sent[sent.status.isin([*CURRENT, SUPERSEDED])]
                standing = sent.status[sent.status.isin(CURRENT)]  # one at most: the newest
                status = str(standing.iloc[0]) if len(standing) else REJECTED if len(sent) else MISSING
                first_ok = loaded["received_at"].min() if len(loaded) else None
                due = due_date(period, due_day)
                late = bool(first_ok is not None and pd.Timestamp(first_ok).date() > due)
                rows.append(
                    {
                        "project": m.project,
                        "partner": m.partner,
                        "dataset": dataset,
                        "period": period,
                        "status": status,
                        "versions": int(len(sent)),
                        "first_received": None if sent.empty else sent["received_at"].min().to_pydatetime(),
                        "accepted_received": None
                        if first_ok is None
                        else pd.Timestamp(first_ok).to_pydatetime(),
                        "due": due,
                        "late": late,
                    }
                )
    return rows


def store_completeness(engine: Engine, rows: list[dict]) -> None:
    with engine.begin() as conn:
        conn.execute(schema.completeness.delete())
        if rows:
            conn.execute(insert(schema.completeness), rows)


def latest_period(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(func.max(schema.submissions.c.period)))
