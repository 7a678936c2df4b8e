"""What became of a file and of each submission in it: the model that the evaluation fills
and that the warehouse, the file report and the feedback workbook write out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field

from inclusion_data.quality.findings import Finding

ACCEPTED, REJECTED, SUPERSEDED = "accepted", "rejected", "superseded"  # a submission's status
NIL = "nil"  # a nil return: the partner declares no activity in the month (no rows, complete)
CURRENT = (ACCEPTED, NIL)  # the statuses of the version that stands for its month
DUPLICATE = "duplicate"  # a file whose exact bytes were processed before
HELD = "held"  # a file for a closed (approved) month: kept, loaded when the month is reopened


@dataclass
class SheetOutcome:
    dataset: str
    sheet: str
    status: str
    rows: int
    errors: int
    warnings: int
    submission_id: int | None = None


@dataclass
class FileOutcome:
    source: str  # path in the inbox, relative to it
    file_name: str
    project: str | None
    partner: str | None
    period: str | None
    file_hash: str
    status: str  # accepted | rejected | duplicate | held
    stored_at: str = ""
    report: str = ""
    feedback: str = ""  # the partner's copy with problems marked, next to the file
    received: dt.datetime | None = None  # when the file arrived in the inbox
    findings: list[Finding] = field(default_factory=list)  # about the whole file
    submissions: list[SheetOutcome] = field(default_factory=list)
    sheet_findings: dict[str, list[Finding]] = field(default_factory=dict)

    def summary(self) -> dict:
        """What goes to XCom and the logs: statuses and counts, nothing from the file's cells."""
        return {
            "source": self.source,
            "status": self.status,
            "period": self.period,
            "stored_at": self.stored_at,
            "report": self.report,
            "feedback": self.feedback,
            "submissions": [asdict(s) for s in self.submissions],
        }

    def task_summary(self) -> dict:
        """What goes to XCom and the task logs: file names are personal (partners name files
        after people), so the file is named by a short hash and sheets by their dataset."""
        return {
            "file": short_id(self.file_hash or self.source),
            "status": self.status,
            "period": self.period,
            "submissions": [
                {
                    "dataset": s.dataset,
                    "status": s.status,
                    "rows": s.rows,
                    "errors": s.errors,
                    "warnings": s.warnings,
                    "submission_id": s.submission_id,
                }
                for s in self.submissions
            ],
        }

    def has_findings(self) -> bool:
        return bool(self.findings) or any(self.sheet_findings.values())

    def all_findings(self) -> list[Finding]:
        """The file's own findings, then each sheet's."""
        return [*self.findings, *(f for fs in self.sheet_findings.values() for f in fs)]

    def to_record(self) -> str:
        """The whole outcome as JSON, as the warehouse keeps it until the file is filed (no cell
        values: findings name rules, columns and rows only)."""
        data = asdict(self)
        data["received"] = self.received.isoformat() if self.received else None
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_record(cls, text: str) -> FileOutcome:
        data = json.loads(text)
        data["received"] = dt.datetime.fromisoformat(data["received"]) if data["received"] else None
        data["findings"] = [Finding.from_dict(f) for f in data["findings"]]
        data["submissions"] = [SheetOutcome(**s) for s in data["submissions"]]
        data["sheet_findings"] = {
            sheet: [Finding.from_dict(f) for f in findings]
            for sheet, findings in data["sheet_findings"].items()
        }
        return cls(**data)


def short_id(text: str) -> str:
    """A file's name in shared places (logs, XCom): 12 hex digits of its hash, or of its inbox
    path when it has none (a file that could not be read)."""
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return text[:12]
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:12]


@dataclass
class SubmissionRecord:
    """One (project, partner, dataset, month) of a file, as the warehouse stores it."""

    project: str
    partner: str
    dataset: str
    period: str
    file_name: str
    file_hash: str
    sheet: str
    received_at: dt.datetime
    status: str
    row_count: int
    error_count: int
    warning_count: int
    findings: list[dict]
    stored_at: str
