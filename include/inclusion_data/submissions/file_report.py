"""Data-quality reports written next to each processed file: HTML for people, JSON for tools.

They name file, sheet, column, rows and rule, and never a value from the file's cells. The HTML
is in one language: the partner's (``network.yaml``, Romanian by default) unless told; the
JSON keeps the codes, and ``report_in`` renders it again in another language (a portal
user's, a mail's).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from inclusion_data.contracts.i18n import language_or_default, translations, translator
from inclusion_data.contracts.labels import Labels
from inclusion_data.contracts.network import load_network
from inclusion_data.quality.findings import Finding, compact_rows
from inclusion_data.submissions import bounds
from inclusion_data.submissions.feedback import problem_cells
from inclusion_data.submissions.outcome import FileOutcome, SheetOutcome


@cache
def _templates(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def sheet_line(sheet: SheetOutcome, language: str) -> str:
    """One sheet's outcome in a sentence (the pre-check's console, the outcome mail)."""
    _, L = translator(language), Labels(language)
    return _(
        "Sheet %(sheet)s (%(dataset)s): %(status)s, %(rows)s rows, %(errors)s errors, %(warnings)s warnings"  # noqa: E501
    ) % {
        "sheet": sheet.sheet,
        "dataset": L.dataset(sheet.dataset),
        "status": L.status(sheet.status),
        "rows": sheet.rows,
        "errors": sheet.errors,
        "warnings": sheet.warnings,
    }


def report_paths(stored: Path) -> tuple[Path, Path]:
    return stored.with_name(stored.name + ".report.html"), stored.with_name(stored.name + ".report.json")


def write_file_report(
    outcome: FileOutcome, stored: Path, received: dt.datetime, language: str | None = None
) -> Path:
    html_path, json_path = report_paths(stored)
    language = language or load_network().language(outcome.partner)
    html_path.write_text(render(outcome, received, language), "utf-8")
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


def render(outcome: FileOutcome, received: dt.datetime, language: str) -> str:
    language = language_or_default(language)
    return (
        _templates(language)
        .get_template("file_report.html")
        .render(
            o=outcome,
            received=f"{received:%Y-%m-%d %H:%M} UTC",
            rows=compact_rows,
            L=Labels(language),
            language=language,
            marked=bounds.MAX_MARKED_CELLS,
            unmarked=bounds.unmarked(len(problem_cells(outcome))),
        )
    )


def report_in(json_path: Path, language: str) -> str:
    """The HTML of a written report (its ``.report.json``) in ``language``."""
    data = json.loads(json_path.read_text("utf-8"))
    received = dt.datetime.fromisoformat(data["received"])
    outcome = FileOutcome(
        data["source"],
        data["file_name"],
        data["project"],
        data["partner"],
        data["period"],
        data["file_hash"],
        data["status"],
        stored_at=data["stored_at"],
        received=received,
        findings=[Finding.from_dict(f) for f in data["findings"]],
        submissions=[SheetOutcome(**s) for s in data["submissions"]],
        sheet_findings={k: [Finding.from_dict(f) for f in v] for k, v in data["sheet_findings"].items()},
    )
    return render(outcome, received, language)
