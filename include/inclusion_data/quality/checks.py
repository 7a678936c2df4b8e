"""Row rules that need more than Great Expectations' built-in expectations.

Each rule becomes a boolean column ``__check__<name>`` (True = the row passes); the suite
then expects it to be True, so the result lists the failing spreadsheet rows like any other
expectation. Computed before personal columns are dropped, because they need the CNP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from inclusion_data.contracts.datasets import Check, Dataset, Field, Kind
from inclusion_data.intake import columns
from inclusion_data.intake.localities import Localities
from inclusion_data.quality import cnp

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


class _Sheet:
    """A sheet's columns as the rules read them: each factorized once, however many rules
    read it (a monthly sheet is small, so pandas' fixed cost per call is what counts), with
    the columns the checks derive (the CNP's birth date, the locality's code) beside them."""

    def __init__(self, frame: pd.DataFrame, known: columns.Factorizations | None = None):
        self.frame = frame
        self.derived: dict[str, np.ndarray] = {}
        self._factorized = columns.Factorizations() if known is None else known

    def column(self, name: str) -> np.ndarray:
        """A column's values as an object array, None for missing (absent column, NaN)."""
        if name in self.derived:
            return self.derived[name]
        if name in self._factorized and name not in self.frame:  # derived as codes
            codes, values = self._factorized[name]
            return columns.Distinct([], codes + 1).broadcast([None, *values])
        if name not in self.frame:
            return np.full(len(self.frame), None, dtype=object)
        return columns.missing_as_none(self.frame[name])

    def factorized(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        try:
            return self._factorized[name]
        except KeyError:  # not known: made from the column, and kept
            return self._factorized.of(name, self.column(name))

    def given(self, name: str) -> np.ndarray:
        """Whether each row has a value in the column."""
        return self.factorized(name)[0] >= 0

    def derive(self, name: str, of: str, codes: np.ndarray, values: np.ndarray) -> None:
        """A column derived from column ``of``'s distinct values: ``codes`` gives, for each of
        them, the position of its result among ``values`` (-1: none); a missing cell has none."""
        rows, _ = self.factorized(of)
        self._factorized[name] = (np.append(codes, -1)[rows], values)

    def per_value(self, name: str, results: Callable[[list], list]) -> np.ndarray:
        """Each row's result of ``results`` (given the column's distinct values, a result
        each), None where the cell is missing."""
        codes, values = self.factorized(name)
        return columns.Distinct([], codes + 1).broadcast([None, *results(list(values))])


def _rule(sheet: _Sheet, passes: Callable[..., bool], *names: str) -> np.ndarray:
    """``passes(*values)`` per row, over the named columns: once per distinct combination."""
    combos, codes = columns.combine(*(sheet.factorized(n) for n in names))
    return columns.Distinct([], codes).broadcast([passes(*combo) for combo in combos], bool)


def cnp_sex(value: str) -> str | None:
    """Sex encoded in a valid CNP's first digit: odd male, even female; 9 (foreigners) none.

    python-stdnum validates the CNP and decodes its birth date but not its sex.
    """
    digit = int(value[0])
    return None if digit == 9 else ("M" if digit % 2 else "F")


CNP_BORN = "__cnp_born__"  # the birth date of a valid CNP, else None: while the checks run
CNP_SEX = "__cnp_sex__"  # the sex a valid CNP encodes (``cnp_sex``), else None


def _derive_from_cnps(sheet: _Sheet) -> None:
    """``CNP_BORN`` and ``CNP_SEX`` from each distinct CNP, as whole columns: a big file has
    as many distinct CNPs as rows, so nothing here is a Python call per CNP."""
    _, values = sheet.factorized("cnp")
    text = pa.array(values, type=pa.string())
    days = cnp.birth_days(text)
    born_codes, born = pd.factorize(days)  # NaT (not valid): -1
    sheet.derive(CNP_BORN, "cnp", born_codes, np.asarray(born).astype("datetime64[D]").astype(object))
    valid = ~np.isnat(days)
    digits = columns.distinct(pc.utf8_slice_codeunits(text.filter(pa.array(valid)), 0, 1))
    sexes = np.full(len(values), None, dtype=object)
    sexes[valid] = digits.broadcast([cnp_sex(str(digit)) for digit in digits.values])
    sex_codes, sex_values = columns.factorize(sexes)
    sheet.derive(CNP_SEX, "cnp", sex_codes, sex_values)


def _identifier_present(sheet, context):
    return sheet.given("cnp") | sheet.given("person_code")


def _cnp_valid(sheet, context):
    return ~sheet.given("cnp") | sheet.given(CNP_BORN)


def _cnp_matches_sex(sheet, context):
    return _rule(sheet, lambda own, sex: own is None or sex is None or own == sex, CNP_SEX, "sex")


def _cnp_matches_birth(sheet, context):
    def matches(born, date, year):
        if born is None:
            return True
        return date == born if date is not None else year is None or year == born.year

    return _rule(sheet, matches, CNP_BORN, "birth_date", "birth_year")


def _locality_in_county(sheet, context):
    return _rule(sheet, lambda name, code: name is None or code is not None, "locality", "locality_siruta")


def _child_is_minor(sheet, context):
    year, _ = context.month
    return _rule(
        sheet,
        lambda group, born: group != "child_at_risk" or born is None or year - born <= 18,
        "vulnerable_group",
        "birth_year",
    )


def _dates_in_order(sheet, context):
    return _rule(sheet, lambda s, e: s is None or e is None or s <= e, "start_date", "end_date")


def _certified_completed(sheet, context):
    return _rule(sheet, lambda c, d: not (c is True and d is False), "certified", "completed")


def _in_month(field_name: str):
    def check(sheet, context):
        month = context.month
        return _rule(sheet, lambda d: d is None or (d.year, d.month) == month, field_name)

    return check


def _plausible(f: Field):
    window = f.plausible
    assert window is not None

    def check(sheet, context):
        first, last = window.bounds(context.period)
        if f.kind is Kind.BIRTH:  # a bare year is judged by its year
            return _rule(
                sheet,
                lambda d, y: (
                    first <= d <= last if d is not None else y is None or first.year <= y <= last.year
                ),
                f.name,
                "birth_year",
            )
        return _rule(sheet, lambda d: d is None or first <= d <= last, f.name)

    return check


_RULES: dict[str, Callable[[_Sheet, Context], np.ndarray]] = {
    "identifier_present": _identifier_present,
    "cnp_valid": _cnp_valid,
    "cnp_matches_sex": _cnp_matches_sex,
    "cnp_matches_birth": _cnp_matches_birth,
    "locality_in_county": _locality_in_county,
    "child_is_minor": _child_is_minor,
    "dates_in_order": _dates_in_order,
    "certified_completed": _certified_completed,
}


def check_columns(
    dataset: Dataset, frame: pd.DataFrame, context: Context, known: columns.Factorizations | None = None
) -> dict[str, np.ndarray]:
    """``locality_siruta`` and one ``__check__`` column per rule of the dataset, to be set
    beside the frame's columns (replacing any of the same name). ``known``: the frame's
    columns' factorizations, shared with the caller: read, and added to (``locality_siruta``'s
    among them)."""
    sheet = _Sheet(frame, known)
    added: dict[str, np.ndarray] = {}
    if "locality" in {f.name for f in dataset.fields}:
        _, names = sheet.factorized("locality")
        codes, sirutas = columns.factorize(
            np.array([context.localities.resolve(n, context.county) for n in names], dtype=object)
        )
        sheet.derive("locality_siruta", "locality", codes, sirutas)
        added["locality_siruta"] = sheet.column("locality_siruta")
    if "cnp" in frame:
        _derive_from_cnps(sheet)
    for check in all_checks(dataset):
        if check.name.endswith("_in_reporting_month"):
            rule = _in_month(check.column)
        elif check.name.endswith("_plausible"):
            rule = _plausible(dataset.field(check.column))
        else:
            rule = _RULES[check.name]
        added[CHECK_FLAG.format(check.name)] = rule(sheet, context)
    return added
