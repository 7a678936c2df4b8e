"""Warehouse tables (SQLAlchemy Core). Dataset tables take their columns from the contracts.

Alembic migrations in ``migrations/`` are the history of this schema; a test fails when the
two disagree (run ``make migration m="what changed"`` after editing a contract).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from inclusion_data.contracts.datasets import CODE_LENGTH, DATASETS, TEXT_LENGTH, Dataset, Kind

metadata = MetaData()

projects = Table(
    "projects",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name_ro", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("start_month", String(7), nullable=False),
    Column("end_month", String(7), nullable=False),
)

partners = Table(
    "partners",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("county", String(64)),
)

project_partners = Table(
    "project_partners",
    metadata,
    Column("project", String(16), ForeignKey("projects.code"), primary_key=True),
    Column("partner", String(64), ForeignKey("partners.code"), primary_key=True),
    Column("start_month", String(7), nullable=False),
    Column("end_month", String(7), nullable=False),
    Column("reports", String(200), nullable=False),  # comma-separated dataset names
)

localities = Table(
    "localities",
    metadata,
    Column("siruta", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False),
    Column("county", String(64), nullable=False),
    Column("uat_siruta", Integer, nullable=False),
    Column("uat_name", String(120), nullable=False),
    Column("level", Integer, nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project", String(16), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("dataset", String(32), nullable=False),
    Column("period", String(7), nullable=False),
    Column("file_name", Text, nullable=False),  # sealed (intake.sealing): names are personal
    Column("file_hash", String(64), nullable=False),
    Column("sheet", String(120), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # accepted | nil | rejected | superseded
    Column("version", Integer, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("error_count", Integer, nullable=False),
    Column("warning_count", Integer, nullable=False),
    Column("findings", Text, nullable=False),  # JSON: rule, severity, column, rows; no values
    Column("stored_at", String(500), nullable=False),  # where the file is now
    Column("superseded_by", Integer),
    Index("ix_submissions_key", "project", "partner", "dataset", "period"),
    Index("ix_submissions_hash", "file_hash"),
    UniqueConstraint("file_hash", "sheet", "dataset", name="uq_submissions_file_sheet"),
)

# One row per file whose submissions were recorded, written in the same transaction as them:
# the file's hash is its identity (the same bytes under another name are a duplicate), and
# the outcome kept here lets a run killed after the commit file the file and write its
# report from what was decided, never deciding again. ``filed_at`` is empty until then.
file_outcomes = Table(
    "file_outcomes",
    metadata,
    Column("file_hash", String(64), primary_key=True),
    Column("source", String(500), nullable=False),  # keyed digest of its inbox path (names are personal)
    Column("status", String(16), nullable=False),  # accepted | rejected
    Column("stored_at", String(500), nullable=False),  # where it is filed
    Column("outcome", Text, nullable=False),  # JSON: the file's outcome, findings without values
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("filed_at", DateTime(timezone=True)),
    Index("ix_file_outcomes_source", "source"),
)

indicator_values = Table(
    "indicator_values",
    metadata,
    Column("indicator_id", String(64), primary_key=True),
    Column("project", String(16), primary_key=True),  # ALL = across projects
    Column("partner", String(64), primary_key=True),  # ALL = across partners
    Column("period", String(7), primary_key=True),  # YYYY-MM or total
    Column("dimension", String(32), primary_key=True),  # total = not broken down
    Column("category", String(64), primary_key=True),
    Column("value", Float, nullable=False),  # exact; public outputs suppress small cells
    Column("target", Float),
    Column("achievement_pct", Float),
    Column("rows", Integer, nullable=False, server_default="0"),  # accepted rows in the group
)

# What threshold indicators are decided from (distinct persons and localities per value of
# their 'per' column, at each level and period), kept so incremental builds can add to them.
indicator_parts = Table(
    "indicator_parts",
    metadata,
    *(Column(c.name, c.type, primary_key=True) for c in indicator_values.primary_key.columns),
    Column("value", Float, nullable=False),
    Column("rows", Integer, nullable=False),
)

# What indicator_values were computed from, so the next build adds and subtracts only the
# submissions accepted or withdrawn since (one row; ``config`` hashes the catalogue, targets
# and network: when it changes, the next build is a full one).
indicator_basis = Table(
    "indicator_basis",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submissions", Text, nullable=False),  # JSON list of the accepted submission ids
    Column("config", String(64), nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False),
)

completeness = Table(
    "completeness",
    metadata,
    Column("project", String(16), primary_key=True),
    Column("partner", String(64), primary_key=True),
    Column("dataset", String(32), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("status", String(16), nullable=False),  # accepted | nil | rejected | missing
    Column("versions", Integer, nullable=False),
    Column("first_received", DateTime(timezone=True)),
    Column("accepted_received", DateTime(timezone=True)),
    Column("due", Date, nullable=False),
    Column("late", Boolean, nullable=False),
)

partner_overlaps = Table(
    "partner_overlaps",
    metadata,
    Column("indicator_id", String(64), primary_key=True),
    Column("partner_a", String(64), primary_key=True),
    Column("partner_b", String(64), primary_key=True),
    Column("persons", Integer, nullable=False),  # counted by both partners (any project)
)

# Review and period close: every approval and reopening of a project's month, kept as
# history (never updated). A month whose latest entry is an approval is closed: it is
# published as final, and a file for it is held until a coordinator reopens it.
month_reviews = Table(
    "month_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project", String(16), nullable=False),
    Column("period", String(7), nullable=False),
    Column("action", String(16), nullable=False),  # approved | reopened
    Column("by", String(254), nullable=False),  # the coordinator (portal account or command user)
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False),  # why: required for a reopening
    Column("publication", String(64)),  # the publication that first carried this state
    Index("ix_month_reviews_key", "project", "period"),
)

# Publications and their revision log: each publication of the indicators (when, the data
# date, a fingerprint of the warehouse state it was computed from), the public values it
# showed (only the latest publication's are kept: what the next one is compared with), and
# what changed since the previous one, with the submissions and reviews that caused it.
publications = Table(
    "publications",
    metadata,
    Column("id", String(32), primary_key=True),  # YYYY-MM-DD.N: the Nth publication of that day
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("data_as_of", DateTime(timezone=True)),  # newest loaded submission (received_at)
    Column("period_first", String(7)),
    Column("period_last", String(7)),
    Column("fingerprint", String(64), nullable=False),  # of the inputs (publishing.revisions)
    Column("basis", Text, nullable=False),  # JSON: the loaded submission ids and closed months
    Column("changes", Integer, nullable=False),  # how many published values changed
)

publication_changes = Table(
    "publication_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("publication", String(32), ForeignKey("publications.id"), nullable=False, index=True),
    Column("indicator_id", String(64), nullable=False),
    Column("project", String(16), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("dimension", String(32), nullable=False),
    Column("category", String(64), nullable=False),
    Column("old_value", Float),  # NULL: suppressed or not published then
    Column("new_value", Float),
    Column("old_state", String(16)),  # final | provisional | incomplete | suppressed...; NULL: absent
    Column("new_state", String(16)),
    Column("causes", Text, nullable=False),  # JSON: submission ids and months reviewed, never file names
)

published_values = Table(
    "published_values",
    metadata,
    Column("indicator_id", String(64), primary_key=True),
    Column("project", String(16), primary_key=True),
    Column("partner", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("dimension", String(32), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("value", Float),  # NULL where suppressed: what the public saw
    Column("suppressed", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # final | provisional | incomplete
)

pseudonym_keys = Table(
    "pseudonym_keys",
    metadata,
    # the keyring's fingerprint (pseudonym.fingerprint), never the key: the one without
    # retired_at is the warehouse's; older ones were rotated away (warehouse.rotate_key)
    Column("fingerprint", String(64), primary_key=True),
    Column("key_count", Integer, nullable=False),  # how many keys the keyring chains
    Column("bound_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
)

# --- the portal's accounts (inclusion_data.portal): who may sign in, one-time links, and
# failed sign-ins (counted here so that the limit holds across server processes)
portal_users = Table(
    "portal_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # stored lower-case
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),  # partner | coordinator
    Column("partner", String(64)),  # the one organisation of a partner user; NULL for coordinators
    Column("language", String(2), nullable=False),  # ro | en
    Column("password_hash", String(200)),  # argon2id; NULL until the invitation is used
    Column("session_version", Integer, nullable=False),  # raised to sign out every session
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

portal_tokens = Table(
    "portal_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the link's secret
    Column("user_id", Integer, ForeignKey("portal_users.id"), nullable=False, index=True),
    Column("purpose", String(16), nullable=False),  # invite | reset
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

portal_login_failures = Table(
    "portal_login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(254), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

_TYPES: dict[Kind, Callable[[], TypeEngine[Any]]] = {
    Kind.TEXT: lambda: String(TEXT_LENGTH),
    Kind.CODE: lambda: String(CODE_LENGTH),
    Kind.DATE: Date,
    Kind.INTEGER: Integer,
    Kind.DECIMAL: Float,
    Kind.BOOLEAN: Boolean,
}


def _dataset_columns(dataset: Dataset) -> list[Column]:
    columns = []
    for f in dataset.fields:
        if f.kind is Kind.BIRTH:
            columns.append(Column("birth_year", Integer))
        elif f.kind is Kind.LOCALITY:
            columns.append(Column("locality_siruta", Integer, index=True))
        elif not f.personal:
            columns.append(Column(f.name, _TYPES[f.kind](), nullable=not f.required))
    return columns


def _dataset_table(dataset: Dataset) -> Table:
    return Table(
        dataset.name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True),
        Column("file_hash", String(64), nullable=False),
        Column("sheet", String(120), nullable=False),
        Column("row", Integer, nullable=False),
        Column("project", String(16), nullable=False),
        Column("partner", String(64), nullable=False),
        Column("period", String(7), nullable=False),
        Column("person_key", String(32), nullable=False, index=True),  # incremental builds look people up
        *_dataset_columns(dataset),
    )


dataset_tables: dict[str, Table] = {name: _dataset_table(d) for name, d in DATASETS.items()}


def stored_columns(dataset: Dataset) -> list[str]:
    """The contract columns a dataset table keeps (no personal fields)."""
    skip = {"id", "submission_id", "file_hash", "sheet", "row", "project", "partner", "period"}
    return [c.name for c in dataset_tables[dataset.name].columns if c.name not in skip]
