"""Indicators computed in SQL on the warehouse, from the catalogue in ``indicators.yaml``.

Every value is a GROUP BY over accepted submissions, at each level (project and partner,
project, all projects) and period (month, whole span): a unique count at a wider level is
counted again, never summed from narrower ones, so a person counts once however many
partners, projects or months served them.

On PostgreSQL an indicator is one scan: a single query with GROUPING SETS for every level,
period and breakdown. SQLite has no GROUPING SETS; there each set is its own GROUP BY (the
embedded default holds a network's few hundred thousand rows, where that takes seconds).
"""

from __future__ import annotations

from sqlalchemy import Engine, Integer, String, case, cast, func, insert, literal, select, tuple_

from inclusion_data.indicators.catalogue import AGE_GROUPS, ALL, TOTAL, Indicator, catalogue
from inclusion_data.indicators.targets import with_targets
from inclusion_data.submissions.outcome import ACCEPTED
from inclusion_data.warehouse import schema


def _event_key(table):
    return table.c.activity_type + "|" + table.c.title + "|" + cast(table.c.start_date, String)


def _measure(indicator: Indicator, table):
    measure = indicator.measure
    if measure == "distinct_persons":
        return func.count(table.c.person_key.distinct())
    if measure == "distinct_localities":
        return func.count(table.c.locality_siruta.distinct())
    if measure == "rows":
        return func.count()
    if measure == "distinct_events":
        return func.count(_event_key(table).distinct())
    if measure == "distinct_participations":  # a person at two events counts twice, at one once
        return func.count((_event_key(table) + "|" + table.c.person_key).distinct())
    if measure.startswith("sum:"):
        return func.coalesce(func.sum(table.c[measure.removeprefix("sum:")]), 0)
    raise ValueError(f"{indicator.id}: unknown measure {measure}")


def _dimension(name: str, table):
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


_LEVELS = ((True, True), (True, False), (False, False))  # (by project, by partner)


def _keys(table, by_project: bool, by_partner: bool, by_month: bool):
    return [
        table.c.project if by_project else literal(ALL),
        table.c.partner if by_partner else literal(ALL),
        table.c.period if by_month else literal(TOTAL),
    ]


def _filtered(indicator: Indicator, query, table):
    for column, value in indicator.filters.items():
        values = value if isinstance(value, list) else [value]
        query = query.where(table.c[column].in_(values))
    return query


def _threshold_query(indicator: Indicator, table, base, keys):
    """How many services reached at least N persons in at least M localities (0 included)."""
    per = table.c[indicator.threshold["per"]]
    grouping = [k for k in keys if not _is_literal(k)]
    meets = case(
        (
            (func.count(table.c.person_key.distinct()) >= indicator.threshold["min_persons"])
            & (func.count(table.c.locality_siruta.distinct()) >= indicator.threshold["min_localities"]),
            1,
        ),
        else_=0,
    )
    inner = (
        _filtered(
            indicator,
            select(*[k.label(f"k{i}") for i, k in enumerate(keys)], meets.label("meets")).select_from(base),
            table,
        )
        .group_by(*grouping, per)
        .subquery()
    )
    outer_keys = [inner.c[f"k{i}"] for i in range(len(keys))]
    return select(*outer_keys, literal(TOTAL), literal(TOTAL), func.sum(inner.c.meets)).group_by(*outer_keys)


def _is_literal(expression) -> bool:
    return not hasattr(expression, "table")


def _queries(indicator: Indicator):
    table = schema.dataset_tables[indicator.dataset]
    s = schema.submissions
    accepted = table.join(s, (s.c.id == table.c.submission_id) & (s.c.status == ACCEPTED))
    for by_project, by_partner in _LEVELS:
        for by_month in (True, False):
            keys = _keys(table, by_project, by_partner, by_month)
            if indicator.threshold:
                yield _threshold_query(indicator, table, accepted, keys)
                continue
            for dimension in (TOTAL, *indicator.breakdowns):
                base, category = accepted, literal(TOTAL)
                if dimension != TOTAL:
                    category, needs_localities = _dimension(dimension, table)
                    if needs_localities:
                        base = base.join(
                            schema.localities, schema.localities.c.siruta == table.c.locality_siruta
                        )
                query = _filtered(
                    indicator,
                    select(*keys, literal(dimension), category, _measure(indicator, table)).select_from(base),
                    table,
                )
                if dimension != TOTAL:
                    query = query.where(category.is_not(None))
                grouping = [k for k in keys if not _is_literal(k)]
                grouping += [category] if dimension != TOTAL else []
                yield query.group_by(*grouping) if grouping else query


def _accepted_rows(indicator: Indicator):
    """The indicator's rows (accepted submissions, its filters) with each breakdown as a
    column ``dim_<name>``: grouping sets then name plain columns, as PostgreSQL requires."""
    table = schema.dataset_tables[indicator.dataset]
    s = schema.submissions
    base = table.join(s, (s.c.id == table.c.submission_id) & (s.c.status == ACCEPTED))
    dimensions = []
    for name in indicator.breakdowns:
        expression, needs_localities = _dimension(name, table)
        if needs_localities:  # an outer join: rows without a locality still count elsewhere
            base = base.outerjoin(schema.localities, schema.localities.c.siruta == table.c.locality_siruta)
        dimensions.append(expression.label(f"dim_{name}"))
    return _filtered(indicator, select(*table.c, *dimensions).select_from(base), table).subquery()


def _grouping_sets_rows(conn, indicator: Indicator):
    """(project, partner, period, dimension, category, value) of every level, period and
    breakdown of ``indicator`` in one query."""
    rows = _accepted_rows(indicator)
    keys = [rows.c.project, rows.c.partner, rows.c.period]
    dimensions = [rows.c[f"dim_{name}"] for name in indicator.breakdowns]
    sets = []
    for by_project, by_partner in _LEVELS:
        for by_month in (True, False):
            chosen = [k for k, on in zip(keys, (by_project, by_partner, by_month), strict=True) if on]
            sets += [tuple_(*chosen), *(tuple_(*chosen, d) for d in dimensions)]
    columns = [*keys, *dimensions]
    query = select(*columns, _measure(indicator, rows), func.grouping(*columns)).group_by(
        func.grouping_sets(*sets)
    )
    width = len(columns)
    for *values, value, grouped in conn.execute(query):
        rolled = [bool(grouped >> (width - 1 - i) & 1) for i in range(width)]  # 1: not in the set
        project, partner, period = (ALL if rolled[0] else values[0], ALL if rolled[1] else values[1],
                                    TOTAL if rolled[2] else values[2])  # fmt: skip
        broken = [i for i in range(len(dimensions)) if not rolled[3 + i]]
        if not broken:
            yield project, partner, period, TOTAL, TOTAL, value
        elif values[3 + broken[0]] is not None:  # a row without the category counts in no category
            yield project, partner, period, indicator.breakdowns[broken[0]], values[3 + broken[0]], value


def _rows(conn, indicator: Indicator):
    if conn.dialect.name == "postgresql" and not indicator.threshold:
        yield from _grouping_sets_rows(conn, indicator)
    else:
        for query in _queries(indicator):
            yield from conn.execute(query)


def compute(engine: Engine, one_pass: bool = True) -> list[dict]:
    """Every indicator value; ``one_pass=False`` runs one GROUP BY per set on PostgreSQL too
    (what the one-pass query is tested against)."""
    rows = []
    with engine.connect() as conn:
        for indicator in catalogue().values():
            found = (
                _rows(conn, indicator)
                if one_pass
                else (r for q in _queries(indicator) for r in conn.execute(q))
            )
            for project, partner, period, dimension, category, value in found:
                rows.append(
                    {
                        "indicator_id": indicator.id,
                        "project": project,
                        "partner": partner,
                        "period": period,
                        "dimension": dimension,
                        "category": str(category),
                        "value": float(value),
                    }
                )
    return rows


def partner_overlaps(engine: Engine) -> list[dict]:
    """Persons counted by both partners of each pair, for every person-counting indicator."""
    out = []
    with engine.connect() as conn:
        for indicator in catalogue().values():
            if indicator.measure != "distinct_persons":
                continue
            table = schema.dataset_tables[indicator.dataset]
            s = schema.submissions
            people = _filtered(
                indicator,
                select(table.c.partner, table.c.person_key)
                .distinct()
                .select_from(table.join(s, (s.c.id == table.c.submission_id) & (s.c.status == ACCEPTED))),
                table,
            ).subquery()
            a, b = people.alias("a"), people.alias("b")
            query = (
                select(a.c.partner, b.c.partner, func.count(a.c.person_key.distinct()))
                .select_from(a.join(b, (a.c.person_key == b.c.person_key) & (a.c.partner < b.c.partner)))
                .group_by(a.c.partner, b.c.partner)
            )
            out += [
                {"indicator_id": indicator.id, "partner_a": pa, "partner_b": pb, "persons": n}
                for pa, pb, n in conn.execute(query)
            ]
    return out


def build_indicator_values(engine: Engine) -> int:
    """Recompute ``indicator_values`` (with targets) and ``partner_overlaps`` from the
    warehouse in one transaction; returns the number of indicator rows."""
    rows = with_targets(compute(engine))
    overlaps = partner_overlaps(engine)
    with engine.begin() as conn:
        conn.execute(schema.indicator_values.delete())
        conn.execute(schema.partner_overlaps.delete())
        if rows:
            conn.execute(insert(schema.indicator_values), rows)
        if overlaps:
            conn.execute(insert(schema.partner_overlaps), overlaps)
    return len(rows)
