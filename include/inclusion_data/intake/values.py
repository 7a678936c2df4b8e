"""Cell value parsers: what partners type, turned into typed values or ``None``.

Cells arrive as native values from spreadsheet readers (datetime, float, str) or as text from
CSV. ``None`` means "could not be read"; an empty cell is ``EMPTY``'s job to detect first.
The formats are stated in DOMAIN.md: Excel dates, ``dd.mm.yyyy``, ISO dates, decimal commas.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from inclusion_data.contracts.vocabularies import vocabulary

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%Y.%m.%d", "%d.%m.%y")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_SERIAL = re.compile(r"[1-9]\d{4}(\.0+)?")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def parse_text(value: object) -> str | None:
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number comes back as 123.0
    return _SPACES.sub(" ", str(value)).strip()


def parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # an Excel serial day number (a date cell read as a number)
        return _EXCEL_EPOCH + dt.timedelta(days=int(value)) if 1 <= value < 2958466 else None
    text = parse_text(value)
    if text is None:
        return None
    if _SERIAL.fullmatch(text):
        # a date cell in General format is a number, and readers that hand back text give it as
        # "42443": five digits are an Excel day number (1927-2173), never a day, month or year
        return parse_date(float(text))
    text = text.split(" ")[0].split("T")[0]  # drop a time part: "2016-03-14 00:00:00"
    if _ISO.fullmatch(text):  # how a reader gives a date cell: only "%Y-%m-%d" can read it
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_decimal(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if math.isnan(value) else float(value)
    text = parse_text(value)
    if text is None:
        return None
    text = text.replace(" ", "")
    if "," in text and "." in text:  # 1.234,5 or 1,234.5: the last separator is the decimal one
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "")
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_integer(value: object) -> int | None:
    number = parse_decimal(value)
    return int(number) if number is not None and number.is_integer() else None


def parse_boolean(value: object) -> bool | None:
    code = vocabulary("yes_no").parse(value)
    return None if code is None else code == "true"


def parse_cnp(value: object) -> str | None:
    text = parse_text(value)
    return None if text is None else re.sub(r"[\s.-]", "", text)


def parse_birth(value: object) -> tuple[dt.date | None, int | None] | None:
    """A birth date or a bare year: (date or None, year); None when unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1900 <= value <= 2100:
        return (None, int(value)) if float(value).is_integer() else None
    text = parse_text(value)
    if text is not None and re.fullmatch(r"(19|20)\d\d", text):
        return None, int(text)
    date = parse_date(value)
    return None if date is None else (date, date.year)
