"""The indicators as plain SQL, one GROUP BY per indicator, level, period and breakdown: slow
(hundreds of scans of the facts) but written straight from the definitions, so it is what the
numpy engine of ``computation`` is tested against, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import Engine, case, func, literal, select

from inclusion_data.indicators.catalogue import ALL, TOTAL, Indicator, catalogue
from inclusion_data.indicators.facts import dimension, event_key
from inclusion_data.submissions.outcome import ACCEPTED
from inclusion_data.warehouse import schema


def _measure(indicator: Indicator, table):
    measure = indicator.measure
    if measure == "distinct_persons":
        return func.count(table.c.person_key.distinct())
    if measure == "distinct_localities":
        return func.count(table.c.locality_siruta.distinct())
    if measure == "rows":
        return func.count()
    if measure == "distinct_events":
        return func.count(event_key(table).distinct())
    if measure == "distinct_participations":  # a person at two events counts twice, at one once
        return func.count((event_key(table) + "|" + table.c.person_key).distinct())
    if measure.startswith("sum:"):
        return func.coalesce(func.sum(table.c[measure.removeprefix("sum:")]), 0)
    raise ValueError(f"{indicator.id}: unknown measure {measure}")


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
            for name in (TOTAL, *indicator.breakdowns):
                base, category = accepted, literal(TOTAL)
                if name != TOTAL:
                    category, needs_localities = dimension(name, table)
                    if needs_localities:
                        base = base.join(
                            schema.localities, schema.localities.c.siruta == table.c.locality_siruta
                        )
                query = _filtered(
                    indicator,
                    select(*keys, literal(name), category, _measure(indicator, table)).select_from(base),
                    table,
                )
                if name != TOTAL:
                    query = query.where(category.is_not(None))
                grouping = [k for k in keys if not _is_literal(k)]
                grouping += [category] if name != TOTAL else []
                yield query.group_by(*grouping) if grouping else query


def reference_overlaps(engine: Engine) -> list[dict]:
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


def reference_values(engine: Engine) -> list[dict]:
    """Every indicator value, computed by the per-set queries."""
    rows = []
    with engine.connect() as conn:
        for indicator in catalogue().values():
            for q in _queries(indicator):
                for project, partner, period, dim, category, value in conn.execute(q):
                    rows.append({"indicator_id": indicator.id, "project": project, "partner": partner,
                                 "period": period, "dimension": dim, "category": str(category),
                                 "value": float(value)})  # fmt: skip
    return rows
