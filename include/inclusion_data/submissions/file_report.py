"""Data-quality reports written next to each processed file: HTML for people, JSON for tools.

They name file, sheet, column, rows and rule, and never a value from the file's cells.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from inclusion_data.quality.findings import compact_rows
from inclusion_data.submissions import bounds
from inclusion_data.submissions.feedback import problem_cells
from inclusion_data.submissions.outcome import NIL, NIL_LABEL, FileOutcome

_templates = Environment(
    loader=PackageLoader(__package__, "templates"), autoescape=select_autoescape(["html"])
)


def report_paths(stored: Path) -> tuple[Path, Path]:
    return stored.with_name(stored.name + ".report.html"), stored.with_name(stored.name + ".report.json")


def write_file_report(outcome: FileOutcome, stored: Path, received: dt.datetime) -> Path:
    html_path, json_path = report_paths(stored)
    html_path.write_text(
        _templates.get_template("file_report.html").render(
            o=outcome,
            received=f"{received:%Y-%m-%d %H:%M} UTC",
            rows=compact_rows,
            nil=NIL,
            nil_label=" / ".join(NIL_LABEL),
            unmarked=bounds.unmarked_note(len(problem_cells(outcome))),
        ),
        "utf-8",
    )
    payload = {
        **outcome.summary(),
        "file_name": outcome.file_name,
        "project": outcome.project,
        "partner": outcome.partner,
        "file_hash": outcome.file_hash,
        "received": received.isoformat(),
        "findings": [asdict(f) for f in outcome.findings],
        "sheet_findings": {k: [asdict(f) for f in v] for k, v in outcome.sheet_findings.items()},
    }
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), "utf-8")
    return html_path
