"""The revision log: each publication records what it was computed from, and what changed
since the previous one (which public values, from what to what, caused by which submissions
and month reviews).

A publication's ``fingerprint`` hashes its inputs: the loaded submissions (ids and status),
the month reviews, the catalogue, targets and network, and the output format. When it equals
the latest publication's, nothing changed in the warehouse and nothing is published again.
What is compared is what the public saw (suppressed values stay suppressed in the log).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue
from inclusion_data.indicators.targets import targets
from inclusion_data.submissions.outcome import REJECTED, SUPERSEDED
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.review import closed_months, mark_published

FORMAT = "2"  # raise when the outputs change shape: the next run then publishes again
KEYS = ["indicator_id", "project", "partner", "period", "dimension", "category"]
CHANGE_COLUMNS = [*KEYS, "old_value", "new_value", "old_state", "new_state", "causes"]


@dataclass(frozen=True)
class Basis:
    """What a publication is computed from."""

    fingerprint: str
    submissions: list[int]  # loaded (not rejected, not superseded)
    closed: list[tuple[str, str]]  # approved months


def basis(conn: Connection) -> Basis:
    s, r = schema.submissions, schema.month_reviews
    subs = conn.execute(select(s.c.id, s.c.status).order_by(s.c.id)).all()
    reviews = conn.execute(select(func.max(r.c.id), func.count()).select_from(r)).one()
    latest_month = conn.scalar(select(func.max(s.c.period)))  # extends what is expected
    closed = sorted(closed_months(conn))
    inputs = [
        FORMAT,
        [[i, status] for i, status in subs if status != REJECTED],
        latest_month,
        list(reviews),
        closed,
        repr(sorted(catalogue().items())),
        repr(sorted(targets().items())),
        repr(load_network()),
    ]
    digest = hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()
    loaded = [i for i, status in subs if status not in (REJECTED, SUPERSEDED)]
    return Basis(digest, loaded, [(project, period) for project, period in closed])


def latest(conn: Connection) -> dict | None:
    p = schema.publications
    row = conn.execute(select(p).order_by(p.c.published_at.desc(), p.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def next_id(conn: Connection, day: dt.date) -> str:
    p = schema.publications
    n = conn.scalar(select(func.count()).where(p.c.id.like(f"{day.isoformat()}.%")))
    return f"{day.isoformat()}.{(n or 0) + 1}"


def _state(value: float, suppressed: bool, status: str | None) -> tuple[float | None, str | None]:
    if status is None:
        return None, None
    return (None if suppressed or (isinstance(value, float) and math.isnan(value)) else float(value)), status


def _causes(conn: Connection, previous: dict | None, current: Basis) -> list[dict]:
    """The submissions loaded or withdrawn, and the months approved or reopened, since
    ``previous``: each named by id and project/partner/dataset/month, never by file."""
    before = set(json.loads(previous["basis"])["submissions"]) if previous else set()
    now = set(current.submissions)
    s, r = schema.submissions, schema.month_reviews
    out = []
    changed = sorted(before ^ now)
    if changed:
        query = select(s.c.id, s.c.project, s.c.partner, s.c.dataset, s.c.period).where(s.c.id.in_(changed))
        for row in conn.execute(query.order_by(s.c.id)).mappings():
            out.append(
                {**row, "submission": row["id"], "change": "loaded" if row["id"] in now else "withdrawn"}
            )
            del out[-1]["id"]
    reviews = select(r.c.project, r.c.period, r.c.action).where(r.c.publication.is_(None)).order_by(r.c.id)
    out += [{"review": action, "project": p, "period": m} for p, m, action in conn.execute(reviews)]
    return out


def _applies(cause: dict, dataset: str, project: str, partner: str, period: str) -> bool:
    if "dataset" in cause and (cause["dataset"] != dataset or partner not in (ALL, cause["partner"])):
        return False
    return project in (ALL, cause["project"]) and period in (TOTAL, cause["period"])


def changes(conn: Connection, public: pd.DataFrame, current: Basis) -> tuple[dict | None, pd.DataFrame]:
    """The previous publication, and the public values that differ from it (none for the
    first publication: there is nothing to compare with)."""
    previous = latest(conn)
    if previous is None:
        return None, pd.DataFrame(columns=CHANGE_COLUMNS)
    before = pd.DataFrame(
        conn.execute(select(schema.published_values)).mappings().all(),
        columns=[*KEYS, "value", "suppressed", "status"],
    )
    now = public[[*KEYS, "value", "suppressed", "status"]]
    both = before.merge(now, how="outer", on=KEYS, suffixes=("_old", "_new"))
    states = {}
    for side in ("old", "new"):
        status = both[f"status_{side}"]
        states[side] = [
            _state(*t)
            for t in zip(
                both[f"value_{side}"],
                both[f"suppressed_{side}"],
                status.where(status.notna(), None),
                strict=True,
            )
        ]
        both[f"{side}_value"] = [v for v, _ in states[side]]
        both[f"{side}_state"] = [s for _, s in states[side]]
    differs = [o != n for o, n in zip(states["old"], states["new"], strict=True)]
    diff = both.loc[differs, CHANGE_COLUMNS[:-1]].reset_index(drop=True)
    causes = _causes(conn, previous, current)
    datasets = {i.id: i.dataset for i in catalogue().values()}
    diff["causes"] = [
        [c for c in causes if _applies(c, datasets.get(r.indicator_id, ""), r.project, r.partner, r.period)]
        for r in diff.itertuples(index=False)
    ]
    return previous, diff


def describe(causes: list[dict]) -> str:
    """Causes as text: ``#12 TWAM/asoc-cluj/beneficiaries/2016-03 loaded; TWAM 2016-03 approved``."""
    parts = []
    for c in causes:
        if "submission" in c:
            parts.append(
                f"#{c['submission']} {c['project']}/{c['partner']}/{c['dataset']}/{c['period']} {c['change']}"
            )
        else:
            parts.append(f"{c['project']} {c['period']} {c['review']}")
    return "; ".join(parts)


def record(
    conn: Connection, publication: dict, current: Basis, public: pd.DataFrame, diff: pd.DataFrame
) -> None:
    """Store the publication, its changes and its public values; name it on the reviews it
    carries (``mark_published``). One transaction (``conn`` is ``engine.begin()``'s)."""
    conn.execute(
        insert(schema.publications),
        [
            {
                **publication,
                "fingerprint": current.fingerprint,
                "basis": json.dumps({"submissions": current.submissions, "closed": current.closed}),
                "changes": len(diff),
            }
        ],
    )
    if len(diff):
        rows = diff.assign(causes=diff["causes"].map(json.dumps), publication=publication["id"])
        conn.execute(insert(schema.publication_changes), _records(rows))
    conn.execute(schema.published_values.delete())
    values = public[[*KEYS, "value", "suppressed", "status"]]
    if len(values):
        conn.execute(insert(schema.published_values), _records(values))
    mark_published(conn, publication["id"])


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for an insert, NaN as NULL and numpy scalars as Python values."""
    return [
        {
            k: (None if isinstance(v, float) and math.isnan(v) else v.item() if hasattr(v, "item") else v)
            for k, v in row.items()
        }
        for row in frame.to_dict("records")
    ]


def history(conn: Connection, publication: str) -> pd.DataFrame:
    """The changes a publication recorded, causes as lists."""
    c = schema.publication_changes
    frame = pd.DataFrame(
        conn.execute(
            select(*[c.c[k] for k in CHANGE_COLUMNS]).where(c.c.publication == publication).order_by(c.c.id)
        )
        .mappings()
        .all(),
        columns=CHANGE_COLUMNS,
    )
    frame["causes"] = frame["causes"].map(json.loads)
    return frame
