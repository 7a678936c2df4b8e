"""README sections generated from the contracts and the indicator catalogue, so they cannot
drift: ``make docs`` rewrites them, a test fails while they differ."""

from __future__ import annotations

import re
from collections.abc import Callable

from inclusion_data.contracts.datasets import DATASETS, KIND_LABELS, Kind
from inclusion_data.contracts.vocabularies import vocabulary
from inclusion_data.indicators.catalogue import catalogue
from inclusion_data.publishing.publication import COLUMNS
from inclusion_data.quality.checks import all_checks
from inclusion_data.settings import CHECKOUT

README = CHECKOUT / "README.md"


def datasets_section() -> str:
    out = []
    for dataset in DATASETS.values():
        out.append(f"#### {dataset.name} — sheet `{dataset.sheet_names[0]}` / `{dataset.sheet_names[1]}`\n")
        out.append("| column (ro / en) | type | required | allowed values or range | stored |")
        out.append("|---|---|---|---|---|")
        for f in dataset.fields:
            if f.kind is Kind.CODE:
                allowed = ", ".join(t.ro for t in vocabulary(f.vocabulary_name).terms)
            elif f.minimum is not None:
                allowed = f"{f.minimum:g}–{f.maximum:g}" + (
                    f" (warning above {f.usual_maximum:g})" if f.usual_maximum else ""
                )
            elif f.plausible:
                allowed = f.plausible.en
            elif f.in_reporting_month:
                allowed = "within the reporting month"
            else:
                allowed = ""
            stored = "no (personal: pseudonymised, then dropped)" if f.personal else "yes"
            if f.kind is Kind.BIRTH:
                stored = "birth year only"
            out.append(
                f"| {f.ro} / {f.en} | {KIND_LABELS[f.kind][1]} | {'yes' if f.required else ''} | "
                f"{allowed} | {stored} |"
            )
        rules = "; ".join(f"`{c.name}` ({c.severity})" for c in all_checks(dataset))
        out.append(f"\nRow rules: {rules}; `duplicate_row` (error) on {', '.join(dataset.unique_key)}.\n")
    return "\n".join(out)


def indicators_section() -> str:
    out = [
        "| id | name (ro / en) | definition | dataset, measure, filters | broken down by | counts persons |",
        "|---|---|---|---|---|---|",
    ]
    for i in catalogue().values():
        filters = ", ".join(
            f"{k} = {'/'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in i.filters.items()
        )
        measure = (
            i.measure
            if not i.threshold
            else f"{i.threshold['per']}s with ≥{i.threshold['min_persons']} persons"
            f" in ≥{i.threshold['min_localities']} localities"
        )
        out.append(
            f"| `{i.id}` | {i.name_ro} / {i.name_en} | {i.definition_en} | {i.dataset}, "
            f"{measure}{'; ' + filters if filters else ''} | {', '.join(i.dimensions)} | "
            f"{'yes' if i.counts_persons else 'no'} |"
        )
    return "\n".join(out)


def published_columns_section() -> str:
    out = ["| column of `indicator_values.csv` | Excel CSV header | meaning |", "|---|---|---|"]
    out += [f"| `{name}` | {ro} / {en} | {meaning} |" for name, (ro, en, meaning) in COLUMNS.items()]
    return "\n".join(out)


SECTIONS: dict[str, Callable[[], str]] = {
    "datasets": datasets_section,
    "indicators": indicators_section,
    "published-columns": published_columns_section,
}


def _section(build: Callable[[], str]) -> Callable[[re.Match[str]], str]:
    """The replacement of a generated section: its two markers around what ``build`` writes."""
    return lambda m: m.group(1) + build() + "\n" + m.group(2)


def render(text: str) -> str:
    for name, build in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN generated:{name} -->\n).*?(<!-- END generated:{name} -->)", re.S)
        text = pattern.sub(_section(build), text)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text("utf-8")), "utf-8")
    print(f"updated {README}")
