"""Localities from the SIRUTA nomenclature (INS), as shipped by ``sirutalib``.

A place name is matched within a county, since names repeat across counties (Mera is in Cluj
and in Vrancea), ignoring case, diacritics (ș/ş, ț/ţ or none), the pre-1993 "î" spelling and
prefixes such as "Comuna". A name shared by several villages of one county can be told apart
as "Village, Commune" or "Village (Commune)".
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import sirutalib
import yaml

from inclusion_data.contracts.text import fold

_PREFIX = re.compile(r"^(municipiul|municipiu|mun|orasul|oras|comuna|com|satul|sat|judetul|jud)\s+")
_LEVEL_LOCALITY = "3"  # SIRUTA levels: 1 county, 2 administrative unit (UAT), 3 locality


def place_key(name: object) -> str:
    text = re.sub(r"(?<=\w)[îÎ](?=\w)", "â", str(name))  # Tîrgușor (pre-1993) = Târgușor
    return _PREFIX.sub("", fold(text))


@dataclass(frozen=True)
class Locality:
    siruta: int
    name: str
    county: str
    county_code: int
    uat_siruta: int
    uat_name: str
    level: int


class Localities:
    def __init__(self) -> None:
        with warnings.catch_warnings():  # sirutalib resets the warning filters when it warns
            self._db = sirutalib.SirutaDatabase()
        data = self._db._data  # sirutalib exposes no iterator over its entries
        self.counties = {place_key(name): code for code, name in self._db._counties.items()}
        county_names = {
            code: self._db.get_name(code_siruta, prefix=False).title()
            for code_siruta, entry in data.items()
            for code in [entry["county"]]
            if entry["type"] == 40
        }
        self.by_siruta: dict[int, Locality] = {}
        self._index: dict[tuple[int, str], list[Locality]] = {}
        for siruta, entry in data.items():
            if entry["type"] == 40:
                continue
            parent = data.get(entry["sirutasup"], entry)
            uat = entry if entry["level"] != _LEVEL_LOCALITY else parent
            locality = Locality(
                siruta,
                self._db.get_name(siruta, prefix=False).title(),
                county_names.get(entry["county"], ""),
                entry["county"],
                uat["siruta"],
                self._db.get_name(uat["siruta"], prefix=False).title(),
                int(entry["level"]),
            )
            self.by_siruta[siruta] = locality
            self._index.setdefault((entry["county"], place_key(locality.name)), []).append(locality)

        aliases = yaml.safe_load(files(__package__).joinpath("locality_aliases.yaml").read_text("utf-8"))
        for county, spellings in aliases.items():
            code = self.county_code(county)
            if code is None:
                raise ValueError(f"locality_aliases.yaml: '{county}' is not a county in SIRUTA")
            for alias, official in spellings.items():
                self._index[(code, place_key(alias))] = self._index[(code, place_key(official))]

    def county_code(self, county: str) -> int | None:
        return self.counties.get(place_key(county))

    def resolve(self, name: str, county: str | None) -> int | None:
        """SIRUTA code of the locality called ``name`` in ``county``; None if unknown or ambiguous."""
        county_code = self.county_code(county) if county else None
        if county_code is None:
            return None
        match = re.fullmatch(r"\s*(.+?)\s*(?:,|\()\s*(.+?)\s*\)?\s*", name)
        candidates = self._index.get((county_code, place_key(name)), [])
        if not candidates and match:
            within = place_key(match.group(2))
            candidates = [
                c
                for c in self._index.get((county_code, place_key(match.group(1))), [])
                if place_key(c.uat_name) == within
            ]
        settlements = [c for c in candidates if c.level == 3] or candidates
        return settlements[0].siruta if len(settlements) == 1 else None

    def in_counties(self, counties: list[str]) -> list[Locality]:
        codes = {self.county_code(c) for c in counties}
        return [loc for loc in self.by_siruta.values() if loc.county_code in codes]


@cache
def localities() -> Localities:
    return Localities()
