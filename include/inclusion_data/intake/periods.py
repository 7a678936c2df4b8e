"""The reporting month of a file: from an "Info" sheet of the workbook or from the file name."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from babel.dates import get_month_names

from inclusion_data.contracts.text import fold
from inclusion_data.intake.parsing import RawSheet
from inclusion_data.intake.values import is_empty, parse_date

MONTH_LABELS = (
    "luna raportarii",
    "luna raportata",
    "luna de raportare",
    "reporting month",
    "perioada raportarii",
    "reporting period",
    "luna",
    "month",
)
INFO_SHEETS = ("info", "informatii", "date generale", "general")
NAMING_HINT_EN = (
    "Name the file with its month, e.g. 'beneficiari_2016-03.xlsx', or fill "
    "'Luna raportării' (Reporting month) in the workbook's Info sheet."
)
NAMING_HINT_RO = (
    "Puneți luna în numele fișierului, de ex. „beneficiari_2016-03.xlsx”, sau "
    "completați „Luna raportării” în foaia Info a registrului."
)

_MONTH_NAMES = {
    fold(name): number
    for locale in ("ro", "en")
    for width in ("wide", "abbreviated")
    for number, name in get_month_names(width, locale=locale).items()
}
_PATTERNS = (
    (re.compile(r"(?<!\d)(20\d\d)[-_. ]?(0[1-9]|1[0-2])(?!\d)"), (1, 2)),  # 2016-03, 201603
    (re.compile(r"(?<!\d)(0[1-9]|1[0-2])[-_. ](20\d\d)(?!\d)"), (2, 1)),  # 03.2016
)


def period_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(text: object) -> str | None:
    """'2016-03', '03.2016', 'martie 2016', 'March 2016', an Excel date -> '2016-03'."""
    if is_empty(text):
        return None
    raw = str(text)
    for pattern, (y, m) in _PATTERNS:
        match = pattern.search(raw)
        if match:
            return period_of(int(match.group(y)), int(match.group(m)))
    words = fold(raw).split()
    years = [int(w) for w in words if re.fullmatch(r"20\d\d", w)]
    months = [_MONTH_NAMES[w] for w in words if w in _MONTH_NAMES]
    if len(years) == 1 and len(months) == 1:
        return period_of(years[0], months[0])
    date = parse_date(text)
    return period_of(date.year, date.month) if date else None


def month_in_workbook(sheets: list[RawSheet]) -> str | None:
    for sheet in sheets:
        if fold(sheet.name) not in INFO_SHEETS:
            continue
        rows: list[Sequence[object]] = [sheet.headers, *sheet.rows]
        for row in rows:
            cells = [c for c in row if not is_empty(c)]
            if len(cells) >= 2 and fold(cells[0]) in MONTH_LABELS:
                return parse_month(cells[1])
    return None


def month_in_file_name(name: str) -> str | None:
    return parse_month(re.sub(r"\.[A-Za-z]+$", "", name))


def next_period(period: str) -> str:
    year, month = map(int, period.split("-"))
    return period_of(year + 1, 1) if month == 12 else period_of(year, month + 1)


def months_between(start: str, end: str) -> list[str]:
    out = []
    while start <= end:
        out.append(start)
        start = next_period(start)
    return out


def due_date(period: str, due_day: int) -> dt.date:
    """The last day a month's files are on time: ``due_day`` of the following month."""
    year, month = map(int, next_period(period).split("-"))
    return dt.date(year, month, due_day)
