"""Great Expectations suites, generated from the contracts and versioned in ``expectations/``.

Each expectation has GX's ``severity`` (critical: the submission is rejected; warning: it
loads, flagged) and ``meta``: the rule, the contract field it is about and the message shown
to the partner in Romanian and English. ``make suites`` rewrites the files; a test fails when the
committed suites differ from the contracts.
"""

from __future__ import annotations

import json
from pathlib import Path

from inclusion_data.contracts.datasets import DATASETS, Dataset, Field, Kind
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.intake.parsing import FORMAT_FLAG
from inclusion_data.quality.checks import CHECK_FLAG, all_checks
from inclusion_data.quality.findings import ERROR, WARNING
from inclusion_data.settings import CHECKOUT

EXPECTATIONS_DIR = CHECKOUT / "expectations"

_FORMATS = {
    Kind.DATE: ("a date such as 14.03.2016 or 2016-03-14", "o dată, de exemplu 14.03.2016 sau 2016-03-14"),
    Kind.BIRTH: ("a date (dd.mm.yyyy) or a year (yyyy)", "o dată (zz.ll.aaaa) sau un an (aaaa)"),
    Kind.INTEGER: ("a whole number", "un număr întreg"),
    Kind.DECIMAL: (
        "a number; a decimal comma is fine (2,5)",
        "un număr; virgula zecimală este acceptată (2,5)",
    ),
    Kind.BOOLEAN: ("Da or Nu (Yes or No)", "Da sau Nu"),
}


def _number(value: float) -> str:
    return f"{value:g}"


_GX_SEVERITY = {ERROR: "critical", WARNING: "warning"}


def _expectation(kind: str, rule: str, severity: str, field: str, en: str, ro: str, **kwargs) -> dict:
    return {
        "type": kind,
        "kwargs": kwargs,
        "severity": _GX_SEVERITY[severity],
        "meta": {"rule": rule, "field": field, "message_en": en, "message_ro": ro},
    }


def _field_expectations(f: Field) -> list[dict]:
    out = []
    if f.required:
        out.append(
            _expectation(
                "expect_column_to_exist",
                "required_column",
                "error",
                f.name,
                f"The column '{f.en}' ('{f.ro}') is missing.",
                f"Lipsește coloana „{f.ro}”.",
                column=f.name,
            )
        )
        out.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                "required_value",
                "error",
                f.name,
                f"'{f.en}' must be filled in.",
                f"„{f.ro}” trebuie completat.",
                column=f.name,
            )
        )
    if f.typed:
        en, ro = _FORMATS[f.kind]
        out.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                "format",
                "error",
                f.name,
                f"Expected {en}.",
                f"Se așteaptă {ro}.",
                column=FORMAT_FLAG.format(f.name),
                value_set=[True],
            )
        )
    if f.kind is Kind.CODE:
        vocab = vocabulary(f.vocabulary_name)
        out.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                "allowed_value",
                "error",
                f.name,
                "Expected one of: " + ", ".join(t.en for t in vocab.terms) + ".",
                "Se așteaptă una dintre valorile: " + ", ".join(t.ro for t in vocab.terms) + ".",
                column=f.name,
                value_set=vocab.codes,
            )
        )
    if f.kind is Kind.TEXT and not f.personal and f.max_length is not None:  # the column size
        out.append(
            _expectation(
                "expect_column_value_lengths_to_be_between",
                "too_long",
                "error",
                f.name,
                f"At most {f.max_length} characters.",
                f"Cel mult {f.max_length} de caractere.",
                column=f.name,
                max_value=f.max_length,
            )
        )
    if f.minimum is not None and f.maximum is not None:  # both or neither (see Field)
        low, high = _number(f.minimum), _number(f.maximum)
        out.append(
            _expectation(
                "expect_column_values_to_be_between",
                "range",
                "error",
                f.name,
                f"Expected a value from {low} to {high}.",
                f"Se așteaptă o valoare între {low} și {high}.",
                column=f.name,
                min_value=f.minimum,
                max_value=f.maximum,
            )
        )
    if f.usual_maximum is not None:
        usual = _number(f.usual_maximum)
        out.append(
            _expectation(
                "expect_column_values_to_be_between",
                "unusual_value",
                "warning",
                f.name,
                f"Unusually high (over {usual}); please check it.",
                f"Valoare neobișnuit de mare (peste {usual}); verificați-o.",
                column=f.name,
                max_value=f.usual_maximum,
            )
        )
    return out


def build_suite(dataset: Dataset) -> dict:
    expectations = [e for f in dataset.fields for e in _field_expectations(f)]
    for check in all_checks(dataset):
        expectations.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                check.name,
                check.severity,
                check.column,
                check.en,
                check.ro,
                column=CHECK_FLAG.format(check.name),
                value_set=[True],
            )
        )
    described = [dataset.field(n).en.lower() if n != "person_key" else "person" for n in dataset.unique_key]
    described_ro = [
        dataset.field(n).ro.lower() if n != "person_key" else "persoana" for n in dataset.unique_key
    ]
    expectations.append(
        _expectation(
            "expect_compound_columns_to_be_unique",
            "duplicate_row",
            "error",
            dataset.unique_key[1],
            f"The same {', '.join(described)} appear on more than one row.",
            f"Aceeași combinație ({', '.join(described_ro)}) apare pe mai multe rânduri.",
            column_list=list(dataset.unique_key),
        )
    )
    return {
        "name": dataset.name,
        "expectations": expectations,
        "meta": {"generated_from": f"inclusion_data.contracts.{dataset.name.upper()}"},
    }


def suite_path(dataset_name: str, directory: Path = EXPECTATIONS_DIR) -> Path:
    return directory / f"{dataset_name}.json"


def render(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def load_suite(dataset_name: str, directory: Path = EXPECTATIONS_DIR) -> dict:
    return json.loads(suite_path(dataset_name, directory).read_text("utf-8"))


def write_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for dataset in DATASETS.values():
        path = suite_path(dataset.name, directory)
        path.write_text(render(build_suite(dataset)), "utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_suites():
        print(f"wrote {written}")
