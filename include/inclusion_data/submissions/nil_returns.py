"""Nil returns: a partner's word that a dataset had no activity in the month.

Said either by a dataset sheet with the template's headers and no rows in a file with no rows
at all (a template sent back empty), or by the Info sheet's row ``Fără activitate: <sheet> |
Da`` (``contracts.datasets.NO_ACTIVITY``). The empty sheets of a template filled in part say
nothing: a partner who fills only Beneficiari would otherwise declare every other dataset
empty, superseding files sent for them separately. Either form is a
submission of status ``nil``: received and complete, no rows, and the newest version by
arrival as any other (a later real file supersedes it, and it supersedes an earlier one).
"""

from __future__ import annotations

from dataclasses import dataclass

from inclusion_data.contracts.datasets import DATASETS, Dataset
from inclusion_data.intake.declarations import NoActivity
from inclusion_data.intake.parsing import RawSheet, match_headers
from inclusion_data.quality.findings import ERROR, Finding


def has_template_headers(dataset: Dataset, sheet: RawSheet) -> bool:
    """The sheet's header row names every required column of the dataset."""
    if not sheet.header_found or not sheet.headers:
        return False
    positions, _ = match_headers(dataset, sheet.headers)
    return all(f.name in positions for f in dataset.fields if f.required)


@dataclass
class Declaration:
    """What a file says of one dataset without rows: a nil return, or a rejected declaration."""

    dataset: str
    sheet: str  # the empty sheet, or the Info sheet that declares it
    findings: list[Finding]

    @property
    def is_nil(self) -> bool:
        return not self.findings


def with_rows_finding(dataset: Dataset, period: str, info_sheet: str, sheet: str) -> Finding:
    label_ro, label_en = dataset.no_activity
    return Finding(
        "no_activity_with_rows",
        ERROR,
        f"The {info_sheet} sheet declares no activity in {period} ('{label_en}: Yes'), but this "
        "sheet holds rows. Send either the rows or the declaration: answer No (or leave it empty) "
        "to send the rows.",
        f"Foaia {info_sheet} declară că nu a fost activitate în {period} („{label_ro}: Da”), dar "
        "foaia are rânduri. Trimiteți fie rândurile, fie declarația: răspundeți Nu (sau lăsați gol) "
        "pentru a trimite rândurile.",
        sheet=sheet,
    )


def unclear_finding(dataset: Dataset, info_sheet: str, sheet: str) -> Finding:
    label_ro, label_en = dataset.no_activity
    return Finding(
        "no_activity_answer",
        ERROR,
        f"The answer to '{label_en}' in the {info_sheet} sheet is neither Yes nor No: write Da "
        "(no activity in the month) or Nu.",
        f"Răspunsul la „{label_ro}” din foaia {info_sheet} nu este nici Da, nici Nu: scrieți Da "
        "(nicio activitate în lună) sau Nu.",
        sheet=sheet,
    )


def findings_for_rows(dataset: Dataset, period: str, declared: NoActivity, sheet: str) -> list[Finding]:
    """What a sheet with rows is told when the Info sheet also speaks of its dataset."""
    if dataset.name in declared.declared:
        return [with_rows_finding(dataset, period, declared.declared[dataset.name], sheet)]
    if dataset.name in declared.unclear:
        return [unclear_finding(dataset, declared.unclear[dataset.name], sheet)]
    return []


def declarations(
    empty_sheets: list[tuple[Dataset, RawSheet]], with_rows: set[str], declared: NoActivity
) -> list[Declaration]:
    """The datasets of a file that have no sheet with rows and are declared without activity:
    by an empty sheet with the template's headers, by the Info sheet, or both (one each)."""
    found: dict[str, Declaration] = {}
    for dataset, sheet in empty_sheets:
        if dataset.name not in with_rows and dataset.name not in found:
            found[dataset.name] = Declaration(dataset.name, sheet.name, [])
    for name, info_sheet in declared.declared.items():
        if name not in with_rows:
            found.setdefault(name, Declaration(name, info_sheet, []))
    for name, info_sheet in declared.unclear.items():
        if name not in with_rows:  # an unclear answer is not taken for "no activity"
            found[name] = Declaration(
                name, info_sheet, [unclear_finding(DATASETS[name], info_sheet, info_sheet)]
            )
    return sorted(found.values(), key=lambda d: d.dataset)
