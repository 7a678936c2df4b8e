"""File names are personal (partners name files after the people in them: "Popescu Ion.xlsx"),
yet a partner must recognise its own files later. So shared places never see a file's name:
the warehouse keeps it sealed, files are filed under their arrival time and hash, and only the
sending partner's own report (and the signed-in portal) shows the name.

Sealing is Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``, which Airflow
already depends on): no hand-written cipher. Its key is derived from the first key of the
pseudonymisation keyring, which a rotation keeps (``warehouse.rotate_key`` appends), so names
sealed before a rotation still open after it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from inclusion_data.intake.pseudonym import SEPARATOR

_SEAL_MATERIAL = b"inclusion-data: sealed file names, v1"
_DIGEST_MATERIAL = b"inclusion-data: file lookups, v1"
LEGACY_PREFIX = "sha256:"


class NameSeal:
    """Seals and opens file names and inbox paths with a key derived from the keyring."""

    def __init__(self, keyring: bytes) -> None:
        first = keyring.split(SEPARATOR)[0]
        self._fernet = Fernet(base64.urlsafe_b64encode(hmac.digest(first, _SEAL_MATERIAL, hashlib.sha256)))
        self._lookup = hmac.digest(first, _DIGEST_MATERIAL, hashlib.sha256)

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8", "surrogateescape")).decode("ascii")

    def open(self, token: str) -> str:
        """The sealed text; a token that is not one of ours (or sealed by another keyring) opens
        as a placeholder rather than failing a page or a load. Names recorded before names were
        sealed were replaced by the file's short hash (migration 0006), shown as they are."""
        if token.startswith(LEGACY_PREFIX):
            return token
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8", "surrogateescape")
        except (InvalidToken, ValueError):
            return "(sealed)"

    def digest(self, text: str) -> str:
        """A keyed, repeatable stand-in for ``text`` to look it up by (an inbox path)."""
        return hmac.new(self._lookup, text.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
