"""Where things live, read from the environment so that tests and deployments can move them.

``INCLUSION_HOME`` holds all runtime state (default: ``var/`` in the checkout);
``WAREHOUSE_URL`` is any SQLAlchemy URL (default: the embedded SQLite warehouse there).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]


def _default_home() -> Path:
    return _CHECKOUT / "var" if (_CHECKOUT / "pyproject.toml").exists() else Path.cwd() / "var"


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_url: str
    settle_seconds: float = 30  # files changed more recently may still be uploading
    due_day: int = 10  # a month's files are late after this day of the following month


    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("INCLUSION_HOME") or _default_home()).resolve()
        url = os.environ.get("WAREHOUSE_URL") or f"sqlite:///{home / 'warehouse.sqlite'}"
        settle = float(os.environ.get("INCLUSION_SETTLE_SECONDS", "30"))
        due_day = int(os.environ.get("INCLUSION_DUE_DAY", "10"))
        return cls(home=home, warehouse_url=url, settle_seconds=settle, due_day=due_day)

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
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def published(self) -> Path:
        return self.home / "published"

    @property
    def key_file(self) -> Path:
        return self.home / "secrets" / "pseudonym.key"

    def make_dirs(self) -> None:
        for path in (self.inbox, self.archive, self.rejected, self.reports, self.published):
            path.mkdir(parents=True, exist_ok=True)
