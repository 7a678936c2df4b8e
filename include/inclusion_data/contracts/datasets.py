"""Dataset contracts: the single statement of each dataset's columns, types and rules.

Everything else is derived from here: header matching (``parsing``), the Great Expectations
suites in ``expectations/`` (``suites``), warehouse columns and templates. After changing a
contract run ``make suites`` to regenerate the suites (a test fails while they differ).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"  # a value from a controlled vocabulary (vocabularies.yaml)
    DATE = "date"
    BIRTH = "birth"  # a birth date, or just the year
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"  # Da/Nu, Yes/No
    CNP = "cnp"  # Romanian personal numeric code
    LOCALITY = "locality"  # place name, matched to SIRUTA within the county


# how each kind is described to people (template help, README): (Romanian, English)
KIND_LABELS = {
    Kind.TEXT: ("text", "text"),
    Kind.CODE: ("listă", "list"),
    Kind.DATE: ("dată zz.ll.aaaa", "date dd.mm.yyyy"),
    Kind.BIRTH: ("dată zz.ll.aaaa sau an", "date dd.mm.yyyy or year"),
    Kind.INTEGER: ("număr întreg", "whole number"),
    Kind.DECIMAL: ("număr", "number"),
    Kind.BOOLEAN: ("Da/Nu", "Da/Nu (yes/no)"),
    Kind.CNP: ("CNP", "CNP"),
    Kind.LOCALITY: ("localitate SIRUTA", "SIRUTA locality"),
}


# the longest text the warehouse stores in a text column, and in a code column (a vocabulary
# code): the schema's column sizes and the suites' length rule both read these
TEXT_LENGTH = 200
CODE_LENGTH = 40


@dataclass(frozen=True)
class DateWindow:
    """Where a date can plausibly fall, around the reporting month: from ``years_before`` years
    before the month's first day to ``months_after`` months after its last day. Outside it is an
    error (a birth date in the future, a course that started decades ago)."""

    years_before: int
    months_after: int = 0

    def bounds(self, period: str) -> tuple[dt.date, dt.date]:
        year, month = map(int, period.split("-"))
        end_year, end_month = divmod(year * 12 + month - 1 + self.months_after, 12)
        last = calendar.monthrange(end_year, end_month + 1)[1]
        return dt.date(year - self.years_before, month, 1), dt.date(end_year, end_month + 1, last)

    @property
    def en(self) -> str:
        after = f"{self.months_after} months after it" if self.months_after else "the end of that month"
        return f"from {self.years_before} years before the reporting month to {after}"

    @property
    def ro(self) -> str:
        after = f"{self.months_after} luni după ea" if self.months_after else "sfârșitul lunii"
        return f"de la {self.years_before} ani înaintea lunii raportate până la {after}"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    ro: str  # header in the Romanian template
    en: str  # header in the English template
    aliases: tuple[str, ...] = ()  # further headers partners use
    required: bool = False  # the column must be present and every row filled
    vocabulary: str | None = None
    minimum: float | None = None  # outside [minimum, maximum] is an error
    maximum: float | None = None
    usual_maximum: float | None = None  # above it (but within maximum) is a warning
    # Personal fields feed the checks and the pseudonymous key, then are dropped: they never
    # reach Great Expectations, the warehouse, logs or reports.
    personal: bool = False
    in_reporting_month: bool = False
    plausible: DateWindow | None = None  # a date outside the window is an error
    default: object = None  # stored when the cell is empty
    help_ro: str = ""
    help_en: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, self.ro, self.en, *self.aliases)

    @property
    def max_length(self) -> int | None:
        """The longest value a stored text or code column holds (None for other kinds)."""
        return {Kind.TEXT: TEXT_LENGTH, Kind.CODE: CODE_LENGTH}.get(self.kind)

    @property
    def vocabulary_name(self) -> str:
        """The vocabulary of a code or Da/Nu field; an error for a field that has none."""
        if self.vocabulary is None:
            raise ValueError(f"field '{self.name}' ({self.kind}) has no vocabulary")
        return self.vocabulary

    @property
    def typed(self) -> bool:
        """Whether a non-empty cell can fail to read as the field's type."""
        return self.kind in {Kind.DATE, Kind.BIRTH, Kind.INTEGER, Kind.DECIMAL, Kind.BOOLEAN}

    def __post_init__(self) -> None:
        # a range has both ends: the suites, the templates and the README describe it as such
        if (self.minimum is None) != (self.maximum is None):
            raise ValueError(f"field '{self.name}': give both minimum and maximum, or neither")
        # a date field has a window (a date in the reporting month is in the narrowest one)
        if self.kind in (Kind.DATE, Kind.BIRTH) and (self.plausible is None) == (not self.in_reporting_month):
            raise ValueError(f"field '{self.name}': a date is either in the reporting month or plausible")

    def required_(self) -> Field:
        return replace(self, required=True)


@dataclass(frozen=True)
class Check:
    """A row rule computed in ``checks`` (a boolean column) and enforced by the suite."""

    name: str
    column: str  # the field the finding points at in the partner's sheet
    severity: str  # "error" rejects the submission, "warning" loads it flagged
    en: str
    ro: str


# A nil return (no activity in the month for a dataset) is declared in a file's Info sheet on a
# row "Fără activitate: <sheet> | Da | No activity: <sheet>" (``Dataset.no_activity``), the
# answer from this vocabulary; or by sending the dataset's sheet with its headers and no rows.
NO_ACTIVITY = ("Fără activitate", "No activity")
NO_ACTIVITY_ANSWERS = "yes_no"


@dataclass(frozen=True)
class Dataset:
    name: str
    sheet_names: tuple[str, ...]  # Romanian first
    fields: tuple[Field, ...]
    unique_key: tuple[str, ...]  # columns (after pseudonymisation) that identify a row
    checks: tuple[Check, ...] = ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def no_activity(self) -> tuple[str, str]:
        """The Info sheet's labels, Romanian and English, of this dataset's nil-return row."""
        return f"{NO_ACTIVITY[0]}: {self.sheet_names[0]}", f"{NO_ACTIVITY[1]}: {self.sheet_names[1]}"

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.personal)


# --- fields shared by the datasets ---------------------------------------------------------
CNP = Field(
    "cnp",
    Kind.CNP,
    "CNP",
    "CNP",
    ("cod numeric personal", "personal numeric code"),
    personal=True,
    help_ro="Doar cu acordul persoanei; altfel lăsați gol și completați codul persoanei.",
    help_en="Only with the person's consent; otherwise leave it empty and fill the person code.",
)
PERSON_CODE = Field(
    "person_code",
    Kind.TEXT,
    "Cod persoană",
    "Person code",
    ("cod beneficiar", "cod voluntar", "cod participant", "id persoana", "person id", "identificator"),
    personal=True,
    help_ro="Codul intern al organizației pentru persoană, când nu aveți CNP.",
    help_en="Your organisation's own code for the person when there is no CNP.",
)
NAME = Field(
    "name",
    Kind.TEXT,
    "Nume și prenume",
    "Full name",
    ("nume", "nume prenume", "name", "numele si prenumele", "nume complet"),
    personal=True,
)
SEX = Field("sex", Kind.CODE, "Sex", "Sex", ("gen", "gender"), vocabulary="sex")
ETHNICITY = Field(
    "ethnicity",
    Kind.CODE,
    "Etnie",
    "Ethnicity",
    ("etnia", "etnie declarata", "self declared ethnicity"),
    vocabulary="ethnicity",
    help_ro="Etnia declarată de persoană; „Nedeclarată” dacă nu a declarat-o.",
    help_en="As declared by the person; 'Not declared' otherwise.",
)
LOCALITY = Field(
    "locality",
    Kind.LOCALITY,
    "Localitate",
    "Locality",
    ("localitatea", "localitate domiciliu", "town", "village", "place"),
    help_ro="Localitatea din județul partenerului, ca în nomenclatorul SIRUTA.",
    help_en="A locality in the partner's county, as in the SIRUTA nomenclature.",
)
BIRTH_DATE = Field(
    "birth_date",
    Kind.BIRTH,
    "Data nașterii",
    "Birth date",
    ("data nasterii sau anul", "anul nasterii", "an nastere", "birth year", "date of birth"),
    personal=True,
    plausible=DateWindow(years_before=110),
    help_ro="Data (zz.ll.aaaa) sau doar anul.",
    help_en="Date (dd.mm.yyyy) or just the year.",
)

# --- rules computed in checks.py -----------------------------------------------------------
IDENTIFIER_PRESENT = Check(
    "identifier_present",
    "person_code",
    "error",
    "Each row needs a CNP or a person code.",
    "Fiecare rând are nevoie de CNP sau de un cod de persoană.",
)
CNP_VALID = Check(
    "cnp_valid",
    "cnp",
    "error",
    "The CNP is not valid: 13 digits, a real birth date and a correct check digit.",
    "CNP-ul nu este valid: 13 cifre, o dată de naștere reală și cifra de control corectă.",
)
CNP_MATCHES_SEX = Check(
    "cnp_matches_sex", "sex", "error", "The sex does not match the CNP.", "Sexul nu corespunde cu CNP-ul."
)
CNP_MATCHES_BIRTH = Check(
    "cnp_matches_birth",
    "birth_date",
    "error",
    "The birth date does not match the CNP.",
    "Data nașterii nu corespunde cu CNP-ul.",
)
LOCALITY_IN_COUNTY = Check(
    "locality_in_county",
    "locality",
    "error",
    "Unknown locality in the partner's county (SIRUTA nomenclature).",
    "Localitate necunoscută în județul partenerului (nomenclatorul SIRUTA).",
)
PERSON_CHECKS = (IDENTIFIER_PRESENT, CNP_VALID, CNP_MATCHES_SEX)

BENEFICIARIES = Dataset(
    name="beneficiaries",
    sheet_names=("Beneficiari", "Beneficiaries"),
    fields=(
        CNP,
        PERSON_CODE,
        NAME,
        BIRTH_DATE,
        SEX.required_(),
        ETHNICITY.required_(),
        LOCALITY.required_(),
        Field(
            "vulnerable_group",
            Kind.CODE,
            "Categorie grup vulnerabil",
            "Vulnerable group",
            ("categorie", "grup vulnerabil", "grup tinta", "target group", "category"),
            required=True,
            vocabulary="vulnerable_group",
        ),
        Field(
            "service",
            Kind.CODE,
            "Serviciu",
            "Service",
            ("serviciul", "tip serviciu", "service received", "interventie"),
            required=True,
            vocabulary="service",
        ),
        Field(
            "service_date",
            Kind.DATE,
            "Data",
            "Date",
            ("data serviciului", "service date", "data furnizarii"),
            required=True,
            in_reporting_month=True,
            help_ro="Data furnizării serviciului, în luna raportată.",
            help_en="Date the service was delivered, within the reporting month.",
        ),
        Field(
            "sessions",
            Kind.INTEGER,
            "Număr ședințe",
            "Sessions",
            ("sedinte", "nr sedinte", "number of sessions"),
            minimum=1,
            maximum=31,
            usual_maximum=20,
            default=1,
            help_ro="Câte ședințe în luna raportată (implicit 1).",
            help_en="How many sessions in the reporting month (1 when empty).",
        ),
    ),
    unique_key=("person_key", "service", "service_date"),
    checks=(
        *PERSON_CHECKS,
        CNP_MATCHES_BIRTH,
        LOCALITY_IN_COUNTY,
        Check(
            "child_is_minor",
            "birth_date",
            "warning",
            "A child at risk is expected to be under 18 in the reporting month.",
            "Un copil în situație de risc ar trebui să aibă sub 18 ani în luna raportată.",
        ),
    ),
)

TRAININGS = Dataset(
    name="trainings",
    sheet_names=("Instruiri", "Trainings"),
    fields=(
        CNP,
        PERSON_CODE,
        NAME,
        SEX,
        ETHNICITY,
        LOCALITY,
        Field(
            "activity_type",
            Kind.CODE,
            "Tip activitate",
            "Activity type",
            ("tipul activitatii", "tip eveniment", "event type", "activity"),
            required=True,
            vocabulary="activity_type",
        ),
        Field(
            "title",
            Kind.TEXT,
            "Titlu",
            "Title",
            ("denumire", "titlul activitatii", "denumire curs", "course", "event title"),
            required=True,
        ),
        Field(
            "start_date",
            Kind.DATE,
            "Data început",
            "Start date",
            ("data inceput", "de la", "from", "start"),
            required=True,
            plausible=DateWindow(years_before=3),  # the longest qualification course runs months
        ),
        Field(
            "end_date",
            Kind.DATE,
            "Data sfârșit",
            "End date",
            ("data sfarsit", "data final", "pana la", "to", "end"),
            required=True,
            in_reporting_month=True,
            help_ro="Ziua în care s-a încheiat activitatea; raportați-o în luna în care se încheie.",
            help_en="The day the activity ended; report it in the month it ends.",
        ),
        Field(
            "hours",
            Kind.DECIMAL,
            "Ore",
            "Hours",
            ("numar ore", "durata ore", "duration hours"),
            required=True,
            minimum=0.5,
            maximum=1000,
            usual_maximum=360,
        ),
        Field(
            "participant_category",
            Kind.CODE,
            "Categorie participant",
            "Participant category",
            ("categorie", "tip participant", "participant type"),
            required=True,
            vocabulary="participant_category",
        ),
        Field(
            "institution_type",
            Kind.CODE,
            "Tip instituție",
            "Institution type",
            ("institutie", "tip institutie", "institution", "organisation type"),
            required=True,
            vocabulary="institution_type",
        ),
        Field(
            "completed",
            Kind.BOOLEAN,
            "Absolvit",
            "Completed",
            ("finalizat", "a absolvit", "completed course"),
            required=True,
            vocabulary="yes_no",
        ),
        Field(
            "certified",
            Kind.BOOLEAN,
            "Certificat",
            "Certified",
            ("certificat obtinut", "a obtinut certificat", "certificate"),
            required=True,
            vocabulary="yes_no",
        ),
    ),
    unique_key=("person_key", "activity_type", "title", "start_date"),
    checks=(
        *PERSON_CHECKS,
        LOCALITY_IN_COUNTY,
        Check(
            "dates_in_order",
            "end_date",
            "error",
            "The end date is before the start date.",
            "Data de sfârșit este înaintea datei de început.",
        ),
        Check(
            "certified_completed",
            "certified",
            "error",
            "Only a participant who completed the activity can be certified.",
            "Doar un participant care a absolvit poate fi certificat.",
        ),
    ),
)

VOLUNTEERS = Dataset(
    name="volunteers",
    sheet_names=("Voluntari", "Volunteers"),
    fields=(
        CNP,
        PERSON_CODE,
        NAME,
        SEX.required_(),
        Field(
            "age",
            Kind.INTEGER,
            "Vârstă",
            "Age",
            ("varsta", "varsta ani", "age years"),
            required=True,
            minimum=14,
            maximum=100,
            usual_maximum=80,
        ),
        LOCALITY.required_(),
        Field(
            "role",
            Kind.CODE,
            "Rol",
            "Role",
            ("activitate", "rolul voluntarului", "task"),
            required=True,
            vocabulary="volunteer_role",
        ),
        Field(
            "hours",
            Kind.DECIMAL,
            "Ore",
            "Hours",
            ("ore voluntariat", "numar ore", "volunteer hours"),
            required=True,
            minimum=0.5,
            maximum=300,
            usual_maximum=160,
            help_ro="Ore de voluntariat în luna raportată.",
            help_en="Volunteering hours in the reporting month.",
        ),
    ),
    unique_key=("person_key", "role"),
    checks=(*PERSON_CHECKS, LOCALITY_IN_COUNTY),
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (BENEFICIARIES, TRAININGS, VOLUNTEERS)}
