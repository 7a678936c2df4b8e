"""Controlled vocabularies (``vocabularies.yaml``): codes, Romanian and English labels, synonyms."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from inclusion_data.contracts.text import fold


@dataclass(frozen=True)
class Term:
    code: str
    ro: str
    en: str


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: tuple[Term, ...]
    lookup: dict[str, str]

    @property
    def codes(self) -> list[str]:
        return [term.code for term in self.terms]

    def parse(self, value: object) -> str | None:
        """The code for anything a partner may type (code, label, synonym); None if unknown."""
        return self.lookup.get(fold(value))

    def label(self, code: str, language: str = "ro") -> str:
        for term in self.terms:
            if term.code == code:
                return getattr(term, language)
        return code


@cache
def vocabularies() -> dict[str, Vocabulary]:
    raw = yaml.safe_load(files(__package__).joinpath("vocabularies.yaml").read_text("utf-8"))
    result: dict[str, Vocabulary] = {}
    for name, entries in raw.items():
        terms: list[Term] = []
        lookup: dict[str, str] = {}
        for code, spec in entries.items():
            code = str(code)
            terms.append(Term(code, spec["ro"], spec["en"]))
            for spelling in [code, spec["ro"], spec["en"], *spec.get("also", [])]:
                key = fold(spelling)
                if lookup.setdefault(key, code) != code:
                    raise ValueError(f"{name}: '{spelling}' means both {lookup[key]} and {code}")
        result[name] = Vocabulary(name, tuple(terms), lookup)
    return result


def vocabulary(name: str) -> Vocabulary:
    return vocabularies()[name]
