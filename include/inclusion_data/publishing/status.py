"""How complete a publication is: its data date, the period it covers, its coverage
(expected, received, nil, approved submissions), and the status of every value.

A value's status is the worst of the expected submissions it is computed from (those of its
indicator's dataset, within its project, partner and month, or all of them at ``ALL`` and
``total``):

- ``incomplete``: one of them is missing or was rejected (and not corrected): the value
  lacks data and will rise when it comes;
- ``provisional``: all are in (or declared nil), but a month is not approved by a coordinator;
- ``final``: all are in and every month is approved (closed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select

from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue
from inclusion_data.submissions.outcome import NIL, REJECTED, SUPERSEDED
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.completeness import COMPLETE

FINAL, PROVISIONAL, INCOMPLETE = "final", "provisional", "incomplete"
STATUSES = (FINAL, PROVISIONAL, INCOMPLETE)  # best first
STATUS_LABELS = {
    FINAL: ("final", "final"),
    PROVISIONAL: ("provizoriu", "provisional"),
    INCOMPLETE: ("incomplet", "incomplete"),
}
STATUS_NOTE = (
    "Stare: final = toate raportările așteptate sunt primite și lunile sunt aprobate de un "
    "coordonator; provizoriu = raportările sunt primite, dar o lună nu e încă aprobată (valoarea "
    "se poate corecta); incomplet = lipsește cel puțin o raportare sau a fost respinsă: valoarea "
    "e parțială și va crește când sosește, nu este o scădere reală.",
    "Status: final = every expected submission is in and its months are approved by a "
    "coordinator; provisional = the submissions are in but a month is not approved yet (the "
    "value may be corrected); incomplete = at least one submission is missing or was rejected: "
    "the value is partial and will rise when it comes, it is not a real drop.",
)
_KEYS = ["dataset", "project", "partner", "period"]


@dataclass(frozen=True)
class Coverage:
    """Expected submissions of one project (or ``ALL``) and what became of them."""

    project: str
    period_first: str | None
    period_last: str | None
    expected: int
    received: int  # accepted or nil
    nil: int
    approved: int  # received, in a month a coordinator approved
    missing: int  # missing, or rejected and not corrected

    @property
    def received_pct(self) -> float:
        return self.received / self.expected if self.expected else 1.0


def data_as_of(conn: Connection) -> dt.datetime | None:
    """When the newest submission the figures include was received."""
    s = schema.submissions
    value = conn.scalar(select(func.max(s.c.received_at)).where(s.c.status.not_in([REJECTED, SUPERSEDED])))
    if value is not None and value.tzinfo is None:  # SQLite gives naive datetimes back
        value = value.replace(tzinfo=dt.UTC)
    return value


def _expected(rows: list[dict], closed: set[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[*_KEYS, "status"])
    frame["received"] = frame["status"].isin(COMPLETE)
    in_closed = [(p, m) in closed for p, m in zip(frame["project"], frame["period"], strict=True)]
    frame["approved"] = frame["received"] & pd.Series(in_closed, index=frame.index, dtype=bool)
    return frame


def coverage(rows: list[dict], closed: set[tuple[str, str]]) -> list[Coverage]:
    """One line per project, then ``ALL``, from completeness rows and the approved months."""
    frame = _expected(rows, closed)
    out = []
    for project in [*sorted(frame["project"].unique()), ALL]:
        mine = frame if project == ALL else frame[frame["project"] == project]
        out.append(
            Coverage(
                project,
                mine["period"].min() if len(mine) else None,
                mine["period"].max() if len(mine) else None,
                int(len(mine)),
                int(mine["received"].sum()),
                int((mine["status"] == NIL).sum()),
                int(mine["approved"].sum()),
                int((~mine["received"]).sum()),
            )
        )
    return out


def value_status(frame: pd.DataFrame, rows: list[dict], closed: set[tuple[str, str]]) -> pd.Series:
    """The status of each row of an indicator frame (see the module's docstring). A value
    that no expected submission covers is provisional."""
    expected = _expected(rows, closed)
    expected["rank"] = np.where(~expected["received"], 2, np.where(expected["approved"], 0, 1))
    levels = []
    for by_project, by_partner in ((True, True), (True, False), (False, False)):
        for by_month in (True, False):
            level = expected.assign(
                project=expected["project"] if by_project else ALL,
                partner=expected["partner"] if by_partner else ALL,
                period=expected["period"] if by_month else TOTAL,
            )
            levels.append(level.groupby(_KEYS, as_index=False)["rank"].max())
    lookup = pd.concat(levels, ignore_index=True)
    datasets = {i.id: i.dataset for i in catalogue().values()}
    keyed = frame[["indicator_id", "project", "partner", "period"]].assign(
        dataset=frame["indicator_id"].map(datasets)
    )
    rank = keyed.merge(lookup, how="left", on=_KEYS)["rank"].fillna(1).astype(int)
    return pd.Series(np.array(STATUSES)[rank.to_numpy()], index=frame.index, name="status")


@dataclass(frozen=True)
class Edition:
    """What every output of one publication states about itself."""

    id: str
    published_at: dt.datetime
    data_as_of: dt.datetime | None
    coverage: list[Coverage]
    previous: str | None = None  # the publication the revision log compares with

    @property
    def network(self) -> Coverage:
        return self.coverage[-1]

    @property
    def period(self) -> str:
        first, last = self.network.period_first, self.network.period_last
        return f"{first} – {last}" if first else "—"

    @property
    def data_date(self) -> str:
        return self.data_as_of.strftime("%Y-%m-%d %H:%M UTC") if self.data_as_of else "—"

    def coverage_text(self, c: Coverage | None = None) -> tuple[str, str]:
        c = c or self.network
        return (
            f"{c.received} din {c.expected} raportări așteptate primite ({c.nil} fără activitate), "
            f"{c.approved} aprobate, {c.missing} lipsă sau respinse",
            f"{c.received} of {c.expected} expected submissions received ({c.nil} nil returns), "
            f"{c.approved} approved, {c.missing} missing or rejected",
        )
