"""How much of a file's findings the feedback workbook spells out, so that a file with most
of its rows flagged costs seconds rather than CPU-minutes to answer.

Every finding and every row stays in the report and the errors sheet; what is bounded is the
work per cell: at most ``MAX_MARKED_CELLS`` cells are coloured and commented (errors first,
in sheet order), and a finding lists its first ``MAX_LISTED_ROWS`` rows one per line, the rest
as runs of rows ("2–4, 7") a few lines long. The report says when cells were left unmarked.
"""

from __future__ import annotations

from collections.abc import Iterable

from inclusion_data.quality.findings import ERROR, Finding, compact_rows

MAX_MARKED_CELLS = 10_000
MAX_LISTED_ROWS = 1_000
_ROWS_PER_LINE = 2_000  # a line's runs of rows stay well within Excel's 32,767 characters a cell

Cells = dict[tuple[str, str], list[Finding]]


def marked(cells: Cells) -> Cells:
    """The cells to colour and comment: all of them up to the bound, errors first."""
    if len(cells) <= MAX_MARKED_CELLS:
        return cells
    ordered = sorted(cells.items(), key=lambda item: not any(f.severity == ERROR for f in item[1]))
    return dict(ordered[:MAX_MARKED_CELLS])


def listed_rows(rows: list[int]) -> Iterable[int | str | None]:
    """What the errors sheet's row column shows for a finding, one value per line."""
    if not rows:
        yield None  # one line for a finding without rows
        return
    yield from rows[:MAX_LISTED_ROWS]
    rest = rows[MAX_LISTED_ROWS:]
    for start in range(0, len(rest), _ROWS_PER_LINE):
        yield compact_rows(rest[start : start + _ROWS_PER_LINE])


def unmarked(cells: int) -> int:
    """How many of ``cells`` problem cells the feedback workbook leaves unmarked (the report
    says so)."""
    return max(0, cells - MAX_MARKED_CELLS)
