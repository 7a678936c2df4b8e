"""The Excel template a partner's data officer fills for a project, partner and month.

Everything in it is derived from the contracts, the vocabularies and the network's reference
data: one sheet per dataset the partner reports (Romanian sheet name and headers), input help
and drop-down lists on every column, dates and numbers validated, the header row protected;
an instructions sheet first, an ``Info`` sheet with the reporting month and, per dataset, the
declaration of no activity in the month (a nil return, ``submissions.nil_returns``), and the
lists on a hidden ``Liste`` sheet (Excel limits an inline list to 255 characters).

    python -m inclusion_data.submissions.template_workbook --project TWAM --partner asoc-cluj --month 2016-03
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from inclusion_data.contracts.datasets import (
    DATASETS,
    KIND_LABELS,
    NO_ACTIVITY,
    NO_ACTIVITY_ANSWERS,
    Dataset,
    Field,
    Kind,
)
from inclusion_data.contracts.network import Network, Partner, load_network
from inclusion_data.contracts.text import fold
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.intake.localities import localities
from inclusion_data.intake.periods import parse_month
from inclusion_data.quality.checks import all_checks
from inclusion_data.settings import Settings

INSTRUCTIONS = "Instrucțiuni - Instructions"  # Excel forbids "/" in sheet names
LISTS = "Liste"
INFO = "Info"
TEMPLATE_SHEETS = (fold(INSTRUCTIONS), fold(LISTS))  # sheets of the template that hold no dataset
DATA_ROWS = 2000  # rows left unlocked and validated below the header
DATE_FORMAT = "dd.mm.yyyy"
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_UNLOCKED = Protection(locked=False)


class TemplateError(ValueError):
    """No template for that project, partner and month."""


def template_name(project: str, partner: str, period: str) -> str:
    """The file name; the pipeline reads the month from it (and from the Info sheet)."""
    return f"{project}_{partner}_{period}.xlsx"


def locality_labels(county: str) -> list[str]:
    """The county's SIRUTA settlements as the pipeline resolves them ("Village, Commune" when
    a name is shared), sorted."""
    places = localities()
    labels = []
    for loc in places.in_counties([county]):
        if loc.level != 3:
            continue
        for label in (loc.name, f"{loc.name}, {loc.uat_name}"):
            if places.resolve(label, county) == loc.siruta:
                labels.append(label)
                break
    return sorted(set(labels), key=lambda label: (fold(label), label))


def describe(f: Field, county: str | None) -> tuple[str, str]:
    """What a column holds, in Romanian and in English, from its contract."""
    ro, en = [KIND_LABELS[f.kind][0]], [KIND_LABELS[f.kind][1]]
    if f.required:
        ro.append("obligatoriu")
        en.append("required")
    if f.kind is Kind.CODE:
        values = ", ".join(t.ro for t in vocabulary(f.vocabulary_name).terms)
        ro.append(f"valori: {values}")
        en.append(f"values: {values}")
    if f.minimum is not None:
        ro.append(f"între {f.minimum:g} și {f.maximum:g}")
        en.append(f"from {f.minimum:g} to {f.maximum:g}")
    if f.usual_maximum is not None:
        ro.append(f"avertisment peste {f.usual_maximum:g}")
        en.append(f"warning above {f.usual_maximum:g}")
    if f.in_reporting_month:
        ro.append("în luna raportată")
        en.append("within the reporting month")
    if f.plausible:
        ro.append(f.plausible.ro)
        en.append(f.plausible.en)
    if f.kind is Kind.LOCALITY and county:
        ro.append(f"din județul {county}")
        en.append(f"in {county} county")
    if f.personal:
        ro.append("date personale: folosite doar pentru cheia pseudonimă, apoi șterse")
        en.append("personal: used only for the pseudonymous key, then dropped")

    def sentence(text: str, help_: str) -> str:
        return ". ".join(filter(None, [text[:1].upper() + text[1:], help_]))

    return sentence("; ".join(ro), f.help_ro), sentence("; ".join(en), f.help_en)


def _cut(text: str, limit: int = 255) -> str:
    """Excel refuses longer validation prompts; the header's comment holds the whole text."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list_range(lists, title: str, values: list[str]) -> str:
    """The Liste range holding ``values``, written as a new column the first time ``title`` asks."""
    titles = [c.value for c in lists[1]] if lists["A1"].value is not None else []
    column = get_column_letter(titles.index(title) + 1 if title in titles else len(titles) + 1)
    if title not in titles:
        lists[f"{column}1"] = title
        for row, value in enumerate(values, start=2):
            lists[f"{column}{row}"] = value
    return f"{quote_sheetname(LISTS)}!${column}$2:${column}${len(values) + 1}"


def _excel_date(day: dt.date) -> str:
    return f"DATE({day.year},{day.month},{day.day})"


def _validation(f: Field, county: str | None, period: str, lists) -> DataValidation:
    year, month = map(int, period.split("-"))
    last = calendar.monthrange(year, month)[1]
    if f.vocabulary:  # codes and Da/Nu
        labels = [t.ro for t in vocabulary(f.vocabulary).terms]
        return DataValidation("list", formula1=_list_range(lists, f.vocabulary, labels))
    if f.kind is Kind.LOCALITY and county:
        return DataValidation("list", formula1=_list_range(lists, "locality", locality_labels(county)))
    if f.kind is Kind.DATE:
        if f.in_reporting_month:
            return DataValidation(
                "date",
                operator="between",
                formula1=f"DATE({year},{month},1)",
                formula2=f"DATE({year},{month},{last})",
            )
        if f.plausible:  # contracts give every other date a window
            first, end = f.plausible.bounds(period)
            return DataValidation(
                "date", operator="between", formula1=_excel_date(first), formula2=_excel_date(end)
            )
    if f.kind in (Kind.INTEGER, Kind.DECIMAL) and f.minimum is not None:
        return DataValidation(
            "whole" if f.kind is Kind.INTEGER else "decimal",
            operator="between",
            formula1=f"{f.minimum:g}",
            formula2=f"{f.maximum:g}",
        )
    return DataValidation(allow_blank=True)  # input help only


def _dataset_sheet(workbook: Workbook, dataset: Dataset, county: str | None, period: str, lists) -> None:
    sheet = workbook.create_sheet(dataset.sheet_names[0])
    for col, f in enumerate(dataset.fields, start=1):
        letter = get_column_letter(col)
        ro, en = describe(f, county)
        header = sheet.cell(1, col, f.ro)
        header.font, header.fill = _BOLD, _HEADER_FILL
        header.comment = Comment(f"{f.ro} / {f.en}\n\n{ro}\n\n{en}", "inclusion-data", height=220, width=320)
        number_format = {Kind.DATE: DATE_FORMAT, Kind.INTEGER: "0", Kind.CNP: "@", Kind.TEXT: "@"}.get(
            f.kind, "General"
        )
        for row in range(2, DATA_ROWS + 2):
            cell = sheet.cell(row, col)
            cell.protection, cell.number_format = _UNLOCKED, number_format
        validation = _validation(f, county, period, lists)
        validation.allow_blank = True
        validation.showInputMessage = validation.showErrorMessage = True
        validation.promptTitle = f.ro[:32]
        validation.prompt = _cut(f"{ro}\n{en}")
        validation.errorTitle = "Valoare nepermisă / Not allowed"
        validation.error = validation.prompt
        validation.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
        sheet.add_data_validation(validation)
        sheet.column_dimensions[letter].width = max(14, min(40, len(f.ro) + 4))
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = sheet.protection.formatRows = False  # allowed


def _instructions(
    sheet, dataset_names: list[str], project, partner: Partner, period: str, file_name: str
) -> None:
    county = partner.county
    rows = [
        ("Șablon de raportare lunară / Monthly reporting template",),
        (),
        (
            "Cine completează / Who fills it",
            f"Responsabilul de date al partenerului / The data officer of {partner.name}",
        ),
        ("Proiect / Project", f"{project.code} — {project.name_ro} / {project.name_en}"),
        ("Partener / Partner", f"{partner.code} — {partner.name}"),
        ("Județ / County", county or "național, fără listă de localități / national, no locality list"),
        ("Luna raportării / Reporting month", period),
        ("Fișierul / File", file_name),
        ("Unde îl puneți / Where to drop it", f"var/inbox/{project.code}/{partner.code}/"),
        (),
        ("Reguli / Rules", "Română", "English"),
        (
            "",
            "Completați câte un rând pe persoană (și serviciu, activitate sau rol) în foile "
            "următoare; nu schimbați antetele, numele foilor și foaia Info.",
            "Fill one row per person (and service, activity or role) in the sheets that follow; "
            "do not change the headers, the sheet names or the Info sheet.",
        ),
        (
            "",
            "Alegeți valorile din listele derulante; datele ca zz.ll.aaaa.",
            "Pick values from the drop-down lists; dates as dd.mm.yyyy.",
        ),
        (
            "",
            "Fiecare rând are nevoie de CNP sau de codul persoanei. O foaie cu erori nu se "
            "încarcă; primiți un raport cu rândurile de corectat. Pentru o corectură, trimiteți "
            "din nou toată luna.",
            "Each row needs a CNP or a person code. A sheet with errors is not loaded; you receive a "
            "report naming the rows to correct. To correct a month, send the whole month again.",
        ),
        (
            "",
            f"Nicio activitate în lună pentru o foaie? Răspundeți Da în foaia {INFO}, la "
            f"„{NO_ACTIVITY[0]}”, și lăsați foaia goală. Declarația înlocuiește ce ați trimis înainte "
            "pentru luna aceea; o foaie lăsată goală fără Da nu declară nimic.",
            f"No activity in the month for a sheet? Answer Da (Yes) in the {INFO} sheet, at "
            f"'{NO_ACTIVITY[1]}', and leave the sheet empty. The declaration replaces what you sent "
            "before for that month; a sheet left empty without Da declares nothing.",
        ),
    ]
    for name in dataset_names:
        dataset = DATASETS[name]
        rows += [
            (),
            (
                f"{dataset.sheet_names[0]} / {dataset.sheet_names[1]}",
                "Coloană / explicație",
                "Column / explanation",
            ),
        ]
        for f in dataset.fields:
            ro, en = describe(f, county)
            rows.append((f"{f.ro} / {f.en}", ro, en))
        for check in all_checks(dataset):
            rows.append(
                (
                    "Semnalat dacă / Flagged when"
                    if check.severity == "warning"
                    else "Respins dacă / Rejected when",
                    check.ro,
                    check.en,
                )
            )
        key = ", ".join(dataset.field(k).ro for k in dataset.unique_key if k != "person_key")
        rows.append(
            (
                "Regulă / Rule",
                f"Un rând nu se repetă: aceeași persoană, {key}.",
                f"No row is repeated: the same person, {key}.",
            )
        )
    for values in rows:
        sheet.append(list(values))
    for row in sheet.iter_rows():
        row[0].font = _BOLD
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True, size=14)
    for letter, width in (("A", 38), ("B", 70), ("C", 70)):
        sheet.column_dimensions[letter].width = width


def _no_activity_rows(info, datasets: list[Dataset], declared: set[str], lists) -> None:
    """One row per dataset: its no-activity label, Da or Nu (a drop-down, unlocked), in English."""
    answers = vocabulary(NO_ACTIVITY_ANSWERS)
    labels = [t.ro for t in answers.terms]
    validation = DataValidation("list", formula1=_list_range(lists, NO_ACTIVITY_ANSWERS, labels))
    info.add_data_validation(validation)
    for dataset in datasets:
        ro, en = dataset.no_activity
        answer = answers.label("true" if dataset.name in declared else "false", "ro")
        info.append((ro, answer, en))
        cell = info.cell(info.max_row, 2)
        cell.protection = _UNLOCKED
        validation.add(cell.coordinate)


def write_template(
    project: str,
    partner: str,
    period: str,
    path: Path,
    network: Network | None = None,
    no_activity: Iterable[str] = (),
) -> Path:
    """Write the template for ``partner``'s ``period`` in ``project`` to ``path`` (a file, or a
    directory to put ``template_name(...)`` in); the path written. The datasets in
    ``no_activity`` are declared without activity in the Info sheet (a nil return)."""
    network = network or load_network()
    membership = network.memberships.get((project, partner))
    if membership is None:
        raise TemplateError(f"'{partner}' is not a partner of project '{project}' in the network")
    month = parse_month(period)
    if month is None or not membership.start <= month <= membership.end:
        raise TemplateError(f"{period}: not a month in {membership.start}..{membership.end}")
    who = network.partners[partner]
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path / template_name(project, partner, month)

    workbook = Workbook()
    instructions = workbook.active
    assert instructions is not None  # a new workbook has one (active) sheet
    _instructions(instructions, list(membership.reports), network.projects[project], who, month, path.name)
    instructions.title = INSTRUCTIONS
    lists = workbook.create_sheet(LISTS)  # filled as the columns ask for lists, moved last below
    for name in membership.reports:
        _dataset_sheet(workbook, DATASETS[name], who.county, month, lists)
    info = workbook.create_sheet(INFO)
    for row in (
        ("Luna raportării", month, "Reporting month"),
        ("Proiect", project, "Project"),
        ("Partener", partner, "Partner"),
    ):
        info.append(row)
    _no_activity_rows(info, [DATASETS[name] for name in membership.reports], set(no_activity), lists)
    info.column_dimensions["A"].width = info.column_dimensions["C"].width = 30
    info.protection.sheet = True
    workbook.move_sheet(lists, offset=len(workbook.sheetnames) - 1 - workbook.index(lists))
    lists.sheet_state = "hidden"
    lists.protection.sheet = True
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a partner's monthly Excel template.")
    parser.add_argument("--project", required=True)
    parser.add_argument("--partner", required=True)
    parser.add_argument("--month", required=True, help="YYYY-MM")
    parser.add_argument("--out", type=Path, help="directory (default: $INCLUSION_HOME/templates)")
    args = parser.parse_args(argv)
    out = args.out or Settings.from_env().home / "templates"
    try:
        print(write_template(args.project, args.partner, args.month, out))
    except TemplateError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
