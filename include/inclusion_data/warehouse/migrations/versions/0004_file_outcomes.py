"""file outcomes: a file's hash is its identity, its outcome recorded with its rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:50:00

Files loaded before this revision get their row from their submissions, already filed, so
that the same bytes sent again are still recognised.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "file_outcomes",
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stored_at", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("file_hash"),
    )
    op.create_index("ix_file_outcomes_source", "file_outcomes", ["source"], unique=False)
    op.execute(
        """
        INSERT INTO file_outcomes (file_hash, source, status, stored_at, outcome, decided_at, filed_at)
        SELECT file_hash, MIN(file_name),
               CASE WHEN MIN(CASE WHEN status = 'rejected' THEN 0 ELSE 1 END) = 1 THEN 'accepted'
                    ELSE 'rejected' END,
               MAX(stored_at), '{}', MAX(received_at), MAX(received_at)
        FROM submissions GROUP BY file_hash
        """
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_file_outcomes_source", table_name="file_outcomes")
    op.drop_table("file_outcomes")
