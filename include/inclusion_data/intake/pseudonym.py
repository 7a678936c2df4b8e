"""Pseudonymous person keys: a keyed hash, so one person counts once across partners and
projects while nobody can tell who they are without the key.

The key comes from ``INCLUSION_PSEUDONYM_KEY``, else the Airflow Variable
``inclusion_pseudonym_key``, else the file ``<home>/secrets/pseudonym.key`` (which only
``make demo`` creates). It is never in the repository.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from inclusion_data.contracts.text import fold
from inclusion_data.settings import Settings

ENV_VAR = "INCLUSION_PSEUDONYM_KEY"
AIRFLOW_VARIABLE = "inclusion_pseudonym_key"


class MissingKeyError(RuntimeError):
    pass


def _airflow_variable() -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(AIRFLOW_VARIABLE, default=None)
    except Exception:  # no Airflow context (plain Python, tests): fall through to the file
        return None


def load_key(settings: Settings) -> bytes:
    key = os.environ.get(ENV_VAR) or _airflow_variable()
    if not key and settings.key_file.exists():
        key = settings.key_file.read_text().strip()
    if not key:
        raise MissingKeyError(
            f"No pseudonymisation key: set {ENV_VAR}, the Airflow Variable "
            f"'{AIRFLOW_VARIABLE}', or create {settings.key_file} (make demo does)."
        )
    return key.encode()


def create_local_key(settings: Settings) -> None:
    """Give a local installation its own random key, once."""
    if not settings.key_file.exists():
        settings.key_file.parent.mkdir(parents=True, exist_ok=True)
        settings.key_file.write_text(secrets.token_hex(32) + "\n")
        settings.key_file.chmod(0o600)


def person_key(
    key: bytes, partner: str, cnp: str | None, code: str | None, name: str | None, birth: object
) -> str | None:
    """HMAC-SHA256 of the CNP when valid; otherwise of the partner with its own person code,
    or with the name and birth date. None when the row identifies nobody."""
    if cnp:
        material = f"cnp:{cnp}"
    elif code:
        material = f"code:{fold(partner)}:{fold(code)}"
    elif name:
        material = f"name:{fold(partner)}:{fold(name)}:{birth or ''}"
    else:
        return None
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()[:32]
