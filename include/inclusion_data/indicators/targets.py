"""Targets per project and indicator (``targets.yaml``), versioned with the code."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml

from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue

Key = tuple[str, str, str, str, str, str]  # indicator, project, partner, period, dimension, category


def parse_targets(raw: dict) -> dict[Key, float]:
    targets: dict[Key, float] = {}
    for project, indicators in raw.items():
        for indicator, spec in indicators.items():
            if indicator not in catalogue():
                raise ValueError(f"targets: {project} names unknown indicator {indicator}")
            spec = spec if isinstance(spec, dict) else {TOTAL: spec}
            for dimension, value in spec.items():
                categories = value if isinstance(value, dict) else {TOTAL: value}
                for category, target in categories.items():
                    targets[(indicator, project, ALL, TOTAL, dimension, str(category))] = float(target)
    return targets


@cache
def targets() -> dict[Key, float]:
    return parse_targets(yaml.safe_load(files(__package__).joinpath("targets.yaml").read_text("utf-8")))


def with_targets(rows: list[dict]) -> list[dict]:
    """Add ``target`` and ``achievement_pct`` (value / target, in percent) to indicator rows."""
    known = targets()
    for row in rows:
        key = (
            row["indicator_id"],
            row["project"],
            row["partner"],
            row["period"],
            row["dimension"],
            row["category"],
        )
        target = known.get(key)
        row["target"] = target
        row["achievement_pct"] = round(100 * row["value"] / target, 1) if target else None
    return rows
