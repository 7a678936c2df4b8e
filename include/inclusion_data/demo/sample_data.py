"""Generate the network's monthly partner files: synthetic people, real-world shape.

The data describes the four projects of the published reports in ``shared/seeds`` and is
built so that the indicators computed from it reproduce their figures (1,243 persons assisted
in 17 localities, 216 Roma certified, 115 professionals trained, 21 volunteers, the events and
participants of the network and the national platform...), reported month by month by
several partners, with people who recur across months, services, partners and projects.

The partners send files their own way: Romanian or English headers, .xlsx, .ods or
;-separated Windows-1250 .csv, Excel or text dates, decimal commas, place names with or
without diacritics. Round 1 holds one file that must be rejected and an incomplete month;
round 2 holds the rejected file corrected and the completed month.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.demo.people import Person, PersonFactory
from inclusion_data.intake.periods import due_date

MONTHS = tuple(f"2016-{m:02d}" for m in range(1, 7))
_CEDILLA = str.maketrans("șțȘȚ", "şţŞŢ")


@dataclass(frozen=True)
class PartnerStyle:
    project: str
    partner: str
    county: str | None
    language: str  # header and label language: ro | en
    file_format: str  # xlsx | ods | csv


STYLES = {
    (s.project, s.partner): s
    for s in (
        PartnerStyle("TWAM", "asoc-cluj", "Cluj", "ro", "xlsx"),
        PartnerStyle("TWAM", "asoc-bihor", "Bihor", "en", "ods"),
        PartnerStyle("ALBA", "primaria-alba-iulia", "Alba", "en", "xlsx"),
        PartnerStyle("ALBA", "speromax", "Alba", "ro", "csv"),
        PartnerStyle("NETW", "asoc-cluj", "Cluj", "ro", "xlsx"),
        PartnerStyle("NETW", "asoc-bihor", "Bihor", "ro", "xlsx"),
        PartnerStyle("PNCR", "pncr", None, "en", "xlsx"),
    )
}
# the 17 localities of seed 000, typed as partners type them (with and without diacritics)
TWAM_LOCALITIES = {
    "asoc-cluj": ("Cluj-Napoca", "Cojocna", "Cara", "Huedin", "Mera", "Suatu", "Aghiresu"),
    "asoc-bihor": (
        "Oradea",
        "Sacuieni",
        "Cherechiu",
        "Tîrgușor",
        "Ciocaia",
        "Diosig",
        "Petreu",
        "Roşiori",
        "Sânnicolau de Munte",
        "Sâniob",
    ),
}
ALBA_LOCALITIES = ("Alba Iulia", "Bărăbanț", "Micești", "Oarda", "Pâclișa")
TWAM_SERVICES = [
    "adult_literacy",
    "parents_school",
    "job_mediation",
    "work_practice",
    "non_formal_training",
    "socialising",
    "tutoring_romanian",
    "tutoring_maths",
    "psychological_counselling",
    "speech_therapy",
    "social_counselling",
    "newborn_care",
    "creative_activities",
    "career_guidance",
]
ALBA_SERVICES = [
    "resource_centre",
    "social_counselling",
    "job_mediation",
    "career_guidance",
    "psychological_counselling",
]


@dataclass(frozen=True)
class SampleFile:
    path: Path  # relative to the samples directory: <project>/<partner>/<file>
    round: int  # 1: the months' files; 2: re-sends after feedback
    purpose: str


@dataclass(frozen=True)
class Professional:
    person: Person
    category: str  # participant_category
    institution: str  # institution_type


class Plan:
    """The rows of every (project, partner, month, dataset), keyed by contract field."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str, str], list[dict]] = defaultdict(list)

    def add(self, project: str, partner: str, period: str, dataset: str, row: dict) -> None:
        self.rows[(project, partner, period, dataset)].append(row)


def _day(period: str, day: int) -> dt.date:
    year, month = map(int, period.split("-"))
    return dt.date(year, month, day)


def _identity(person: Person) -> dict:
    return {"cnp": person.cnp, "person_code": None if person.cnp else person.code, "name": person.name}


def _serve(
    plan: Plan,
    rng: random.Random,
    project: str,
    partner: str,
    people: list[tuple[Person, str]],
    services: list[str],
) -> None:
    """Each person gets services in one to three months, one or two a month."""
    for person, locality in people:
        adult = person.birth.year < 2000
        group = rng.choice(["parent", "unemployed_adult", "young_mother"]) if adult else "child_at_risk"
        if group == "young_mother" and person.sex == "M":
            group = "parent"
        for period in sorted(rng.sample(MONTHS, rng.choice([1, 1, 2, 2, 3]))):
            for service in rng.sample(services, rng.choice([1, 1, 2])):
                plan.add(
                    project,
                    partner,
                    period,
                    "beneficiaries",
                    {
                        **_identity(person),
                        "sex": person.sex,
                        "ethnicity": person.ethnicity,
                        "birth_date": person.birth if rng.random() < 0.7 else person.birth.year,
                        "locality": locality,
                        "vulnerable_group": group,
                        "service": service,
                        "service_date": _day(period, rng.randint(1, 28)),
                        "sessions": rng.randint(1, 6),
                    },
                )


def _attend(
    plan: Plan,
    project: str,
    partner: str,
    professional: Professional,
    activity: str,
    title: str,
    start: dt.date,
    end: dt.date,
    hours: float,
    certified: bool = False,
) -> None:
    person = professional.person
    plan.add(
        project,
        partner,
        f"{end:%Y-%m}",
        "trainings",
        {
            **_identity(person),
            "sex": person.sex,
            "ethnicity": "not_declared",
            "activity_type": activity,
            "title": title,
            "start_date": start,
            "end_date": end,
            "hours": hours,
            "participant_category": professional.category,
            "institution_type": professional.institution,
            "completed": True,
            "certified": certified,
        },
    )


def _professionals(
    factory: PersonFactory,
    rng: random.Random,
    county: str,
    count: int,
    institutions: list[str],
    cnp_share: float = 0.6,
) -> list[Professional]:
    return [
        Professional(
            factory.make(county, (1960, 1992), roma_share=0.1, cnp_share=cnp_share, prefix="S"),
            rng.choice(["specialist", "specialist", "specialist", "decision_maker"]),
            rng.choice(institutions),
        )
        for _ in range(count)
    ]


def _twam(plan: Plan, factory: PersonFactory, rng: random.Random):
    """Seeds 000/001: 1,243 persons in 17 localities, 216 Roma certified, 115 professionals
    trained, 2 study visits, 4 workshops, 21 volunteers."""
    pools = {}
    for partner, size in (("asoc-cluj", 600), ("asoc-bihor", 643)):
        county = "Cluj" if partner == "asoc-cluj" else "Bihor"
        localities = TWAM_LOCALITIES[partner]
        children = [factory.make(county, (2003, 2012)) for _ in range(size * 55 // 100)]
        adults = [
            factory.make(county, (1965, 1997), roma_share=0.9, cnp_share=0.9)
            for _ in range(size - len(children))
        ]
        pools[partner] = [(p, localities[i % len(localities)]) for i, p in enumerate(children + adults)]
    # children followed by both partners: the same CNPs, counted once in the project
    shared = [p for p, _ in pools["asoc-cluj"] if p.cnp and p.birth.year >= 2000][:12]
    for partner, served in pools.items():
        extra = (
            [(p, TWAM_LOCALITIES[partner][i % 10]) for i, p in enumerate(shared)]
            if partner == "asoc-bihor"
            else []
        )
        _serve(plan, rng, "TWAM", partner, served + extra, TWAM_SERVICES)
    # qualification courses: 216 Roma adults, all certified (4 trades, 54 each)
    trades = {
        "asoc-cluj": ("Instalator", "Operator confecționer industrial"),
        "asoc-bihor": ("Lucrător finisor", "Lucrător comercial"),
    }
    for partner, titles in trades.items():
        adults = [p for p, _ in pools[partner] if p.birth.year < 2000 and p.cnp and p.ethnicity == "roma"]
        for index, title in enumerate(titles):
            for person in adults[index * 54 : (index + 1) * 54]:
                plan.add(
                    "TWAM",
                    partner,
                    "2016-04",
                    "trainings",
                    {
                        **_identity(person),
                        "sex": person.sex,
                        "ethnicity": "roma",
                        "locality": TWAM_LOCALITIES[partner][0],
                        "activity_type": "qualification_course",
                        "title": title,
                        "start_date": dt.date(2016, 1, 11),
                        "end_date": dt.date(2016, 4, 29),
                        "hours": 360,
                        "participant_category": "beneficiary",
                        "institution_type": "none",
                        "completed": True,
                        "certified": True,
                    },
                )
    # 115 decision makers and specialists: courses, study visits and workshops
    institutions = ["public_institution", "public_institution", "ngo", "school", "private_sector"]
    staff = {
        "asoc-cluj": _professionals(factory, rng, "Cluj", 58, institutions),
        "asoc-bihor": _professionals(factory, rng, "Bihor", 57, institutions),
    }
    courses = {
        "asoc-cluj": [
            ("Limba engleză", dt.date(2016, 1, 11), dt.date(2016, 1, 29), 40),
            ("Management de caz", dt.date(2016, 3, 7), dt.date(2016, 3, 18), 24),
        ],
        "asoc-bihor": [
            ("Limba maghiară", dt.date(2016, 2, 1), dt.date(2016, 2, 26), 40),
            ("Coordonare voluntari", dt.date(2016, 5, 9), dt.date(2016, 5, 13), 16),
        ],
    }
    events = {
        "asoc-cluj": [
            ("workshop", "Atelier: măsuri noi de intervenție (1)", dt.date(2016, 2, 10)),
            ("workshop", "Atelier: măsuri noi de intervenție (3)", dt.date(2016, 4, 13)),
            ("study_visit", "Vizită de studiu la Bonțida", dt.date(2016, 5, 17)),
        ],
        "asoc-bihor": [
            ("workshop", "Atelier: măsuri noi de intervenție (2)", dt.date(2016, 2, 17)),
            ("workshop", "Atelier: măsuri noi de intervenție (4)", dt.date(2016, 4, 20)),
            ("study_visit", "Vizită de studiu la Săcuieni", dt.date(2016, 3, 22)),
        ],
    }
    for partner, professionals in staff.items():
        for index, professional in enumerate(professionals):
            taken = [courses[partner][index % 2]] + (
                [courses[partner][1 - index % 2]] if index % 3 == 0 else []
            )
            for title, start, end, hours in taken:
                _attend(plan, "TWAM", partner, professional, "specialist_training", title, start, end, hours)
        for activity, title, day in events[partner]:
            for professional in rng.sample(professionals, 18):
                _attend(plan, "TWAM", partner, professional, activity, title, day, day, 8)
    # 21 volunteers: 11 in Cluj, 10 in Bihor; each gives time in some months
    for partner, count in (("asoc-cluj", 11), ("asoc-bihor", 10)):
        county = "Cluj" if partner == "asoc-cluj" else "Bihor"
        volunteers = [factory.make(county, (1975, 2000), prefix="V") for _ in range(count)]
        _volunteer(
            plan,
            rng,
            "TWAM",
            partner,
            volunteers,
            TWAM_LOCALITIES[partner][0],
            ["event_organisation", "testing_interventions", "anti_discrimination_campaign"],
        )
    return pools, staff


def _volunteer(
    plan: Plan,
    rng: random.Random,
    project: str,
    partner: str,
    volunteers: list[Person],
    locality: str,
    roles: list[str],
) -> None:
    for index, period in enumerate(MONTHS):
        active = {volunteers[(index * 3 + k) % len(volunteers)] for k in range(3)}
        active |= set(rng.sample(volunteers, 3))
        for person in sorted(active, key=lambda p: p.code):
            plan.add(
                project,
                partner,
                period,
                "volunteers",
                {
                    **_identity(person),
                    "sex": person.sex,
                    "age": 2016 - person.birth.year,
                    "locality": locality,
                    "role": rng.choice(roles),
                    "hours": rng.choice([4, 6.5, 8, 12, 20]),
                },
            )


def _alba(plan: Plan, factory: PersonFactory, rng: random.Random, twam_pools, twam_staff) -> None:
    """Seed 002: at least 500 people served by the resource centre; 70 representatives
    trained in 3 sessions (50 local authorities, 20 civil society)."""
    movers = [p for p, _ in twam_pools["asoc-cluj"] if p.cnp and p.birth.year < 2000][-15:]
    for partner, size in (("primaria-alba-iulia", 253), ("speromax", 252)):
        people = [factory.make("Alba", (1950, 2012), roma_share=0.6) for _ in range(size)]
        if partner == "speromax":
            people += movers  # served before in Cluj by TWAM: counted once across projects
        _serve(
            plan,
            rng,
            "ALBA",
            partner,
            [(p, ALBA_LOCALITIES[i % len(ALBA_LOCALITIES)]) for i, p in enumerate(people)],
            ALBA_SERVICES,
        )
    sessions = [
        (dt.date(2016, 2, 16), dt.date(2016, 2, 17)),
        (dt.date(2016, 4, 12), dt.date(2016, 4, 13)),
        (dt.date(2016, 6, 14), dt.date(2016, 6, 15)),
    ]
    title = "Nediscriminare și incluziune socială în sănătate"
    twam_trained = [p for p in twam_staff["asoc-cluj"] if p.person.cnp][:8]
    authorities = [
        Professional(p.person, "decision_maker", "public_institution") for p in twam_trained
    ] + _professionals(factory, rng, "Alba", 42, ["public_institution"])
    civil = _professionals(factory, rng, "Alba", 20, ["ngo"])
    for partner, trainees in (("primaria-alba-iulia", authorities), ("speromax", civil)):
        for index, professional in enumerate(trainees):
            start, end = sessions[index % 3]
            _attend(plan, "ALBA", partner, professional, "specialist_training", title, start, end, 12)
    volunteers = [factory.make("Alba", (1980, 1998), prefix="V") for _ in range(6)]
    _volunteer(plan, rng, "ALBA", "speromax", volunteers, "Alba Iulia", ["event_organisation", "other"])


_P = TypeVar("_P")  # a person (or whoever takes a seat)
_E = TypeVar("_E")  # an event


def _spread(rng: random.Random, people: list[_P], attendances: int, events: list[_E]) -> dict[_E, list[_P]]:
    """Seat ``attendances`` participations of ``people`` over ``events``: everyone at least
    once, no one twice at an event, events within one seat of each other in size."""
    counts = dict.fromkeys(people, 1)
    for _ in range(attendances - len(people)):
        counts[rng.choice([p for p in people if counts[p] < len(events)])] += 1
    # a person's participations are consecutive, so dealing them round-robin over the events
    # gives each of them to a different event
    order = [person for person in people for _ in range(counts[person])]
    seats: dict[_E, list[_P]] = {event: [] for event in events}
    for index, person in enumerate(order):
        seats[events[index % len(events)]].append(person)
    return seats


def _netw(plan: Plan, factory: PersonFactory, rng: random.Random, twam_staff) -> None:
    """Seed 003: 4 seminars (111 participants), 3 conferences (135), 4 workshops (114)."""
    events = {  # activity -> (participations, [(partner, title, date)])
        "seminar": (
            111,
            [
                ("asoc-cluj", "Seminar: bune practici împotriva discriminării (1)", dt.date(2016, 2, 24)),
                ("asoc-bihor", "Seminar: bune practici împotriva discriminării (2)", dt.date(2016, 3, 9)),
                ("asoc-cluj", "Seminar: bune practici împotriva discriminării (3)", dt.date(2016, 5, 25)),
                ("asoc-bihor", "Seminar: bune practici împotriva discriminării (4)", dt.date(2016, 6, 8)),
            ],
        ),
        "conference": (
            135,
            [
                ("asoc-cluj", "Conferința: exemple de bune practici (Cluj)", dt.date(2016, 4, 27)),
                ("asoc-bihor", "Conferința: exemple de bune practici (Oradea)", dt.date(2016, 6, 22)),
                ("asoc-cluj", "Conferința: exemple de bune practici (Dej)", dt.date(2016, 6, 29)),
            ],
        ),
        "workshop": (
            114,
            [
                ("asoc-cluj", "Atelier: soluții locale (1)", dt.date(2016, 3, 16)),
                ("asoc-bihor", "Atelier: soluții locale (2)", dt.date(2016, 4, 6)),
                ("asoc-cluj", "Atelier: soluții locale (3)", dt.date(2016, 5, 11)),
                ("asoc-bihor", "Atelier: soluții locale (4)", dt.date(2016, 6, 1)),
            ],
        ),
    }
    institutions = ["public_institution", "ngo"]
    pools = {
        "asoc-cluj": [s for s in twam_staff["asoc-cluj"] if s.person.cnp][:10]
        + _professionals(factory, rng, "Cluj", 50, institutions),
        "asoc-bihor": _professionals(factory, rng, "Bihor", 55, institutions),
    }
    for activity, (participations, listed) in events.items():
        by_partner = defaultdict(list)
        for partner, title, day in listed:
            by_partner[partner].append((title, day))
        share = {p: participations * len(e) // len(listed) for p, e in by_partner.items()}
        share[listed[0][0]] += participations - sum(share.values())
        for partner, partner_events in by_partner.items():
            needed = -(-share[partner] // len(partner_events))  # the largest event's seats
            attendees = min(len(pools[partner]), max(needed, share[partner] * 3 // 4))
            seats = _spread(rng, rng.sample(pools[partner], attendees), share[partner], partner_events)
            for (title, day), people in seats.items():
                for professional in people:
                    _attend(plan, "NETW", partner, professional, activity, title, day, day, 6)


def _pncr(plan: Plan, factory: PersonFactory, rng: random.Random) -> None:
    """Seed 004: 16 workshops in two series; 257 participants = 157 public institutions +
    92 NGOs + 8 Roma community representatives."""
    days = [dt.date(2016, 2, 3 + 3 * i) for i in range(8)] + [dt.date(2016, 5, 4 + 3 * i) for i in range(8)]
    workshops = [
        (f"Atelier regional {'I' if i < 8 else 'II'}.{i % 8 + 1}", day) for i, day in enumerate(days)
    ]
    counties = ["Cluj", "Bihor", "Alba", "Mureș", "București"]
    groups = (
        ("public_institution", "decision_maker", 157, 120),
        ("ngo", "specialist", 92, 70),
        ("community_representative", "beneficiary", 8, 7),
    )
    for institution, category, participations, people_count in groups:
        people = [
            Professional(
                factory.make(rng.choice(counties), (1960, 1995), roma_share=0.3, prefix="N"),
                category,
                institution,
            )
            for _ in range(people_count)
        ]
        for (title, day), seated in _spread(rng, people, participations, workshops).items():
            for professional in seated:
                _attend(plan, "PNCR", "pncr", professional, "workshop", title, day, day, 6)


def build_plan(seed: int = 2016) -> Plan:
    rng = random.Random(seed)
    factory = PersonFactory(rng)
    plan = Plan()
    pools, staff = _twam(plan, factory, rng)
    _alba(plan, factory, rng, pools, staff)
    _netw(plan, factory, rng, staff)
    _pncr(plan, factory, rng)
    return plan


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
    return pd.DataFrame(
        [{header[f.name]: _cell(f, row.get(f.name), style) for f in dataset.fields} for row in rows],
        columns=list(header.values()),
    )


def write_submission(
    directory: Path, style: PartnerStyle, period: str, tables: dict[str, list[dict]], suffix: str = ""
) -> list[Path]:
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
                writer, sheet_name=DATASETS[name].sheet_names[sheet_index], index=False
            )
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


REJECTED = ("TWAM", "asoc-bihor", "2016-02")  # sent with errors, then corrected (late)
INCOMPLETE = ("TWAM", "asoc-cluj", "2016-01")  # sent missing rows, then sent complete
LATE = ("ALBA", "primaria-alba-iulia", "2016-05")  # sent after the 10th of the next month
# ADIS is declared in network.yaml to report from 2016-04 and sends nothing: missing months


def _arrived(path: Path, period: str, day: int) -> None:
    """Date the file as received on ``day`` of the month after ``period``, 10:00 UTC."""
    stamp = dt.datetime.combine(due_date(period, day), dt.time(10), dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))


def generate(directory: Path, seed: int = 2016) -> list[SampleFile]:
    plan = build_plan(seed)
    months: dict[tuple[str, str, str], dict[str, list[dict]]] = defaultdict(dict)
    for (project, partner, period, dataset), rows in sorted(plan.rows.items()):
        months[(project, partner, period)][dataset] = rows
    files: list[SampleFile] = []
    for (project, partner, period), tables in sorted(months.items(), key=lambda kv: kv[0][2]):
        style = STYLES[(project, partner)]
        first, resend, purpose = tables, None, "monthly report"
        if (project, partner, period) == REJECTED:
            first = {**tables, "beneficiaries": _spoil(tables["beneficiaries"])}
            resend, purpose = (
                (tables, "_corectat", "corrected re-send of the rejected file"),
                "has errors: must be rejected",
            )
        elif (project, partner, period) == INCOMPLETE:
            first = {**tables, "beneficiaries": tables["beneficiaries"][:-5]}
            resend = (
                {"beneficiaries": tables["beneficiaries"]},
                "_v2",
                "complete re-send of a month (supersedes it)",
            )
        for path in write_submission(directory / "round1", style, period, first):
            _arrived(path, period, 24 if (project, partner, period) == LATE else 3 + len(files) % 6)
            files.append(SampleFile(path.relative_to(directory / "round1"), 1, purpose))
        if resend:
            for path in write_submission(directory / "round2", style, period, resend[0], resend[1]):
                _arrived(path, period, 16)
                files.append(SampleFile(path.relative_to(directory / "round2"), 2, resend[2]))
    return files
