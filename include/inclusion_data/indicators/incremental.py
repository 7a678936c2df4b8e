"""Build ``indicator_values`` from what changed since the last build, not from everything.

A value is a function of the accepted rows. When submissions are accepted or withdrawn
(superseded) since the last build, only the keys (persons, localities, events) they hold can
count differently: every other key's rows are untouched. So the rows of those keys are read
once and counted twice with the same engine, as accepted before and as accepted now
(superseded rows stay in the warehouse), and the difference is added to the stored values: exact
for distinct counts at every level and over the whole span as much as for sums. A group whose
last row went is dropped (``rows``). A threshold indicator (how many services reached N
persons in M localities) does not add up, but its parts do: distinct persons and localities
per service (``indicator_parts``) are added to, and the threshold decided again. With
nothing accepted or withdrawn since, a build reads two small tables and stops.

A full rebuild runs the first time, whenever the catalogue, targets or localities change
(``config``), and on request (``full=True``); the tests hold incremental equal to full.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    select,
)

from inclusion_data.indicators.catalogue import Indicator, catalogue
from inclusion_data.indicators.computation import (
    KEYS,
    OVERLAP_KEYS,
    VALUE_COLUMNS,
    accepted_ids,
    by_dataset,
    is_grand_total,
    of_submissions,
    overlaps,
    read_facts,
    rebuild,
    threshold_parts,
    threshold_values,
    values,
    write_overlaps,
    write_parts,
    write_values,
)
from inclusion_data.indicators.facts import event_key
from inclusion_data.indicators.targets import targets
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.load import lock_indicator_build

_LISTED = 5000  # keys named in the query (SQLite takes at most 32,766 parameters); more: a subquery
ENGINE_VERSION = "1"  # raise when how values are computed changes: the next build is then full


@dataclass(frozen=True)
class Built:
    mode: str  # full | incremental | unchanged
    values: int  # rows written (all of them when full)
    added: int = 0  # submissions accepted since the last build
    withdrawn: int = 0


def config(conn: Connection) -> str:
    localities = conn.execute(
        select(func.count(), func.sum(schema.localities.c.siruta)).select_from(schema.localities)
    ).one()
    inputs = [
        ENGINE_VERSION,
        repr(sorted(catalogue().items())),
        repr(sorted(targets().items())),
        list(localities),
    ]
    return hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()


def build_indicator_values(engine: Engine, full: bool = False) -> Built:
    """Bring ``indicator_values`` and ``partner_overlaps`` up to date in one transaction."""
    b = schema.indicator_basis
    with engine.begin() as conn:
        lock_indicator_build(conn)
        basis = conn.execute(select(b).where(b.c.id == 1)).mappings().first()
        now = set(accepted_ids(conn))
        current = config(conn)
        if full or basis is None or basis["config"] != current:
            built = Built("full", rebuild(conn), len(now))
        else:
            before = set(json.loads(basis["submissions"]))
            added, withdrawn = sorted(now - before), sorted(before - now)
            if not added and not withdrawn:
                return Built("unchanged", 0)
            written = _apply(conn, sorted(now), sorted(before))
            built = Built("incremental", written, len(added), len(withdrawn))
        conn.execute(b.delete())
        conn.execute(
            b.insert().values(
                id=1, submissions=json.dumps(sorted(now)), config=current, built_at=dt.datetime.now(dt.UTC)
            )
        )
    return built


def _touched(conn: Connection, indicators: list[Indicator], table, changed: list[int]):
    """Rows of the changed submissions and every row of a key they hold (the keys listed, so
    the database answers from its indexes)."""
    theirs = table.c.submission_id.in_(changed)
    where = theirs
    measures = {i.measure for i in indicators}
    keyed = []
    if measures & {"distinct_persons", "distinct_participations", "threshold"}:
        keyed.append(table.c.person_key)
    if measures & {"distinct_localities", "threshold"}:
        keyed.append(table.c.locality_siruta)
    if "distinct_events" in measures:
        keyed.append(event_key(table))
    for key in keyed:
        held = select(key).where(theirs & key.is_not(None)).distinct()
        listed = list(conn.scalars(held.limit(_LISTED + 1)))
        where = where | key.in_(listed if len(listed) <= _LISTED else held.scalar_subquery())
    return where


def _difference(
    after: pd.DataFrame,
    before: pd.DataFrame,
    keys: list[str] = KEYS,
    measures: tuple[str, ...] = ("value", "rows"),
) -> pd.DataFrame:
    merged = after.merge(before, on=keys, how="outer", suffixes=("", "_before"))
    for m in measures:
        merged[m] = merged[m].fillna(0) - merged[f"{m}_before"].fillna(0)
    changed = merged[list(measures)].ne(0).any(axis=1)
    return merged.loc[changed, [*keys, *measures]]


def _apply(conn: Connection, now: list[int], was: list[int]) -> int:
    """Add to the stored values what changed from the accepted submissions ``was`` to ``now``."""
    s = schema.submissions
    changed = sorted(set(now) ^ set(was))
    of_dataset: dict[str, list[int]] = {}
    for submission, dataset in conn.execute(select(s.c.id, s.c.dataset).where(s.c.id.in_(changed))):
        of_dataset.setdefault(dataset, []).append(submission)
    deltas, shared, parts = [], [], []
    thresholds = []
    for dataset, indicators in by_dataset().items():
        if dataset not in of_dataset:
            continue
        table, ids = schema.dataset_tables[dataset], of_dataset[dataset]
        # one read, without the status: the database then answers from the key indexes
        rows = read_facts(conn, dataset, _touched(conn, indicators, table, ids))
        after, before = of_submissions(rows, now), of_submissions(rows, was)
        for indicator in indicators:
            if indicator.threshold:
                thresholds.append(indicator)
                parts.append(
                    _difference(threshold_parts(indicator, after), threshold_parts(indicator, before))
                )
                continue
            deltas.append(_difference(values(indicator, after), values(indicator, before)))
            if indicator.measure == "distinct_persons":
                shared.append(
                    _difference(
                        overlaps(indicator, after), overlaps(indicator, before), OVERLAP_KEYS, ("persons",)
                    )
                )
    written = _add(conn, schema.indicator_values, deltas, write_values)
    _add(conn, schema.indicator_parts, parts, write_parts)
    iv, ip = schema.indicator_values, schema.indicator_parts
    for indicator in thresholds:  # not a sum of its parts: decided again from them
        stored = pd.DataFrame(
            conn.execute(
                select(*(ip.c[c] for c in VALUE_COLUMNS)).where(ip.c.indicator_id == indicator.id)
            ).all(),
            columns=VALUE_COLUMNS,
        )
        conn.execute(iv.delete().where(iv.c.indicator_id == indicator.id))
        decided = threshold_values(indicator, stored)
        write_values(conn, decided)
        written += len(decided)
    if shared:
        _add_overlaps(conn, pd.concat(shared, ignore_index=True))
    return written


def _add(conn: Connection, table: Table, deltas: list[pd.DataFrame], write) -> int:
    """Add the ``deltas`` (KEYS, value, rows) to ``table``'s rows through a temporary table
    and ``write`` the sums back; groups left without rows go (an indicator's grand total
    stays, 0, as a full build publishes it)."""
    delta = pd.concat(deltas, ignore_index=True) if deltas else None
    if delta is None or not len(delta):
        return 0
    scratch = Table(
        "indicator_delta",
        MetaData(),
        *(Column(k, String(64)) for k in KEYS),
        Column("value", Float),
        Column("rows", Integer),
        prefixes=["TEMPORARY"],
    )
    scratch.create(conn)
    try:
        conn.execute(scratch.insert(), delta.to_dict("records"))
        same = and_(*(table.c[k] == scratch.c[k] for k in KEYS))
        query = select(*(table.c[k] for k in KEYS), table.c.value, table.c.rows).join_from(
            table, scratch, same
        )
        old = pd.DataFrame(conn.execute(query).all(), columns=VALUE_COLUMNS)
        conn.execute(table.delete().where(exists(select(1).select_from(scratch).where(same))))
    finally:
        scratch.drop(conn)
    merged = delta.merge(old, on=KEYS, how="left", suffixes=("", "_old"))
    merged["value"] = merged["value"] + merged["value_old"].fillna(0)
    merged["rows"] = (merged["rows"] + merged["rows_old"].fillna(0)).astype("int64")
    kept = merged[(merged["rows"] > 0) | (is_grand_total(merged) & (table is schema.indicator_values))]
    write(conn, kept)
    return len(kept)


def _add_overlaps(conn: Connection, delta: pd.DataFrame) -> None:
    """Partner overlaps are few (indicators x partner pairs): read, add, write back."""
    po = schema.partner_overlaps
    old = pd.DataFrame(conn.execute(select(po)).mappings().all(), columns=[*OVERLAP_KEYS, "persons"])
    merged = pd.concat([old, delta]).groupby(OVERLAP_KEYS, as_index=False)["persons"].sum()
    conn.execute(po.delete())
    write_overlaps(conn, merged[merged.persons > 0])
