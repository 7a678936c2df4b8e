"""What the warehouse already holds about a partner's submissions, as the evaluation of a new
file asks it (see ``submissions.evaluation.History``): has this exact file been processed,
and how many rows did the partner's earlier months have."""

from __future__ import annotations

from sqlalchemy import Engine, select

from inclusion_data.submissions.outcome import ACCEPTED
from inclusion_data.warehouse import schema


class WarehouseHistory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def already_processed(self, file_hash: str) -> list[int]:
        """The submissions that came from a file with these exact bytes."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    select(schema.submissions.c.id).where(schema.submissions.c.file_hash == file_hash)
                )
            )

    def monthly_counts(self, project: str, partner: str, dataset: str, before: str) -> dict[str, int]:
        """Rows per accepted month of this partner's dataset, for the months before ``before``."""
        s = schema.submissions
        query = select(s.c.period, s.c.row_count).where(
            (s.c.project == project)
            & (s.c.partner == partner)
            & (s.c.dataset == dataset)
            & (s.c.status == ACCEPTED)
            & (s.c.period < before)
        )
        with self.engine.connect() as conn:
            return {period: count for period, count in conn.execute(query).all()}
