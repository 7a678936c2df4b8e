"""Public outputs: what is published and what is withheld, how complete each value is, the
revision log, and the donor-ready workbook and CSVs, read back as their users open them."""

import datetime as dt
import re
import time

import openpyxl
import pandas as pd
from sqlalchemy import func, select

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.catalogue import ALL, TOTAL, catalogue
from inclusion_data.indicators.disclosure_audit import audit_publication
from inclusion_data.indicators.incremental import build_indicator_values
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.publishing import revisions
from inclusion_data.publishing.publication import COLUMNS, KEYS, indicator_frame, publish, reach
from inclusion_data.publishing.workbook import SUMMARY, sheet_names
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.review import approve_month, review_history
from sample_warehouse import load_small_network
from workbooks import beneficiary, write_xlsx


def _key(row) -> tuple:
    return tuple(str(row[k]) for k in KEYS)


def test_published_csv_has_no_small_person_cells_and_the_warehouse_keeps_them(settings, engine):
    load_small_network(settings, engine)
    published = publish(engine, settings)
    public = pd.read_csv(published.csv, dtype={"category": str})
    people = public[public.indicator_id.isin(["persons_assisted", "volunteers"])]
    assert people["value"].dropna().between(1, 4).sum() == 0
    assert people["suppressed"].any()
    exact = pd.read_sql_table("indicator_values", engine)
    assert exact[(exact.dimension != TOTAL)]["value"].between(1, 4).any()
    # exact overlaps are for coordinators: outside the published folder
    overlaps = pd.read_csv(published.overlaps)
    assert set(overlaps.columns) == {"indicator_id", "partner_a", "partner_b", "persons", "suppressed"}
    assert published.directory not in published.overlaps.parents
    assert not list(published.directory.rglob("partner_overlaps*"))
    assert published.html.exists() and published.workbook.exists()
    # the attacker's audit finds nothing in what went out
    frame = indicator_frame(engine)
    assert audit_publication(frame, public, reach(frame)).empty


def _workbook_cells(path) -> dict[tuple, dict]:
    """Every indicator sheet's rows, keyed like the CSV (codes are in the sheet's last columns)."""
    book = openpyxl.load_workbook(path)
    out = {}
    for indicator_id, name in sheet_names().items():
        if name not in book.sheetnames:
            continue
        rows = list(book[name].iter_rows(min_row=4, values_only=True))
        header = rows[0]
        for values in rows[1:]:
            r = dict(zip(header, values, strict=True))
            period = r["Period"] if not str(r["Period"]).startswith("Întreaga") else TOTAL
            key = (
                indicator_id,
                r["Project"],
                r["Partner code"],
                period,
                r["Breakdown code"],
                r["Category code"],
            )
            out[tuple(map(str, key))] = r
    return out


def test_csv_workbook_and_html_agree_on_every_suppressed_cell_and_status(settings, engine):
    load_small_network(settings, engine)
    published = publish(engine, settings)
    csv = pd.read_csv(published.csv, dtype={"category": str, "period": str})
    in_csv = {_key(r) for _, r in csv[csv.suppressed].iterrows()}
    assert in_csv
    cells = _workbook_cells(published.workbook)
    assert set(cells) == {_key(r) for _, r in csv.iterrows()}
    in_workbook = {k for k, r in cells.items() if r["Suppressed"]}
    assert in_workbook == in_csv
    assert all(cells[k]["Value"] is None for k in in_workbook)
    status = {_key(r): r["status"] for _, r in csv.iterrows()}
    assert {k: r["Status"].split(" / ")[-1] for k, r in cells.items()} == status
    page = published.html.read_text("utf-8")
    rows = re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', page, re.S)
    in_html = {tuple(k.split("|")) for k, cells_html in rows if "suprimat / suppressed" in cells_html}
    assert in_html == in_csv
    assert {tuple(k.split("|")) for k, _ in rows} == set(status)
    # the page reads labels but selects by code: totals are found, trends are drawn
    assert 'data-chart="trend-persons_assisted"' in page
    summary = re.search(r'<table id="summary">(.*?)</table>', page, re.S).group(1)
    persons = re.search(r"<td>Persoane asistate</td>(.*?)</tr>", summary, re.S).group(1)
    network = csv[(csv.indicator_id == "persons_assisted") & (csv.project == ALL) & (csv.partner == ALL)]
    total = network[(network.period == TOTAL) & (network.dimension == TOTAL)].iloc[0]
    shown = [c.strip() for c in re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)', persons)]
    assert shown[-1] == ("suprimat / suppressed" if total.suppressed else str(int(total.value)))
    assert "—" not in shown


def test_every_value_says_how_complete_it_is(settings, engine):
    """Months not approved are provisional, a missing submission makes a value incomplete,
    and approving the month makes it final; coverage counts expected, received, approved."""
    load_small_network(settings, engine)
    published = publish(engine, settings)
    csv = pd.read_csv(published.csv, dtype={"category": str}).set_index(KEYS)
    month = ("volunteers", "ALBA", ALL, "2016-03", TOTAL, TOTAL)  # speromax is the one that sends them
    assert csv.loc[month, "status"] == "provisional"
    # ALBA expected beneficiaries from primaria-alba-iulia in 2016-03 too: none came
    assert csv.loc[("persons_assisted", "ALBA", ALL, "2016-03", TOTAL, TOTAL), "status"] == "incomplete"
    assert (
        csv.loc[("persons_assisted", "ALBA", "speromax", "2016-03", TOTAL, TOTAL), "status"] == "provisional"
    )
    assert csv.loc[("volunteers", "ALBA", ALL, TOTAL, TOTAL, TOTAL), "status"] == "incomplete"
    assert set(csv["status"]) <= {"final", "provisional", "incomplete"}
    coverage = pd.read_csv(published.directory / "coverage.csv").set_index("project")
    network = load_network()
    expected_alba = (
        sum(
            len(m.reports)
            for m in network.memberships.values()
            if m.project == "ALBA" and m.start <= "2016-03"
        )
        * 3
    )  # 2016-01..2016-03 for the partners that started in 2016-01
    assert coverage.loc["ALBA", "expected"] == expected_alba
    assert coverage.loc["ALBA", "received"] == 2 and coverage.loc["ALBA", "approved"] == 0
    assert coverage.loc[ALL, "received"] == 5
    assert (coverage.loc[ALL, "period_first"], coverage.loc[ALL, "period_last"]) == ("2016-01", "2016-03")

    approve_month(engine, "ALBA", "2016-03", by="coordinator@example.org")
    again = publish(engine, settings)
    assert again.changed and again.publication != published.publication
    csv = pd.read_csv(again.csv, dtype={"category": str}).set_index(KEYS)
    assert csv.loc[month, "status"] == "final"
    assert csv.loc[("persons_assisted", "ALBA", "speromax", "2016-03", TOTAL, TOTAL), "status"] == "final"
    assert pd.read_csv(again.directory / "coverage.csv").set_index("project").loc["ALBA", "approved"] == 2
    with engine.connect() as conn:
        log = revisions.history(conn, again.publication)
        assert [r.publication for r in review_history(conn, "ALBA", "2016-03")] == [again.publication]
    changed = log.set_index(KEYS).loc[month]
    assert (changed.old_state, changed.new_state) == ("provisional", "final")
    assert changed.causes == [{"review": "approved", "project": "ALBA", "period": "2016-03"}]


def _resend_cluj_march(settings, engine) -> None:
    write_xlsx(
        settings.inbox / "TWAM/asoc-cluj/a_2016-03_v2.xlsx",
        {
            "Beneficiari": [
                beneficiary(),
                beneficiary(service="Logopedie"),
                beneficiary(cnp=None, person_code="K9", sex="F", birth_date=None, locality="Huedin"),
                *(beneficiary(cnp=None, person_code=f"N{n}", sex="M", birth_date=2010) for n in range(6)),
            ]
        },
    )
    for relative in discover(settings):
        assert process_file(relative, settings, engine, load_network(), b"k").status == "accepted"
    build_indicator_values(engine)


def test_the_revision_log_names_what_a_resent_month_changed_and_a_rerun_writes_nothing(settings, engine):
    load_small_network(settings, engine)
    first = publish(engine, settings)
    with engine.connect() as conn:
        assert revisions.history(conn, first.publication).empty  # nothing to compare with

    before = {p: p.stat().st_mtime_ns for p in first.directory.iterdir()}
    started = time.perf_counter()
    rerun = publish(engine, settings)
    elapsed = time.perf_counter() - started
    assert (rerun.publication, rerun.changed) == (first.publication, False)
    assert {p: p.stat().st_mtime_ns for p in first.directory.iterdir()} == before
    assert elapsed < 2, f"a no-change publication took {elapsed:.2f} s"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(schema.publications)) == 1

    _resend_cluj_march(settings, engine)
    second = publish(engine, settings)
    assert second.changed and second.publication == f"{dt.date.today().isoformat()}.2"
    with engine.connect() as conn:
        log = revisions.history(conn, second.publication).set_index(KEYS)
        ids = dict(
            conn.execute(
                select(schema.submissions.c.status, schema.submissions.c.id).where(
                    (schema.submissions.c.partner == "asoc-cluj") & (schema.submissions.c.period == "2016-03")
                )
            ).all()
        )
    cell = log.loc[("services_delivered", "TWAM", "asoc-cluj", "2016-03", TOTAL, TOTAL)]
    assert (cell.old_value, cell.new_value) == (3, 9)  # three rows, then nine
    submissions = {c["submission"]: c["change"] for c in cell.causes}
    assert submissions == {ids["accepted"]: "loaded", ids["superseded"]: "withdrawn"}
    assert all(c["dataset"] == "beneficiaries" and c["period"] == "2016-03" for c in cell.causes)
    # months and partners the re-send does not touch did not change
    assert ("services_delivered", "TWAM", "asoc-bihor", "2016-03", TOTAL, TOTAL) not in log.index
    assert not any(k[3] == "2016-02" and k[2] != ALL for k in log.index)
    # shipped in the workbook, the CSV and the page, with submission ids, never file names
    sheet = openpyxl.load_workbook(second.workbook)["Ce s-a schimbat - What changed"]
    text = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    assert f"#{ids['accepted']} TWAM/asoc-cluj/beneficiaries/2016-03 loaded" in text
    assert f"Since publication {first.publication}: {len(log)} values changed." in text
    assert "a_2016-03" not in text
    changes = pd.read_csv(second.directory / "what_changed.csv")
    assert len(changes) == len(log) and (changes.previous == first.publication).all()
    page = second.html.read_text("utf-8")
    assert f"{len(log)} values changed since publication {first.publication}" in page
    assert f"#{ids['superseded']} TWAM/asoc-cluj/beneficiaries/2016-03 withdrawn" in page


def test_summary_sheet_figures_and_formats(settings, engine):
    load_small_network(settings, engine)
    published = publish(engine, settings)
    csv = pd.read_csv(published.csv, dtype={"category": str})
    headline = csv[(csv.partner == ALL) & (csv.period == TOTAL) & (csv.dimension == TOTAL)]
    book = openpyxl.load_workbook(published.workbook)
    assert book.sheetnames[0] == SUMMARY
    sheet = book[SUMMARY]
    texts = [sheet.cell(row=r, column=1).value or "" for r in range(1, 12)]
    data_as_of = csv["data_as_of"].iloc[0]
    assert f"Date la / Data as of: {data_as_of}" in texts
    assert "Perioada / Period covered: 2016-01 – 2016-03" in texts
    assert any(t.startswith("Coverage: 5 of ") and "0 approved" in t for t in texts)
    header_row = next(r for r in range(1, 20) if sheet.cell(row=r, column=1).value == "Proiect")
    assert sheet.freeze_panes == f"A{header_row + 2}"
    assert sheet.print_title_rows == f"${header_row}:${header_row + 1}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    names = {i.name_en: i.id for i in catalogue().values()}
    projects = {"Together we are more": "TWAM", "All projects": ALL}
    seen = set()
    for row in sheet.iter_rows(min_row=header_row + 2):
        project = projects.get(str(row[0].value).split(" / ")[-1])
        if project is None:
            continue  # ALBA's long name
        indicator = names[row[2].value]
        expected = headline[(headline.project == project) & (headline.indicator_id == indicator)].iloc[0]
        value, target, achievement = row[3], row[4], row[5]
        if expected.suppressed:
            assert value.value == "suprimat / suppressed"
        else:
            assert value.value == expected.value
            whole = float(expected.value).is_integer()
            assert isinstance(value.value, int) == whole  # 28, not 28.0; hours may be 6.5
            assert value.number_format == ("#,##0" if whole else "#,##0.0")
        if not pd.isna(expected.target):
            assert target.value == expected.target and target.number_format == "#,##0"
        if not pd.isna(expected.achievement_pct):
            assert achievement.value == expected.achievement_pct / 100 and achievement.number_format == "0%"
        assert row[6].value.split(" / ")[-1] == expected.status
        assert row[7].number_format == "0%" and 0 < row[7].value < 1
        seen.add((project, indicator))
    assert ("TWAM", "persons_assisted") in seen and (ALL, "persons_assisted") in seen
    # every indicator sheet: bilingual name, frozen two-row header, filter, print set-up
    for name in sheet_names().values():
        if name in book.sheetnames:
            s = book[name]
            assert (s["A3"].value, s["A4"].value) == ("Proiect", "Project")
            assert s.freeze_panes == "A5" and s.auto_filter.ref.startswith("A4:")
            assert s.print_title_rows == "$3:$4"


def test_two_csvs_one_for_machines_one_for_excel_in_romania(settings, engine):
    load_small_network(settings, engine)
    published = publish(engine, settings)
    raw = published.csv.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    header, *lines = raw.decode("utf-8").splitlines()
    assert header.split(",") == list(COLUMNS)
    assert not re.search(r",\d+\.0,", "\n".join(lines)), "integers are written as integers"
    csv = pd.read_csv(published.csv, dtype={"category": str})
    hours = csv.set_index(KEYS).loc[("volunteer_hours", "ALBA", ALL, TOTAL, TOTAL, TOTAL), "value"]
    assert hours == 6.5
    excel = (published.directory / "indicator_values_excel_ro.csv").read_bytes()
    assert excel.startswith(b"\xef\xbb\xbf")
    text = excel.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Cod indicator / Indicator code;Indicator / Indicator (ro);")
    assert ";6,5;" in text and ";6.5;" not in text
    back = pd.read_csv(
        published.directory / "indicator_values_excel_ro.csv", sep=";", decimal=",", encoding="utf-8-sig"
    )
    assert len(back) == len(csv)
    assert set(back["Suprimat / Suppressed"]) <= {"da / yes", "nu / no"}
    assert set(back["Stare / Status"]) <= {"final", "provizoriu / provisional", "incomplet / incomplete"}
