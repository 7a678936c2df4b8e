"""What codes look like in the public outputs, in Romanian and English. Nothing is named here
that is named elsewhere: column and vocabulary labels come from the contracts, indicator
names and age groups from the catalogue, project names from ``network.yaml``, localities
from SIRUTA. Only the two breakdowns no contract column carries (age group, county) and
the level markers are labelled here."""

from __future__ import annotations

from functools import cache

import pandas as pd

from inclusion_data.contracts.datasets import DATASETS, Kind
from inclusion_data.contracts.network import load_network
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.indicators.catalogue import AGE_GROUPS, ALL, TOTAL
from inclusion_data.intake.localities import localities

Pair = tuple[str, str]  # (ro, en)

_DERIVED: dict[str, Pair] = {
    TOTAL: ("Total", "Total"),
    "age_group": ("Grupa de vârstă", "Age group"),
    "county": ("Județ", "County"),
}
ALL_PROJECTS: Pair = ("Toate proiectele", "All projects")
ALL_PARTNERS: Pair = ("Toți partenerii", "All partners")
WHOLE_PERIOD: Pair = ("Întreaga perioadă", "Whole period")


@cache
def _fields() -> dict[str, Pair]:
    out: dict[str, Pair] = {}
    for dataset in DATASETS.values():
        for f in dataset.fields:
            out.setdefault(f.name, (f.ro, f.en))
    return out


@cache
def _terms() -> dict[tuple[str, str], tuple[int, Pair]]:
    """(dimension, code) -> (position in its vocabulary, labels)."""
    out: dict[tuple[str, str], tuple[int, Pair]] = {}
    for dataset in DATASETS.values():
        for f in dataset.fields:
            if f.kind in (Kind.CODE, Kind.BOOLEAN):
                for n, term in enumerate(vocabulary(f.vocabulary_name).terms):
                    out[(f.name, term.code)] = (n, (term.ro, term.en))
    return out


def dimension_label(dimension: str) -> Pair:
    return _DERIVED.get(dimension) or _fields().get(dimension, (dimension, dimension))


def category_label(dimension: str, category: str) -> Pair:
    if category == TOTAL:
        return _DERIVED[TOTAL]
    if dimension == "locality" and category.isdigit():
        place = localities().by_siruta.get(int(category))
        return (f"{place.name} ({place.county})",) * 2 if place else (category, category)
    found = _terms().get((dimension, category))
    return found[1] if found else (category, category)


def category_order(dimension: str, category: str) -> tuple:
    """Sort key of a category within its breakdown: total first, age groups by age,
    vocabulary terms in the vocabulary's order, anything else by its label."""
    if category == TOTAL:
        return (0, 0, "")
    ages = [label for _, _, label in AGE_GROUPS]
    if dimension == "age_group" and category in ages:
        return (1, ages.index(category), "")
    found = _terms().get((dimension, category))
    if found:
        return (1, found[0], "")
    return (2, 0, category_label(dimension, category)[0])


def project_label(code: str) -> Pair:
    if code == ALL:
        return ALL_PROJECTS
    project = load_network().projects.get(code)
    return (project.name_ro, project.name_en) if project else (code, code)


def partner_label(code: str) -> str:
    if code == ALL:
        return " / ".join(ALL_PARTNERS)
    partner = load_network().partners.get(code)
    return partner.name if partner else code


def period_label(period: str) -> str:
    return " / ".join(WHOLE_PERIOD) if period == TOTAL else period


def both(pair: Pair) -> str:
    """One cell for both languages: "ro / en", or the one text where they agree."""
    return pair[0] if pair[0] == pair[1] else f"{pair[0]} / {pair[1]}"


def reading_order(
    rows: pd.DataFrame, dimensions: tuple[str, ...] = (), codes: str = "category"
) -> pd.DataFrame:
    """The order people read: the network, then projects; within them the totals first (all
    partners, whole period, not broken down), then months, breakdowns in the catalogue's
    order and categories in theirs (``codes`` names the column of category codes)."""
    dims = {d: n for n, d in enumerate((TOTAL, *dimensions))}
    keys = [
        (
            project != ALL,
            project,
            partner != ALL,
            partner,
            period != TOTAL,
            period,
            dims.get(dimension, len(dims)),
            dimension,
            category_order(dimension, category),
        )
        for project, partner, period, dimension, category in zip(
            rows["project"], rows["partner"], rows["period"], rows["dimension"], rows[codes], strict=True
        )
    ]
    return rows.iloc[sorted(range(len(rows)), key=keys.__getitem__)]
