"""The network's reference data (``network.yaml``): projects, partners and what they report.

``INCLUSION_NETWORK`` points at another file for a real deployment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Project:
    code: str
    name_ro: str
    name_en: str
    start: str
    end: str


@dataclass(frozen=True)
class Membership:
    project: str
    partner: str
    start: str
    end: str
    reports: tuple[str, ...]


@dataclass(frozen=True)
class Partner:
    code: str
    name: str
    county: str | None
    contacts: tuple[str, ...] = ()  # e-mail addresses that get the outcome of each file


@dataclass(frozen=True)
class Network:
    projects: dict[str, Project]
    partners: dict[str, Partner]
    memberships: dict[tuple[str, str], Membership]


def _month(value: object) -> str:
    return str(value)[:7]


def parse_network(raw: dict) -> Network:
    projects = {
        code: Project(code, p["name_ro"], p["name_en"], _month(p["start"]), _month(p["end"]))
        for code, p in raw["projects"].items()
    }
    partners, memberships = {}, {}
    for code, p in raw["partners"].items():
        partners[code] = Partner(code, p["name"], p.get("county"), tuple(p.get("contacts") or ()))
        for project, m in p.get("projects", {}).items():
            if project not in projects:
                raise ValueError(f"partner {code} names unknown project {project}")
            memberships[(project, code)] = Membership(
                project, code, _month(m["from"]), _month(m["to"]), tuple(m["reports"])
            )
    return Network(projects, partners, memberships)


@cache
def load_network(path: str | None = None) -> Network:
    path = path or os.environ.get("INCLUSION_NETWORK")
    text = (
        Path(path).read_text("utf-8")
        if path
        else files(__package__).joinpath("network.yaml").read_text("utf-8")
    )
    return parse_network(yaml.safe_load(text))
