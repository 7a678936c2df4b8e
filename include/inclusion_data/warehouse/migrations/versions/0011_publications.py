"""publications and their revision log

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-02 02:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = (
    ("indicator_id", 64),
    ("project", 16),
    ("partner", 64),
    ("period", 7),
    ("dimension", 32),
    ("category", 64),
)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "publications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_first", sa.String(length=7), nullable=True),
        sa.Column("period_last", sa.String(length=7), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "publication_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication", sa.String(length=32), nullable=False),
        *(sa.Column(name, sa.String(length=n), nullable=False) for name, n in _KEYS),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("old_state", sa.String(length=16), nullable=True),
        sa.Column("new_state", sa.String(length=16), nullable=True),
        sa.Column("causes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["publication"], ["publications.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_publication_changes_publication"), "publication_changes", ["publication"], unique=False
    )
    op.create_table(
        "published_values",
        *(sa.Column(name, sa.String(length=n), nullable=False) for name, n in _KEYS),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint(*(name for name, _ in _KEYS)),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("published_values")
    op.drop_index(op.f("ix_publication_changes_publication"), table_name="publication_changes")
    op.drop_table("publication_changes")
    op.drop_table("publications")
