"""The reviewers' data-quality site under ``<home>/reports/``: an index of submissions, a page
per submission with every rule's result and failing rows, completeness and timeliness, and
pass-rate trends per partner and per rule. Built from the warehouse, whose findings hold
rows and rules only, so no page can show a value from a partner's file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine, select

from inclusion_data.indicators.gaps import incomplete_indicators
from inclusion_data.quality.findings import compact_rows
from inclusion_data.quality.suites import load_suite
from inclusion_data.quality.validation import severity_of
from inclusion_data.submissions.outcome import REJECTED
from inclusion_data.warehouse import schema

_templates = Environment(
    loader=PackageLoader(__package__, "templates"), autoescape=select_autoescape(["html"])
)


def _render(path: Path, template: str, **context) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        _templates.get_template(template).render(
            generated=f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", **context
        ),
        "utf-8",
    )


def _template_source(name: str) -> str:
    loader = _templates.loader
    assert loader is not None  # a PackageLoader, set above
    return loader.get_source(_templates, name)[0]


def _submissions(engine: Engine) -> list[dict]:
    s = schema.submissions
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(s).order_by(s.c.id.desc())).mappings()]
    for row in rows:
        row["received"] = f"{row['received_at']:%Y-%m-%d %H:%M}"
        row["findings"] = json.loads(row["findings"])
    return rows


def _rules(submission: dict, suite: dict | None = None) -> list[dict]:
    """Every rule of the dataset's suite (``suite``, or read), passed or failed, with the
    failing rows."""
    suite = suite or load_suite(submission["dataset"])
    failed = defaultdict(list)
    for finding in submission["findings"]:
        failed[(finding["rule"], finding["field"])].append(finding)
    rules = []
    for expectation in suite["expectations"]:
        meta = expectation["meta"]
        hits = failed.pop((meta["rule"], meta["field"]), [])
        rows = sorted({r for f in hits for r in f["rows"]})
        column = next((f"{f['column']} „{f['header']}”" for f in hits if f.get("column")), meta["field"])
        rules.append(
            {
                "rule": meta["rule"],
                "column": column,
                "passed": not hits,
                "severity": severity_of(expectation["severity"]),
                "rows": compact_rows(rows),
                "message_ro": meta["message_ro"],
                "message_en": meta["message_en"],
            }
        )
    for (rule, field), hits in failed.items():  # rules outside the suite (unknown columns…)
        rules.append(
            {
                "rule": rule,
                "column": hits[0].get("header") or field,
                "passed": False,
                "severity": hits[0]["severity"],
                "rows": compact_rows([r for f in hits for r in f["rows"]]),
                "message_ro": hits[0]["message_ro"],
                "message_en": hits[0]["message_en"],
            }
        )
    return rules


def _completeness_context(rows: list[dict]) -> dict:
    months = sorted({r["period"] for r in rows})
    partners: dict[tuple[str, str], Counter[str]] = {}
    grid: dict[tuple[str, str, str], dict[str, dict]] = {}
    for r in rows:
        key = (r["project"], r["partner"])
        p = partners.setdefault(key, Counter())
        p["expected"] += 1
        p["received"] += r["versions"] > 0
        p[r["status"]] += 1
        p["late"] += r["late"]
        grid.setdefault((*key, r["dataset"]), {})[r["period"]] = r
    totals: Counter[str] = Counter()
    for p in partners.values():
        totals.update(p)
    return {
        "months": months,
        "partners": [
            {
                "project": k[0],
                "partner": k[1],
                **{n: p[n] for n in ("expected", "received", "accepted", "rejected", "missing", "late")},
            }
            for k, p in sorted(partners.items())
        ],
        "grid": [
            {"project": k[0], "partner": k[1], "dataset": k[2], "cells": [cells.get(m) for m in months]}
            for k, cells in sorted(grid.items())
        ],
        "totals": {n: totals[n] for n in ("expected", "received", "accepted", "rejected", "missing", "late")},
        "incomplete": incomplete_indicators(rows).to_dict("records"),
    }


def _trends_context(submissions: list[dict]) -> dict:
    frame = pd.DataFrame(submissions)
    if frame.empty:
        return {"months": [], "partner_rates": [], "rule_rates": []}
    months = sorted(frame["period"].unique())
    frame["passed"] = frame["status"] != REJECTED
    partner_rates = []
    for (project, partner), part in frame.groupby(["project", "partner"]):
        rates = part.groupby("period")["passed"].mean()
        partner_rates.append(
            {"project": project, "partner": partner, "cells": [rates.get(m) for m in months]}
        )
    per_month = frame.groupby("period").size()
    failures: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for submission in submissions:
        for rule, severity in {(f["rule"], f["severity"]) for f in submission["findings"]}:
            failures[(rule, severity)][submission["period"]] += 1
    rule_rates = [
        {
            "rule": rule,
            "severity": severity,
            "cells": [1 - counts[m] / per_month[m] if m in per_month else None for m in months],
        }
        for (rule, severity), counts in sorted(failures.items())
    ]
    return {"months": months, "partner_rates": partner_rates, "rule_rates": rule_rates}


_BUILT = ".built.json"  # each submission page's id -> the digest of what it was made from


def _submission_pages(pages: Path, submissions: list[dict]) -> None:
    """A page per submission, made again only when what it shows changed: its row (status,
    version, findings), its dataset's suite or the templates. Making all of them was most
    of each run's site (~1.4 ms a page, 0.8 s at 600 submissions), and grew with history.
    Pages of submissions the warehouse no longer holds are removed."""
    try:
        built = json.loads((pages / _BUILT).read_text("utf-8"))
    except (OSError, ValueError):
        built = {}
    templates = [_template_source(t) for t in ("site_base.html", "site_submission.html")]
    suites: dict[str, tuple[dict, str]] = {}  # dataset -> its suite, and what its pages share
    made: dict[str, str] = {}
    for submission in submissions:
        dataset = submission["dataset"]
        if dataset not in suites:
            suite = load_suite(dataset)
            suites[dataset] = suite, json.dumps([templates, suite], sort_keys=True)
        suite, shared = suites[dataset]
        page, key = pages / f"{submission['id']}.html", str(submission["id"])
        row = json.dumps(submission, sort_keys=True, default=str)
        made[key] = hashlib.sha256(f"{shared}\n{row}".encode()).hexdigest()
        if built.get(key) != made[key] or not page.exists():
            _render(
                page,
                "site_submission.html",
                title=f"Depunerea / Submission #{submission['id']}",
                root="../",
                s=submission,
                rules=_rules(submission, suite),
            )
    for gone in set(built) - set(made):
        (pages / f"{gone}.html").unlink(missing_ok=True)
    pages.mkdir(parents=True, exist_ok=True)
    written = pages / f"{_BUILT}.tmp"
    written.write_text(json.dumps(made), "utf-8")
    written.replace(pages / _BUILT)  # after the pages: a build stopped half-way makes them again


def build_site(engine: Engine, directory: Path, completeness_rows: list[dict], due_day: int) -> Path:
    submissions = _submissions(engine)
    counts = Counter(s["status"] for s in submissions)
    _render(
        directory / "index.html",
        "site_index.html",
        title="Depuneri / Submissions",
        root="",
        submissions=submissions,
        counts=counts,
    )
    _submission_pages(directory / "submissions", submissions)
    _render(
        directory / "completeness.html",
        "site_completeness.html",
        title="Completitudine și punctualitate / Completeness and timeliness",
        root="",
        due_day=due_day,
        **_completeness_context(completeness_rows),
    )
    _render(
        directory / "trends.html",
        "site_trends.html",
        title="Tendințe / Trends",
        root="",
        **_trends_context(submissions),
    )
    return directory / "index.html"
