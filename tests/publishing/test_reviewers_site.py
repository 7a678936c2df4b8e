"""The reviewers' site makes a submission's page again only when what it shows changed
(``reviewers_site._submission_pages``): a rebuild with nothing new rewrites no page, a
re-sent month's superseded version gets its new status, and a page removed from the disk or
an unreadable record of the pages is made again. On both databases."""

from inclusion_data.contracts.network import load_network
from inclusion_data.orchestration import tasks
from inclusion_data.orchestration.ingest import discover, process_file
from workbooks import beneficiary, write_xlsx

KEY = b"test"


def _send(settings, engine, name, rows):
    write_xlsx(settings.inbox / "TWAM" / "asoc-cluj" / name, {"Beneficiari": rows}, info_month="2016-03")
    [outcome] = [process_file(r, settings, engine, load_network(), KEY) for r in discover(settings)]
    tasks.refresh_reports(settings, engine)
    return outcome.submissions[0].submission_id


def _pages(settings) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (settings.reports / "submissions").glob("*.html")}


def test_submission_pages_are_made_again_only_when_they_change(settings, engine):
    first = _send(settings, engine, "martie.xlsx", [beneficiary()])
    page = settings.reports / "submissions" / f"{first}.html"
    assert "accepted" in page.read_text("utf-8")
    made = _pages(settings)
    tasks.refresh_reports(settings, engine)
    assert _pages(settings) == made  # nothing new: no page rewritten

    second = _send(
        settings, engine, "martie_corectat.xlsx", [beneficiary(), beneficiary(service="Logopedie")]
    )
    assert set(_pages(settings)) == {f"{first}.html", f"{second}.html"}
    assert f'superseded → <a href="{second}.html">' in page.read_text("utf-8")

    page.unlink()
    tasks.refresh_reports(settings, engine)
    assert "superseded" in page.read_text("utf-8")  # removed from the disk: made again
    (settings.reports / "submissions" / ".built.json").write_text("{not json", "utf-8")
    before = _pages(settings)
    tasks.refresh_reports(settings, engine)
    assert all(_pages(settings)[name] != before[name] for name in before)  # all made again
