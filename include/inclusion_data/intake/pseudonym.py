"""Pseudonymous person keys: a keyed hash, so one person counts once across partners and
projects while nobody can tell who they are without the key.

The secret comes from ``INCLUSION_PSEUDONYM_KEY``, else the Airflow Variable
``inclusion_pseudonym_secret`` (a name Airflow masks: "secret"), else the file
``<home>/secrets/pseudonym.key`` (which only ``make demo`` creates). It is never in the
repository, and it is used byte for byte: nothing is trimmed. A file may end with one newline,
as text files do; any other space, tab or newline in a key is refused, so a key with a stray
space fails instead of silently counting everyone twice.

The secret is a *keyring*: one key, or after a rotation (``warehouse.rotate_key``) several,
one per line, oldest first. A person key is the HMAC of the person's identifiers with the
first key, then re-keyed with each later key in turn (HMAC of the previous person key): the
identifiers are never stored, so a rotation can only re-key the stored person keys, and new
files must go through the same chain to meet them. The newest key must be strong
(``check_strength``); older ones are kept as they were.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import unicodedata

from inclusion_data.contracts.text import fold
from inclusion_data.settings import Settings

ENV_VAR = "INCLUSION_PSEUDONYM_KEY"
AIRFLOW_VARIABLE = "inclusion_pseudonym_secret"  # "secret": Airflow masks it in the UI, API and logs
LEGACY_AIRFLOW_VARIABLE = "inclusion_pseudonym_key"  # shown in clear by Airflow: refused
MIN_KEY_CHARACTERS = 32  # `secrets.token_hex(32)` gives 64
MIN_DISTINCT_CHARACTERS = 8  # a hex key has 16; "aaaa…" or "abab…" has 1 or 2
SEPARATOR = b"\n"  # between the keys of a keyring
_FINGERPRINT_MATERIAL = b"inclusion-data: fingerprint of the pseudonymisation key, v1"
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_hex(32))'"


class KeyProblem(RuntimeError):
    """The configured key cannot be used; the message says what to do."""


class MissingKeyError(KeyProblem):
    pass


class WeakKeyError(KeyProblem):
    pass


def _airflow_variable(name: str) -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(name, default=None)
    except Exception:  # no Airflow context (plain Python, tests): fall through to the file
        return None


def _from_file(text: str) -> str:
    """A key file's text as the keyring: one final line end is the file's, not the key's."""
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


def configured_keyring(settings: Settings) -> tuple[str, str] | None:
    """The keyring as configured and where it came from (for messages), or None."""
    if value := os.environ.get(ENV_VAR):
        return value, f"the environment variable {ENV_VAR}"
    if value := _airflow_variable(AIRFLOW_VARIABLE):
        return value, f"the Airflow Variable '{AIRFLOW_VARIABLE}'"
    if _airflow_variable(LEGACY_AIRFLOW_VARIABLE):
        raise KeyProblem(
            f"The pseudonymisation key is in the Airflow Variable '{LEGACY_AIRFLOW_VARIABLE}', whose "
            "value Airflow shows in clear in its UI and REST API. Move it, unchanged, to "
            f"'{AIRFLOW_VARIABLE}' (a name Airflow masks) and delete the old one: "
            f'airflow variables set {AIRFLOW_VARIABLE} "$(airflow variables get {LEGACY_AIRFLOW_VARIABLE})" '
            f"&& airflow variables delete {LEGACY_AIRFLOW_VARIABLE}"
        )
    if settings.key_file.exists():
        return _from_file(settings.key_file.read_text("utf-8")), f"the key file {settings.key_file}"
    return None


def check_strength(key: str, where: str) -> None:
    """The rules a new key must pass: long, varied, and nothing that a copy or paste could
    add or drop unseen (spaces, tabs, line ends, control or invisible characters)."""
    fix = f"Generate one with: {GENERATE_HINT}"
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in key):
        raise WeakKeyError(
            f"The pseudonymisation key in {where} contains a space, tab, line end or invisible "
            "character; keys are used byte for byte and never trimmed, so remove it where the key "
            f"is set (if the warehouse was loaded with exactly that key, rotate it instead). {fix}"
        )
    if len(key) < MIN_KEY_CHARACTERS or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        raise WeakKeyError(
            f"The pseudonymisation key in {where} is too weak: it needs at least "
            f"{MIN_KEY_CHARACTERS} characters, at least {MIN_DISTINCT_CHARACTERS} of them different. "
            f"{fix} For a warehouse already loaded with a weak key, keep it and add a strong one: "
            "python -m inclusion_data.warehouse.rotate_key --new-key-file FILE"
        )


def parse_keyring(text: str, where: str, *, strict: bool = True) -> bytes:
    """The keyring as the bytes ``person_key`` takes. ``strict``: the newest key must pass
    ``check_strength`` (only the rotation command reads a weak current keyring, to replace it)."""
    keys = text.split("\n")
    if not text:
        raise MissingKeyError(f"The pseudonymisation key in {where} is empty.")
    if any(not k for k in keys):
        raise WeakKeyError(
            f"The pseudonymisation key in {where} has an empty line (a line end at its start or end, "
            "or two in a row); keys are used byte for byte and never trimmed: remove it."
        )
    if strict:
        check_strength(keys[-1], where)
    return SEPARATOR.join(k.encode("utf-8") for k in keys)


def load_key(settings: Settings, *, strict: bool = True) -> bytes:
    configured = configured_keyring(settings)
    if configured is None:
        raise MissingKeyError(
            f"No pseudonymisation key: set {ENV_VAR}, the Airflow Variable "
            f"'{AIRFLOW_VARIABLE}', or create {settings.key_file} (make demo does)."
        )
    return parse_keyring(*configured, strict=strict)


def key_source(settings: Settings) -> str:
    configured = configured_keyring(settings)
    return configured[1] if configured else "nowhere"


def create_local_key(settings: Settings) -> None:
    """Give a local installation its own random key, once."""
    if not settings.key_file.exists():
        settings.key_file.parent.mkdir(parents=True, exist_ok=True)
        settings.key_file.write_text(secrets.token_hex(32) + "\n")
        settings.key_file.chmod(0o600)


def _hmac(key: bytes, material: bytes) -> str:
    keyed = _keyed(key).copy()
    keyed.update(material)
    return keyed.hexdigest()[:32]


@functools.lru_cache(maxsize=16)
def _keyed(key: bytes) -> hmac.HMAC:
    """The HMAC with its key already taken in, copied for each message: a 1M-row file makes a
    million person keys with one key, and setting the key up was 0.8 of each one's 2.9 µs."""
    return hmac.new(key, digestmod=hashlib.sha256)


@functools.lru_cache(maxsize=16)
def _keyring(key: bytes) -> tuple[bytes, list[bytes]]:
    first, *later = key.split(SEPARATOR)
    return first, later


def rekey(person: str, key: bytes) -> str:
    """A stored person key moved on to the next key of a keyring."""
    return _hmac(key, person.encode())


def person_key(
    key: bytes, partner: str, cnp: str | None, code: str | None, name: str | None, birth: object
) -> str | None:
    """HMAC-SHA256 of the CNP when valid; otherwise of the partner with its own person code,
    or with the name and birth date; then re-keyed through the keyring's later keys. None
    when the row identifies nobody."""
    if cnp:
        material = f"cnp:{cnp}"
    elif code:
        material = f"code:{fold(partner)}:{fold(code)}"
    elif name:
        material = f"name:{fold(partner)}:{fold(name)}:{birth or ''}"
    else:
        return None
    first, later = _keyring(key)
    person = _hmac(first, material.encode())
    for next_key in later:
        person = rekey(person, next_key)
    return person


def fingerprint(key: bytes) -> str:
    """What the warehouse keeps to recognise its keyring: the keyring's HMAC chain over a fixed
    text (no person's identifiers look like it). It does not reveal the key."""
    first, *later = key.split(SEPARATOR)
    digest = hmac.new(first, _FINGERPRINT_MATERIAL, hashlib.sha256).hexdigest()
    for next_key in later:
        digest = hmac.new(next_key, digest.encode(), hashlib.sha256).hexdigest()
    return digest
