"""The indicator catalogue (``indicators.yaml``): what each published figure counts, from
which dataset, with which filters and breakdowns. Also the markers every level shares:
``ALL`` (across projects or partners) and ``total`` (the whole period, or no breakdown).

Loading checks every entry against the dataset contracts and vocabularies and stops with a
``CatalogueError`` naming the entry and the allowed values: a typo in a filter value would
otherwise select no row and publish zeros. ``INCLUSION_INDICATORS`` points at another file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from inclusion_data.contracts.datasets import DATASETS, Dataset, Kind
from inclusion_data.contracts.vocabularies import vocabulary

ALL = "ALL"
TOTAL = "total"
LEVEL_DIMENSIONS = ("project", "partner", "month")  # always published as levels and periods
AGE_GROUPS = (  # (youngest, oldest, label), in age order: reports list them so
    (0, 5, "0-5"),
    (6, 13, "6-13"),
    (14, 17, "14-17"),
    (18, 29, "18-29"),
    (30, 64, "30-64"),
    (65, 200, "65+"),
)
MEASURES = (
    "distinct_persons",
    "distinct_localities",
    "distinct_events",
    "distinct_participations",
    "rows",
    "threshold",
    "sum:<number column>",
)
_REQUIRED = ("name_ro", "name_en", "definition_en", "definition_ro", "dataset", "measure", "counts_persons")
_OPTIONAL = ("filters", "dimensions", "threshold")
_EVENT_COLUMNS = ("activity_type", "title", "start_date")


class CatalogueError(ValueError):
    """A catalogue file (indicators, targets, network) names something that does not exist."""


@dataclass(frozen=True)
class Indicator:
    id: str
    name_ro: str
    name_en: str
    definition_en: str
    definition_ro: str
    dataset: str
    measure: str
    counts_persons: bool
    filters: dict = field(default_factory=dict)
    dimensions: tuple[str, ...] = ()
    threshold: dict = field(default_factory=dict)

    @property
    def breakdowns(self) -> tuple[str, ...]:
        """The dimensions computed as breakdowns (levels and periods come anyway)."""
        return tuple(d for d in self.dimensions if d not in LEVEL_DIMENSIONS)


def filter_codes(value) -> list[str]:
    """The codes a catalogue filter value stands for (a value or a list; yes/no as true/false)."""
    return [
        str(v).lower() if isinstance(v, bool) else str(v)
        for v in (value if isinstance(value, list) else [value])
    ]


def _allowed(values) -> str:
    return ", ".join(str(v) for v in values)


def _field_kinds(dataset: Dataset) -> dict[str, Kind]:
    return {f.name: f.kind for f in dataset.fields if not f.personal}


def dimension_categories(dataset: str, dimension: str) -> list[str] | None:
    """The categories a breakdown can have (None where they are open: counties, localities)."""
    kinds = _field_kinds(DATASETS[dataset])
    if dimension == "age_group":
        return [label for _, _, label in AGE_GROUPS]
    if kinds.get(dimension) in (Kind.CODE, Kind.BOOLEAN):
        return vocabulary(DATASETS[dataset].field(dimension).vocabulary_name).codes
    return None


def breakdown_dimensions(dataset: str) -> list[str]:
    """What an indicator of this dataset can be broken down by."""
    d = DATASETS[dataset]
    kinds = [f.kind for f in d.fields]
    names = [*LEVEL_DIMENSIONS]
    if Kind.BIRTH in kinds or "age" in _field_kinds(d):
        names.append("age_group")
    if Kind.LOCALITY in kinds:
        names += ["county", "locality"]
    names += [name for name, kind in _field_kinds(d).items() if kind in (Kind.CODE, Kind.BOOLEAN)]
    return names


def _check_entry(key: str, spec: object) -> Indicator:
    where = f"indicators.yaml, entry '{key}'"
    if not isinstance(spec, dict):
        raise CatalogueError(f"{where}: expected a mapping of {_allowed(_REQUIRED)}")
    missing = [k for k in _REQUIRED if k not in spec]
    unknown = [k for k in spec if k not in _REQUIRED + _OPTIONAL]
    if missing or unknown:
        raise CatalogueError(
            f"{where}: {'missing ' + _allowed(missing) if missing else 'unknown key ' + _allowed(unknown)}; "
            f"allowed keys: {_allowed(_REQUIRED + _OPTIONAL)}"
        )
    dataset = spec["dataset"]
    if dataset not in DATASETS:
        raise CatalogueError(f"{where}: dataset '{dataset}' does not exist; allowed: {_allowed(DATASETS)}")
    if not isinstance(spec["counts_persons"], bool):
        raise CatalogueError(f"{where}: counts_persons must be true or false")
    kinds = _field_kinds(DATASETS[dataset])
    numbers = [n for n, k in kinds.items() if k in (Kind.INTEGER, Kind.DECIMAL)]
    measure = str(spec["measure"])
    if measure.startswith("sum:"):
        if measure.removeprefix("sum:") not in numbers:
            raise CatalogueError(
                f"{where}: measure '{measure}' sums no number column of {dataset}; "
                f"allowed: {_allowed('sum:' + n for n in numbers)}"
            )
    elif measure not in MEASURES:
        raise CatalogueError(f"{where}: measure '{measure}' does not exist; allowed: {_allowed(MEASURES)}")
    elif measure in ("distinct_events", "distinct_participations") and not all(
        c in kinds for c in _EVENT_COLUMNS
    ):
        raise CatalogueError(
            f"{where}: measure '{measure}' needs {_allowed(_EVENT_COLUMNS)}, {dataset} lacks them"
        )
    filters = spec.get("filters") or {}
    for column, value in filters.items():
        if kinds.get(column) not in (Kind.CODE, Kind.BOOLEAN):
            listed = [n for n, k in kinds.items() if k in (Kind.CODE, Kind.BOOLEAN)]
            raise CatalogueError(
                f"{where}: filter column '{column}' is not a list or yes/no column of {dataset}; "
                f"allowed: {_allowed(listed)}"
            )
        codes = dimension_categories(dataset, column) or []
        for v, code in zip(value if isinstance(value, list) else [value], filter_codes(value), strict=True):
            if code not in codes:
                raise CatalogueError(
                    f"{where}: filter {column} = '{v}' is not an allowed value; allowed: {_allowed(codes)}"
                )
    dimensions = spec.get("dimensions") or []
    allowed = breakdown_dimensions(dataset)
    for d in dimensions:
        if d not in allowed:
            raise CatalogueError(
                f"{where}: dimension '{d}' does not exist for {dataset}; allowed: {_allowed(allowed)}"
            )
    threshold = spec.get("threshold") or {}
    if (measure == "threshold") != bool(threshold):
        raise CatalogueError(f"{where}: measure 'threshold' and a threshold entry go together")
    if threshold:
        expected = {"per", "min_persons", "min_localities"}
        if set(threshold) != expected or threshold["per"] not in kinds:
            raise CatalogueError(
                f"{where}: threshold needs exactly {_allowed(sorted(expected))}, "
                f"'per' one of {_allowed(kinds)}"
            )
        for k in ("min_persons", "min_localities"):
            if not isinstance(threshold[k], int) or threshold[k] < 1:
                raise CatalogueError(f"{where}: threshold {k} must be a whole number of at least 1")
    return Indicator(
        id=key,
        **{**spec, "filters": filters, "dimensions": tuple(dimensions), "threshold": threshold},
    )


def parse_catalogue(raw: object) -> dict[str, Indicator]:
    if not isinstance(raw, dict) or not raw:
        raise CatalogueError("indicators.yaml: expected a mapping of indicator id to its definition")
    return {str(key): _check_entry(str(key), spec) for key, spec in raw.items()}


@cache
def _load(path: str | None) -> dict[str, Indicator]:
    text = (
        Path(path).read_text("utf-8")
        if path
        else files(__package__).joinpath("indicators.yaml").read_text("utf-8")
    )
    return parse_catalogue(yaml.safe_load(text))


def catalogue() -> dict[str, Indicator]:
    """The checked catalogue (``INCLUSION_INDICATORS``, else the packaged ``indicators.yaml``)."""
    return _load(os.environ.get("INCLUSION_INDICATORS"))
