"""What the demo prints at the end: what was accepted and rejected, and where things are."""

from __future__ import annotations

from sqlalchemy import func, select

from inclusion_data.publishing.publication import published_on
from inclusion_data.settings import Settings
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.engine import make_engine
from inclusion_data.warehouse.review import closed_months


def print_summary(settings: Settings) -> None:
    engine = make_engine(settings.warehouse_url)
    s = schema.submissions
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                s.c.id,
                s.c.project,
                s.c.partner,
                s.c.dataset,
                s.c.period,
                s.c.status,
                s.c.version,
                s.c.row_count,
                s.c.error_count,
                s.c.warning_count,
                s.c.stored_at,
            ).order_by(s.c.id)
        ).all()
        counts = {
            t: conn.scalar(select(func.count()).select_from(schema.metadata.tables[t]))
            for t in sorted(schema.metadata.tables)
        }
    print("\nSubmissions")
    print(
        f"  {'id':>3} {'project':7} {'partner':20} {'dataset':13} {'month':7} {'status':10} "
        f"{'v':>2} {'rows':>5} {'err':>4} {'warn':>4}"
    )
    for r in rows:
        print(
            f"  {r.id:>3} {r.project:7} {r.partner:20} {r.dataset:13} {r.period:7} {r.status:10} "
            f"{r.version:>2} {r.row_count:>5} {r.error_count:>4} {r.warning_count:>4}"
        )
    reports = sorted({r.stored_at for r in rows if r.status == "rejected"})
    print("\nData-quality reports of rejected files (next to the file):")
    for stored in reports:
        print(f"  {settings.home / (stored + '.report.html')}")
    print(f"All reports: {settings.archive}/**/*.report.html and {settings.rejected}/**/*.report.html")
    print(
        f"Reviewers' data-quality site (submissions, completeness, trends): {settings.reports / 'index.html'}"
    )
    with engine.connect() as conn:
        closed = sorted(closed_months(conn))
    print(f"\nMonths approved by the coordinator (final, closed): {len(closed)}: "
          + ", ".join(f"{p} {m}" for p, m in closed))  # fmt: skip
    published = settings.published / published_on()
    print(f"\nIndicators: {published / 'indicator_values.xlsx'}")
    print(f"            {published / 'indicator_values.csv'}")
    print(f"            {published / 'index.html'}  (open in a browser)")
    print(f"Warehouse:  {settings.warehouse_url}")
    print("Rows per table: " + ", ".join(f"{t}={n}" for t, n in counts.items()))
