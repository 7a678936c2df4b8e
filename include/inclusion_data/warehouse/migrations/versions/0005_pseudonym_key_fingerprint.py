"""the pseudonymisation key's fingerprint

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "pseudonym_keys",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("key_count", sa.Integer(), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("fingerprint"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("pseudonym_keys")
