"""Check a file exactly as the pipeline would (same contracts, same suites), without loading it.

    python -m inclusion_data.submissions.precheck FILE [--project TWAM --partner asoc-cluj]
                                                      [--feedback OUT.xlsx] [--lang ro|en]

Prints a short table of problems, writes the feedback workbook (next to the file unless
``--feedback`` says where) and exits 1 when the pipeline would reject the file, 0 otherwise.
Project and partner default to the file's two parent folders, as in the inbox; the language
to the partner's (``network.yaml``, Romanian unless it says otherwise).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from inclusion_data.contracts.i18n import LANGUAGES, N_, translator
from inclusion_data.contracts.labels import Labels
from inclusion_data.contracts.network import load_network
from inclusion_data.quality.findings import ERROR, compact_rows
from inclusion_data.settings import ReadingLimits
from inclusion_data.submissions.evaluation import evaluate_file
from inclusion_data.submissions.feedback import feedback_path, write_feedback_workbook
from inclusion_data.submissions.file_report import sheet_line
from inclusion_data.submissions.outcome import REJECTED, FileOutcome

COLUMNS = (N_("Severity"), N_("Sheet"), N_("Rows"), N_("Column"), N_("Rule"), N_("Message"))


def problems_table(outcome: FileOutcome, language: str = "ro") -> str:
    _, L = translator(language), Labels(language)
    findings = outcome.all_findings()
    if not findings:
        return _("No problems found.")
    rows = [tuple(_(c).lower() for c in COLUMNS)]
    for f in findings:
        column = f"{f.column or ''} {f.header or f.field or ''}".strip()
        rows.append(
            (
                L.severity(f.severity),
                f.sheet or "",
                compact_rows(f.rows),
                column,
                L.rule(f.rule),
                L.message(f),
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
    parser.add_argument("--lang", choices=LANGUAGES, help="ro or en (default: the partner's, else ro)")
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
    language = args.lang or load_network().language(partner)
    _, L = translator(language), Labels(language)
    print(
        _("%(file)s: %(project)s/%(partner)s, month %(month)s: %(status)s")
        % {
            "file": path.name,
            "project": project,
            "partner": partner,
            "month": outcome.period or "?",
            "status": L.status(outcome.status),
        }
    )
    for sheet in outcome.submissions:
        print("  " + sheet_line(sheet, language))
    print(problems_table(outcome, language))
    destination = args.feedback or feedback_path(path)
    target = write_feedback_workbook(evaluation.sheets, outcome, destination, language)
    print(_("Feedback workbook: %(path)s") % {"path": target})
    rejected = outcome.status == REJECTED or any(f.severity == ERROR for f in outcome.findings)
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
