"""sealed file names: a file's name is personal, so the warehouse keeps it sealed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:40:00

From this revision on ``submissions.file_name`` holds a Fernet token (``intake.sealing``),
longer than a name, and ``file_outcomes.source`` a keyed digest of the inbox path. The key is
not available to a migration, so names recorded before it cannot be sealed: they are replaced
by the file's short hash (the partner's own report beside the filed file still names it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("file_name", existing_type=sa.String(length=255), type_=sa.Text())
    op.execute("UPDATE submissions SET file_name = 'sha256:' || substr(file_hash, 1, 12)")
    op.execute(
        "UPDATE file_outcomes SET source = 'legacy:' || file_hash, outcome = '{}' WHERE filed_at IS NOT NULL"
    )


def downgrade() -> None:
    """Downgrade schema (the names replaced on upgrade do not come back)."""
    op.execute("UPDATE submissions SET file_name = 'sha256:' || substr(file_hash, 1, 12)")
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("file_name", existing_type=sa.Text(), type_=sa.String(length=255))
