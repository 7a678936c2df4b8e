"""Where things live, read from the environment so that tests and deployments can move them.

``INCLUSION_HOME`` holds all runtime state (default: ``var/`` in the checkout);
``WAREHOUSE_URL`` is any SQLAlchemy URL; without it the Airflow connection ``warehouse`` is
used, and without that the embedded SQLite warehouse under ``INCLUSION_HOME``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]  # the repository, when run from a checkout


def _default_home() -> Path:
    return CHECKOUT / "var" if (CHECKOUT / "pyproject.toml").exists() else Path.cwd() / "var"


_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def sqlalchemy_url(uri: str) -> str:
    """An Airflow connection URI as a SQLAlchemy URL (psycopg 3 for PostgreSQL)."""
    scheme, rest = uri.split("://", 1)
    return f"{_DRIVERS.get(scheme, scheme)}://{rest}"


def _warehouse_connection() -> str | None:
    """The Airflow connection ``warehouse``: from AIRFLOW_CONN_WAREHOUSE, or, inside a task,
    from wherever Airflow keeps connections (its database, a secrets backend)."""
    uri = os.environ.get("AIRFLOW_CONN_WAREHOUSE")
    if not uri and os.environ.get("AIRFLOW_CTX_DAG_ID"):  # set by Airflow in task processes
        try:
            from airflow.sdk import Connection

            uri = Connection.get("warehouse").get_uri()
        except Exception:  # no such connection: fall back to the embedded default
            uri = None
    return sqlalchemy_url(uri) if uri else None


@dataclass(frozen=True)
class ReadingLimits:
    """How big a partner's file may be, before and after unpacking, and how much memory its
    reader may take (see ``intake.guard``). A monthly report of a large partner is a few MB."""

    max_file_bytes: int = 50 * 2**20
    max_unpacked_bytes: int = 1 * 2**30  # the sum of a workbook's zip members, as declared
    max_compression_ratio: float = 250  # real sheet XML compresses 5-30 to 1; bombs 1000+
    reader_memory_bytes: int = 2 * 2**30  # the reader child's address-space headroom

    @classmethod
    def from_env(cls) -> ReadingLimits:
        mb = {
            name: int(float(value) * 2**20)
            for name, variable in (
                ("max_file_bytes", "INCLUSION_MAX_FILE_MB"),
                ("max_unpacked_bytes", "INCLUSION_MAX_UNPACKED_MB"),
                ("reader_memory_bytes", "INCLUSION_READER_MEMORY_MB"),
            )
            if (value := os.environ.get(variable))
        }
        limits = cls(**mb)
        ratio = os.environ.get("INCLUSION_MAX_COMPRESSION_RATIO")
        return replace(limits, max_compression_ratio=float(ratio)) if ratio else limits


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_url: str
    settle_seconds: float = 30  # files changed more recently may still be uploading
    due_day: int = 10  # a month's files are late after this day of the following month
    reminder_days: tuple[int, ...] = (5, 1)  # partners are mailed this many days before it
    # files per mapped ingest task: a batch pays about 1 s whatever its size (Great
    # Expectations' start-up and call, the engine), and batches are what workers share out
    batch_size: int = 100
    # object-storage locations (see object_storage); None keeps everything in local folders
    inbox_url: str | None = None
    archive_url: str | None = None
    rejected_url: str | None = None
    published_url: str | None = None
    limits: ReadingLimits = ReadingLimits()
    portal_url: str = "http://127.0.0.1:8000"  # where partners reach the portal (mails, templates)

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("INCLUSION_HOME") or _default_home()).resolve()
        url = (
            os.environ.get("WAREHOUSE_URL")
            or _warehouse_connection()
            or f"sqlite:///{home / 'warehouse.sqlite'}"
        )
        settle = float(os.environ.get("INCLUSION_SETTLE_SECONDS", "30"))
        due_day = int(os.environ.get("INCLUSION_DUE_DAY", "10"))
        reminder_days = tuple(
            int(d) for d in os.environ.get("INCLUSION_REMINDER_DAYS", "5,1").split(",") if d.strip()
        )
        batch_size = int(os.environ.get("INCLUSION_BATCH_SIZE", str(cls.batch_size)))
        urls = {
            name: os.environ.get(f"INCLUSION_{name.upper()}") or None
            for name in ("inbox_url", "archive_url", "rejected_url", "published_url")
        }
        return cls(
            home=home,
            warehouse_url=url,
            settle_seconds=settle,
            due_day=due_day,
            reminder_days=reminder_days,
            batch_size=batch_size,
            limits=ReadingLimits.from_env(),
            portal_url=os.environ.get("INCLUSION_PORTAL_URL", "http://127.0.0.1:8000").rstrip("/"),
            **urls,
        )

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def rejected(self) -> Path:
        return self.home / "rejected"

    @property
    def held(self) -> Path:
        """Files for a closed (approved) month, kept until a coordinator reopens it."""
        return self.home / "held"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def published(self) -> Path:
        return self.home / "published"

    @property
    def key_file(self) -> Path:
        return self.home / "secrets" / "pseudonym.key"

    def make_dirs(self) -> None:
        for path in (self.inbox, self.archive, self.rejected, self.held, self.reports, self.published):
            path.mkdir(parents=True, exist_ok=True)
