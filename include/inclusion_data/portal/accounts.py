"""Portal accounts in the warehouse: users, argon2 password hashes, one-time links for
invitations and password resets (only their SHA-256 is stored), and failed sign-ins counted
per account and per address (in the database, so the limit holds across server processes).

A partner user belongs to exactly one partner (one organisation, possibly in several
projects); a coordinator belongs to the network and has no partner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, insert, select, update

from inclusion_data.contracts.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from inclusion_data.contracts.network import Network
from inclusion_data.warehouse import schema

PARTNER, COORDINATOR = "partner", "coordinator"
INVITE, RESET = "invite", "reset"
LINK_LIFETIME = {INVITE: dt.timedelta(days=7), RESET: dt.timedelta(hours=1)}
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
# higher per address: the data officers of one organisation often share one office address
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified against when the account does not exist, so both cases take the same time
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A user cannot be created or changed that way (message for the operator)."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str
    partner: str | None
    language: str
    session_version: int
    active: bool
    has_password: bool

    @property
    def is_coordinator(self) -> bool:
        return self.role == COORDINATOR


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without their zone; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def normal_email(email: str) -> str:
    return email.strip().lower()


def _user(row) -> User:
    return User(
        row.id,
        row.email,
        row.name,
        row.role,
        row.partner,
        row.language,
        row.session_version,
        bool(row.active),
        row.password_hash is not None,
    )


def get_user(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(schema.portal_users).where(schema.portal_users.c.id == user_id)).first()
    return _user(row) if row else None


def find_user(engine: Engine, email: str) -> User | None:
    u = schema.portal_users
    with engine.connect() as conn:
        row = conn.execute(select(u).where(u.c.email == normal_email(email))).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    u = schema.portal_users
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(u).order_by(u.c.role, u.c.partner, u.c.email))]


def create_user(
    engine: Engine,
    network: Network,
    email: str,
    name: str,
    role: str,
    partner: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> User:
    email = normal_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address")
    if role == PARTNER and partner not in network.partners:
        raise AccountError(f"{partner!r} is not a partner in network.yaml")
    if role == COORDINATOR and partner is not None:
        raise AccountError("a coordinator belongs to the network, not to a partner")
    if role not in (PARTNER, COORDINATOR):
        raise AccountError(f"role must be {PARTNER} or {COORDINATOR}")
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    if find_user(engine, email) is not None:
        raise AccountError(f"{email} already has an account")
    with engine.begin() as conn:
        conn.execute(
            insert(schema.portal_users).values(
                email=email,
                name=name.strip() or email,
                role=role,
                partner=partner,
                language=language,
                password_hash=None,
                session_version=1,
                active=True,
                created_at=_now(),
            )
        )
    user = find_user(engine, email)
    assert user is not None
    return user


def check_password_rules(password: str, email: str) -> str | None:
    """Why a new password is refused (an English message id), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("The password must have at least 10 characters.")
    if password.strip().lower() == email.lower():
        return N_("The password must not be your e-mail address.")
    return None


def set_password(engine: Engine, user_id: int, password: str) -> None:
    """Set the password and sign out every session the user had."""
    u = schema.portal_users
    with engine.begin() as conn:
        conn.execute(
            update(u)
            .where(u.c.id == user_id)
            .values(password_hash=_hasher.hash(password), session_version=u.c.session_version + 1)
        )


def set_language(engine: Engine, user_id: int, language: str) -> None:
    if language in LANGUAGES:
        u = schema.portal_users
        with engine.begin() as conn:
            conn.execute(update(u).where(u.c.id == user_id).values(language=language))


def set_active(engine: Engine, user_id: int, active: bool) -> None:
    u = schema.portal_users
    with engine.begin() as conn:
        conn.execute(
            update(u).where(u.c.id == user_id).values(active=active, session_version=u.c.session_version + 1)
        )


# --- one-time links ---------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link_token(engine: Engine, user_id: int, purpose: str) -> str:
    """A new secret for an invitation or reset link; only its hash is kept. Earlier unused
    links of the same purpose stop working."""
    token = secrets.token_urlsafe(32)
    t = schema.portal_tokens
    with engine.begin() as conn:
        conn.execute(
            update(t)
            .where((t.c.user_id == user_id) & (t.c.purpose == purpose) & t.c.used_at.is_(None))
            .values(used_at=_now())
        )
        conn.execute(
            insert(t).values(
                token_hash=_digest(token),
                user_id=user_id,
                purpose=purpose,
                expires_at=_now() + LINK_LIFETIME[purpose],
                used_at=None,
            )
        )
    return token


def peek_link_token(engine: Engine, token: str) -> User | None:
    """The user a valid (unused, unexpired) link belongs to, without using it."""
    t = schema.portal_tokens
    with engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.token_hash == _digest(token))).first()
    if row is None or row.used_at is not None or _aware(row.expires_at) <= _now():
        return None
    user = get_user(engine, row.user_id)
    return user if user and user.active else None


def use_link_token(engine: Engine, token: str, password: str) -> User | None:
    """Use a link once: set the password. None if the link is unknown, used or expired."""
    user = peek_link_token(engine, token)
    if user is None:
        return None
    t = schema.portal_tokens
    with engine.begin() as conn:
        used = conn.execute(
            update(t).where((t.c.token_hash == _digest(token)) & t.c.used_at.is_(None)).values(used_at=_now())
        ).rowcount
    if used != 1:  # used meanwhile by another request
        return None
    set_password(engine, user.id, password)
    return get_user(engine, user.id)


# --- signing in -------------------------------------------------------------------------------


def _failures(engine: Engine, account: str, address: str) -> tuple[int, int]:
    f = schema.portal_login_failures
    since = _now() - FAILURE_WINDOW
    with engine.begin() as conn:
        conn.execute(delete(f).where(f.c.at < since))
        per_account = conn.scalar(
            select(func.count()).select_from(f).where((f.c.account == account) & (f.c.at >= since))
        )
        per_address = conn.scalar(
            select(func.count()).select_from(f).where((f.c.address == address) & (f.c.at >= since))
        )
    return int(per_account or 0), int(per_address or 0)


def is_rate_limited(engine: Engine, email: str, address: str) -> bool:
    per_account, per_address = _failures(engine, normal_email(email), address)
    return per_account >= MAX_FAILURES_PER_ACCOUNT or per_address >= MAX_FAILURES_PER_ADDRESS


def authenticate(engine: Engine, email: str, password: str, address: str) -> User | None:
    """The user, if the password is right and the account active. Callers check
    ``is_rate_limited`` first; a failure here is counted."""
    email = normal_email(email)
    u = schema.portal_users
    with engine.connect() as conn:
        row = conn.execute(select(u).where(u.c.email == email)).first()
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password) and row is not None and bool(row.password_hash)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None or not row.active:
        with engine.begin() as conn:
            conn.execute(
                insert(schema.portal_login_failures).values(account=email, address=address[:64], at=_now())
            )
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(update(u).where(u.c.id == row.id).values(password_hash=_hasher.hash(password)))
    f = schema.portal_login_failures
    with engine.begin() as conn:  # the account's count starts again; the address's stays
        conn.execute(delete(f).where(f.c.account == email))
    return _user(row)
