"""Synthetic people: plausible Romanian names and valid (checksummed) CNPs. Nobody real."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from stdnum.ro import cnp as stdnum_cnp

FIRST_M = [
    "Ion",
    "Gheorghe",
    "Vasile",
    "Florin",
    "Marius",
    "Adrian",
    "Ștefan",
    "Nicolae",
    "Cristian",
    "Daniel",
    "Mihai",
    "Costel",
    "Dănuț",
    "Lăcătuș",
    "Remus",
    "Sorin",
    "Tiberiu",
    "Zoltán",
]
FIRST_F = [
    "Maria",
    "Elena",
    "Ana",
    "Florica",
    "Mirela",
    "Ioana",
    "Lenuța",
    "Rodica",
    "Anișoara",
    "Cristina",
    "Gabriela",
    "Ramona",
    "Viorica",
    "Erzsébet",
    "Loredana",
    "Denisa",
    "Țuța",
]
LAST = [
    "Lingurar",
    "Căldărar",
    "Rostaș",
    "Stoica",
    "Mocanu",
    "Pop",
    "Moldovan",
    "Rusu",
    "Kovács",
    "Varga",
    "Lăcătuș",
    "Gabor",
    "Ciurar",
    "Dumitru",
    "Oprea",
    "Sârbu",
    "Bumbu",
    "Fieraru",
    "Mezei",
    "Toth",
    "Boldea",
    "Munteanu",
    "Suciu",
    "Crăciun",
]

COUNTY_CNP_CODE = {"Alba": 1, "Bihor": 5, "Cluj": 12, "Mureș": 26, "București": 40}  # CNP digits JJ


@dataclass(frozen=True)
class Person:
    name: str
    sex: str  # M / F
    birth: dt.date
    cnp: str | None  # None: no consent, the partner uses its own code
    code: str
    ethnicity: str  # roma / other / not_declared


def make_cnp(sex: str, birth: dt.date, county_code: int, serial: int) -> str:
    century_digit = {18: 3, 19: 1, 20: 5}[birth.year // 100] + (sex == "F")
    body = f"{century_digit}{birth:%y%m%d}{county_code:02d}{serial % 1000:03d}"
    return body + stdnum_cnp.calc_check_digit(body)


class PersonFactory:
    """Makes distinct people: no two share a CNP or a person code."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0
        self.cnps: set[str] = set()

    def make(
        self,
        county: str,
        born_between: tuple[int, int],
        roma_share: float = 0.7,
        cnp_share: float = 0.8,
        prefix: str = "P",
    ) -> Person:
        rng = self.rng
        self.serial += 1
        sex = rng.choice("MF")
        birth = dt.date(rng.randint(*born_between), rng.randint(1, 12), rng.randint(1, 28))
        cnp: str | None = None
        if rng.random() < cnp_share:
            serial = self.serial
            while (candidate := make_cnp(sex, birth, COUNTY_CNP_CODE[county], serial)) in self.cnps:
                serial += 1
            self.cnps.add(candidate)
            cnp = candidate
        ethnicity = "roma" if rng.random() < roma_share else rng.choice(["other", "not_declared"])
        first = rng.choice(FIRST_M if sex == "M" else FIRST_F)
        return Person(f"{first} {rng.choice(LAST)}", sex, birth, cnp, f"{prefix}{self.serial:05d}", ethnicity)
