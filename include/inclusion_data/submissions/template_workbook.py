"""The Excel template a partner's data officer fills for a project, partner and month.

Everything in it is derived from the contracts, the vocabularies and the network's reference
data: one sheet per dataset the partner reports, input help and drop-down lists on every
column, dates and numbers validated, the header row protected; an instructions sheet first, an
``Info`` sheet with the reporting month and, per dataset, the declaration of no activity in the
month (a nil return, ``submissions.nil_returns``), and the lists on a hidden sheet (Excel
limits an inline list to 255 characters). All of it in one language, Romanian unless asked
(sheet names, headers, the values the drop-downs offer, instructions): the pipeline reads
either, and its messages list the values in the language they are written in.

    python -m inclusion_data.submissions.template_workbook --project TWAM --partner asoc-cluj \
        --month 2016-03 [--lang en]
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
from inclusion_data.contracts.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, translator
from inclusion_data.contracts.network import Network, Partner, load_network
from inclusion_data.contracts.text import fold
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.intake.localities import localities
from inclusion_data.intake.periods import parse_month
from inclusion_data.quality.checks import all_checks
from inclusion_data.settings import Settings

INSTRUCTIONS = N_("Instructions")  # sheet titles, in the template's language
LISTS = N_("Lists")
INFO = "Info"  # the same in both languages: the pipeline finds the month there
# sheets of a template that hold no dataset, in either language and as earlier templates had them
TEMPLATE_SHEETS = tuple(
    {fold("Instrucțiuni - Instructions"), fold("Liste")}
    | {fold(translator(lang)(title)) for lang in LANGUAGES for title in (INSTRUCTIONS, LISTS)}
)
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


def _in(language: str, pair: tuple[str, ...]) -> str:
    """The contracts' (Romanian, English) pairs, in ``language``."""
    return pair[0 if language == "ro" else 1]


def describe(f: Field, county: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """What a column holds, from its contract, in ``language``."""
    _ = translator(language)
    parts = [_in(language, KIND_LABELS[f.kind])]
    if f.kind is Kind.BOOLEAN and f.vocabulary:  # the answers the drop-down offers: Da/Nu, Yes/No
        parts = ["/".join(getattr(t, language) for t in vocabulary(f.vocabulary).terms)]
    if f.required:
        parts.append(_("required"))
    if f.kind is Kind.CODE:
        values = ", ".join(getattr(t, language) for t in vocabulary(f.vocabulary_name).terms)
        parts.append(_("values: %(values)s") % {"values": values})
    if f.minimum is not None and f.maximum is not None:
        parts.append(_("from %(low)s to %(high)s") % {"low": f"{f.minimum:g}", "high": f"{f.maximum:g}"})
    if f.usual_maximum is not None:
        parts.append(_("warning above %(value)s") % {"value": f"{f.usual_maximum:g}"})
    if f.in_reporting_month:
        parts.append(_("within the reporting month"))
    if f.plausible:
        parts.append(_in(language, (f.plausible.ro, f.plausible.en)))
    if f.kind is Kind.LOCALITY and county:
        parts.append(_("in %(county)s county") % {"county": county})
    if f.personal:
        parts.append(_("personal: used only for the pseudonymous key, then dropped"))
    text = "; ".join(parts)
    return ". ".join(filter(None, [text[:1].upper() + text[1:], _in(language, (f.help_ro, f.help_en))]))


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
    return f"{quote_sheetname(lists.title)}!${column}$2:${column}${len(values) + 1}"


def _excel_date(day: dt.date) -> str:
    return f"DATE({day.year},{day.month},{day.day})"


def _validation(f: Field, county: str | None, period: str, lists, language: str) -> DataValidation:
    year, month = map(int, period.split("-"))
    last = calendar.monthrange(year, month)[1]
    if f.vocabulary:  # codes and Da/Nu, offered in the template's language
        labels = [getattr(t, language) for t in vocabulary(f.vocabulary).terms]
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


def _dataset_sheet(
    workbook: Workbook, dataset: Dataset, county: str | None, period: str, lists, language: str
) -> None:
    _ = translator(language)
    sheet = workbook.create_sheet(_in(language, dataset.sheet_names))
    for col, f in enumerate(dataset.fields, start=1):
        letter = get_column_letter(col)
        title, text = getattr(f, language), describe(f, county, language)
        header = sheet.cell(1, col, title)
        header.font, header.fill = _BOLD, _HEADER_FILL
        header.comment = Comment(f"{title}\n\n{text}", "inclusion-data", height=160, width=320)
        number_format = {Kind.DATE: DATE_FORMAT, Kind.INTEGER: "0", Kind.CNP: "@", Kind.TEXT: "@"}.get(
            f.kind, "General"
        )
        for row in range(2, DATA_ROWS + 2):
            cell = sheet.cell(row, col)
            cell.protection, cell.number_format = _UNLOCKED, number_format
        validation = _validation(f, county, period, lists, language)
        validation.allow_blank = True
        validation.showInputMessage = validation.showErrorMessage = True
        validation.promptTitle = title[:32]
        validation.prompt = _cut(text)
        validation.errorTitle = _("Value not allowed")[:32]
        validation.error = validation.prompt
        validation.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
        sheet.add_data_validation(validation)
        sheet.column_dimensions[letter].width = max(14, min(40, len(title) + 4))
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = sheet.protection.formatRows = False  # allowed


def _instructions(
    sheet, dataset_names: list[str], project, partner: Partner, period: str, file_name: str, language: str
) -> None:
    _ = translator(language)
    county, portal = partner.county, Settings.from_env().portal_url
    rows: list[tuple[str, ...]] = [
        (_("Monthly reporting template"),),
        (),
        (_("Who fills it"), _("The data officer of %(partner)s") % {"partner": partner.name}),
        (_("Project"), f"{project.code} — {_in(language, (project.name_ro, project.name_en))}"),
        (_("Partner"), f"{partner.code} — {partner.name}"),
        (_("County"), county or _("national, no locality list")),
        (_("Reporting month"), period),
        (_("File"), file_name),
        (
            _("How to send it"),
            _("in the portal: %(url)s") % {"url": f"{portal}/partner"},
        ),
        (
            "",
            _("or in your organisation's folder of the network's inbox: %(folder)s")
            % {"folder": f"{project.code}/{partner.code}/"},
        ),
        (),
        (_("Rules"),),
        (
            "",
            _(
                "Fill one row per person (and service, activity or role) in the sheets that follow; "
                "do not change the headers, the sheet names or the Info sheet."
            ),
        ),
        ("", _("Pick values from the drop-down lists; dates as dd.mm.yyyy.")),
        (
            "",
            _(
                "Each row needs a CNP or a person code. A sheet with errors is not loaded; you receive a "
                "report naming the rows to correct. To correct a month, send the whole month again."
            ),
        ),
        (
            "",
            _(
                "No activity in the month for a sheet? Answer %(yes)s in the %(info)s sheet, at "
                "'%(label)s', and leave the sheet empty. The declaration replaces what you sent before "
                "for that month; a sheet left empty without %(yes)s declares nothing."
            )
            % {
                "yes": vocabulary(NO_ACTIVITY_ANSWERS).label("true", language),
                "info": INFO,
                "label": _in(language, NO_ACTIVITY),
            },
        ),
    ]
    for name in dataset_names:
        dataset = DATASETS[name]
        rows += [(), (_in(language, dataset.sheet_names), _("Column / explanation"))]
        for f in dataset.fields:
            rows.append((getattr(f, language), describe(f, county, language)))
        for check in all_checks(dataset):
            flagged = _("Flagged when") if check.severity == "warning" else _("Rejected when")
            rows.append((flagged, _in(language, (check.ro, check.en))))
        key = ", ".join(getattr(dataset.field(k), language) for k in dataset.unique_key if k != "person_key")
        rows.append((_("Rule"), _("No row is repeated: the same person, %(key)s.") % {"key": key}))
    for values in rows:
        sheet.append(list(values))
    for row in sheet.iter_rows():
        row[0].font = _BOLD
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True, size=14)
    for letter, width in (("A", 38), ("B", 90)):
        sheet.column_dimensions[letter].width = width


def _no_activity_rows(info, datasets: list[Dataset], declared: set[str], lists, language: str) -> None:
    """One row per dataset: its no-activity label and Da or Nu (a drop-down, unlocked)."""
    answers = vocabulary(NO_ACTIVITY_ANSWERS)
    labels = [getattr(t, language) for t in answers.terms]
    validation = DataValidation("list", formula1=_list_range(lists, NO_ACTIVITY_ANSWERS, labels))
    info.add_data_validation(validation)
    for dataset in datasets:
        answer = answers.label("true" if dataset.name in declared else "false", language)
        info.append((_in(language, dataset.no_activity), answer))
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
    language: str = DEFAULT_LANGUAGE,
) -> Path:
    """Write the template for ``partner``'s ``period`` in ``project`` to ``path`` (a file, or a
    directory to put ``template_name(...)`` in), in ``language``; the path written. The datasets
    in ``no_activity`` are declared without activity in the Info sheet (a nil return)."""
    _ = translator(language)
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
    reports = list(membership.reports)
    _instructions(instructions, reports, network.projects[project], who, month, path.name, language)
    instructions.title = _(INSTRUCTIONS)
    lists = workbook.create_sheet(_(LISTS))  # filled as the columns ask for lists, moved last below
    for name in reports:
        _dataset_sheet(workbook, DATASETS[name], who.county, month, lists, language)
    info = workbook.create_sheet(INFO)
    for row in ((_("Reporting month"), month), (_("Project"), project), (_("Partner"), partner)):
        info.append(row)
    _no_activity_rows(info, [DATASETS[name] for name in reports], set(no_activity), lists, language)
    info.column_dimensions["A"].width = 30
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
    parser.add_argument("--lang", choices=LANGUAGES, help="ro or en (default: the partner's, else ro)")
    args = parser.parse_args(argv)
    out = args.out or Settings.from_env().home / "templates"
    language = args.lang or load_network().language(args.partner)
    try:
        print(write_template(args.project, args.partner, args.month, out, language=language))
    except TemplateError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
