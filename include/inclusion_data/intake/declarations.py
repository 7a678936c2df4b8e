"""What a file's Info sheet declares besides its month: the datasets with no activity in the
month (a nil return), on the rows that ``Dataset.no_activity`` labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from inclusion_data.contracts.datasets import DATASETS, NO_ACTIVITY, NO_ACTIVITY_ANSWERS
from inclusion_data.contracts.text import fold
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.intake.parsing import RawSheet
from inclusion_data.intake.periods import INFO_SHEETS
from inclusion_data.intake.values import is_empty


@dataclass
class NoActivity:
    declared: dict[str, str] = field(default_factory=dict)  # dataset -> the Info sheet saying so
    unclear: dict[str, str] = field(default_factory=dict)  # dataset -> sheet, answer not Da/Nu


def _labels() -> dict[str, str]:
    """Folded label -> dataset, in either language and with either sheet name."""
    return {
        fold(f"{prefix}: {sheet}"): dataset.name
        for dataset in DATASETS.values()
        for prefix in NO_ACTIVITY
        for sheet in dataset.sheet_names
    }


def no_activity(sheets: list[RawSheet]) -> NoActivity:
    """The datasets an Info sheet declares without activity: a row whose first cell is a
    dataset's no-activity label and whose next cell answers Da (Yes). An empty answer or Nu
    declares nothing; any other answer is ``unclear``."""
    labels, answers = _labels(), vocabulary(NO_ACTIVITY_ANSWERS)
    found = NoActivity()
    for sheet in sheets:
        if fold(sheet.name) not in INFO_SHEETS:
            continue
        rows: list[Sequence[object]] = [sheet.headers, *sheet.rows]
        for row in rows:
            filled = [i for i, cell in enumerate(row) if not is_empty(cell)]
            dataset = labels.get(fold(row[filled[0]])) if filled else None
            if dataset is None:
                continue
            answer = row[filled[0] + 1] if filled[0] + 1 < len(row) else None
            if is_empty(answer):
                continue
            code = answers.parse(answer)
            if code == "true":
                found.declared[dataset] = sheet.name
            elif code != "false":
                found.unclear[dataset] = sheet.name
    return found
