"""Targets per project and indicator (``targets.yaml``), versioned with the code.

Loading checks every entry (project, indicator, breakdown, category, value) and stops with a
``CatalogueError`` naming it and the allowed values: a misspelt category would otherwise
leave its target silently unused. ``INCLUSION_TARGETS`` points at another file.
"""

from __future__ import annotations

import os
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.catalogue import ALL, TOTAL, CatalogueError, catalogue, dimension_categories

Key = tuple[str, str, str, str, str, str]  # indicator, project, partner, period, dimension, category


def _number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise CatalogueError(f"{where}: a target is a positive number, not '{value}'")
    return float(value)


def parse_targets(raw: dict | None) -> dict[Key, float]:
    targets: dict[Key, float] = {}
    projects = load_network().projects
    indicators = catalogue()
    for project, entries in (raw or {}).items():
        if project not in projects:
            raise CatalogueError(
                f"targets.yaml, entry '{project}': unknown project; allowed: {', '.join(projects)}"
            )
        for indicator, spec in (entries or {}).items():
            entry = f"{project}.{indicator}"
            where = f"targets.yaml, entry '{entry}'"
            if indicator not in indicators:
                raise CatalogueError(f"{where}: unknown indicator; allowed: {', '.join(indicators)}")
            spec = spec if isinstance(spec, dict) else {TOTAL: spec}
            allowed = [TOTAL, *indicators[indicator].breakdowns]
            for dimension, value in spec.items():
                if dimension not in allowed:
                    raise CatalogueError(
                        f"{where}: '{dimension}' is not a breakdown of {indicator}; "
                        f"allowed: {', '.join(allowed)}"
                    )
                categories = value if isinstance(value, dict) else {TOTAL: value}
                known = (
                    [TOTAL]
                    if dimension == TOTAL
                    else dimension_categories(indicators[indicator].dataset, dimension)
                )
                for category, target in categories.items():
                    here = (
                        f"targets.yaml, entry '{entry}.{dimension}.{category}'"
                        if dimension != TOTAL
                        else where
                    )
                    if known is not None and str(category) not in known:
                        raise CatalogueError(
                            f"{here}: '{category}' is not a category of {dimension}; "
                            f"allowed: {', '.join(known)}"
                        )
                    key = (indicator, project, ALL, TOTAL, dimension, str(category))
                    targets[key] = _number(here, target)
    return targets


@cache
def _load(path: str | None) -> dict[Key, float]:
    text = (
        Path(path).read_text("utf-8")
        if path
        else files(__package__).joinpath("targets.yaml").read_text("utf-8")
    )
    return parse_targets(yaml.safe_load(text))


def targets() -> dict[Key, float]:
    return _load(os.environ.get("INCLUSION_TARGETS"))


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
