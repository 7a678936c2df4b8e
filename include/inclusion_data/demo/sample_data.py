"""Generate a network's monthly partner files: realistic, varied, and all synthetic.

Four partners in two projects over three months, each sending its files its own way (Romanian
or English headers, .xlsx, .ods or ;-separated Windows-1250 .csv, Excel or text dates), with
people served across months, partners and projects. Round 1 holds one file that must be
rejected; round 2 holds its corrected re-send and a correction of an accepted month.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..contracts import DATASETS
from ..vocabularies import vocabulary
from .people import Person, make_person

MONTHS = ("2016-01", "2016-02", "2016-03")
_CEDILLA = str.maketrans("șțȘȚ", "şţŞŢ")


@dataclass(frozen=True)
class PartnerStyle:
    project: str
    partner: str
    county: str
    localities: tuple[str, ...]
    language: str  # header and label language: ro | en
    file_format: str  # xlsx | ods | csv
    datasets: tuple[str, ...]


PARTNERS = (
    PartnerStyle("TWAM", "asoc-cluj", "Cluj",
                 ("Cluj-Napoca", "Cojocna", "Cara", "Huedin", "Mera", "Suatu", "Aghireșu"),
                 "ro", "xlsx", ("beneficiaries", "trainings", "volunteers")),
    PartnerStyle("TWAM", "asoc-bihor", "Bihor",
                 ("Oradea", "Sacuieni", "Cherechiu", "Tîrgușor", "Ciocaia", "Diosig", "Petreu",
                  "Roşiori", "Sânnicolau de Munte", "Sâniob"),
                 "en", "ods", ("beneficiaries", "trainings", "volunteers")),
    PartnerStyle("ALBA", "primaria-alba-iulia", "Alba", ("Alba Iulia", "Bărăbanț", "Micești"),
                 "en", "xlsx", ("beneficiaries", "trainings")),
    PartnerStyle("ALBA", "speromax", "Alba", ("Alba Iulia", "Oarda", "Pâclișa"),
                 "ro", "csv", ("beneficiaries", "trainings", "volunteers")),
)
SERVICES = {
    "TWAM": ["adult_literacy", "parents_school", "job_mediation", "tutoring_romanian",
             "tutoring_maths", "psychological_counselling", "speech_therapy", "social_counselling",
             "creative_activities", "career_guidance"],
    "ALBA": ["resource_centre", "social_counselling", "job_mediation", "career_guidance"],
}


@dataclass(frozen=True)
class SampleFile:
    path: Path  # relative to the samples directory: <project>/<partner>/<file>
    round: int  # 1: the month's files; 2: re-sends after feedback
    purpose: str


def _month_dates(period: str, rng: random.Random) -> dt.date:
    year, month = map(int, period.split("-"))
    return dt.date(year, month, rng.randint(1, 28))


def _people(rng: random.Random, style: PartnerStyle, start: int, count: int, born) -> list[Person]:
    return [make_person(rng, start + i, style.county, born) for i in range(count)]


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pools: dict[str, list[Person]] = {}
        for index, style in enumerate(PARTNERS):
            self.pools[style.partner] = (_people(self.rng, style, index * 1000, 45, (2003, 2012))
                                         + _people(self.rng, style, index * 1000 + 500, 25, (1970, 1995)))
        # people served by two partners of a project, and by both projects (same CNP)
        shared = [p for p in self.pools["asoc-cluj"] if p.cnp][:6]
        self.pools["asoc-bihor"][:4] = shared[:4]
        self.pools["speromax"][:2] = shared[4:6]
        self.pools["primaria-alba-iulia"][:3] = [p for p in self.pools["speromax"] if p.cnp][2:5]
        self.volunteers = {s.partner: _people(self.rng, s, 9000 + i * 100, 8, (1975, 2000))
                           for i, s in enumerate(PARTNERS)}

    def beneficiaries(self, style: PartnerStyle, period: str) -> list[dict]:
        rows = []
        for person in self.rng.sample(self.pools[style.partner], 30):
            group = "child_at_risk" if person.birth.year >= 2000 else self.rng.choice(
                ["parent", "unemployed_adult", "young_mother"])
            locality = self.rng.choice(style.localities)
            for service in self.rng.sample(SERVICES[style.project], self.rng.randint(1, 2)):
                rows.append({"cnp": person.cnp, "person_code": None if person.cnp else person.code,
                             "name": person.name,
                             "birth_date": person.birth if self.rng.random() < 0.7 else person.birth.year,
                             "sex": person.sex, "ethnicity": person.ethnicity, "locality": locality,
                             "vulnerable_group": group, "service": service,
                             "service_date": _month_dates(period, self.rng),
                             "sessions": self.rng.randint(1, 6)})
        return rows

    def trainings(self, style: PartnerStyle, period: str) -> list[dict]:
        year, month = map(int, period.split("-"))
        rows = []
        start = dt.date(year, month, 4)
        for i in range(self.rng.randint(8, 14)):  # a specialist training for partner staff
            rows.append({"person_code": f"S{style.partner[:3].upper()}{i:03d}", "name": f"Specialist {i}",
                         "sex": self.rng.choice("MF"), "ethnicity": "not_declared",
                         "activity_type": "specialist_training",
                         "title": "Management de caz" if style.language == "ro" else "Case management",
                         "start_date": start, "end_date": start + dt.timedelta(days=2), "hours": 16,
                         "participant_category": self.rng.choice(["specialist", "decision_maker"]),
                         "institution_type": self.rng.choice(["public_institution", "ngo", "school"]),
                         "completed": True, "certified": False})
        if style.project == "TWAM" and month == 3:  # a qualification course ends in March
            adults = [p for p in self.pools[style.partner] if p.birth.year < 2000][:12]
            for person in adults:
                rows.append({"cnp": person.cnp, "person_code": None if person.cnp else person.code,
                             "name": person.name, "sex": person.sex, "ethnicity": "roma",
                             "locality": style.localities[0], "activity_type": "qualification_course",
                             "title": "Instalator", "start_date": dt.date(year, 1, 11),
                             "end_date": dt.date(year, 3, 25), "hours": 360,
                             "participant_category": "beneficiary", "institution_type": "none",
                             "completed": True, "certified": True})
        return rows

    def volunteers_rows(self, style: PartnerStyle, period: str) -> list[dict]:
        return [{"cnp": p.cnp, "person_code": None if p.cnp else p.code, "name": p.name, "sex": p.sex,
                 "age": int(period[:4]) - p.birth.year, "locality": style.localities[0],
                 "role": self.rng.choice(["event_organisation", "testing_interventions",
                                          "anti_discrimination_campaign"]),
                 "hours": self.rng.choice([4, 6.5, 8, 12, 20])}
                for p in self.rng.sample(self.volunteers[style.partner], 5)]

    def month(self, style: PartnerStyle, period: str) -> dict[str, list[dict]]:
        makers = {"beneficiaries": self.beneficiaries, "trainings": self.trainings,
                  "volunteers": self.volunteers_rows}
        return {name: makers[name](style, period) for name in style.datasets}


def _cell(field, value, style: PartnerStyle):
    if value is None:
        return None
    if field.vocabulary and field.kind.value in ("code", "boolean"):
        code = "true" if value is True else "false" if value is False else value
        return vocabulary(field.vocabulary).label(code, style.language)
    if isinstance(value, dt.date) and style.file_format != "xlsx":
        return value.strftime("%d.%m.%Y")  # text dates, as in many partners' files
    if isinstance(value, float) and style.file_format == "csv":
        return f"{value:g}".replace(".", ",")  # decimal comma
    return value


def _table(dataset_name: str, rows: list[dict], style: PartnerStyle) -> pd.DataFrame:
    dataset = DATASETS[dataset_name]
    header = {f.name: (f.ro if style.language == "ro" else f.en) for f in dataset.fields}
    return pd.DataFrame([{header[f.name]: _cell(f, row.get(f.name), style) for f in dataset.fields}
                         for row in rows], columns=list(header.values()))


def write_submission(directory: Path, style: PartnerStyle, period: str,
                     tables: dict[str, list[dict]], suffix: str = "") -> list[Path]:
    folder = directory / style.project / style.partner
    folder.mkdir(parents=True, exist_ok=True)
    if style.file_format == "csv":
        paths = []
        for name, rows in tables.items():
            path = folder / f"{DATASETS[name].sheet_names[0].lower()}_{period}{suffix}.csv"
            text = _table(name, rows, style).to_csv(sep=";", index=False)
            # Windows-1250 has only the cedilla ş ţ, which is what such files contain
            path.write_bytes(text.translate(_CEDILLA).encode("cp1250"))
            paths.append(path)
        return paths
    path = folder / f"{style.project}_{style.partner}_{period}{suffix}.{style.file_format}"
    engine = "odf" if style.file_format == "ods" else "openpyxl"
    sheet_index = 0 if style.language == "ro" else 1
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in tables.items():
            _table(name, rows, style).to_excel(
                writer, sheet_name=DATASETS[name].sheet_names[sheet_index], index=False)
    return [path]


def _spoil(rows: list[dict]) -> list[dict]:
    """The mistakes of the file that must be rejected (rows 2-5 of its beneficiaries sheet)."""
    rows = [dict(r) for r in rows]
    with_cnp = next(i for i, r in enumerate(rows) if r["cnp"])
    rows[with_cnp]["cnp"] = rows[with_cnp]["cnp"][:-1] + str((int(rows[with_cnp]["cnp"][-1]) + 1) % 10)
    rows[1]["locality"] = "Mera"  # in Cluj, not in Bihor
    rows[2]["service_date"] = rows[2]["service_date"].replace(month=3)
    rows[3]["service"] = "Dans popular"
    return rows


def generate(directory: Path, seed: int = 2016) -> list[SampleFile]:
    generator = _Generator(seed)
    files: list[SampleFile] = []
    corrections = []
    for period in MONTHS:
        for style in PARTNERS:
            tables = generator.month(style, period)
            if (style.partner, period) == ("asoc-bihor", "2016-02"):
                corrections.append((style, period, tables, "_corectat", "corrected re-send of the rejected file"))
                tables = {**tables, "beneficiaries": _spoil(tables["beneficiaries"])}
                purpose = "has errors: must be rejected"
            elif (style.partner, period) == ("asoc-cluj", "2016-01"):
                extra = generator.beneficiaries(style, period)[:5]
                corrections.append((style, period, {"beneficiaries": tables["beneficiaries"] + extra},
                                    "_v2", "correction of an accepted month (supersedes it)"))
                purpose = "monthly report"
            else:
                purpose = "monthly report"
            for path in write_submission(directory / "round1", style, period, tables):
                files.append(SampleFile(path.relative_to(directory / "round1"), 1, purpose))
    for style, period, tables, suffix, purpose in corrections:
        for path in write_submission(directory / "round2", style, period, tables, suffix):
            files.append(SampleFile(path.relative_to(directory / "round2"), 2, purpose))
    return files

