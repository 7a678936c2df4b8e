"""A dataset's rows as the indicators need them: one query per dataset, every column
dictionary-encoded into integer codes (``counting`` works on codes, never on strings).

PostgreSQL streams the rows with ``COPY ... TO STDOUT`` into a temporary CSV that pyarrow
parses on all cores (10M rows in seconds, where fetching Python tuples takes minutes); SQLite
returns its rows through the driver. Breakdowns are the SQL expressions of ``dimension``,
which ``reference`` groups by; the ones computable from columns read anyway (locality,
county, age group) are computed here instead (``_derive``), and tested equal.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Float,
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    select,
    true,
)

from inclusion_data.indicators.catalogue import AGE_GROUPS, Indicator
from inclusion_data.warehouse import schema

LEVEL_COLUMNS = ("project", "partner", "period")
DERIVED = ("locality", "county", "age_group")  # breakdowns computed from columns read anyway


@dataclass
class Coded:
    codes: np.ndarray  # int64, -1 for NULL
    values: list  # code -> value as text

    def mask(self, wanted: list[str]) -> np.ndarray:
        hits = np.array([v in wanted for v in self.values] + [False], dtype=bool)
        return hits[self.codes]  # code -1 indexes the trailing False


@dataclass
class Facts:
    n: int
    coded: dict[str, Coded] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)

    def take(self, rows: np.ndarray) -> Facts:
        return Facts(
            int(rows.sum()) if rows.dtype == bool else len(rows),
            {k: Coded(c.codes[rows], c.values) for k, c in self.coded.items()},
            {k: v[rows] for k, v in self.numbers.items()},
        )


def dimension(name: str, table):
    """The SQL expression of a breakdown, and whether it needs the localities table."""
    if name == "age_group":
        age = (
            table.c.age
            if "age" in table.c
            else cast(func.substr(table.c.period, 1, 4), Integer) - table.c.birth_year
        )
        return case(*[(age.between(low, high), label) for low, high, label in AGE_GROUPS]), False
    if name == "county":
        return schema.localities.c.county, True
    if name == "locality":
        return table.c.locality_siruta, False
    return table.c[name], False


def event_key(table):
    return table.c.activity_type + "|" + table.c.title + "|" + cast(table.c.start_date, String)


def _text(column):
    """A yes/no column as 'true'/'false' on every backend (SQLite stores 1/0)."""
    if isinstance(column.type, Boolean):
        return case((column == true(), literal("true")), (column.is_not(None), literal("false")))
    return cast(column, String)


def rows_query(indicators: list[Indicator], table, where) -> tuple:
    """One SELECT of every column the ``indicators`` (of one dataset) read, as text (numbers to
    sum, and the submission id, as floats), under ``where``; with the names of the coded and
    the number columns."""
    coded = {"person_key": table.c.person_key}  # project, partner and period: from the submission
    if "locality_siruta" in table.c:
        coded["locality_siruta"] = cast(table.c.locality_siruta, String)
    numbers: dict[str, ColumnElement] = {"submission_id": table.c.submission_id}
    derived: list[str] = []
    base = table
    for indicator in indicators:
        for name in (*indicator.breakdowns, *([indicator.threshold["per"]] if indicator.threshold else [])):
            if f"dim_{name}" in coded or name in derived:
                continue
            if name in DERIVED:  # from columns read anyway, in numpy: less for the database to send
                derived.append(name)
                if name == "age_group":
                    numbers["age" if "age" in table.c else "birth_year"] = cast(
                        table.c.age if "age" in table.c else table.c.birth_year, Float
                    )
                continue
            expression, needs_localities = dimension(name, table)
            if needs_localities and base is table:  # outer: rows without a locality count elsewhere
                base = base.outerjoin(
                    schema.localities, schema.localities.c.siruta == table.c.locality_siruta
                )
            coded[f"dim_{name}"] = _text(expression)
        for column in indicator.filters:
            coded.setdefault(f"filter_{column}", _text(table.c[column]))
        if indicator.measure in ("distinct_events", "distinct_participations"):
            coded.setdefault("event_key", event_key(table))
        if indicator.measure.startswith("sum:"):
            column = indicator.measure.removeprefix("sum:")
            numbers.setdefault(f"sum_{column}", cast(table.c[column], Float))
    query = select(*(e.label(n) for n, e in coded.items()), *(e.label(n) for n, e in numbers.items()))
    return query.select_from(base).where(where), list(coded), list(numbers), derived


def fetch(
    conn: Connection, query, coded_names: list[str], number_names: list[str], derived: list[str]
) -> Facts:
    if conn.dialect.name == "postgresql":
        table = _copy(conn, query, coded_names, number_names)
    else:
        result = conn.execute(query).all()
        names = [*coded_names, *number_names]
        table = pa.table(
            {
                name: pa.array(
                    [
                        None if r[i] is None else (str(r[i]) if name in coded_names else float(r[i]))
                        for r in result
                    ],
                    type=pa.string() if name in coded_names else pa.float64(),
                )
                for i, name in enumerate(names)
            }
        )
    facts = Facts(table.num_rows)
    for name in coded_names:
        encoded = pc.dictionary_encode(table.column(name)).combine_chunks()
        facts.coded[name] = Coded(
            encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64),
            encoded.dictionary.to_pylist(),
        )
    for name in number_names:
        facts.numbers[name] = table.column(name).to_numpy().astype(np.float64)
    facts.coded.update(_levels(conn, facts.numbers["submission_id"]))
    for name in derived:
        facts.coded[f"dim_{name}"] = _derive(conn, name, facts)
    return facts


def _derive(conn: Connection, name: str, facts: Facts) -> Coded:
    """A breakdown ``dimension`` defines in SQL, computed here from the columns read: the same
    values (``reference`` groups by the SQL; the tests hold the two equal)."""
    if name == "locality":
        return facts.coded["locality_siruta"]
    if name == "county":
        locality = facts.coded["locality_siruta"]
        table = schema.localities
        county_of = {
            str(siruta): county for siruta, county in conn.execute(select(table.c.siruta, table.c.county))
        }
        counties = sorted({c for c in county_of.values() if c is not None})
        index = {c: i for i, c in enumerate(counties)}
        lookup = np.array([index.get(county_of.get(v), -1) for v in locality.values] + [-1], dtype=np.int64)
        return Coded(lookup[locality.codes], counties)
    if "age" in facts.numbers:
        age = facts.numbers["age"]
    else:
        period = facts.coded["period"]
        year = np.array([int(v[:4]) for v in period.values] + [0], dtype=np.float64)
        age = year[period.codes] - facts.numbers["birth_year"]
    codes = np.full(facts.n, -1, dtype=np.int64)
    for i, (low, high, _) in enumerate(AGE_GROUPS):
        codes[(age >= low) & (age <= high)] = i  # NaN (no birth year) falls in no group
    return Coded(codes, [label for _, _, label in AGE_GROUPS])


def _levels(conn: Connection, submission: np.ndarray) -> dict[str, Coded]:
    """Each row's project, partner and period, looked up from its submission: a row holds
    its submission's (lineage), and three columns fewer to read is a third less to send."""
    s = schema.submissions
    known = pd.DataFrame(conn.execute(select(s.c.id, *(s.c[c] for c in LEVEL_COLUMNS))).all(),
                         columns=["id", *LEVEL_COLUMNS])  # fmt: skip
    ids, known_ids = submission.astype(np.int64), known["id"].to_numpy(dtype=np.int64)
    out = {}
    for name in LEVEL_COLUMNS:
        codes, values = pd.factorize(known[name])
        lookup = np.full(int(known_ids.max()) + 1 if len(known_ids) else 1, -1, dtype=np.int64)
        lookup[known_ids] = codes
        out[name] = Coded(lookup[ids], list(values))
    return out


def _copy(conn: Connection, query, coded_names: list[str], number_names: list[str]) -> pa.Table:
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    with tempfile.NamedTemporaryFile(suffix=".csv") as spool:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER false)") as copy:
            for block in copy:
                spool.write(block)
        spool.flush()
        names = [*coded_names, *number_names]
        if not spool.tell():  # no row: pyarrow refuses an empty file
            return pa.table(
                {n: pa.array([], pa.string() if n in coded_names else pa.float64()) for n in names}
            )
        return pacsv.read_csv(
            spool.name,
            read_options=pacsv.ReadOptions(column_names=names),
            convert_options=pacsv.ConvertOptions(
                column_types={n: (pa.string() if n in coded_names else pa.float64()) for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
