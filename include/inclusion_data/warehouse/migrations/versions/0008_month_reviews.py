"""month reviews: approvals and reopenings of a project's month (period close)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "month_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("publication", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_month_reviews_key", "month_reviews", ["project", "period"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_month_reviews_key", table_name="month_reviews")
    op.drop_table("month_reviews")
