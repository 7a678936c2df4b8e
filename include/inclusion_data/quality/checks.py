"""Row rules that need more than Great Expectations' built-in expectations.

Each rule becomes a boolean column ``__check__<name>`` (True = the row passes); the suite
then expects it to be True, so the result lists the failing spreadsheet rows like any other
expectation. Computed before personal columns are dropped, because they need the CNP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from stdnum.ro import cnp as stdnum_cnp

from inclusion_data.contracts.datasets import Check, Dataset, Field, Kind
from inclusion_data.intake.localities import Localities

CHECK_FLAG = "__check__{}"


@dataclass(frozen=True)
class Context:
    """What a row is checked against: who sent it and for which month."""

    county: str | None  # the partner's county; None for national partners
    period: str  # reporting month, YYYY-MM
    localities: Localities

    @property
    def month(self) -> tuple[int, int]:
        year, month = self.period.split("-")
        return int(year), int(month)


def in_reporting_month_check(f: Field) -> Check:
    return Check(
        f"{f.name}_in_reporting_month",
        f.name,
        "error",
        "The date is outside the reporting month.",
        "Data este în afara lunii raportate.",
    )


def plausible_check(f: Field) -> Check:
    window = f.plausible
    if window is None:
        raise ValueError(f"field '{f.name}' has no plausible window")
    return Check(
        f"{f.name}_plausible",
        f.name,
        "error",
        f"The date is not plausible: expected {window.en}.",
        f"Data nu este plauzibilă: se așteaptă {window.ro}.",
    )


def all_checks(dataset: Dataset) -> tuple[Check, ...]:
    return (
        dataset.checks
        + tuple(in_reporting_month_check(f) for f in dataset.fields if f.in_reporting_month)
        + tuple(plausible_check(f) for f in dataset.fields if f.plausible)
    )


def _values(frame: pd.DataFrame, name: str) -> list:
    """A column's values as a plain list, None for missing (absent column, NaN)."""
    if name not in frame:
        return [None] * len(frame)
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in frame[name]]


def _flags(frame: pd.DataFrame, values: list[bool]) -> pd.Series:
    return pd.Series(values, index=frame.index, dtype=bool)


def cnp_is_valid(value: str) -> bool:
    return stdnum_cnp.is_valid(value)


def cnp_sex(value: str) -> str | None:
    """Sex encoded in a valid CNP's first digit: odd male, even female; 9 (foreigners) none.

    python-stdnum validates the CNP and decodes its birth date but not its sex.
    """
    digit = int(value[0])
    return None if digit == 9 else ("M" if digit % 2 else "F")


def _valid_cnps(frame: pd.DataFrame) -> list[str | None]:
    return [v if v is not None and cnp_is_valid(v) else None for v in _values(frame, "cnp")]


def _identifier_present(frame, context):
    return _flags(
        frame,
        [
            c is not None or p is not None
            for c, p in zip(_values(frame, "cnp"), _values(frame, "person_code"), strict=True)
        ],
    )


def _cnp_valid(frame, context):
    return _flags(frame, [v is None or cnp_is_valid(v) for v in _values(frame, "cnp")])


def _cnp_matches_sex(frame, context):
    return _flags(
        frame,
        [
            c is None or s is None or cnp_sex(c) in (None, s)
            for c, s in zip(_valid_cnps(frame), _values(frame, "sex"), strict=True)
        ],
    )


def _cnp_matches_birth(frame, context):
    def matches(cnp, date, year):
        if cnp is None:
            return True
        born = stdnum_cnp.get_birth_date(cnp)
        return date == born if date is not None else year is None or year == born.year

    return _flags(
        frame,
        [
            matches(c, d, y)
            for c, d, y in zip(
                _valid_cnps(frame), _values(frame, "birth_date"), _values(frame, "birth_year"), strict=True
            )
        ],
    )


def _locality_in_county(frame, context):
    return _flags(
        frame,
        [
            name is None or code is not None
            for name, code in zip(_values(frame, "locality"), _values(frame, "locality_siruta"), strict=True)
        ],
    )


def _child_is_minor(frame, context):
    year, _ = context.month
    return _flags(
        frame,
        [
            group != "child_at_risk" or born is None or year - born <= 18
            for group, born in zip(
                _values(frame, "vulnerable_group"), _values(frame, "birth_year"), strict=True
            )
        ],
    )


def _dates_in_order(frame, context):
    return _flags(
        frame,
        [
            s is None or e is None or s <= e
            for s, e in zip(_values(frame, "start_date"), _values(frame, "end_date"), strict=True)
        ],
    )


def _certified_completed(frame, context):
    return _flags(
        frame,
        [
            not (c is True and d is False)
            for c, d in zip(_values(frame, "certified"), _values(frame, "completed"), strict=True)
        ],
    )


def _in_month(field_name: str):
    def check(frame, context):
        month = context.month
        return _flags(frame, [d is None or (d.year, d.month) == month for d in _values(frame, field_name)])

    return check


def _plausible(f: Field):
    window = f.plausible
    assert window is not None

    def check(frame, context):
        first, last = window.bounds(context.period)
        if f.kind is Kind.BIRTH:  # a bare year is judged by its year
            dates, years = _values(frame, f.name), _values(frame, "birth_year")
            return _flags(
                frame,
                [
                    first <= d <= last if d is not None else y is None or first.year <= y <= last.year
                    for d, y in zip(dates, years, strict=True)
                ],
            )
        return _flags(frame, [d is None or first <= d <= last for d in _values(frame, f.name)])

    return check


_RULES: dict[str, Callable[[pd.DataFrame, Context], pd.Series]] = {
    "identifier_present": _identifier_present,
    "cnp_valid": _cnp_valid,
    "cnp_matches_sex": _cnp_matches_sex,
    "cnp_matches_birth": _cnp_matches_birth,
    "locality_in_county": _locality_in_county,
    "child_is_minor": _child_is_minor,
    "dates_in_order": _dates_in_order,
    "certified_completed": _certified_completed,
}


def apply_checks(dataset: Dataset, frame: pd.DataFrame, context: Context) -> pd.DataFrame:
    """Add ``locality_siruta`` and one ``__check__`` column per rule of the dataset."""
    frame = frame.copy()
    if "locality" in {f.name for f in dataset.fields}:
        frame["locality_siruta"] = pd.Series(
            [
                context.localities.resolve(name, context.county) if name is not None else None
                for name in _values(frame, "locality")
            ],
            index=frame.index,
            dtype=object,
        )
    for check in all_checks(dataset):
        if check.name.endswith("_in_reporting_month"):
            rule = _in_month(check.column)
        elif check.name.endswith("_plausible"):
            rule = _plausible(dataset.field(check.column))
        else:
            rule = _RULES[check.name]
        frame[CHECK_FLAG.format(check.name)] = rule(frame, context)
    return frame
