"""What the warehouse already holds about a partner's files: has this exact file been
processed (as the evaluation asks, see ``submissions.evaluation.History``), and was a file
recorded but not yet filed (a run stopped between its commit and its report)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Engine, select

from inclusion_data.intake.sealing import NameSeal
from inclusion_data.warehouse import schema

_PER_QUERY = 500  # files looked up by one query of ``recall``


class WarehouseHistory:
    def __init__(self, engine: Engine, seal: NameSeal) -> None:
        self.engine, self.seal = engine, seal
        self._processed: dict[str, list[int]] = {}  # recalled: file hash -> its submissions
        self._unfiled: dict[str, tuple[str, str] | None] = {}  # recalled: source -> ``unfiled``

    def recall(self, sources: Collection[str] = (), hashes: Collection[str] = ()) -> None:
        """Look many files up at once, for the ``unfiled`` and ``already_processed`` calls
        that follow: a batch's files in one query each way instead of one a file (with its
        connection, ~2 ms). Those answers are the warehouse as it stood at the recall;
        what is recorded after it is still found where it matters, by the load itself under
        its locks (``load.load_file``: the same bytes recorded meanwhile make a duplicate)."""
        f, s = schema.file_outcomes, schema.submissions
        digests = {self.seal.digest(source): source for source in sources}
        self._unfiled.update(dict.fromkeys(sources))
        self._processed.update({h: [] for h in hashes})
        with self.engine.connect() as conn:
            for chunk in _chunks(list(digests)):
                query = select(f.c.source, f.c.file_hash, f.c.outcome).where(
                    f.c.source.in_(chunk) & f.c.filed_at.is_(None)
                )
                for row in conn.execute(query):
                    self._unfiled[digests[row.source]] = (row.file_hash, self.seal.open(row.outcome))
            for chunk in _chunks(sorted(set(hashes))):
                query = select(s.c.file_hash, s.c.id).where(s.c.file_hash.in_(chunk)).order_by(s.c.id)
                for found in conn.execute(query):
                    self._processed[found.file_hash].append(found.id)

    def already_processed(self, file_hash: str) -> list[int]:
        """The submissions that came from a file with these exact bytes."""
        if file_hash in self._processed:
            return list(self._processed[file_hash])
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    select(schema.submissions.c.id).where(schema.submissions.c.file_hash == file_hash)
                )
            )

    def unfiled(self, source: str) -> tuple[str, str] | None:
        """(file hash, outcome JSON) of a file from ``source`` whose submissions were committed
        but which was not yet filed with its report: a run stopped in between."""
        if source in self._unfiled:
            return self._unfiled[source]
        f = schema.file_outcomes
        query = select(f.c.file_hash, f.c.outcome).where(
            (f.c.source == self.seal.digest(source)) & f.c.filed_at.is_(None)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query.limit(1)).first()
        return (row.file_hash, self.seal.open(row.outcome)) if row else None


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + _PER_QUERY] for i in range(0, len(values), _PER_QUERY)]
