"""The portal's settings, read from the environment beside the pipeline's ``Settings``."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from inclusion_data.settings import Settings


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(home: Path) -> str:
    """``INCLUSION_PORTAL_SECRET_KEY``, else a key generated once under ``secrets/``: it signs
    the session cookies, so every portal process of an installation must share it."""
    key = os.environ.get("INCLUSION_PORTAL_SECRET_KEY")
    if key:
        return key
    path = home / "secrets" / "portal.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(frozen=True)
class PortalConfig:
    settings: Settings
    secret_key: str
    base_url: str  # where users reach the portal: links in invitations and mails
    secure_cookies: bool  # Secure flag on the session cookie (on behind TLS, i.e. production)
    session_hours: float = 12
    warm_up: bool = False  # load the checks' one-off start-up when the server starts

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> PortalConfig:
        settings = settings or Settings.from_env()
        return cls(
            settings=settings,
            secret_key=_secret_key(settings.home),
            base_url=settings.portal_url,
            secure_cookies=_flag("INCLUSION_PORTAL_SECURE_COOKIES", False),
            session_hours=float(os.environ.get("INCLUSION_PORTAL_SESSION_HOURS", "12")),
            warm_up=True,
        )

    @property
    def staging(self) -> Path:
        """Uploaded files being checked, before the partner sends them to the inbox."""
        return self.settings.home / "portal" / "staging"
