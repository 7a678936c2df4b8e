"""What is wrong with a file, said precisely: file, sheet, rows, column, rule, expectation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as _field

ERROR = "error"
WARNING = "warning"


@dataclass
class Finding:
    rule: str
    severity: str  # error: the submission (or the whole file) is rejected; warning: loaded, flagged
    message_en: str
    message_ro: str
    sheet: str | None = None
    field: str | None = None  # the contract column
    header: str | None = None  # the column header as the partner typed it
    column: str | None = None  # the spreadsheet column letter
    rows: list[int] = _field(default_factory=list)  # spreadsheet row numbers

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**data)


def file_error(rule: str, message_en: str, message_ro: str) -> Finding:
    return Finding(rule, ERROR, message_en, message_ro)


def compact_rows(rows: list[int]) -> str:
    """2, 3, 4, 7 -> '2-4, 7': how row lists are shown to people."""
    runs: list[tuple[int, int]] = []  # (first, last) of each run of consecutive rows
    for row in sorted(set(rows)):
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return ", ".join(str(first) if first == last else f"{first}–{last}" for first, last in runs)
