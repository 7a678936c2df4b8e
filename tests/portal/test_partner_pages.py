"""A partner's pages through the real application: template, a file checked as the pipeline
checks it (problems table, feedback workbook, volume warning), sending it to the inbox, a
month without activity, and "my submissions"."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
from portal_helpers import *  # noqa: F403
from portal_helpers import csrf, signed_in, submitted
from sqlalchemy import insert

from inclusion_data.portal import accounts
from inclusion_data.warehouse import schema
from workbooks import beneficiary, write_xlsx


def _upload(client, tmp_path, name: str, rows: list[dict], project: str = "TWAM"):
    path = write_xlsx(tmp_path / name, {"Beneficiari": rows})
    files = {"file": (name, io.BytesIO(path.read_bytes()), "application/octet-stream")}
    token = csrf(client, "/partner")
    response = client.post(f"/partner/{project}/upload", data={"csrf_token": token}, files=files)
    assert response.status_code == 200, response.text[:500]
    return response


def test_the_template_is_the_partners_own(client, people):
    signed_in(client, people["cluj"].email)
    response = client.get("/partner/TWAM/template?month=2016-03")
    assert response.headers["content-disposition"].endswith('filename="TWAM_asoc-cluj_2016-03.xlsx"')
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert {"Beneficiari", "Instruiri", "Voluntari", "Info"} <= set(workbook.sheetnames)
    assert workbook["Info"]["B1"].value == "2016-03"


def test_a_file_with_errors_shows_its_problems_and_feedback_then_goes_to_the_inbox(
    client, people, tmp_path, portal_settings
):
    signed_in(client, people["cluj"].email)
    page = _upload(
        client, tmp_path, "raport_2016-03.xlsx", [beneficiary(), beneficiary(locality="Atlantida")]
    )
    html = page.text
    assert 'data-status="rejected"' in html and "Beneficiari" in html
    assert "localitate din afara județului" in html  # the rule, in Romanian
    assert "<td>3</td>" in html  # the spreadsheet row of the bad locality
    assert "Localitate" in html  # the column header
    token = page.url.path.split("/")[-1]
    feedback = client.get(f"/partner/uploads/{token}/feedback")
    assert feedback.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(feedback.content)).sheetnames
    assert sheets[0] == "Erori" and "Beneficiari" in sheets  # the user's language
    sent = client.post(f"/partner/uploads/{token}/submit", data={"csrf_token": csrf(client, "/partner")})
    assert sent.status_code == 200 and "raport_2016-03.xlsx" in sent.text
    inbox = portal_settings.inbox / "TWAM" / "asoc-cluj"
    assert [p.name for p in inbox.iterdir()] == ["raport_2016-03.xlsx"]
    assert "în așteptarea procesării" in client.get("/partner/submissions").text
    # a second file of the same name does not overwrite the first
    page = _upload(client, tmp_path, "raport_2016-03.xlsx", [beneficiary()])
    token = page.url.path.split("/")[-1]
    client.post(f"/partner/uploads/{token}/submit", data={"csrf_token": csrf(client, "/partner")})
    assert sorted(p.name for p in inbox.iterdir()) == ["raport_2016-03.xlsx", "raport_2016-03_2.xlsx"]


def test_the_check_includes_the_volume_warning_of_the_pipeline(client, people, tmp_path, portal_engine):
    with portal_engine.begin() as conn:
        for month in ("2016-01", "2016-02", "2016-03"):
            conn.execute(
                insert(schema.submissions).values(
                    project="TWAM", partner="asoc-cluj", dataset="beneficiaries", period=month,
                    file_name=f"{month}.xlsx", file_hash=month, sheet="Beneficiari",
                    received_at=dt.datetime(2016, 4, 1, tzinfo=dt.UTC), status="accepted", version=1,
                    row_count=1, error_count=0, warning_count=0, findings="[]", stored_at="archive/x",
                )
            )  # fmt: skip
    signed_in(client, people["cluj"].email)
    rows = [beneficiary(service_date=dt.date(2016, 4, day)) for day in (4, 5, 6)]
    html = _upload(client, tmp_path, "raport_2016-04.xlsx", rows).text
    assert "număr neobișnuit de rânduri" in html and 'data-status="accepted"' in html


def test_an_upload_over_the_size_limit_is_refused(client, people, monkeypatch, portal_settings):
    signed_in(client, people["cluj"].email)
    limit = portal_settings.limits.max_file_bytes
    files = {"file": ("big_2016-03.xlsx", io.BytesIO(b"x" * (limit + 10)), "application/octet-stream")}
    response = client.post("/partner/TWAM/upload", data={"csrf_token": csrf(client, "/partner")}, files=files)
    assert response.status_code in (200, 413)
    assert not list((portal_settings.home / "portal" / "staging").glob("*/big_2016-03.xlsx"))


def test_declaring_no_activity_sends_the_template_with_an_empty_sheet(client, people, portal_settings):
    signed_in(client, people["cluj"].email)
    form = {"dataset": "volunteers", "month": "2016-03", "csrf_token": csrf(client, "/partner")}
    assert client.post("/partner/TWAM/nil", data=form).status_code == 200
    [sent] = (portal_settings.inbox / "TWAM" / "asoc-cluj").iterdir()
    assert sent.name == "TWAM_asoc-cluj_2016-03_volunteers_fara-activitate.xlsx"
    workbook = openpyxl.load_workbook(sent)
    assert "Voluntari" in workbook.sheetnames and "Beneficiari" not in workbook.sheetnames
    assert workbook["Voluntari"].max_row == 1 or all(
        c.value is None for row in workbook["Voluntari"].iter_rows(min_row=2) for c in row
    )
    assert workbook["Info"]["B1"].value == "2016-03"
    # a dataset the partner does not report, or another project, is refused
    form["dataset"] = "trainings"
    assert client.post("/partner/ALBA/nil", data=form).status_code == 404


def test_a_declared_month_without_activity_is_processed_as_a_nil_return_and_shown(
    client, people, portal_settings, portal_engine
):
    from inclusion_data.contracts.network import load_network
    from inclusion_data.intake import pseudonym
    from inclusion_data.orchestration.ingest import discover, process_file
    from inclusion_data.orchestration.tasks import refresh_reports

    signed_in(client, people["cluj"].email)
    form = {"dataset": "volunteers", "month": "2016-03"}
    assert client.post("/partner/TWAM/nil", data=form).status_code == 403  # no CSRF token
    assert not (portal_settings.inbox / "TWAM" / "asoc-cluj").exists()
    form["csrf_token"] = csrf(client, "/partner")
    assert client.post("/partner/TWAM/nil", data=form).status_code == 200
    assert "fără activitate (declarat)" not in client.get("/partner/submissions").text  # waiting
    # the pipeline takes it from the inbox like any other file
    key = pseudonym.load_key(portal_settings)
    [outcome] = [
        process_file(r, portal_settings, portal_engine, load_network(), key)
        for r in discover(portal_settings)
    ]
    assert [(s.dataset, s.status, s.rows) for s in outcome.submissions] == [("volunteers", "nil", 0)]
    refresh_reports(portal_settings, portal_engine)

    mine = client.get("/partner/submissions").text
    row = re.search(r'<tr class="nil" data-submission="\d+">.*?</tr>', mine, re.S)
    assert row and "Voluntari" in row.group() and "fără activitate (declarat)" in row.group()
    home = client.get("/partner").text
    assert re.search(r'<tr class="nil"><td>TWAM</td><td>Voluntari</td><td>2016-03</td>', home)
    signed_in(client, people["coordinator"].email)
    page = client.get("/coordinator/completeness?partner=asoc-cluj").text
    assert "Months declared without activity (nil returns, received and complete): 1." in page
    # declared today for March 2016: received, complete, and late
    assert '<td class="nil late">no activity declared (late)</td>' in page


def test_my_submissions_list_status_version_report_and_feedback(
    client, people, portal_settings, portal_engine
):
    outcome = submitted(
        portal_settings, portal_engine, "TWAM/asoc-cluj/raport_2016-03.xlsx",
        {"Beneficiari": [beneficiary(locality="Atlantida")]},
    )  # fmt: skip
    signed_in(client, people["cluj"].email)
    html = client.get("/partner/submissions").text
    submission = outcome.submissions[0].submission_id
    assert f"/partner/submissions/{submission}/report" in html
    assert f"/partner/submissions/{submission}/feedback" in html and "respins" in html
    page = client.get(f"/partner/submissions/{submission}").text
    assert "localitate din afara județului" in page
    report = client.get(f"/partner/submissions/{submission}/report")
    assert report.headers["content-type"].startswith("text/html") and "locality_in_county" in report.text
    assert "localitate din afara județului" in report.text  # the user's language
    accounts.set_language(portal_engine, people["cluj"].id, "en")
    report = client.get(f"/partner/submissions/{submission}/report").text
    assert '<html lang="en">' in report and "locality not in the county" in report
    json.dumps(outcome.summary())  # nothing here depends on values from the file's cells


def test_english_pages_for_a_user_who_chose_english(client, people):
    signed_in(client, people["cluj"].email)
    client.post(
        "/language", data={"language": "en", "back": "/partner", "csrf_token": csrf(client, "/partner")}
    )
    html = client.get("/partner").text
    assert "Download the template" in html and "Beneficiaries" in html and "Descărcați" not in html
