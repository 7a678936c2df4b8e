"""What the warehouse already holds about a partner's files: has this exact file been
processed (as the evaluation asks, see ``submissions.evaluation.History``), and was a file
recorded but not yet filed (a run stopped between its commit and its report)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from inclusion_data.intake.sealing import NameSeal
from inclusion_data.warehouse import schema


class WarehouseHistory:
    def __init__(self, engine: Engine, seal: NameSeal) -> None:
        self.engine, self.seal = engine, seal

    def already_processed(self, file_hash: str) -> list[int]:
        """The submissions that came from a file with these exact bytes."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    select(schema.submissions.c.id).where(schema.submissions.c.file_hash == file_hash)
                )
            )

    def unfiled(self, source: str) -> tuple[str, str] | None:
        """(file hash, outcome JSON) of a file from ``source`` whose submissions were committed
        but which was not yet filed with its report: a run stopped in between."""
        f = schema.file_outcomes
        query = select(f.c.file_hash, f.c.outcome).where(
            (f.c.source == self.seal.digest(source)) & f.c.filed_at.is_(None)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query.limit(1)).first()
        return (row.file_hash, self.seal.open(row.outcome)) if row else None
