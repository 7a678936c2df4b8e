"""The network's reference data (``network.yaml``): projects, partners and what they report.

``INCLUSION_NETWORK`` points at another file for a real deployment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.i18n import DEFAULT_LANGUAGE, LANGUAGES


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
    language: str = DEFAULT_LANGUAGE  # of its reports, feedback and mail (portal users choose theirs)


@dataclass(frozen=True)
class Network:
    projects: dict[str, Project]
    partners: dict[str, Partner]
    memberships: dict[tuple[str, str], Membership]

    def language(self, partner: str | None) -> str:
        """The language a partner's files are answered in; Romanian for an unknown sender."""
        found = self.partners.get(partner or "")
        return found.language if found else DEFAULT_LANGUAGE


_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_PROJECT_KEYS = ("name_ro", "name_en", "start", "end")
_MEMBERSHIP_KEYS = ("from", "to", "reports")


class NetworkError(ValueError):
    """``network.yaml`` names something that does not exist or is malformed."""


def is_month(text: str) -> bool:
    """``YYYY-MM``, the way the network names a reporting month."""
    return bool(_MONTH.fullmatch(text))


def _month(where: str, value: object) -> str:
    month = str(value)[:7]
    if not is_month(month):
        raise NetworkError(f"{where}: '{value}' is not a month (YYYY-MM)")
    return month


def _keys(where: str, spec: object, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(spec, dict):
        raise NetworkError(f"{where}: expected a mapping of {', '.join(required + optional)}")
    missing = [k for k in required if k not in spec]
    unknown = [k for k in spec if k not in required + optional]
    if missing or unknown:
        problem = (
            f"missing {', '.join(missing)}" if missing else f"unknown key {', '.join(map(str, unknown))}"
        )
        raise NetworkError(f"{where}: {problem}; allowed keys: {', '.join(required + optional)}")
    return spec


def _span(where: str, start: object, end: object) -> tuple[str, str]:
    first, last = _month(where, start), _month(where, end)
    if first > last:
        raise NetworkError(f"{where}: starts ({first}) after it ends ({last})")
    return first, last


def parse_network(raw: dict) -> Network:
    """The network, every entry checked: a misspelt project, dataset or month stops loading
    with a message naming the entry and the allowed values."""
    raw = _keys("network.yaml", raw, ("projects", "partners"))
    projects = {}
    for code, p in raw["projects"].items():
        where = f"network.yaml, project '{code}'"
        p = _keys(where, p, _PROJECT_KEYS)
        projects[code] = Project(code, p["name_ro"], p["name_en"], *_span(where, p["start"], p["end"]))
    partners, memberships = {}, {}
    for code, p in raw["partners"].items():
        where = f"network.yaml, partner '{code}'"
        p = _keys(where, p, ("name",), ("county", "projects", "contacts", "language"))
        language = p.get("language", DEFAULT_LANGUAGE)
        if language not in LANGUAGES:
            raise NetworkError(f"{where}: language '{language}'; allowed: {', '.join(LANGUAGES)}")
        partners[code] = Partner(code, p["name"], p.get("county"), tuple(p.get("contacts") or ()), language)
        for project, m in (p.get("projects") or {}).items():
            where = f"network.yaml, partner '{code}', project '{project}'"
            if project not in projects:
                raise NetworkError(f"{where}: unknown project; allowed: {', '.join(projects)}")
            m = _keys(where, m, _MEMBERSHIP_KEYS)
            reports = m["reports"] if isinstance(m["reports"], list) else [m["reports"]]
            for dataset in reports:
                if dataset not in DATASETS:
                    raise NetworkError(
                        f"{where}: reports '{dataset}', not a dataset; allowed: {', '.join(DATASETS)}"
                    )
            memberships[(project, code)] = Membership(
                project, code, *_span(where, m["from"], m["to"]), tuple(reports)
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
