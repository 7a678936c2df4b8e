"""Indicators computed in SQL on the warehouse, from the catalogue in ``indicators.yaml``.

Every value is one GROUP BY over accepted submissions, at each level (project and partner,
project, all projects) and period (month, whole span): a unique count at a wider level is
counted again, never summed from narrower ones, so a person counts once however many
partners, projects or months served them.
"""

from __future__ import annotations

from sqlalchemy import Engine, Integer, String, case, cast, func, insert, literal, select

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


def compute(engine: Engine) -> list[dict]:
    rows = []
    with engine.connect() as conn:
        for indicator in catalogue().values():
            for query in _queries(indicator):
                for project, partner, period, dimension, category, value in conn.execute(query):
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
