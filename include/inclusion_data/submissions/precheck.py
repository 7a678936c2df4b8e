"""Check a file exactly as the pipeline would (same contracts, same suites), without loading it.

    python -m inclusion_data.submissions.precheck FILE [--project TWAM --partner asoc-cluj]
                                                      [--feedback OUT.xlsx]

Prints a short table of problems, writes the feedback workbook (next to the file unless
``--feedback`` says where) and exits 1 when the pipeline would reject the file, 0 otherwise.
Project and partner default to the file's two parent folders, as in the inbox.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from inclusion_data.contracts.network import load_network
from inclusion_data.quality.findings import ERROR, compact_rows
from inclusion_data.settings import ReadingLimits
from inclusion_data.submissions.evaluation import evaluate_file
from inclusion_data.submissions.feedback import feedback_path, write_feedback_workbook
from inclusion_data.submissions.outcome import NIL, NIL_LABEL, REJECTED, FileOutcome


def problems_table(outcome: FileOutcome, language: str = "en") -> str:
    findings = [*outcome.findings, *(f for fs in outcome.sheet_findings.values() for f in fs)]
    if not findings:
        return "No problems found. / Nicio problemă găsită."
    rows = [("severity", "sheet", "rows", "column", "rule", "message")]
    for f in findings:
        column = f"{f.column or ''} {f.header or f.field or ''}".strip()
        rows.append(
            (
                f.severity,
                f.sheet or "",
                compact_rows(f.rows),
                column,
                f.rule,
                f.message_en if language == "en" else f.message_ro,
            )
        )
    widths = [min(max(len(r[i]) for r in rows), 40) for i in range(5)]
    return "\n".join(
        "  ".join(value.ljust(width)[:width] for value, width in zip(r[:5], widths, strict=True))
        + "  "
        + r[5]
        for r in rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--project")
    parser.add_argument("--partner")
    parser.add_argument("--feedback", type=Path, help="where to write the feedback workbook")
    parser.add_argument("--lang", choices=["en", "ro"], default="en")
    args = parser.parse_args(argv)
    path = args.file.absolute()  # not resolved: a link is refused as a link, never followed
    project = args.project or path.parent.parent.name
    partner = args.partner or path.parent.name
    # a throwaway key: pseudonymous keys are only needed to find duplicate rows here
    evaluation = evaluate_file(
        path,
        project,
        partner,
        load_network(),
        secrets.token_hex(32).encode(),
        limits=ReadingLimits.from_env(),
    )
    outcome = evaluation.outcome
    print(f"{path.name}: {project}/{partner}, month {outcome.period or '?'}: {outcome.status}")
    for sheet in outcome.submissions:
        label = NIL_LABEL[1 if args.lang == "en" else 0]
        status = f"{NIL} ({label})" if sheet.status == NIL else sheet.status
        print(
            f"  sheet {sheet.sheet} ({sheet.dataset}): {status}, {sheet.rows} rows, "
            f"{sheet.errors} errors, {sheet.warnings} warnings"
        )
    print(problems_table(outcome, args.lang))
    target = write_feedback_workbook(evaluation.sheets, outcome, args.feedback or feedback_path(path))
    print(f"feedback workbook: {target}")
    rejected = outcome.status == REJECTED or any(f.severity == ERROR for f in outcome.findings)
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
