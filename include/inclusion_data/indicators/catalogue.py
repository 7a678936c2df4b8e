"""The indicator catalogue (``indicators.yaml``): what each published figure counts, from
which dataset, with which filters and breakdowns. Also the markers every level shares:
``ALL`` (across projects or partners) and ``total`` (the whole period, or no breakdown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import yaml

ALL = "ALL"
TOTAL = "total"
LEVEL_DIMENSIONS = ("project", "partner", "month")  # always published as levels and periods


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


@cache
def catalogue() -> dict[str, Indicator]:
    raw = yaml.safe_load(files(__package__).joinpath("indicators.yaml").read_text("utf-8"))
    return {
        key: Indicator(
            id=key,
            **{
                **spec,
                "filters": spec.get("filters", {}),
                "dimensions": tuple(spec.get("dimensions", ())),
                "threshold": spec.get("threshold", {}),
            },
        )
        for key, spec in raw.items()
    }
