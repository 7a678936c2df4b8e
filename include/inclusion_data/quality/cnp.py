"""CNP validity and birth dates for a whole column at once.

python-stdnum is the rule (``stdnum.ro.cnp.validate``: 13 digits, a known first digit, a real
birth date, a known county, the check digit), but it costs ~80 µs a call, which is most of
a big file's checks. A CNP of exactly 13 ASCII digits, which is almost every one, is checked
here with numpy by the same steps over stdnum's own county table; anything else (a typo,
a stray character) goes to stdnum itself. ``tests/quality/test_cnp.py`` holds both to the
same answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.exceptions import ValidationError
from stdnum.ro import cnp as stdnum_cnp

_WEIGHTS = np.array((2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9), dtype=np.int64)
_CENTURIES = np.array([1900, 1900, 1900, 1800, 1800, 2000, 2000, 1900, 1900, 1900], dtype=np.int64)
_COUNTIES = np.array(sorted(int(code) for code in stdnum_cnp._COUNTIES), dtype=np.int64)


def _stdnum_birth(value: str) -> dt.date | None:
    try:
        return stdnum_cnp.get_birth_date(stdnum_cnp.validate(value))
    except ValidationError:
        return None


def _digits_births(digits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For rows of 13 digits: valid, and the birth year, month and day."""
    d = digits.astype(np.int64)
    check = d[:, :12] @ _WEIGHTS % 11
    check[check == 10] = 1
    year = _CENTURIES[d[:, 0]] + d[:, 1] * 10 + d[:, 2]
    month, day = d[:, 3] * 10 + d[:, 4], d[:, 5] * 10 + d[:, 6]
    valid = (d[:, 0] != 0) & (check == d[:, 12]) & np.isin(d[:, 7] * 10 + d[:, 8], _COUNTIES)
    valid &= (month >= 1) & (month <= 12) & (day >= 1)
    first = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    days_in_month = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    valid &= day <= days_in_month
    return valid, year, month, day


def birth_days(values: pa.Array) -> np.ndarray:
    """Per CNP (parsed text; null for none), its birth date when it is valid, else NaT, as
    ``datetime64[D]``: no Python object per CNP on the common path."""
    days = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    if not len(values):
        return days
    plain = np.asarray(pc.match_substring_regex(values, r"^[0-9]{13}$").fill_null(False), dtype=bool)
    positions = np.flatnonzero(plain)
    if len(positions):
        text = "".join(values.filter(pa.array(plain)).to_pylist()).encode("ascii")
        digits = (np.frombuffer(text, dtype=np.uint8) - ord("0")).reshape(-1, 13)
        valid, year, month, day = _digits_births(digits)
        months = ((year[valid] - 1970) * 12 + month[valid] - 1).astype("datetime64[M]")
        days[positions[valid]] = months.astype("datetime64[D]") + (day[valid] - 1)
    for at in np.flatnonzero(~plain).tolist():
        value = values[at].as_py()
        born = _stdnum_birth(value) if value is not None else None
        if born is not None:
            days[at] = np.datetime64(born, "D")
    return days


def birth_dates(values: Sequence[str]) -> list[dt.date | None]:
    """Per CNP (parsed text), its birth date when it is valid, else None."""
    days = birth_days(pa.array(values, type=pa.string()))
    return [None if np.isnat(day) else day.item() for day in days]
